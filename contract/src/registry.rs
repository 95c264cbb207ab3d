//! What the `schema-registry` capability answers, in the host's and the
//! SDK's own types (the WIT types of each side convert to these).

/// A reference from one schema to another (Protobuf imports, Avro named
/// types defined elsewhere, JSON Schema `$ref`s).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema as the registry stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredSchema {
    /// The global id Confluent's wire format carries.
    pub id: u32,
    /// `AVRO`, `PROTOBUF` or `JSON`.
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<SchemaReference>,
    /// The subject and version, when the answer came from a subject.
    pub subject: Option<String>,
    pub version: Option<i32>,
}

/// A schema to look up or register under a subject.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NewSchema {
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// Why the registry gave no schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryError {
    /// No such id, subject or version: a problem of this record.
    NotFound(String),
    /// The registry refused (incompatible or malformed schema, credentials).
    Refused(String),
    /// The registry could not be reached: the host retries the batch.
    Unavailable(String),
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryError::NotFound(m)
            | RegistryError::Refused(m)
            | RegistryError::Unavailable(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RegistryError {}
