//! Connector JSON as Connect's REST API and `register.sh` scripts send it:
//! `{"name": …, "config": {…}}`, or the bare config map with its `name`.

use super::ConnectConfig;

/// A connector's name and config read from JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorJson {
    pub name: String,
    pub config: ConnectConfig,
    /// `initial_state` of a create request (`RUNNING`, `PAUSED`, `STOPPED`).
    pub initial_state: Option<String>,
}

/// Reads connector JSON: the create-request shape, or a bare config map with
/// a `name`. Numbers and booleans are taken as their text, as Connect does.
pub fn parse(text: &[u8]) -> Result<ConnectorJson, String> {
    let value: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let serde_json::Value::Object(mut top) = value else {
        return Err("expected a JSON object: {\"name\": …, \"config\": {…}}".into());
    };
    let (config, name, initial_state) = match top.remove("config") {
        Some(serde_json::Value::Object(config)) => {
            let name = match top.remove("name") {
                Some(serde_json::Value::String(n)) => Some(n),
                None => None,
                Some(_) => return Err("\"name\" must be a string".into()),
            };
            let state = match top.remove("initial_state") {
                Some(serde_json::Value::String(s)) => Some(s.to_uppercase()),
                None | Some(serde_json::Value::Null) => None,
                Some(_) => return Err("\"initial_state\" must be a string".into()),
            };
            if let Some(key) = top.keys().next() {
                return Err(format!(
                    "unknown field {key:?}: a create request has name, config and initial_state"
                ));
            }
            (config_map(config)?, name, state)
        }
        Some(_) => return Err("\"config\" must be an object of options".into()),
        None => (config_map(top)?, None, None),
    };
    let name = name
        .or_else(|| config.get("name").cloned())
        .ok_or("missing \"name\": the connector's name")?;
    Ok(ConnectorJson {
        name,
        config,
        initial_state,
    })
}

/// Connect's config map: every value a string (numbers and booleans as text).
pub fn config_map(
    map: serde_json::Map<String, serde_json::Value>,
) -> Result<ConnectConfig, String> {
    map.into_iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                other => {
                    return Err(format!(
                        "{k:?}: expected a string, number or boolean, not {other}"
                    ));
                }
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
        assert_eq!(a.name, "td");
        assert_eq!(a.config["batch.max.size"], "500");
        assert_eq!(a.config["x"], "true");
        assert_eq!(a.initial_state.as_deref(), Some("PAUSED"));
        let b = parse(br#"{"name":"td","topics":"t"}"#).unwrap();
        assert_eq!((b.name.as_str(), b.config["topics"].as_str()), ("td", "t"));
    }

    #[test]
    fn bad_shapes_say_what_is_expected() {
        for (text, want) in [
            (&b"{"[..], "not valid JSON"),
            (b"[]", "expected a JSON object"),
            (br#"{"config":{"topics":"t"}}"#, "missing \"name\""),
            (br#"{"name":"a","config":{"t":[1]}}"#, "expected a string"),
            (
                br#"{"name":"a","config":{},"tasks":[]}"#,
                "unknown field \"tasks\"",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }
}
