//! `schema.compatibility`: whether a record whose value schema is not its
//! object's starts a new object, or is projected onto the object's schema
//! and written into it (Confluent's `StorageSchemaCompatibility` and
//! Connect's `SchemaProjector`, read in their sources; see
//! `docs/s3-sink-semantics.md` §6).

use std::sync::Arc;

use serde_json::Value;

use sluice_contract::schema::{Schema as Connect, Type};

use crate::record::Schema;

/// Confluent's `schema.compatibility`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compatibility {
    /// Every schema change starts new objects.
    #[default]
    None,
    /// A newer schema version starts new objects; records of the same or an
    /// older version are projected onto the object's schema.
    Backward,
    /// An older schema version starts new objects; newer ones are projected.
    Forward,
    /// As `Backward`.
    Full,
}

impl Compatibility {
    /// The mode named `name` (any case), as Confluent's validator takes it.
    pub fn parse(name: &str) -> Option<Compatibility> {
        Some(match name.to_ascii_uppercase().as_str() {
            "NONE" => Compatibility::None,
            "BACKWARD" => Compatibility::Backward,
            "FORWARD" => Compatibility::Forward,
            "FULL" => Compatibility::Full,
            _ => return None,
        })
    }
}

/// What to do with a record of schema `record` for an object of schema `file`.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// The same schema: write it.
    Write,
    /// Upload the open objects, then start new ones with this record.
    Rotate,
    /// Project the value onto the object's schema, then write it.
    Project,
}

/// Confluent's order of checks: a switch between data with and without a
/// schema rotates; under `NONE` any other difference rotates; under the
/// other modes the versions decide, and a schema without a version is an
/// error for the record (`SchemaProjectorException`).
pub fn decide(
    mode: Compatibility,
    file: Option<&Arc<Schema>>,
    record: Option<&Arc<Schema>>,
) -> Result<Decision, String> {
    let (file, record) = match (file, record) {
        (None, None) => return Ok(Decision::Write),
        (Some(f), Some(r)) => (f, r),
        _ => return Ok(Decision::Rotate),
    };
    if Arc::ptr_eq(file, record) || file == record {
        return Ok(Decision::Write);
    }
    let (newer, older) = match mode {
        Compatibility::None => return Ok(Decision::Rotate),
        Compatibility::Backward | Compatibility::Full => (Decision::Rotate, Decision::Project),
        Compatibility::Forward => (Decision::Project, Decision::Rotate),
    };
    let (Some(fv), Some(rv)) = (file.parsed.version, record.parsed.version) else {
        return Err(format!(
            "Schema version required for {mode:?} compatibility: give the schemas versions (the registry's converters do), or use schema.compatibility=NONE"
        ));
    };
    Ok(if rv > fv { newer } else { older })
}

/// Connect's `SchemaProjector.project`: `value` (a payload of schema
/// `source`, in `JsonConverter`'s form) as a value of schema `target`.
pub fn project(source: &Connect, target: &Connect, value: &Value) -> Result<Value, String> {
    project_at(source, target, value, "", 0)
}

fn project_at(
    source: &Connect,
    target: &Connect,
    value: &Value,
    path: &str,
    depth: usize,
) -> Result<Value, String> {
    if depth > 64 {
        return Err("the schema nests too deep".into());
    }
    let at = || {
        if path.is_empty() {
            "the value".to_string()
        } else {
            format!("field {path}")
        }
    };
    if source.optional && !target.optional {
        match (&target.default, value.is_null()) {
            (Some(d), true) => return Ok(d.clone()),
            (Some(_), false) => {}
            (None, _) => {
                return Err(format!(
                    "{}: an optional schema cannot be projected onto a required one without a default",
                    at()
                ));
            }
        }
    }
    if value.is_null() {
        return Ok(match &target.default {
            Some(d) if !target.optional || !d.is_null() => d.clone(),
            _ => Value::Null,
        });
    }
    if source.name != target.name || source.parameters != target.parameters {
        return Err(format!(
            "{}: schema {} cannot be projected onto {} (names or parameters differ)",
            at(),
            source.name.as_deref().unwrap_or(source.ty.connect_name()),
            target.name.as_deref().unwrap_or(target.ty.connect_name()),
        ));
    }
    match (&source.ty, &target.ty) {
        (Type::Struct(_), Type::Struct(target_fields)) => {
            let object = value
                .as_object()
                .ok_or_else(|| format!("{}: a struct that is not an object", at()))?;
            let mut out = serde_json::Map::with_capacity(target_fields.len());
            for tf in target_fields {
                let sub = if path.is_empty() {
                    tf.name.clone()
                } else {
                    format!("{path}.{}", tf.name)
                };
                let v = match source.fields().iter().find(|f| f.name == tf.name) {
                    Some(sf) => project_at(
                        &sf.schema,
                        &tf.schema,
                        object.get(&sf.name).unwrap_or(&Value::Null),
                        &sub,
                        depth + 1,
                    )?,
                    None => match &tf.schema.default {
                        Some(d) => d.clone(),
                        None if tf.schema.optional => Value::Null,
                        None => {
                            return Err(format!(
                                "Required field `{sub}` is missing from source schema"
                            ));
                        }
                    },
                };
                out.insert(tf.name.clone(), v);
            }
            Ok(Value::Object(out))
        }
        (Type::Array(si), Type::Array(ti)) => value
            .as_array()
            .ok_or_else(|| format!("{}: an array that is not one", at()))?
            .iter()
            .map(|v| project_at(si, ti, v, path, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (Type::Map(sk, sv), Type::Map(tk, tv)) => match value {
            // A string-keyed map is an object in the payload.
            Value::Object(o) => o
                .iter()
                .map(|(k, v)| Ok((k.clone(), project_at(sv, tv, v, path, depth + 1)?)))
                .collect::<Result<serde_json::Map<_, _>, String>>()
                .map(Value::Object),
            // Others are [key, value] pairs.
            Value::Array(pairs) => pairs
                .iter()
                .map(|p| match p.as_array().map(Vec::as_slice) {
                    Some([k, v]) => Ok(Value::Array(vec![
                        project_at(sk, tk, k, path, depth + 1)?,
                        project_at(sv, tv, v, path, depth + 1)?,
                    ])),
                    _ => Err(format!("{}: a map entry that is not a pair", at())),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            _ => Err(format!("{}: a map that is not one", at())),
        },
        (s, t) if s == t => Ok(value.clone()),
        (s, t) if rank(s).zip(rank(t)).is_some_and(|(a, b)| a <= b) => Ok(value.clone()),
        (s, t) => Err(format!(
            "{}: {} cannot be projected onto {}",
            at(),
            s.connect_name(),
            t.connect_name()
        )),
    }
}

/// Connect's numeric promotion order: a type projects onto any later one.
fn rank(t: &Type) -> Option<u8> {
    Some(match t {
        Type::Int8 => 0,
        Type::Int16 => 1,
        Type::Int32 => 2,
        Type::Int64 => 3,
        Type::Float32 => 4,
        Type::Float64 => 5,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sluice_contract::schema::{Field, Schema as Connect};

    fn host(s: Connect) -> Arc<Schema> {
        Arc::new(Schema::parse(&s.to_json()).unwrap())
    }

    fn v(version: i32, extra: bool) -> Connect {
        let mut fields = vec![
            Field::new("id", Connect::int32()),
            Field::new("name", Connect::string()),
        ];
        if extra {
            fields.push(Field::new(
                "coupon",
                Connect::string().optional().with_default(json!("none")),
            ));
        }
        Connect::structure(fields)
            .named("shop.Order")
            .with_version(version)
    }

    #[test]
    fn versions_decide_as_confluents_modes() {
        let (v1, v2) = (host(v(1, false)), host(v(2, true)));
        use Compatibility::*;
        assert_eq!(decide(None, Some(&v1), Some(&v2)), Ok(Decision::Rotate));
        assert_eq!(decide(None, Some(&v2), Some(&v1)), Ok(Decision::Rotate));
        assert_eq!(decide(Backward, Some(&v1), Some(&v2)), Ok(Decision::Rotate));
        assert_eq!(
            decide(Backward, Some(&v2), Some(&v1)),
            Ok(Decision::Project)
        );
        assert_eq!(decide(Full, Some(&v2), Some(&v1)), Ok(Decision::Project));
        assert_eq!(decide(Forward, Some(&v1), Some(&v2)), Ok(Decision::Project));
        assert_eq!(decide(Forward, Some(&v2), Some(&v1)), Ok(Decision::Rotate));
        assert_eq!(decide(Backward, Some(&v1), Some(&v1)), Ok(Decision::Write));
        assert_eq!(
            decide(Backward, Option::None, Some(&v1)),
            Ok(Decision::Rotate)
        );
        let unversioned = host(Connect::structure([Field::new("id", Connect::int32())]));
        let e = decide(Backward, Some(&v1), Some(&unversioned)).unwrap_err();
        assert!(e.contains("Schema version required"), "{e}");
        assert_eq!(Compatibility::parse("full"), Some(Full));
        assert_eq!(Compatibility::parse("SOME"), Option::None);
    }

    #[test]
    fn projection_fills_defaults_and_drops_what_the_target_lacks() {
        let (v1, v2) = (v(1, false), v(2, true));
        let projected = project(&v1, &v2, &json!({"id": 1, "name": "a"})).unwrap();
        assert_eq!(projected, json!({"id": 1, "name": "a", "coupon": "none"}));
        let down = project(&v2, &v1, &json!({"id": 1, "name": "a", "coupon": "c"})).unwrap();
        assert_eq!(down, json!({"id": 1, "name": "a"}));
        // Widening is allowed, narrowing is not.
        let wide = Connect::structure([Field::new("id", Connect::int64())]).named("shop.Order");
        let narrow = Connect::structure([Field::new("id", Connect::int32())]).named("shop.Order");
        assert_eq!(
            project(&narrow, &wide, &json!({"id": 5})),
            Ok(json!({"id": 5}))
        );
        assert!(project(&wide, &narrow, &json!({"id": 5})).is_err());
        // A required field the source lacks, without a default, fails.
        let required = Connect::structure([
            Field::new("id", Connect::int32()),
            Field::new("sku", Connect::string()),
        ])
        .named("shop.Order");
        let e = project(&narrow, &required, &json!({"id": 5})).unwrap_err();
        assert!(e.contains("Required field `sku` is missing"), "{e}");
        // Another name is not projected.
        let other = Connect::structure([Field::new("id", Connect::int32())]).named("shop.Other");
        assert!(project(&narrow, &other, &json!({"id": 5})).is_err());
    }
}
