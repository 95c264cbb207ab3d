//! `protobuf` converter: Confluent's
//! `io.confluent.connect.protobuf.ProtobufConverter`, reading. A key or
//! value in Confluent's wire format (magic byte 0, the schema's 4-byte
//! big-endian id, the message indexes as zig-zag varints, the Protobuf
//! message) is decoded with the schema the host looks up by id in the
//! schema registry (the `schema-registry` capability; imports come from the
//! schema's references, Google's and Confluent's well-known files are built
//! in). The schema may be `.proto` text or a base64 `FileDescriptorProto`
//! (what Confluent's Python serializer registers); protox compiles it and
//! prost-reflect decodes the message. It becomes Connect data as
//! Confluent's `ProtobufData` makes it: messages are structs, real oneofs
//! come first as `io.confluent.connect.protobuf.Union` structs, every field
//! carries its tag, unsigned and zig-zag integers their Protobuf type, enums
//! are strings with their numbers as parameters, `google.protobuf.Timestamp`,
//! `google.type.Date`, `google.type.TimeOfDay` and `confluent.type.Decimal`
//! Connect's logical types. See `docs/protobuf.md`.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use prost_reflect::{
    Cardinality, DescriptorPool, DynamicMessage, EnumDescriptor, ExtensionDescriptor,
    FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage, Syntax, Value as Pb,
};
use protox::file::{File, FileResolver, GoogleFileResolver};
use serde_json::{Map, Value as Json};
use sluice_sdk::java;
use sluice_sdk::registry::{self, RegistryError, Versioned};
use sluice_sdk::schema::{Field, Schema, Type};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Converted, Converter, Part, Plugin, PluginInfo, Record,
    ValueKind,
};

const TAG: &str = "io.confluent.connect.protobuf.Tag";
const PROTOBUF_TYPE: &str = "io.confluent.connect.protobuf.Type";
const ENUM: &str = "io.confluent.connect.protobuf.Enum";
const UNION: &str = "io.confluent.connect.protobuf.Union";
const WRAPPER: &str = "io.confluent.connect.protobuf.Wrapper";
const GENERAL_ENUM: &str = "org.apache.kafka.connect.data.Enum";
const GENERAL_UNION: &str = "org.apache.kafka.connect.data.Union";
const PRECISION: &str = "connect.decimal.precision";
/// Nesting beyond this is refused (a deeper message has no Connect form
/// here).
const MAX_DEPTH: usize = 64;
/// The name the registry's schema text is compiled under.
const ROOT: &str = "<schema>.proto";

/// Files Confluent's converter knows without a reference (Google's
/// `google/protobuf/*` come from protox). Only the fields this converter
/// reads are declared; the field numbers are those of the published files.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "confluent/meta.proto",
        r#"syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
"#,
    ),
    (
        "confluent/type/decimal.proto",
        r#"syntax = "proto3";
package confluent.type;
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
"#,
    ),
    (
        "google/type/date.proto",
        r#"syntax = "proto3";
package google.type;
message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
"#,
    ),
    (
        "google/type/timeofday.proto",
        r#"syntax = "proto3";
package google.type;
message TimeOfDay {
  int32 hours = 1;
  int32 minutes = 2;
  int32 seconds = 3;
  int32 nanos = 4;
}
"#,
    ),
];

/// The converter's options that shape the Connect data.
#[derive(Clone, Copy, Debug, Default)]
struct Options {
    enhanced: bool,
    int_for_enums: bool,
    optional_for_nullables: bool,
    optional_for_proto2: bool,
    wrapper_for_nullables: bool,
    wrapper_for_raw_primitives: bool,
    generate_struct_for_nulls: bool,
    index_for_unions: bool,
    flatten_unions: bool,
    generalized: bool,
}

/// A registry schema, compiled once per id.
struct Writer {
    pool: DescriptorPool,
    /// The schema came as a base64 `FileDescriptorProto`: its map entries
    /// count among the message indexes, as Confluent counts them.
    from_descriptor: bool,
}

/// One message type of a schema, with its Connect schema.
struct Reader {
    message: MessageDescriptor,
    connect: Arc<Schema>,
    /// A top-level `google.protobuf.*Value` read as its primitive.
    raw_wrapper: bool,
}

/// The converter, configured.
pub struct ProtobufConverter {
    options: Options,
    cache_size: usize,
    writers: HashMap<u32, Arc<Writer>>,
    readers: HashMap<(u32, Vec<i32>), Arc<Reader>>,
    /// The Connect schemas with their registry versions, by subject and id.
    versioned: Versioned,
}

impl Plugin for ProtobufConverter {
    const INFO: PluginInfo = PluginInfo {
        name: "protobuf",
        version: env!("CARGO_PKG_VERSION"),
        description: "Protobuf in Confluent's wire format, schemas from the schema registry (Confluent's ProtobufConverter)",
        config: &[
            ConfigKey::connect_classes("io.confluent.connect.protobuf.ProtobufConverter"),
            ConfigKey::optional(
                "enhanced.protobuf.schema.support",
                ConfigType::Boolean,
                Some("false"),
                "Struct, enum, map and union schemas named by their full names (with the package)",
            ),
            ConfigKey::optional(
                "generate.index.for.unions",
                ConfigType::Boolean,
                Some("true"),
                "A oneof's field named `<oneof>_<index>` instead of `<oneof>`",
            ),
            ConfigKey::optional(
                "flatten.unions",
                ConfigType::Boolean,
                Some("false"),
                "A oneof's members as optional fields of the message instead of one union struct",
            ),
            ConfigKey::optional(
                "int.for.enums",
                ConfigType::Boolean,
                Some("false"),
                "Enums as their numbers (int32) instead of their names",
            ),
            ConfigKey::optional(
                "optional.for.nullables",
                ConfigType::Boolean,
                Some("false"),
                "Only fields written `optional` are optional in the Connect schema",
            ),
            ConfigKey::optional(
                "optional.for.proto2",
                ConfigType::Boolean,
                Some("true"),
                "An unset proto2 `optional` field is null instead of its default",
            ),
            ConfigKey::optional(
                "wrapper.for.nullables",
                ConfigType::Boolean,
                Some("false"),
                "`google.protobuf.*Value` wrappers as optional primitives, other scalars required",
            ),
            ConfigKey::optional(
                "wrapper.for.raw.primitives",
                ConfigType::Boolean,
                Some("true"),
                "A top-level `google.protobuf.*Value` message read as its primitive",
            ),
            ConfigKey::optional(
                "generate.struct.for.nulls",
                ConfigType::Boolean,
                Some("false"),
                "An unset message field is a struct of defaults instead of null",
            ),
            ConfigKey::optional(
                "generalized.sum.type.support",
                ConfigType::Boolean,
                Some("false"),
                "Unions and enums marked with `org.apache.kafka.connect.data.Union`/`Enum` parameters",
            ),
            ConfigKey::optional(
                "schemas.cache.config",
                ConfigType::Integer,
                Some("1000"),
                "How many writer schemas are kept, each read once",
            ),
            ConfigKey::optional(
                "scrub.invalid.names",
                ConfigType::Boolean,
                Some("false"),
                "Accepted: it applies to writing Protobuf, which a sink does not",
            ),
            ConfigKey::optional(
                "ignore.default.for.nullables",
                ConfigType::Boolean,
                Some("false"),
                "Accepted: it applies to writing Protobuf, which a sink does not",
            ),
            ConfigKey::optional(
                "key.subject.name.strategy",
                ConfigType::String,
                None,
                "The subject keys' schema versions are looked up under (TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy; a schema's name is its message's full name); records are read by the id they carry",
            ),
            ConfigKey::optional(
                "value.subject.name.strategy",
                ConfigType::String,
                None,
                "The subject values' schema versions are looked up under (TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy; a schema's name is its message's full name); records are read by the id they carry",
            ),
            ConfigKey::optional(
                "reference.subject.name.strategy",
                ConfigType::String,
                None,
                "Accepted: references are read by the subject and version the schema names",
            ),
            ConfigKey::optional(
                "auto.register.schemas",
                ConfigType::Boolean,
                None,
                "Accepted: it applies to writing Protobuf, which a sink does not",
            ),
            ConfigKey::optional(
                "use.latest.version",
                ConfigType::Boolean,
                None,
                "Accepted: records are read with the schema whose id they carry",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let cache_size = config
            .get_int("schemas.cache.config")
            .filter(|n| *n > 0)
            .ok_or("schemas.cache.config must be a positive number")?;
        Ok(ProtobufConverter {
            options: Options {
                enhanced: config.get_bool("enhanced.protobuf.schema.support"),
                int_for_enums: config.get_bool("int.for.enums"),
                optional_for_nullables: config.get_bool("optional.for.nullables"),
                optional_for_proto2: config.get_bool("optional.for.proto2"),
                wrapper_for_nullables: config.get_bool("wrapper.for.nullables"),
                wrapper_for_raw_primitives: config.get_bool("wrapper.for.raw.primitives"),
                generate_struct_for_nulls: config.get_bool("generate.struct.for.nulls"),
                index_for_unions: config.get_bool("generate.index.for.unions"),
                flatten_unions: config.get_bool("flatten.unions"),
                generalized: config.get_bool("generalized.sum.type.support"),
            },
            cache_size: usize::try_from(cache_size).unwrap_or(usize::MAX),
            writers: HashMap::new(),
            readers: HashMap::new(),
            versioned: Versioned::from_config(
                config,
                usize::try_from(cache_size).unwrap_or(usize::MAX),
            )?,
        })
    }
}

impl Converter for ProtobufConverter {
    fn convert<'a>(
        &mut self,
        part: Part,
        record: &Record<'a>,
        input: Option<&'a [u8]>,
    ) -> Result<Option<Converted<'a>>, String> {
        let Some(bytes) = input else { return Ok(None) };
        let failed = |why: String| {
            format!(
                "Failed to deserialize data for topic {} to Protobuf: {why} (partition {} offset {})",
                record.topic, record.partition, record.offset
            )
        };
        let (id, rest) = registry::confluent_framing(bytes)
            .ok_or_else(|| failed("Unknown magic byte!".into()))?;
        let (indexes, message) = message_indexes(rest).ok_or_else(|| {
            failed(format!(
                "Error deserializing Protobuf message for id {id}: the message indexes are not zig-zag varints"
            ))
        })?;
        let reader = self
            .reader(id, indexes)
            .map_err(|e| failed(registry::retrieval_error(e, "Protobuf", part, id)))?;
        let decoded = DynamicMessage::decode(reader.message.clone(), message).map_err(|e| {
            failed(format!(
                "Error deserializing Protobuf message for id {id}: {e}"
            ))
        })?;
        let walk = Walk {
            options: self.options,
        };
        let payload = if reader.raw_wrapper {
            let fd = reader
                .message
                .get_field_by_name("value")
                .ok_or_else(|| failed("a wrapper message without a value field".into()))?;
            walk.scalar(&fd, &decoded.get_field(&fd))
        } else {
            walk.message(&decoded, 0)
        }
        .map_err(|e| {
            failed(format!(
                "Error deserializing Protobuf message for id {id}: {e}"
            ))
        })?;
        // The top-level schema carries its registry version under the
        // subject of the strategy, as Confluent's deserializer sets it.
        let connect = self
            .versioned
            .schema(
                record.topic,
                part,
                Some(reader.message.full_name()),
                id,
                &reader.connect,
            )
            .map_err(|e| failed(registry::retrieval_error(e, "Protobuf", part, id)))?;
        Ok(Some(
            Converted::new(payload.to_string().into_bytes(), ValueKind::Json).with_schema(&connect),
        ))
    }
}

/// The message indexes after the schema id (a count, then the indexes, all
/// zig-zag varints; a count of 0 means `[0]`), and the message after them.
fn message_indexes(mut bytes: &[u8]) -> Option<(Vec<i32>, &[u8])> {
    let count = zigzag(&mut bytes)?;
    if count == 0 {
        return Some((vec![0], bytes));
    }
    let count = usize::try_from(count).ok().filter(|&n| n <= bytes.len())?;
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        indexes.push(zigzag(&mut bytes)?);
    }
    Some((indexes, bytes))
}

/// Kafka's `ByteUtils.readVarint`: a zig-zag varint of at most 5 bytes.
fn zigzag(bytes: &mut &[u8]) -> Option<i32> {
    let mut v: u32 = 0;
    for i in 0..5 {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        v |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(((v >> 1) as i32) ^ -((v & 1) as i32));
        }
    }
    None
}

impl ProtobufConverter {
    /// The message type `indexes` picks in schema `id`, read once.
    fn reader(&mut self, id: u32, indexes: Vec<i32>) -> Result<Arc<Reader>, RegistryError> {
        let key = (id, indexes);
        if let Some(r) = self.readers.get(&key) {
            return Ok(r.clone());
        }
        let writer = self.writer(id)?;
        let refused = |e: String| RegistryError::Refused(format!("schema {id}: {e}"));
        let message = pick(&writer, &key.1).map_err(refused)?;
        let raw_wrapper =
            self.options.wrapper_for_raw_primitives && wrapper_type(&message).is_some();
        let walk = Walk {
            options: self.options,
        };
        let connect = if raw_wrapper {
            message
                .get_field_by_name("value")
                .ok_or_else(|| refused("a wrapper message without a value field".into()))?;
            Schema::of(wrapper_type(&message).unwrap_or(Type::String))
        } else {
            walk.struct_schema(&message, &mut Vec::new())
                .map_err(refused)?
        };
        if self.readers.len() >= self.cache_size {
            self.readers.clear();
        }
        let reader = Arc::new(Reader {
            message,
            connect: Arc::new(connect),
            raw_wrapper,
        });
        self.readers.insert(key, reader.clone());
        Ok(reader)
    }

    /// The schema of `id` and the files it imports, compiled once.
    fn writer(&mut self, id: u32) -> Result<Arc<Writer>, RegistryError> {
        if let Some(w) = self.writers.get(&id) {
            return Ok(w.clone());
        }
        let registered = registry::schema_by_id(id)?;
        if registered.schema_type != "PROTOBUF" {
            return Err(RegistryError::Refused(format!(
                "schema {id} is {}, not PROTOBUF: the topic is not written with Confluent's Protobuf serializer",
                registered.schema_type
            )));
        }
        let refused = |e: String| RegistryError::Refused(format!("schema {id}: {e}"));
        let mut files = Files::default();
        for (name, s) in registry::referenced_schemas(&registered)? {
            // The first binding of a name wins, as in Confluent's resolver.
            if let std::collections::hash_map::Entry::Vacant(slot) = files.0.entry(name) {
                let (file, _) = parse_file(slot.key(), &s.schema)
                    .map_err(|e| refused(format!("reference {}: {e}", slot.key())))?;
                slot.insert(file);
            }
        }
        let (root, from_descriptor) = parse_file(ROOT, &registered.schema).map_err(refused)?;
        files.0.insert(ROOT.to_string(), root);
        let mut compiler = protox::Compiler::with_file_resolver(files);
        compiler.include_imports(true);
        compiler.open_file(ROOT).map_err(|e| {
            refused(format!(
                "{e} (a file the schema imports is read from the schema's references, named by its import path)"
            ))
        })?;
        if self.writers.len() >= self.cache_size {
            self.writers.clear();
        }
        let writer = Arc::new(Writer {
            pool: compiler.descriptor_pool(),
            from_descriptor,
        });
        self.writers.insert(id, writer.clone());
        Ok(writer)
    }
}

/// A schema's text as protox reads it: `.proto` source, or else a base64
/// `FileDescriptorProto` (then `true`).
fn parse_file(name: &str, text: &str) -> Result<(File, bool), String> {
    match File::from_source(name, text) {
        Ok(f) => Ok((f, false)),
        Err(source_error) => {
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text.trim()) else {
                return Err(format!("not a valid .proto file: {source_error}"));
            };
            // Decoded from its bytes, which keeps extension options such as
            // `confluent.field_meta` (a decoded-and-rebuilt descriptor
            // drops them), with the file's name set to `name` by a field 1
            // appended: Protobuf keeps the last value of a singular field.
            let mut named = bytes;
            named.push(0x0a);
            prost_reflect::prost::encoding::encode_varint(name.len() as u64, &mut named);
            named.extend_from_slice(name.as_bytes());
            let file = File::decode_file_descriptor_proto(named.as_slice())
                .map_err(|e| format!("neither .proto text nor a FileDescriptorProto: {e}"))?;
            Ok((file, true))
        }
    }
}

/// The schema's files by name: the root and its references, then the
/// built-in ones.
#[derive(Default)]
struct Files(HashMap<String, File>);

impl FileResolver for Files {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if let Some(f) = self.0.get(name) {
            return Ok(f.clone());
        }
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
            return File::from_source(name, text);
        }
        GoogleFileResolver::new().open_file(name)
    }
}

/// The message the indexes name: the n-th message at each level, from the
/// root file's top level (map entries are not counted in `.proto` text).
fn pick(writer: &Writer, indexes: &[i32]) -> Result<MessageDescriptor, String> {
    let invalid = || format!("Invalid message indexes: {indexes:?}");
    let file = writer.pool.get_file_by_name(ROOT).ok_or_else(invalid)?;
    let mut candidates: Vec<MessageDescriptor> = file.messages().collect();
    let mut picked = None;
    for &i in indexes {
        let i = usize::try_from(i).map_err(|_| invalid())?;
        let m = candidates.get(i).cloned().ok_or_else(invalid)?;
        candidates = m
            .child_messages()
            .filter(|c| writer.from_descriptor || !c.is_map_entry())
            .collect();
        picked = Some(m);
    }
    picked.ok_or_else(invalid)
}

/// The primitive a `google.protobuf.*Value` wrapper holds.
fn wrapper_type(m: &MessageDescriptor) -> Option<Type> {
    Some(match m.full_name() {
        "google.protobuf.DoubleValue" => Type::Float64,
        "google.protobuf.FloatValue" => Type::Float32,
        "google.protobuf.Int64Value" | "google.protobuf.UInt64Value" => Type::Int64,
        "google.protobuf.Int32Value" => Type::Int32,
        "google.protobuf.UInt32Value" => Type::Int64,
        "google.protobuf.BoolValue" => Type::Boolean,
        "google.protobuf.StringValue" => Type::String,
        "google.protobuf.BytesValue" => Type::Bytes,
        _ => return None,
    })
}

/// How a message-typed field maps to Connect.
enum Special {
    Decimal,
    Date,
    Time,
    Timestamp,
    Wrapper(Type),
    None,
}

/// The mapping of Confluent's `ProtobufData`, with the converter's options.
struct Walk {
    options: Options,
}

impl Walk {
    fn special(&self, m: &MessageDescriptor) -> Special {
        match m.full_name() {
            "confluent.type.Decimal" => Special::Decimal,
            "google.type.Date" => Special::Date,
            "google.type.TimeOfDay" => Special::Time,
            "google.protobuf.Timestamp" => Special::Timestamp,
            _ => match wrapper_type(m) {
                Some(t) if self.options.wrapper_for_nullables => Special::Wrapper(t),
                _ => Special::None,
            },
        }
    }

    fn name(&self, simple: &str, full: &str) -> String {
        if self.options.enhanced { full } else { simple }.to_string()
    }

    /// The real (not synthetic) oneofs of `m`, in order.
    fn oneofs(m: &MessageDescriptor) -> impl Iterator<Item = prost_reflect::OneofDescriptor> {
        m.oneofs().filter(|o| !o.is_synthetic())
    }

    fn in_real_oneof(fd: &FieldDescriptor) -> bool {
        fd.containing_oneof().is_some_and(|o| !o.is_synthetic())
    }

    /// The struct schema of message `m`: its real oneofs first, then its
    /// other fields in declaration order.
    fn struct_schema(
        &self,
        m: &MessageDescriptor,
        stack: &mut Vec<String>,
    ) -> Result<Schema, String> {
        if stack.iter().any(|s| s == m.full_name()) {
            return Err(format!(
                "message {} contains itself: a recursive message has no Connect schema in Sluice",
                m.full_name()
            ));
        }
        if stack.len() > MAX_DEPTH {
            return Err(format!("message {} nests too deep", m.full_name()));
        }
        stack.push(m.full_name().to_string());
        let mut fields = Vec::new();
        for (index, oneof) in Self::oneofs(m).enumerate() {
            let members = oneof
                .fields()
                .map(|fd| Ok(Field::new(fd.name(), self.field_schema(&fd, true, stack)?)))
                .collect::<Result<Vec<_>, String>>()?;
            if self.options.flatten_unions {
                fields.extend(members);
                continue;
            }
            let name = if self.options.index_for_unions {
                format!("{}_{index}", oneof.name())
            } else {
                oneof.name().to_string()
            };
            let mut union = Schema::structure(members).optional();
            union = if self.options.generalized {
                union
                    .named(oneof.name())
                    .with_parameter(GENERAL_UNION, oneof.name())
            } else {
                union.named(format!(
                    "{UNION}.{}",
                    self.name(oneof.name(), oneof.full_name())
                ))
            };
            fields.push(Field::new(name, union));
        }
        for fd in m.fields().filter(|fd| !Self::in_real_oneof(fd)) {
            fields.push(Field::new(fd.name(), self.field_schema(&fd, false, stack)?));
        }
        stack.pop();
        Ok(Schema::structure(fields).named(self.name(m.name(), m.full_name())))
    }

    /// Whether `fd` was written with the `optional` keyword.
    fn has_optional_keyword(fd: &FieldDescriptor) -> bool {
        fd.field_descriptor_proto().proto3_optional()
            || (fd.parent_file().syntax() == Syntax::Proto2
                && fd.cardinality() == Cardinality::Optional
                && fd.containing_oneof().is_none())
    }

    /// Whether an unset `fd` reads as null rather than its default.
    fn is_optional_value(&self, fd: &FieldDescriptor) -> bool {
        fd.field_descriptor_proto().proto3_optional()
            || (self.options.optional_for_proto2
                && fd.parent_file().syntax() == Syntax::Proto2
                && fd.cardinality() == Cardinality::Optional
                && fd.containing_oneof().is_none())
    }

    /// A map field: a repeated `...Entry` message of exactly `key` and
    /// `value`.
    fn map_entry(fd: &FieldDescriptor) -> Option<(FieldDescriptor, FieldDescriptor)> {
        let Kind::Message(entry) = fd.kind() else {
            return None;
        };
        if !fd.is_list() && !fd.is_map() || !entry.name().ends_with("Entry") {
            return None;
        }
        let fields: Vec<FieldDescriptor> = entry.fields().collect();
        match fields.as_slice() {
            [a, b] if !a.is_list() && !b.is_list() => {
                let key = fields.iter().find(|f| f.name() == "key")?.clone();
                let value = fields.iter().find(|f| f.name() == "value")?.clone();
                Some((key, value))
            }
            _ => None,
        }
    }

    /// The Connect schema of field `fd`, with its tag.
    fn field_schema(
        &self,
        fd: &FieldDescriptor,
        oneof_member: bool,
        stack: &mut Vec<String>,
    ) -> Result<Schema, String> {
        let schema = if let Some((key, value)) = Self::map_entry(fd) {
            let Kind::Message(entry) = fd.kind() else {
                unreachable!("a map entry is a message")
            };
            let simple = map_field_name(entry.name());
            let full = match entry.parent_message() {
                Some(p) => format!("{}.{simple}", p.full_name()),
                None => simple.clone(),
            };
            Schema::map(
                self.field_schema(&key, false, stack)?,
                self.field_schema(&value, false, stack)?,
            )
            .named(self.name(&simple, &full))
            .optional()
        } else if fd.is_list() {
            Schema::array(self.type_schema(fd, stack)?.optional()).optional()
        } else {
            let s = self.type_schema(fd, stack)?;
            let scalar = !matches!(fd.kind(), Kind::Message(_) | Kind::Enum(_));
            if oneof_member {
                let wrapped = matches!(&fd.kind(), Kind::Message(m) if wrapper_type(m).is_some());
                if self.options.wrapper_for_nullables && wrapped {
                    s.optional().with_parameter(WRAPPER, "true")
                } else {
                    s.optional()
                }
            } else if !scalar {
                s
            } else if self.options.optional_for_nullables {
                if Self::has_optional_keyword(fd) {
                    s.optional()
                } else {
                    s
                }
            } else if !self.options.wrapper_for_nullables {
                s.optional()
            } else {
                s
            }
        };
        Ok(schema.with_parameter(TAG, fd.number().to_string()))
    }

    /// The schema of one value of `fd` (an element, for a repeated field),
    /// optional only where Confluent always makes it so.
    fn type_schema(&self, fd: &FieldDescriptor, stack: &mut Vec<String>) -> Result<Schema, String> {
        let typed = |t: Type, name: &str| Schema::of(t).with_parameter(PROTOBUF_TYPE, name);
        Ok(match fd.kind() {
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => match connect_type(fd).as_deref() {
                Some("int8") => Schema::int8(),
                Some("int16") => Schema::int16(),
                _ => match fd.kind() {
                    Kind::Sint32 => typed(Type::Int32, "sint32"),
                    Kind::Sfixed32 => typed(Type::Int32, "sfixed32"),
                    _ => Schema::int32(),
                },
            },
            Kind::Uint32 => typed(Type::Int64, "uint32"),
            Kind::Fixed32 => typed(Type::Int64, "fixed32"),
            Kind::Int64 => Schema::int64(),
            Kind::Uint64 => typed(Type::Int64, "uint64"),
            Kind::Sint64 => typed(Type::Int64, "sint64"),
            Kind::Fixed64 => typed(Type::Int64, "fixed64"),
            Kind::Sfixed64 => typed(Type::Int64, "sfixed64"),
            Kind::Float => Schema::float32(),
            Kind::Double => Schema::float64(),
            Kind::Bool => Schema::boolean(),
            Kind::String => Schema::string(),
            Kind::Bytes => Schema::bytes(),
            Kind::Enum(e) => self.enum_schema(&e),
            Kind::Message(m) => match self.special(&m) {
                Special::Decimal => {
                    let s = Schema::decimal(decimal_scale(fd));
                    match field_meta_params(fd)
                        .get("precision")
                        .and_then(|p| p.parse::<i32>().ok())
                    {
                        Some(p) => s.with_parameter(PRECISION, p.to_string()),
                        None => s,
                    }
                    .optional()
                }
                Special::Date => Schema::date().optional(),
                Special::Time => Schema::time().optional(),
                Special::Timestamp => Schema::timestamp().optional(),
                Special::Wrapper(t) => Schema::of(t).optional(),
                Special::None => self.struct_schema(&m, stack)?.optional(),
            },
        })
    }

    fn enum_schema(&self, e: &EnumDescriptor) -> Schema {
        let ty = if self.options.int_for_enums {
            Type::Int32
        } else {
            Type::String
        };
        let prefix = if self.options.generalized {
            GENERAL_ENUM
        } else {
            ENUM
        };
        let mut s = Schema::of(ty)
            .named(self.name(e.name(), e.full_name()))
            .with_parameter(prefix, e.name());
        for v in e.values() {
            s = s.with_parameter(format!("{prefix}.{}", v.name()), v.number().to_string());
        }
        s.optional()
    }

    /// The Connect JSON form of message `m`, a struct.
    fn message(&self, m: &DynamicMessage, depth: usize) -> Result<Json, String> {
        if depth > MAX_DEPTH {
            return Err("the message nests too deep".into());
        }
        let d = m.descriptor();
        let mut out = Map::new();
        for (index, oneof) in Self::oneofs(&d).enumerate() {
            let set = oneof.fields().find(|fd| m.has_field(fd));
            if self.options.flatten_unions {
                for fd in oneof.fields() {
                    let v = if set.as_ref().is_some_and(|s| s.number() == fd.number()) {
                        self.single(&fd, &m.get_field(&fd), depth)?
                    } else {
                        Json::Null
                    };
                    out.insert(fd.name().to_string(), v);
                }
                continue;
            }
            let name = if self.options.index_for_unions {
                format!("{}_{index}", oneof.name())
            } else {
                oneof.name().to_string()
            };
            let value = match set {
                None => Json::Null,
                Some(set) => {
                    let mut u = Map::new();
                    for fd in oneof.fields() {
                        let v = if fd.number() == set.number() {
                            self.single(&fd, &m.get_field(&fd), depth)?
                        } else {
                            Json::Null
                        };
                        u.insert(fd.name().to_string(), v);
                    }
                    Json::Object(u)
                }
            };
            out.insert(name, value);
        }
        for fd in d.fields().filter(|fd| !Self::in_real_oneof(fd)) {
            let scalar_or_list =
                fd.is_list() || fd.is_map() || !matches!(fd.kind(), Kind::Message(_));
            let present = (scalar_or_list && !self.is_optional_value(&fd))
                || self.options.generate_struct_for_nulls
                || m.has_field(&fd);
            let v = if present {
                self.field(&fd, &m.get_field(&fd), depth)?
            } else {
                Json::Null
            };
            out.insert(fd.name().to_string(), v);
        }
        Ok(Json::Object(out))
    }

    /// The Connect JSON form of field `fd`'s value `v`.
    fn field(&self, fd: &FieldDescriptor, v: &Pb, depth: usize) -> Result<Json, String> {
        if let Some((key, value)) = Self::map_entry(fd) {
            return self.map(fd, &key, &value, v, depth);
        }
        match v {
            Pb::List(items) => items
                .iter()
                .map(|i| self.single(fd, i, depth))
                .collect::<Result<Vec<_>, _>>()
                .map(Json::Array),
            v => self.single(fd, v, depth),
        }
    }

    /// A map's entries: an object when its keys are strings, else an array
    /// of `[key, value]` pairs (`JsonConverter`'s forms), in the order a
    /// Java `HashMap` of the entries iterates them.
    fn map(
        &self,
        fd: &FieldDescriptor,
        key_fd: &FieldDescriptor,
        value_fd: &FieldDescriptor,
        v: &Pb,
        depth: usize,
    ) -> Result<Json, String> {
        let mut entries: Vec<(Json, Json, i32)> = Vec::new();
        match v {
            Pb::Map(m) => {
                let mut sorted: Vec<(&MapKey, &Pb)> = m.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(b.0));
                for (k, v) in sorted {
                    let k = Pb::from(k.clone());
                    entries.push((
                        self.single(key_fd, &k, depth)?,
                        self.single(value_fd, v, depth)?,
                        key_hash(&k),
                    ));
                }
            }
            Pb::List(items) => {
                // A repeated `...Entry` message that is not a map field.
                for item in items {
                    let Pb::Message(e) = item else {
                        return Err(format!("field {}: a map entry is not a message", fd.name()));
                    };
                    let k = e.get_field(key_fd);
                    entries.push((
                        self.single(key_fd, &k, depth)?,
                        self.single(value_fd, &e.get_field(value_fd), depth)?,
                        key_hash(&k),
                    ));
                }
            }
            _ => return Err(format!("field {}: not a map", fd.name())),
        }
        // A Java map keeps the last of equal keys.
        let mut seen = std::collections::HashSet::new();
        let mut unique = Vec::new();
        for e in entries.into_iter().rev() {
            if seen.insert(e.0.to_string()) {
                unique.push(e);
            }
        }
        unique.reverse();
        let hashes: Vec<i32> = unique.iter().map(|e| e.2).collect();
        let order = java::hash_map_order(&hashes);
        if matches!(key_fd.kind(), Kind::String) {
            let mut o = Map::new();
            for i in order {
                let (k, v, _) = &unique[i];
                o.insert(k.as_str().unwrap_or_default().to_string(), v.clone());
            }
            Ok(Json::Object(o))
        } else {
            Ok(Json::Array(
                order
                    .into_iter()
                    .map(|i| Json::Array(vec![unique[i].0.clone(), unique[i].1.clone()]))
                    .collect(),
            ))
        }
    }

    /// One value of `fd` (an element, for a repeated field).
    fn single(&self, fd: &FieldDescriptor, v: &Pb, depth: usize) -> Result<Json, String> {
        match (fd.kind(), v) {
            (Kind::Message(m), Pb::Message(msg)) => match self.special(&m) {
                Special::Decimal => decimal(msg, decimal_scale(fd)),
                Special::Date => date(msg),
                Special::Time => time_of_day(msg),
                Special::Timestamp => timestamp(msg),
                Special::Wrapper(_) => {
                    let vfd = m
                        .get_field_by_name("value")
                        .ok_or("a wrapper message without a value field")?;
                    self.scalar(&vfd, &msg.get_field(&vfd))
                }
                Special::None => self.message(msg, depth + 1),
            },
            (Kind::Enum(e), Pb::EnumNumber(n)) => Ok(if self.options.int_for_enums {
                Json::from(*n)
            } else {
                Json::String(match e.get_value(*n) {
                    Some(v) => v.name().to_string(),
                    None => format!("UNKNOWN_ENUM_VALUE_{}_{n}", e.name()),
                })
            }),
            _ => self.scalar(fd, v),
        }
    }

    /// A scalar value as its Connect type reads it.
    fn scalar(&self, fd: &FieldDescriptor, v: &Pb) -> Result<Json, String> {
        let narrow = connect_type(fd);
        Ok(match v {
            Pb::Bool(b) => Json::Bool(*b),
            Pb::I32(i) => match narrow.as_deref() {
                Some("int8") => Json::from(*i as i8),
                Some("int16") => Json::from(*i as i16),
                _ => Json::from(*i),
            },
            Pb::I64(i) => Json::from(*i),
            Pb::U32(u) => Json::from(*u),
            // Java's long: above 2^63 it wraps, as Confluent's does.
            Pb::U64(u) => Json::from(*u as i64),
            Pb::F32(f) => float(f64::from(*f)),
            Pb::F64(f) => float(*f),
            Pb::String(s) => Json::String(s.clone()),
            Pb::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
            Pb::EnumNumber(n) => Json::from(*n),
            other => return Err(format!("field {}: unexpected value {other:?}", fd.name())),
        })
    }
}

/// A float as Jackson writes it: NaN and the infinities as strings.
fn float(f: f64) -> Json {
    serde_json::Number::from_f64(f)
        .map_or_else(|| Json::String(java::double_to_string(f)), Json::Number)
}

/// The hash code of a map key as Java holds it (`String`, `Integer`,
/// `Long`, `Boolean`).
fn key_hash(k: &Pb) -> i32 {
    match k {
        Pb::String(s) => java::string_hash(s),
        Pb::I32(i) => *i,
        Pb::I64(i) => java::long_hash(*i),
        Pb::U32(u) => java::long_hash(i64::from(*u)),
        Pb::U64(u) => java::long_hash(*u as i64),
        Pb::Bool(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        _ => 0,
    }
}

/// `FooBarEntry` → `foo_bar`: the name Confluent gives a map's schema.
fn map_field_name(entry: &str) -> String {
    let base = entry.strip_suffix("Entry").unwrap_or(entry);
    let mut out = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The `confluent.field_meta` extension of `fd`'s options, if the schema
/// imports `confluent/meta.proto`.
fn field_meta(fd: &FieldDescriptor) -> Option<DynamicMessage> {
    let ext: ExtensionDescriptor = fd
        .parent_pool()
        .get_extension_by_name("confluent.field_meta")?;
    let options = fd.options();
    if !options.has_extension(&ext) {
        return None;
    }
    match options.get_extension(&ext).as_ref() {
        Pb::Message(m) => Some(m.clone()),
        _ => None,
    }
}

/// `field_meta`'s `params`.
fn field_meta_params(fd: &FieldDescriptor) -> HashMap<String, String> {
    let Some(meta) = field_meta(fd) else {
        return HashMap::new();
    };
    let Some(params) = meta.get_field_by_name("params") else {
        return HashMap::new();
    };
    match params.as_ref() {
        Pb::Map(m) => m
            .iter()
            .filter_map(|(k, v)| match (k, v) {
                (MapKey::String(k), Pb::String(v)) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect(),
        _ => HashMap::new(),
    }
}

/// The scale of a `confluent.type.Decimal` field: `field_meta`'s `scale`,
/// else 0.
fn decimal_scale(fd: &FieldDescriptor) -> i32 {
    field_meta_params(fd)
        .get("scale")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// `connect.type` in `fd`'s `field_meta` (`int8`, `int16`).
fn connect_type(fd: &FieldDescriptor) -> Option<String> {
    if !matches!(fd.kind(), Kind::Int32 | Kind::Sint32 | Kind::Sfixed32) {
        return None;
    }
    field_meta_params(fd).remove("connect.type")
}

fn int_field(m: &DynamicMessage, name: &str) -> i64 {
    match m.get_field_by_name(name).as_deref() {
        Some(Pb::I32(i)) => i64::from(*i),
        Some(Pb::I64(i)) => *i,
        Some(Pb::U32(u)) => i64::from(*u),
        _ => 0,
    }
}

/// `confluent.type.Decimal` as Connect's Decimal payload of `scale`: the
/// base64 of the unscaled value's minimal two's complement. A message of
/// another scale fails, as Connect's `Decimal` refuses it.
fn decimal(m: &DynamicMessage, scale: i32) -> Result<Json, String> {
    let own = int_field(m, "scale");
    if own != i64::from(scale) {
        return Err(format!(
            "BigDecimal has mismatching scale value for given Decimal schema: {own}, the field's is {scale}"
        ));
    }
    let bytes = match m.get_field_by_name("value").as_deref() {
        Some(Pb::Bytes(b)) => b.to_vec(),
        _ => Vec::new(),
    };
    if bytes.is_empty() {
        return Err("a Decimal without a value".into());
    }
    // Minimal two's complement, as BigInteger.toByteArray writes it.
    let negative = bytes[0] & 0x80 != 0;
    let fill = if negative { 0xff } else { 0x00 };
    let mut start = 0;
    while start + 1 < bytes.len()
        && bytes[start] == fill
        && (bytes[start + 1] & 0x80 != 0) == negative
    {
        start += 1;
    }
    let precision = int_field(m, "precision");
    if precision > 0 {
        let digits = unscaled_digits(&bytes[start..]);
        if digits > precision as usize {
            return Err(format!(
                "a Decimal of {digits} digits does not fit its precision {precision}"
            ));
        }
    }
    Ok(Json::String(
        base64::engine::general_purpose::STANDARD.encode(&bytes[start..]),
    ))
}

/// The number of decimal digits of a two's complement integer.
fn unscaled_digits(bytes: &[u8]) -> usize {
    // Repeated division of the magnitude by 10, on big-endian bytes.
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut mag: Vec<u8> = if negative {
        // Two's complement negation.
        let mut v: Vec<u8> = bytes.iter().map(|b| !b).collect();
        for b in v.iter_mut().rev() {
            let (n, carry) = b.overflowing_add(1);
            *b = n;
            if !carry {
                break;
            }
        }
        v
    } else {
        bytes.to_vec()
    };
    let mut digits = 0;
    while mag.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in mag.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits += 1;
    }
    digits.max(1)
}

/// `google.type.Date` as Connect's Date: days since the epoch.
fn date(m: &DynamicMessage) -> Result<Json, String> {
    let (y, mo, d) = (
        int_field(m, "year"),
        int_field(m, "month"),
        int_field(m, "day"),
    );
    let days_in_month = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    };
    if y < 1 || d < 1 || d > days_in_month {
        return Err(format!("Invalid Date {y:04}-{mo:02}-{d:02}"));
    }
    // Days from civil (proleptic Gregorian), Howard Hinnant's algorithm.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok(Json::from(era * 146_097 + doe - 719_468))
}

/// `google.type.TimeOfDay` as Connect's Time: milliseconds of the day.
fn time_of_day(m: &DynamicMessage) -> Result<Json, String> {
    let (h, mi, s, n) = (
        int_field(m, "hours"),
        int_field(m, "minutes"),
        int_field(m, "seconds"),
        int_field(m, "nanos"),
    );
    if !(0..24).contains(&h)
        || !(0..60).contains(&mi)
        || !(0..60).contains(&s)
        || !(0..1_000_000_000).contains(&n)
    {
        return Err(format!("Invalid TimeOfDay {h}:{mi}:{s}.{n:09}"));
    }
    Ok(Json::from(
        h * 3_600_000 + mi * 60_000 + s * 1000 + n / 1_000_000,
    ))
}

/// `google.protobuf.Timestamp` as Connect's Timestamp: milliseconds since
/// the epoch, floored, in the range Protobuf allows.
fn timestamp(m: &DynamicMessage) -> Result<Json, String> {
    let (s, n) = (int_field(m, "seconds"), int_field(m, "nanos"));
    if !(-62_135_596_800..=253_402_300_799).contains(&s) || !(0..1_000_000_000).contains(&n) {
        return Err(format!("Timestamp is not valid: seconds {s}, nanos {n}"));
    }
    Ok(Json::from(s * 1000 + n.div_euclid(1_000_000)))
}

sluice_sdk::export_converter!(ProtobufConverter);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Compiles `.proto` text as the converter does, and reads the message
    /// `indexes` pick.
    fn reader(text: &str, indexes: &[i32], options: Options) -> (MessageDescriptor, Schema) {
        let mut files = Files::default();
        files
            .0
            .insert(ROOT.into(), parse_file(ROOT, text).unwrap().0);
        let mut c = protox::Compiler::with_file_resolver(files);
        c.include_imports(true);
        c.open_file(ROOT).unwrap();
        let w = Writer {
            pool: c.descriptor_pool(),
            from_descriptor: false,
        };
        let m = pick(&w, indexes).unwrap();
        let s = Walk { options }.struct_schema(&m, &mut Vec::new()).unwrap();
        (m, s)
    }

    fn defaults() -> Options {
        Options {
            optional_for_proto2: true,
            wrapper_for_raw_primitives: true,
            index_for_unions: true,
            ..Options::default()
        }
    }

    const ORDER: &str = r#"
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "confluent/meta.proto";
import "confluent/type/decimal.proto";
import "google/type/date.proto";

message Order {
  int64 id = 1;
  string note = 2;
  optional string coupon = 3;
  uint32 qty = 4;
  sint64 delta = 5;
  int32 small = 6 [(confluent.field_meta).params = {key: "connect.type", value: "int16"}];
  Status status = 7;
  repeated string tags = 8;
  map<string, double> attrs = 9;
  oneof ref { int64 ref_id = 10; string ref_name = 11; }
  google.protobuf.Timestamp ts = 12;
  confluent.type.Decimal amount = 13 [(confluent.field_meta).params = {key: "scale", value: "2"}];
  Address address = 14;
  google.type.Date day = 15;
  map<int32, string> codes = 16;
  enum Status { NEW = 0; PAID = 1; }
  message Address { string city = 1; }
}
message Other { string x = 1; }
"#;

    #[test]
    fn schemas_map_as_protobuf_data_maps_them() {
        let (_, s) = reader(ORDER, &[0], defaults());
        assert_eq!(s.name.as_deref(), Some("Order"));
        let names: Vec<&str> = s.fields().iter().map(|f| f.name.as_str()).collect();
        // Real oneofs first, then the fields in declaration order.
        assert_eq!(
            names,
            [
                "ref_0", "id", "note", "coupon", "qty", "delta", "small", "status", "tags",
                "attrs", "ts", "amount", "address", "day", "codes"
            ]
        );
        let f = |n: &str| s.field(n).unwrap().schema.clone();
        assert_eq!(f("id").ty, Type::Int64);
        assert!(f("id").optional);
        assert_eq!(f("id").parameter(TAG), Some("1"));
        assert_eq!(f("qty").ty, Type::Int64);
        assert_eq!(f("qty").parameter(PROTOBUF_TYPE), Some("uint32"));
        assert_eq!(f("delta").parameter(PROTOBUF_TYPE), Some("sint64"));
        assert_eq!(f("small").ty, Type::Int16);
        assert_eq!(f("status").ty, Type::String);
        assert_eq!(f("status").name.as_deref(), Some("Status"));
        assert_eq!(f("status").parameter(ENUM), Some("Status"));
        assert_eq!(f("status").parameter(&format!("{ENUM}.PAID")), Some("1"));
        assert!(matches!(f("tags").ty, Type::Array(_)));
        assert_eq!(f("tags").parameter(TAG), Some("8"));
        assert!(matches!(f("attrs").ty, Type::Map(..)));
        assert_eq!(f("attrs").name.as_deref(), Some("attrs"));
        let union = f("ref_0");
        assert_eq!(
            union.name.as_deref(),
            Some("io.confluent.connect.protobuf.Union.ref")
        );
        assert_eq!(union.fields().len(), 2);
        assert_eq!(f("ts").name.as_deref(), Some(sluice_sdk::schema::TIMESTAMP));
        assert_eq!(
            f("amount").name.as_deref(),
            Some(sluice_sdk::schema::DECIMAL)
        );
        assert_eq!(f("amount").parameter("scale"), Some("2"));
        assert_eq!(f("day").name.as_deref(), Some(sluice_sdk::schema::DATE));
        assert_eq!(f("address").name.as_deref(), Some("Address"));
        assert!(f("address").optional);
    }

    #[test]
    fn enhanced_names_are_full_names() {
        let o = Options {
            enhanced: true,
            ..defaults()
        };
        let (_, s) = reader(ORDER, &[0], o);
        assert_eq!(s.name.as_deref(), Some("shop.Order"));
        let f = |n: &str| s.field(n).unwrap().schema.clone();
        assert_eq!(f("status").name.as_deref(), Some("shop.Order.Status"));
        assert_eq!(f("attrs").name.as_deref(), Some("shop.Order.attrs"));
        assert_eq!(
            f("ref_0").name.as_deref(),
            Some("io.confluent.connect.protobuf.Union.shop.Order.ref")
        );
    }

    #[test]
    fn message_indexes_pick_nested_messages_without_counting_map_entries() {
        let (m, _) = reader(ORDER, &[1], defaults());
        assert_eq!(m.full_name(), "shop.Other");
        // Order's nested messages: AttrsEntry and CodesEntry are not
        // counted in the text, so [0, 0] is Address.
        let (m, _) = reader(ORDER, &[0, 0], defaults());
        assert_eq!(m.full_name(), "shop.Order.Address");
    }

    #[test]
    fn wire_indexes_are_zigzag_varints() {
        assert_eq!(message_indexes(&[0, 9]), Some((vec![0], &[9u8][..])));
        assert_eq!(message_indexes(&[2, 2, 9]), Some((vec![1], &[9u8][..])));
        assert_eq!(message_indexes(&[4, 0, 4]), Some((vec![0, 2], &[][..])));
        assert_eq!(message_indexes(&[4, 0]), None);
        assert_eq!(message_indexes(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn values_read_as_connect_data() {
        let (m, _) = reader(ORDER, &[0], defaults());
        let text = r#"id: 7 qty: 4000000000 delta: -3 small: 70000 status: PAID
            tags: "a" tags: "b" attrs { key: "b" value: 1.5 } attrs { key: "a" value: 0.25 }
            ref_name: "r7" ts { seconds: 1700000000 nanos: 123999999 }
            amount { value: "\x00\x27\x74" scale: 2 } day { year: 2024 month: 3 day: 1 }
            codes { key: 2 value: "two" } codes { key: 1 value: "one" }"#;
        let msg = DynamicMessage::parse_text_format(m, text).unwrap();
        let got = Walk {
            options: defaults(),
        }
        .message(&msg, 0)
        .unwrap();
        assert_eq!(
            got,
            json!({
                "ref_0": {"ref_id": null, "ref_name": "r7"},
                "id": 7, "note": "", "coupon": null, "qty": 4000000000u64, "delta": -3,
                "small": 4464, "status": "PAID", "tags": ["a", "b"],
                "attrs": {"a": 0.25, "b": 1.5},
                "ts": 1700000000123i64, "amount": "J3Q=", "address": null,
                "day": 19783, "codes": [[1, "one"], [2, "two"]]
            })
        );
    }

    #[test]
    fn unset_oneofs_and_messages_are_null_and_unknown_enums_named() {
        let (m, _) = reader(ORDER, &[0], defaults());
        let mut msg = DynamicMessage::new(m.clone());
        msg.set_field_by_name("status", Pb::EnumNumber(9));
        let got = Walk {
            options: defaults(),
        }
        .message(&msg, 0)
        .unwrap();
        assert_eq!(got["ref_0"], Json::Null);
        assert_eq!(got["ts"], Json::Null);
        assert_eq!(got["status"], json!("UNKNOWN_ENUM_VALUE_Status_9"));
        assert_eq!(got["tags"], json!([]));
        assert_eq!(got["attrs"], json!({}));
    }

    #[test]
    fn recursive_messages_are_refused_with_the_message_named() {
        let mut files = Files::default();
        let text = "syntax = \"proto3\"; message Node { Node next = 1; }";
        files
            .0
            .insert(ROOT.into(), parse_file(ROOT, text).unwrap().0);
        let mut c = protox::Compiler::with_file_resolver(files);
        c.open_file(ROOT).unwrap();
        let w = Writer {
            pool: c.descriptor_pool(),
            from_descriptor: false,
        };
        let m = pick(&w, &[0]).unwrap();
        let e = Walk {
            options: defaults(),
        }
        .struct_schema(&m, &mut Vec::new())
        .unwrap_err();
        assert!(e.contains("message Node contains itself"), "{e}");
    }

    #[test]
    fn a_base64_descriptor_is_read_like_text() {
        // protox's encoding keeps the extension options, as protoc's does.
        let mut files = Files::default();
        files
            .0
            .insert(ROOT.into(), parse_file(ROOT, ORDER).unwrap().0);
        let mut c = protox::Compiler::with_file_resolver(files);
        c.include_imports(true);
        c.open_file(ROOT).unwrap();
        let set = prost_reflect::DescriptorPool::decode(c.encode_file_descriptor_set().as_slice())
            .unwrap();
        let root = set.get_file_by_name(ROOT).unwrap();
        let text = base64::engine::general_purpose::STANDARD.encode(root.encode_to_vec());
        let (file, from_descriptor) = parse_file("x.proto", &text).unwrap();
        assert!(from_descriptor);
        assert_eq!(file.name(), "x.proto");
        // Read back as the converter reads it, extension options included.
        let mut files = Files::default();
        files
            .0
            .insert(ROOT.into(), parse_file(ROOT, &text).unwrap().0);
        let mut c = protox::Compiler::with_file_resolver(files);
        c.include_imports(true);
        c.open_file(ROOT).unwrap();
        let w = Writer {
            pool: c.descriptor_pool(),
            from_descriptor: true,
        };
        let m = pick(&w, &[0]).unwrap();
        let s = Walk {
            options: defaults(),
        }
        .struct_schema(&m, &mut Vec::new())
        .unwrap();
        assert_eq!(s.field("small").unwrap().schema.ty, Type::Int16);
        assert_eq!(
            s.field("amount").unwrap().schema.parameter("scale"),
            Some("2")
        );
        let e = parse_file("x.proto", "syntax = \"proto3\"; message {").unwrap_err();
        assert!(e.contains("not a valid .proto file"), "{e}");
    }

    #[test]
    fn decimals_dates_and_times_convert_as_confluents_helpers() {
        assert_eq!(unscaled_digits(&[0x27, 0x74]), 5); // 10100
        assert_eq!(unscaled_digits(&[0xff]), 1); // -1
        assert_eq!(unscaled_digits(&[0x00]), 1);
        assert_eq!(map_field_name("FooBarEntry"), "foo_bar");
        assert_eq!(map_field_name("AttrsEntry"), "attrs");
    }
}
