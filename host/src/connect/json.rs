//! Connector configs as people keep them: JSON as Connect's REST API and
//! `register.sh` scripts send it (`{"name": …, "config": {…}}`, or the bare
//! config map), and a standalone worker's `.properties` file.

use super::ConnectConfig;

/// A connector's name and config read from JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorJson {
    /// The `name` of a create request, else the config's; `None` when
    /// neither has one (a `PUT /connectors/<name>/config` body).
    pub name: Option<String>,
    pub config: ConnectConfig,
    /// `initial_state` of a create request (`RUNNING`, `PAUSED`, `STOPPED`).
    pub initial_state: Option<String>,
}

/// Why connector JSON could not be read; each names the field to fix.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("not valid JSON: {0}")]
    Syntax(#[from] serde_json::Error),
    #[error("expected a JSON object: {{\"name\": …, \"config\": {{…}}}}")]
    NotObject,
    #[error("\"{0}\" must be a string")]
    NotString(&'static str),
    #[error("\"config\" must be an object of options")]
    ConfigNotObject,
    #[error("unknown field {0:?}: a create request has name, config and initial_state")]
    UnknownField(String),
    #[error("missing \"name\": the connector's name")]
    NoName,
    #[error("not a valid properties file: {0}")]
    Properties(String),
    #[error("{key:?}: expected a string, number or boolean, not {value}")]
    Value {
        key: String,
        value: serde_json::Value,
    },
}

/// Reads connector JSON: the create-request shape, or a bare config map with
/// a `name`. Numbers and booleans are taken as their text, as Connect does.
pub fn parse(text: &[u8]) -> Result<ConnectorJson, JsonError> {
    let value: serde_json::Value = serde_json::from_slice(text)?;
    let serde_json::Value::Object(mut top) = value else {
        return Err(JsonError::NotObject);
    };
    let (config, name, initial_state) = match top.remove("config") {
        Some(serde_json::Value::Object(config)) => {
            let name = match top.remove("name") {
                Some(serde_json::Value::String(n)) => Some(n),
                None => None,
                Some(_) => return Err(JsonError::NotString("name")),
            };
            let state = match top.remove("initial_state") {
                Some(serde_json::Value::String(s)) => Some(s.to_uppercase()),
                None | Some(serde_json::Value::Null) => None,
                Some(_) => return Err(JsonError::NotString("initial_state")),
            };
            if let Some(key) = top.keys().next() {
                return Err(JsonError::UnknownField(key.clone()));
            }
            (config_map(config)?, name, state)
        }
        Some(_) => return Err(JsonError::ConfigNotObject),
        None => (config_map(top)?, None, None),
    };
    let name = name.or_else(|| config.get("name").cloned());
    Ok(ConnectorJson {
        name,
        config,
        initial_state,
    })
}

/// Reads a connector config in either form people keep one in: JSON when
/// its first character is `{`, else a `.properties` file as Connect's
/// standalone worker reads one (`key=value` or `key: value` lines, `#` and
/// `!` comments, `\` continuations and escapes).
pub fn parse_any(text: &[u8]) -> Result<ConnectorJson, JsonError> {
    if text.trim_ascii_start().starts_with(b"{") {
        return parse(text);
    }
    let config: ConnectConfig = java_properties::read(text)
        .map_err(|e| JsonError::Properties(e.to_string()))?
        .into_iter()
        .collect();
    Ok(ConnectorJson {
        name: config.get("name").cloned(),
        config,
        initial_state: None,
    })
}

/// Connect's config map: every value a string (numbers and booleans as text).
pub fn config_map(
    map: serde_json::Map<String, serde_json::Value>,
) -> Result<ConnectConfig, JsonError> {
    map.into_iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                value => return Err(JsonError::Value { key: k, value }),
            };
            Ok((k, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_request_and_bare_config_both_read() {
        let a = parse(br#"{"name":"td","config":{"topics":"t","batch.max.size":500,"x":true},"initial_state":"paused"}"#).unwrap();
        assert_eq!(a.name.as_deref(), Some("td"));
        assert_eq!(a.config["batch.max.size"], "500");
        assert_eq!(a.config["x"], "true");
        assert_eq!(a.initial_state.as_deref(), Some("PAUSED"));
        let b = parse(br#"{"name":"td","topics":"t"}"#).unwrap();
        assert_eq!(
            (b.name.as_deref(), b.config["topics"].as_str()),
            (Some("td"), "t")
        );
        assert_eq!(parse(br#"{"topics":"t"}"#).unwrap().name, None);
    }

    #[test]
    fn properties_files_read_as_connect_standalone_reads_them() {
        let text = b"# a comment\n! another\nname=s3-sink\nconnector.class : io.confluent.connect.s3.S3SinkConnector\ntopics=a,\\\n  b\nbatch.prefix=\\u005b\n";
        let c = parse_any(text).unwrap();
        assert_eq!(c.name.as_deref(), Some("s3-sink"));
        assert_eq!(
            c.config["connector.class"],
            "io.confluent.connect.s3.S3SinkConnector"
        );
        assert_eq!(c.config["topics"], "a,b");
        assert_eq!(c.config["batch.prefix"], "[");
        assert_eq!(c.config.len(), 4);
        let j = parse_any(b"  {\"name\":\"x\",\"config\":{}}").unwrap();
        assert_eq!(j.name.as_deref(), Some("x"));
    }

    #[test]
    fn bad_shapes_say_what_is_expected() {
        for (text, want) in [
            (&b"{"[..], "not valid JSON"),
            (b"[]", "expected a JSON object"),
            (br#"{"name":"a","config":{"t":[1]}}"#, "expected a string"),
            (
                br#"{"name":"a","config":{},"tasks":[]}"#,
                "unknown field \"tasks\"",
            ),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
    }
}
