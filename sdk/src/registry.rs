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
