//! One thing wrong in a manifest, kept as data: which connector, where in
//! it, which option (named as a Connect config names it) and what to do.
//! The CLI prints it; the REST API files it under its option. Nobody parses
//! the rendered text back.

use std::fmt;

/// One problem found in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The `[[connectors]]` entry it is in, by index; `None` for the
    /// manifest as a whole.
    pub connector: Option<usize>,
    /// That connector's name, once it was read.
    pub name: Option<String>,
    /// Where, as a TOML path inside the connector (`sink."http.api.url"`),
    /// or inside the manifest without a connector; empty for the connector
    /// (or manifest) as a whole.
    pub path: String,
    /// The option it is about, as a Connect config names it
    /// (`http.api.url`, `tasks.max`), when it is about one.
    pub option: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl Problem {
    /// A problem with option `key` of `section` (`""` for the connector's
    /// own options, `sink`, `kafka`, `sink.formatter.config`): sections whose
    /// keys are Connect options.
    pub fn option(section: &str, key: &str, message: impl Into<String>) -> Self {
        let path = match section {
            "" => quote(key),
            s => format!("{s}.{}", quote(key)),
        };
        Problem {
            option: Some(key.to_string()),
            ..Problem::at(path, message)
        }
    }

    /// A problem at TOML path `path` (rendered: `transforms[0].plugin`).
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            connector: None,
            name: None,
            path: path.into(),
            option: None,
            message: message.into(),
        }
    }

    /// A problem with the plugin at `role` (`"value.converter"`,
    /// `transforms[0]`, `sink.formatter`): the converters are Connect options.
    pub fn plugin(role: &str, message: impl Into<String>) -> Self {
        let option = ["key.converter", "value.converter"]
            .into_iter()
            .find(|k| quote(k) == role);
        Problem {
            option: option.map(String::from),
            ..Problem::at(role, message)
        }
    }

    /// A problem with the connector (or manifest) as a whole.
    pub fn whole(message: impl Into<String>) -> Self {
        Problem::at("", message)
    }

    /// The same problem, found in connector `index` (named `name` if known).
    pub fn in_connector(mut self, index: usize, name: Option<&str>) -> Self {
        self.connector = Some(index);
        self.name = name.map(String::from);
        self
    }

    /// The same problem with `f` applied to its message (to redact it).
    pub fn map_message(mut self, f: impl FnOnce(&str) -> String) -> Self {
        self.message = f(&self.message);
        self
    }
}

/// One step of a path into a TOML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl Problem {
    /// A problem at `path` in the manifest's TOML document: in connector `i`
    /// when it starts `connectors[i]`, about a Connect option when it ends
    /// at a key of the connector, its `sink`, its `kafka` table or its
    /// formatter's `config`.
    pub fn in_document(path: &[Segment], message: impl Into<String>) -> Self {
        let (connector, inner) = match path {
            [Segment::Key(c), Segment::Index(i), rest @ ..] if c == "connectors" => {
                (Some(*i), rest)
            }
            _ => (None, path),
        };
        let key = |k: &str| k == "sink" || k == "kafka";
        let option = match inner {
            [Segment::Key(k)] => Some(k),
            [Segment::Key(s), Segment::Key(k)] if key(s) => Some(k),
            [
                Segment::Key(s),
                Segment::Key(f),
                Segment::Key(c),
                Segment::Key(k),
            ] if s == "sink" && f == "formatter" && c == "config" => Some(k),
            _ => None,
        }
        .filter(|_| connector.is_some());
        Problem {
            connector,
            name: None,
            path: render(inner),
            option: option.cloned(),
            message: message.into(),
        }
    }
}

/// `path` as TOML writes it: `sink."http.api.url"`, `transforms[0].config`.
pub fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&quote(k));
            }
        }
    }
    out
}

/// `key` as a TOML key: bare when it can be, else quoted.
pub fn quote(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.connector, &self.name) {
            (Some(i), Some(name)) => write!(f, "connectors[{i}] ({name}): ")?,
            (Some(i), None) if !self.path.is_empty() => {
                return write!(f, "connectors[{i}].{}: {}", self.path, self.message);
            }
            (Some(i), None) => write!(f, "connectors[{i}]: ")?,
            (None, _) => {}
        }
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_where_the_user_looks() {
        let p = Problem::option("sink", "http.api.url", "missing").in_connector(0, Some("c1"));
        assert_eq!(
            p.to_string(),
            "connectors[0] (c1): sink.\"http.api.url\": missing"
        );
        assert_eq!(p.option.as_deref(), Some("http.api.url"));
        let p = Problem::option("", "topics", "missing").in_connector(2, Some("c"));
        assert_eq!(p.to_string(), "connectors[2] (c): topics: missing");
        let p = Problem::at("sink.headers", "cannot read").in_connector(0, None);
        assert_eq!(p.to_string(), "connectors[0].sink.headers: cannot read");
        assert_eq!(Problem::whole("no connectors").to_string(), "no connectors");
        let path = [
            Segment::Key("connectors".into()),
            Segment::Index(1),
            Segment::Key("sink".into()),
            Segment::Key("batch.max.size".into()),
        ];
        let p = Problem::in_document(&path, "invalid type");
        assert_eq!(
            p.to_string(),
            "connectors[1].sink.\"batch.max.size\": invalid type"
        );
        assert_eq!(p.option.as_deref(), Some("batch.max.size"));
        let path = [
            Segment::Key("connectors".into()),
            Segment::Index(0),
            Segment::Key("transforms".into()),
            Segment::Index(2),
            Segment::Key("plugin".into()),
        ];
        let p = Problem::in_document(&path, "x");
        assert_eq!(p.to_string(), "connectors[0].transforms[2].plugin: x");
        assert_eq!(p.option, None);
    }
}
