//! Checking a JsonConverter envelope's payload against its schema, as Kafka
//! Connect reads it: a schema needs a known `type`; structs are objects with
//! their declared fields, arrays hold `items`, maps hold `keys` and `values`;
//! a null is allowed only where the schema is optional or has a default.
//! Primitive payloads must have their JSON type (Connect would coerce a
//! string in an `int32` field to 0; here the record fails instead).

use serde_json::Value;

/// Checks `payload` against `schema`; the error names the path that fails.
pub fn check(schema: &Value, payload: &Value) -> Result<(), String> {
    check_at(schema, payload, "payload")
}

fn check_at(schema: &Value, payload: &Value, path: &str) -> Result<(), String> {
    let schema = schema
        .as_object()
        .ok_or_else(|| format!("{path}: the schema is not a JSON object"))?;
    let kind = schema
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{path}: schema must contain 'type' field"))?;
    if payload.is_null() {
        let optional = schema.get("optional").and_then(Value::as_bool) == Some(true);
        let has_default = schema.get("default").is_some_and(|d| !d.is_null());
        if optional || has_default {
            return Ok(());
        }
        return Err(format!(
            "{path}: invalid null value for required {kind} field"
        ));
    }
    let mismatch = |expected: &str| {
        Err(format!(
            "{path}: expected {expected} for schema type {kind}, found {}",
            json_type(payload)
        ))
    };
    match kind {
        "int8" | "int16" | "int32" | "int64" => {
            if payload.is_i64() || payload.is_u64() {
                Ok(())
            } else {
                mismatch("an integer")
            }
        }
        "float32" | "float64" => {
            if payload.is_number() {
                Ok(())
            } else {
                mismatch("a number")
            }
        }
        "boolean" => {
            if payload.is_boolean() {
                Ok(())
            } else {
                mismatch("a boolean")
            }
        }
        "string" => {
            if payload.is_string() {
                Ok(())
            } else {
                mismatch("a string")
            }
        }
        // Base64 text; a Decimal may also be written as a number (decimal.format=NUMERIC).
        "bytes" => {
            if payload.is_string() || payload.is_number() {
                Ok(())
            } else {
                mismatch("base64 text")
            }
        }
        "array" => {
            let items = schema
                .get("items")
                .ok_or_else(|| format!("{path}: array schema did not specify the element type"))?;
            let values = match payload.as_array() {
                Some(v) => v,
                None => return mismatch("an array"),
            };
            for (i, v) in values.iter().enumerate() {
                check_at(items, v, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        "map" => {
            let (keys, values) = match (schema.get("keys"), schema.get("values")) {
                (Some(k), Some(v)) => (k, v),
                _ => {
                    return Err(format!(
                        "{path}: map schema did not specify the key and value types"
                    ));
                }
            };
            match payload {
                // String keys: an object.
                Value::Object(entries) => {
                    for (k, v) in entries {
                        check_at(
                            keys,
                            &Value::String(k.clone()),
                            &format!("{path}.{k} (key)"),
                        )?;
                        check_at(values, v, &format!("{path}.{k}"))?;
                    }
                    Ok(())
                }
                // Other keys: an array of [key, value] pairs.
                Value::Array(pairs) => {
                    for (i, pair) in pairs.iter().enumerate() {
                        match pair.as_array().map(Vec::as_slice) {
                            Some([k, v]) => {
                                check_at(keys, k, &format!("{path}[{i}] (key)"))?;
                                check_at(values, v, &format!("{path}[{i}]"))?;
                            }
                            _ => {
                                return Err(format!(
                                    "{path}[{i}]: a map entry must be a [key, value] array"
                                ));
                            }
                        }
                    }
                    Ok(())
                }
                _ => mismatch("an object or an array of [key, value] pairs"),
            }
        }
        "struct" => {
            let fields = schema
                .get("fields")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    format!("{path}: struct schema's \"fields\" argument is not an array")
                })?;
            let object = match payload.as_object() {
                Some(o) => o,
                None => return mismatch("an object"),
            };
            for field in fields {
                let name = field
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{path}: a struct field has no \"field\" name"))?;
                let value = object.get(name).unwrap_or(&Value::Null);
                check_at(field, value, &format!("{path}.{name}"))?;
            }
            Ok(())
        }
        other => Err(format!("{path}: unknown schema type: {other}")),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matching_payloads_pass() {
        let schema = json!({"type":"struct","fields":[
            {"field":"id","type":"int64"},
            {"field":"name","type":"string","optional":true},
            {"field":"tags","type":"array","items":{"type":"string"}},
            {"field":"attrs","type":"map","keys":{"type":"string"},"values":{"type":"float64"}}
        ]});
        let payload = json!({"id":7,"tags":["a"],"attrs":{"x":1.5}});
        assert_eq!(check(&schema, &payload), Ok(()));
    }

    #[test]
    fn mismatches_name_the_path() {
        let schema = json!({"type":"struct","fields":[{"field":"id","type":"int32"}]});
        let err = check(&schema, &json!({"id":"seven"})).unwrap_err();
        assert!(err.contains("payload.id: expected an integer"), "{err}");
        let err = check(&schema, &json!({})).unwrap_err();
        assert!(err.contains("null value for required int32"), "{err}");
        let err = check(&json!({"type":"uuid"}), &json!("x")).unwrap_err();
        assert!(err.contains("unknown schema type: uuid"), "{err}");
        let err = check(&json!({"optional":true}), &json!(1)).unwrap_err();
        assert!(err.contains("'type'"), "{err}");
        let err = check(&json!({"type":"struct","fields":[]}), &json!([1])).unwrap_err();
        assert!(err.contains("expected an object"), "{err}");
    }
}
