//! The `schema-registry` capability, for converters and formatters: a
//! Confluent-compatible schema registry that the host reaches on the
//! plugin's behalf (plugins get no network) and whose answers it caches.
//! The plugin's manifest block must grant it (`capabilities =
//! ["schema-registry"]`), else the host refuses to start the plugin; the
//! registry's URL and credentials stay with the host.
//!
//! A registry that cannot be reached answers [`RegistryError::Unavailable`];
//! the host then retries the whole batch later, whatever the plugin does
//! with the error, so a plugin may simply fail the record with it.
//!
//! Outside a Wasm build run by the host (unit tests), every call answers
//! [`RegistryError::Unavailable`].

pub use sluice_contract::registry::{NewSchema, RegisteredSchema, RegistryError, SchemaReference};

/// The schema with global id `id`.
pub fn schema_by_id(id: u32) -> Result<RegisteredSchema, RegistryError> {
    imp::schema_by_id(id)
}

/// A version of `subject`'s schema; `None` is the latest.
pub fn schema_by_version(
    subject: &str,
    version: Option<i32>,
) -> Result<RegisteredSchema, RegistryError> {
    imp::schema_by_version(subject, version)
}

/// The id of `schema` under `subject`, registered first when `register`
/// (Connect's `auto.register.schemas`).
pub fn schema_id(subject: &str, schema: &NewSchema, register: bool) -> Result<u32, RegistryError> {
    imp::schema_id(subject, schema, register)
}

/// A failed schema lookup as Confluent's deserializers word it: `Error
/// retrieving <format> <key|value> schema for id <id>: <why>`. An outage
/// keeps the host's message (the host retries the batch whatever the
/// plugin answers).
pub fn retrieval_error(e: RegistryError, format: &str, part: crate::Part, id: u32) -> String {
    let what = match part {
        crate::Part::Key => "key",
        crate::Part::Value => "value",
    };
    match e {
        RegistryError::NotFound(m) | RegistryError::Refused(m) => {
            format!("Error retrieving {format} {what} schema for id {id}: {m}")
        }
        RegistryError::Unavailable(m) => m,
    }
}

/// Confluent's wire format without message indexes (Avro, JSON Schema):
/// the schema id and the bytes after it, or `None` when `bytes` does not
/// start with magic byte 0 and a 4-byte id (Confluent's
/// `Unknown magic byte!`).
pub fn confluent_framing(bytes: &[u8]) -> Option<(u32, &[u8])> {
    match bytes {
        [0, a, b, c, d, rest @ ..] => Some((u32::from_be_bytes([*a, *b, *c, *d]), rest)),
        _ => None,
    }
}

/// Every schema `schema`'s references name, and theirs in turn, each
/// fetched once by subject and version, with the name it was referred to
/// by.
pub fn referenced_schemas(
    schema: &RegisteredSchema,
) -> Result<Vec<(String, RegisteredSchema)>, RegistryError> {
    let mut out = Vec::new();
    let mut pending = schema.references.clone();
    let mut seen = std::collections::HashSet::new();
    while let Some(r) = pending.pop() {
        if !seen.insert((r.subject.clone(), r.version)) {
            continue;
        }
        let s = schema_by_version(&r.subject, Some(r.version))?;
        pending.extend(s.references.iter().cloned());
        out.push((r.name, s));
    }
    Ok(out)
}

/// Confluent's subject name strategies (`key.subject.name.strategy`,
/// `value.subject.name.strategy`): the subject a schema is registered
/// under, and so the subject whose version a converter gives the schema it
/// reads (Connect compares versions in `schema.compatibility`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectNameStrategy {
    /// `TopicNameStrategy`, the default: `<topic>-key`, `<topic>-value`.
    Topic,
    /// `RecordNameStrategy`: the record's full name.
    Record,
    /// `TopicRecordNameStrategy`: `<topic>-<full name>`.
    TopicRecord,
}

impl SubjectNameStrategy {
    /// The strategy config key `key` names (a class name, with or without
    /// its package); TopicNameStrategy when it is not set.
    pub fn from_config(config: &crate::Config, key: &str) -> Result<Self, String> {
        let Some(class) = config.get(key) else {
            return Ok(SubjectNameStrategy::Topic);
        };
        match class.rsplit('.').next().unwrap_or(class) {
            "TopicNameStrategy" => Ok(SubjectNameStrategy::Topic),
            "RecordNameStrategy" => Ok(SubjectNameStrategy::Record),
            "TopicRecordNameStrategy" => Ok(SubjectNameStrategy::TopicRecord),
            _ => Err(format!(
                "{key}={class:?} is not one of Confluent's subject name strategies: use TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy"
            )),
        }
    }

    /// The subject of a `part` of `topic` whose schema is named
    /// `record_name`; `None` when the strategy needs a name the schema
    /// does not have.
    pub fn subject(
        self,
        topic: &str,
        part: crate::Part,
        record_name: Option<&str>,
    ) -> Option<String> {
        let suffix = match part {
            crate::Part::Key => "key",
            crate::Part::Value => "value",
        };
        match self {
            SubjectNameStrategy::Topic => Some(format!("{topic}-{suffix}")),
            SubjectNameStrategy::Record => record_name.map(String::from),
            SubjectNameStrategy::TopicRecord => record_name.map(|n| format!("{topic}-{n}")),
        }
    }
}

/// Connect schemas with the version the registry gives their id under a
/// subject, as Confluent's converters set it on the top-level schema
/// (`toConnectSchema(schema, version)`): looked up once per subject and id,
/// from the subject's latest version down (the host caches each answer).
/// Kept by subject, id and record name (a Protobuf schema holds several
/// messages, each its own Connect schema).
pub struct Versioned {
    key_strategy: SubjectNameStrategy,
    value_strategy: SubjectNameStrategy,
    cache: std::collections::HashMap<
        (String, u32, Option<String>),
        std::sync::Arc<crate::schema::Schema>,
    >,
    capacity: usize,
}

impl Versioned {
    /// The strategies of `key.subject.name.strategy` and
    /// `value.subject.name.strategy` in `config`, and an empty cache that
    /// keeps at most `capacity` schemas (`schemas.cache.config`).
    pub fn from_config(config: &crate::Config, capacity: usize) -> Result<Self, String> {
        Ok(Versioned {
            key_strategy: SubjectNameStrategy::from_config(config, "key.subject.name.strategy")?,
            value_strategy: SubjectNameStrategy::from_config(
                config,
                "value.subject.name.strategy",
            )?,
            cache: std::collections::HashMap::new(),
            capacity: capacity.max(1),
        })
    }

    /// `schema`, the Connect form of registry schema `id` read from `part`
    /// of `topic` (a schema named `record_name`), with its registry version
    /// under the subject the part's strategy names. A schema that has a
    /// version of its own (`connect.version`) keeps it; one under no
    /// subject of the strategy has none.
    pub fn schema(
        &mut self,
        topic: &str,
        part: crate::Part,
        record_name: Option<&str>,
        id: u32,
        schema: &std::sync::Arc<crate::schema::Schema>,
    ) -> Result<std::sync::Arc<crate::schema::Schema>, RegistryError> {
        if schema.version.is_some() {
            return Ok(schema.clone());
        }
        let strategy = match part {
            crate::Part::Key => self.key_strategy,
            crate::Part::Value => self.value_strategy,
        };
        let Some(subject) = strategy.subject(topic, part, record_name) else {
            return Ok(schema.clone());
        };
        let key = (subject, id, record_name.map(String::from));
        if let Some(s) = self.cache.get(&key) {
            return Ok(s.clone());
        }
        let version = subject_version(&key.0, id)?;
        let mut versioned = (**schema).clone();
        versioned.version = version;
        let versioned = std::sync::Arc::new(versioned);
        if self.cache.len() >= self.capacity {
            self.cache.clear();
        }
        self.cache.insert(key, versioned.clone());
        Ok(versioned)
    }
}

/// The version schema `id` has under `subject`, searched from the latest
/// version down; `None` when the subject does not hold it.
pub fn subject_version(subject: &str, id: u32) -> Result<Option<i32>, RegistryError> {
    let latest = match schema_by_version(subject, None) {
        Ok(latest) => latest,
        Err(RegistryError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    if latest.id == id {
        return Ok(latest.version);
    }
    for v in (1..latest.version.unwrap_or(0)).rev() {
        match schema_by_version(subject, Some(v)) {
            Ok(s) if s.id == id => return Ok(Some(v)),
            Ok(_) | Err(RegistryError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

#[cfg(all(target_family = "wasm", not(feature = "contract-0-1")))]
mod imp {
    use super::*;
    use crate::glue::converter_world::sluice::plugin::schema_registry as sr;

    fn error(e: sr::RegistryError) -> RegistryError {
        match e {
            sr::RegistryError::NotFound(m) => RegistryError::NotFound(m),
            sr::RegistryError::Refused(m) => RegistryError::Refused(m),
            sr::RegistryError::Unavailable(m) => RegistryError::Unavailable(m),
        }
    }

    fn registered(r: sr::RegisteredSchema) -> RegisteredSchema {
        RegisteredSchema {
            id: r.id,
            schema_type: r.schema_type,
            schema: r.schema,
            references: r
                .references
                .into_iter()
                .map(|r| SchemaReference {
                    name: r.name,
                    subject: r.subject,
                    version: r.version,
                })
                .collect(),
            subject: r.subject,
            version: r.version,
        }
    }

    pub fn schema_by_id(id: u32) -> Result<RegisteredSchema, RegistryError> {
        sr::schema_by_id(id).map(registered).map_err(error)
    }

    pub fn schema_by_version(
        subject: &str,
        version: Option<i32>,
    ) -> Result<RegisteredSchema, RegistryError> {
        sr::schema_by_version(subject, version)
            .map(registered)
            .map_err(error)
    }

    pub fn schema_id(
        subject: &str,
        schema: &NewSchema,
        register: bool,
    ) -> Result<u32, RegistryError> {
        let schema = sr::NewSchema {
            schema_type: schema.schema_type.clone(),
            schema: schema.schema.clone(),
            references: schema
                .references
                .iter()
                .map(|r| sr::SchemaReference {
                    name: r.name.clone(),
                    subject: r.subject.clone(),
                    version: r.version,
                })
                .collect(),
        };
        sr::schema_id(subject, &schema, register).map_err(error)
    }
}

#[cfg(not(all(target_family = "wasm", not(feature = "contract-0-1"))))]
mod imp {
    use super::*;

    fn absent() -> RegistryError {
        RegistryError::Unavailable(
            "the schema registry is reached through the host: run the plugin in sluice (contract 0.2) with capabilities = [\"schema-registry\"]".into(),
        )
    }

    pub fn schema_by_id(_id: u32) -> Result<RegisteredSchema, RegistryError> {
        Err(absent())
    }

    pub fn schema_by_version(
        _subject: &str,
        _version: Option<i32>,
    ) -> Result<RegisteredSchema, RegistryError> {
        Err(absent())
    }

    pub fn schema_id(
        _subject: &str,
        _schema: &NewSchema,
        _register: bool,
    ) -> Result<u32, RegistryError> {
        Err(absent())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_name_strategies_name_subjects_as_confluents() {
        use crate::Part;
        let t = SubjectNameStrategy::Topic;
        assert_eq!(
            t.subject("orders", Part::Value, Some("a.B")).as_deref(),
            Some("orders-value")
        );
        assert_eq!(
            t.subject("orders", Part::Key, None).as_deref(),
            Some("orders-key")
        );
        let r = SubjectNameStrategy::Record;
        assert_eq!(
            r.subject("orders", Part::Value, Some("a.B")).as_deref(),
            Some("a.B")
        );
        assert_eq!(r.subject("orders", Part::Value, None), None);
        let tr = SubjectNameStrategy::TopicRecord;
        assert_eq!(
            tr.subject("orders", Part::Key, Some("a.B")).as_deref(),
            Some("orders-a.B")
        );
    }

    #[test]
    fn the_wire_format_splits_into_id_and_payload() {
        assert_eq!(
            confluent_framing(&[0, 0, 0, 1, 2, b'x']),
            Some((258, &b"x"[..]))
        );
        assert_eq!(confluent_framing(&[0, 0, 0, 1, 2]), Some((258, &b""[..])));
        assert_eq!(confluent_framing(&[1, 0, 0, 1, 2, b'x']), None);
        assert_eq!(confluent_framing(&[0, 0, 1]), None);
    }
}
