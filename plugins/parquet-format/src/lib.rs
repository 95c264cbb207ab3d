//! `parquet-format` formatter: Confluent's S3
//! `io.confluent.connect.s3.format.parquet.ParquetFormat`. Each S3 object is
//! one Parquet file whose schema is what parquet-avro's
//! `AvroSchemaConverter` makes of the Avro schema Confluent's `AvroData`
//! makes of the first record's Connect value schema: the same columns,
//! logical types, list and map layouts Confluent's files have, and the Avro
//! schema in the footer as `parquet.avro.schema`. A container format: the
//! S3 sink gives every object an instance of its own
//! (`sluice.format.scope = object`), which shreds each record into
//! per-column buffers and writes a row group (`parquet.codec`: `none`,
//! `snappy`, `gzip`, `lz4_raw`, `zstd`) each time `parquet.block.size` bytes are
//! buffered, so the host uploads row groups as parts of the multipart
//! upload while the file is still being written; the footer comes at
//! close. Row-group boundaries depend only on the records, so an object
//! written again after a crash has the same bytes. With
//! `format.output.fields` each row is instead Aiven's `connector_records`
//! row of the key, value, offset and timestamp (`sluice_sdk::envelope`),
//! as Aiven's S3 sink writes `format.output.type=parquet`. See
//! `docs/s3-formats.md`.

use std::sync::Arc;

use base64::Engine as _;
use parquet::basic::{
    Compression, ConvertedType, GzipLevel, LogicalType, Repetition, TimeUnit, Type as Physical,
    ZstdLevel,
};
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DoubleType, FixedLenByteArray, FixedLenByteArrayType,
    FloatType, Int32Type, Int64Type,
};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{Type as ParquetType, TypePtr};
use serde_json::Value as Json;
use sluice_sdk::avro_data::{
    AvroType, FromConnect, MAX_DEPTH, is_union, json_float, place, value_schema,
};
use sluice_sdk::envelope::{self, Envelope, same_schema};
use sluice_sdk::java;
use sluice_sdk::schema::{DATE, DECIMAL, Field, Schema, TIME, TIMESTAMP, Type};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, FormatInfo, Formatter, Plugin, PluginInfo, Record,
};

/// The default of `parquet.block.size`: bytes of shredded records
/// buffered before a row group is written. Below parquet-java's 128 MiB,
/// which would not fit a plugin's default 128 MiB of memory.
const DEFAULT_BLOCK_BYTES: usize = 32 << 20;
/// What `created_by` says: the writer and its version, fixed by the pin.
const CREATED_BY: &str = "parquet-rs version 60.2.0 (Sluice parquet-format)";
/// Buffered bytes counted for a byte array beside its contents (its
/// handle in the column buffer).
const BYTE_ARRAY_OVERHEAD: usize = 32;

/// The compression of the pages.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Codec {
    None,
    Snappy,
    Gzip,
    Lz4Raw,
    Zstd,
}

impl Codec {
    fn parse(name: &str) -> Result<Codec, String> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => Codec::None,
            "snappy" => Codec::Snappy,
            "gzip" => Codec::Gzip,
            "lz4_raw" => Codec::Lz4Raw,
            "zstd" => Codec::Zstd,
            "brotli" | "lzo" | "lz4" => {
                return Err(format!(
                    "parquet.codec={name:?} is not available in Sluice yet: use none, snappy, gzip, lz4_raw or zstd"
                ));
            }
            _ => {
                return Err(format!(
                    "parquet.codec={name:?} is not a codec: use none, snappy, gzip, lz4_raw or zstd"
                ));
            }
        })
    }

    fn parquet(self) -> Compression {
        match self {
            Codec::None => Compression::UNCOMPRESSED,
            Codec::Snappy => Compression::SNAPPY,
            // zlib's default level 6, as Hadoop's GzipCodec.
            Codec::Gzip => Compression::GZIP(GzipLevel::default()),
            Codec::Lz4Raw => Compression::LZ4_RAW,
            // parquet-java's default level (`parquet.compression.codec.zstd.level`).
            Codec::Zstd => Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()),
        }
    }

    /// parquet-java's `CompressionCodecName.getExtension()`.
    fn extension(self) -> &'static str {
        match self {
            Codec::None => ".parquet",
            Codec::Snappy => ".snappy.parquet",
            Codec::Gzip => ".gz.parquet",
            Codec::Lz4Raw => ".lz4raw.parquet",
            Codec::Zstd => ".zstd.parquet",
        }
    }
}

/// The formatter, configured.
pub struct ParquetFormat {
    codec: Codec,
    enhanced: bool,
    meta: bool,
    block_bytes: usize,
    /// Aiven's rows, when `format.output.fields` is set.
    envelope: Option<Envelope>,
    file: Option<File>,
}

impl Plugin for ParquetFormat {
    const INFO: PluginInfo = PluginInfo {
        name: "parquet-format",
        version: env!("CARGO_PKG_VERSION"),
        description: "Parquet files, one per S3 object (Confluent's S3 ParquetFormat)",
        config: &[
            ConfigKey::connect_classes("io.confluent.connect.s3.format.parquet.ParquetFormat"),
            ConfigKey::object_scoped(),
            ConfigKey::optional(
                "parquet.codec",
                ConfigType::String,
                Some("snappy"),
                "The compression of the pages: none, snappy, gzip, lz4_raw or zstd (level 3, parquet-java's default)",
            ),
            ConfigKey::optional(
                "parquet.block.size",
                ConfigType::Integer,
                Some("33554432"),
                "Bytes of records buffered before a row group is written (Sluice's; Confluent always buffers up to 128 MiB)",
            ),
            ConfigKey::optional(
                "enhanced.avro.schema.support",
                ConfigType::Boolean,
                Some("true"),
                "Connect strings marked io.confluent.connect.avro.Enum are ENUM columns",
            ),
            ConfigKey::optional(
                "connect.meta.data",
                ConfigType::Boolean,
                Some("true"),
                "The Avro schema in the footer keeps the Connect schema's doc, version, parameters and defaults",
            ),
            ConfigKey::optional(
                "schemas.cache.config",
                ConfigType::Integer,
                Some("1000"),
                "Accepted: each file converts its one schema once",
            ),
            envelope::FIELDS_KEY,
            envelope::ENVELOPE_KEY,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let codec = Codec::parse(config.get("parquet.codec").unwrap_or("snappy"))?;
        let block_bytes = match config.get("parquet.block.size") {
            None => DEFAULT_BLOCK_BYTES,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(format!(
                        "parquet.block.size={v:?} is not a size in bytes: give a positive number, e.g. 33554432"
                    ));
                }
            },
        };
        Ok(ParquetFormat {
            codec,
            enhanced: config.get_bool("enhanced.avro.schema.support"),
            meta: config.get_bool("connect.meta.data"),
            block_bytes,
            envelope: Envelope::from_config(config)?,
            file: None,
        })
    }
}

/// The file being written.
struct File {
    /// The value's and (in Aiven's rows) the key's schema of the file's
    /// first record, which every record of the file must have.
    value: Option<Arc<Schema>>,
    key: Option<Arc<Schema>>,
    /// Whether rows are Aiven's envelopes rather than the values.
    enveloped: bool,
    root: Node,
    columns: Vec<Column>,
    writer: SerializedFileWriter<Vec<u8>>,
    /// `PAR1`, until the host asks for the header.
    head: Vec<u8>,
    /// Rows buffered for the next row group.
    rows: usize,
    /// Rows written to the file, buffered or not.
    total: u64,
    /// Bytes buffered in `columns`, as counted for `parquet.block.size`.
    buffered: usize,
}

impl Formatter for ParquetFormat {
    fn info(&self) -> FormatInfo {
        FormatInfo {
            content_type: "application/vnd.apache.parquet".into(),
            extension: self.codec.extension().into(),
            prefix: Vec::new(),
            separator: Vec::new(),
            suffix: Vec::new(),
        }
    }

    fn header(&mut self) -> Vec<u8> {
        self.file
            .as_mut()
            .map(|f| std::mem::take(&mut f.head))
            .unwrap_or_default()
    }

    fn trailer(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(mut file) = self.file.take() {
            // Writing in memory fails only on a schema the writer refused
            // when the file was opened; nothing is left to report it to.
            let _ = file.flush(&mut out).and_then(|()| file.finish(&mut out));
        }
        out
    }

    fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        let at = || place(record);
        let (key, value) = match &self.envelope {
            None => (None, Some(value_schema(record, "ParquetFormat")?)),
            Some(e) => e.schemas(record)?,
        };
        if self.file.is_none() {
            self.file =
                Some(self.open(key, value).map_err(|e| {
                    format!("the value of {} cannot be written as Parquet: {e}", at())
                })?);
        }
        let file = self.file.as_mut().expect("opened above");
        for (part, first, this) in [("value", &file.value, value), ("key", &file.key, key)] {
            if !same_schema(first.as_ref(), this) {
                return Err(format!(
                    "Mismatching struct schema: the {part} of {} has another schema than the file's first record",
                    at()
                ));
            }
        }
        let result = match (&self.envelope, record.value) {
            (Some(e), _) if file.enveloped => e.payload(record).and_then(|v| file.append(&v)),
            (_, None) => Err("a null value cannot be a Parquet row".to_string()),
            (_, Some(bytes)) => serde_json::from_slice::<Json>(bytes)
                .map_err(|e| format!("it is not JSON: {e}"))
                .and_then(|v| file.append(&v)),
        };
        if let Err(e) = result {
            if file.total == 0 {
                // No row yet: the next record opens the file afresh.
                self.file = None;
            }
            return Err(format!(
                "the value of {} cannot be written as Parquet: {e}",
                at()
            ));
        }
        if file.buffered >= self.block_bytes {
            file.flush(out)?;
        }
        Ok(())
    }
}

/// The namespace of Aiven's rows in Parquet files.
const AIVEN_NAMESPACE: &str = "io.aiven.parquet.output.schema";

impl ParquetFormat {
    /// The file for a first record whose key and value have the schemas
    /// `key` and `value` (the key's only in Aiven's rows that hold it).
    fn open(&self, key: Option<&Arc<Schema>>, value: Option<&Arc<Schema>>) -> Result<File, String> {
        if let Some(e) = &self.envelope
            && let Some(row) = e.row(key, value, AIVEN_NAMESPACE, self.enhanced, self.meta)?
        {
            return self.file(&row.connect, row.avro, key, value, true);
        }
        let schema = value.ok_or("a row needs the value's schema")?;
        if !matches!(schema.ty, Type::Struct(_)) || is_union(schema) {
            return Err(format!(
                "Parquet rows are structs, and the value's schema is {}",
                schema.ty.connect_name()
            ));
        }
        // The value is written as a required struct: parquet-avro refuses
        // an optional one (a union with null), Sluice takes it.
        let mut required = (**schema).clone();
        required.optional = false;
        let avro = FromConnect::new(self.enhanced, self.meta).schema(&required)?;
        self.file(&required, avro, key, value, false)
    }

    /// The file whose rows are values of the Connect struct `required`,
    /// written as parquet-avro writes records of `avro`.
    fn file(
        &self,
        required: &Schema,
        avro: AvroType,
        key: Option<&Arc<Schema>>,
        value: Option<&Arc<Schema>>,
        enveloped: bool,
    ) -> Result<File, String> {
        let AvroType::Record { name, .. } = &avro else {
            return Err("the value's Avro schema is not a record".into());
        };
        let mut shaper = Shaper {
            old_lists: !has_array_of_optional_items(required),
            columns: Vec::new(),
        };
        let (fields, root) = shaper.group_fields(required, &avro, 0, 0, 0)?;
        let message = ParquetType::group_type_builder(name)
            .with_fields(fields)
            .build()
            .map_err(|e| format!("the Parquet schema is refused: {e}"))?;
        let props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(self.codec.parquet())
            .set_dictionary_enabled(true)
            // parquet-java's page size as Confluent sets it.
            .set_data_page_size_limit(64 * 1024)
            .set_statistics_truncate_length(None)
            .set_created_by(CREATED_BY.into())
            .set_key_value_metadata(Some(vec![
                KeyValue::new("parquet.avro.schema".into(), avro.to_json()),
                KeyValue::new("writer.model.name".into(), "avro".to_string()),
            ]))
            .build();
        let mut writer = SerializedFileWriter::new(Vec::new(), Arc::new(message), Arc::new(props))
            .map_err(|e| format!("the Parquet schema is refused: {e}"))?;
        writer.flush().map_err(|e| e.to_string())?;
        let head = std::mem::take(writer.inner_mut());
        Ok(File {
            value: value.cloned(),
            key: key.cloned(),
            enveloped,
            root,
            columns: shaper.columns,
            writer,
            head,
            rows: 0,
            total: 0,
            buffered: 0,
        })
    }
}

/// parquet-avro's `write-old-list-structure` is turned off (3-level lists)
/// when some array of the schema has optional items: Confluent's
/// `schemaHasArrayOfOptionalItems`, through struct fields and map values.
fn has_array_of_optional_items(s: &Schema) -> bool {
    match &s.ty {
        Type::Struct(fields) => fields
            .iter()
            .any(|f| has_array_of_optional_items(&f.schema)),
        Type::Map(_, values) => has_array_of_optional_items(values),
        Type::Array(items) => items.optional || has_array_of_optional_items(items),
        _ => false,
    }
}

/// What a leaf column holds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Leaf {
    Boolean,
    Int32,
    Int64,
    Float,
    Double,
    /// A string (also an enum symbol), as UTF-8.
    String,
    /// Bytes, base64 in the payload (also a Decimal's unscaled value).
    Bytes,
    /// Bytes of exactly this many.
    Fixed(usize),
}

/// One leaf column's buffered values and levels.
struct Column {
    values: Values,
    def: Vec<i16>,
    rep: Vec<i16>,
    max_def: i16,
    max_rep: i16,
}

enum Values {
    Boolean(Vec<bool>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Float(Vec<f32>),
    Double(Vec<f64>),
    Bytes(Vec<ByteArray>),
    Fixed(Vec<FixedLenByteArray>),
}

impl Values {
    fn new(leaf: Leaf) -> Values {
        match leaf {
            Leaf::Boolean => Values::Boolean(Vec::new()),
            Leaf::Int32 => Values::Int32(Vec::new()),
            Leaf::Int64 => Values::Int64(Vec::new()),
            Leaf::Float => Values::Float(Vec::new()),
            Leaf::Double => Values::Double(Vec::new()),
            Leaf::String | Leaf::Bytes => Values::Bytes(Vec::new()),
            Leaf::Fixed(_) => Values::Fixed(Vec::new()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Values::Boolean(v) => v.len(),
            Values::Int32(v) => v.len(),
            Values::Int64(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Double(v) => v.len(),
            Values::Bytes(v) => v.len(),
            Values::Fixed(v) => v.len(),
        }
    }

    fn truncate(&mut self, n: usize) {
        match self {
            Values::Boolean(v) => v.truncate(n),
            Values::Int32(v) => v.truncate(n),
            Values::Int64(v) => v.truncate(n),
            Values::Float(v) => v.truncate(n),
            Values::Double(v) => v.truncate(n),
            Values::Bytes(v) => v.truncate(n),
            Values::Fixed(v) => v.truncate(n),
        }
    }
}

/// How a value of the Connect schema becomes rows of the leaf columns:
/// the Parquet schema's shape, with the Connect default of each node.
#[derive(Debug)]
struct Node {
    /// OPTIONAL in Parquet: a null value is a definition level.
    optional: bool,
    /// The Connect default, used when the value is null.
    default: Option<Json>,
    /// The leaf columns under this node (they are contiguous).
    first: usize,
    end: usize,
    shape: Shape,
}

#[derive(Debug)]
enum Shape {
    Leaf(Leaf),
    /// A struct: its fields by name.
    Struct(Vec<(String, Node)>),
    /// A Connect union struct: members by field name, one of them set.
    Union(Vec<(String, Node)>),
    /// An array; `entries` when it is a map with other keys than strings,
    /// whose payload is `[key, value]` pairs (or an object).
    List {
        item: Box<Node>,
        entries: bool,
    },
    /// A map with string keys: the key column, then the value node.
    Map {
        key: usize,
        value: Box<Node>,
    },
}

/// Builds the Parquet schema and the nodes, assigning leaf columns in
/// schema order.
struct Shaper {
    old_lists: bool,
    columns: Vec<Column>,
}

/// A node's repetition (`forced` for a 2-level list's element, else
/// OPTIONAL when `nullable`), and the definition and repetition levels of
/// what it holds.
fn repetition(
    forced: Option<Repetition>,
    nullable: bool,
    def: i16,
    rep: i16,
) -> (Repetition, i16, i16) {
    let repetition = match (forced, nullable) {
        (Some(r), _) => r,
        (None, true) => Repetition::OPTIONAL,
        (None, false) => Repetition::REQUIRED,
    };
    match repetition {
        Repetition::OPTIONAL => (repetition, def + 1, rep),
        Repetition::REPEATED => (repetition, def + 1, rep + 1),
        Repetition::REQUIRED => (repetition, def, rep),
    }
}

fn refused(e: parquet::errors::ParquetError) -> String {
    format!("the Parquet schema is refused: {e}")
}

impl Shaper {
    fn leaf(&mut self, leaf: Leaf, def: i16, rep: i16) -> usize {
        self.columns.push(Column {
            values: Values::new(leaf),
            def: Vec::new(),
            rep: Vec::new(),
            max_def: def,
            max_rep: rep,
        });
        self.columns.len() - 1
    }

    /// The fields of record `avro` (Connect struct `s`), with `def` and
    /// `rep` the levels of the group that holds them.
    fn group_fields(
        &mut self,
        s: &Schema,
        avro: &AvroType,
        def: i16,
        rep: i16,
        depth: usize,
    ) -> Result<(Vec<TypePtr>, Node), String> {
        let AvroType::Record { fields, .. } = avro else {
            return Err("a struct's Avro type is not a record".into());
        };
        let first = self.columns.len();
        let mut types = Vec::with_capacity(fields.len());
        let mut nodes = Vec::with_capacity(fields.len());
        for (f, af) in s.fields().iter().zip(fields) {
            let (t, n) = self.field(&f.name, &f.schema, &af.ty, None, def, rep, depth + 1)?;
            types.push(t);
            nodes.push((f.name.clone(), n));
        }
        let node = Node {
            optional: false,
            default: None,
            first,
            end: self.columns.len(),
            shape: Shape::Struct(nodes),
        };
        Ok((types, node))
    }

    /// Field `name` of Connect schema `s` and Avro type `avro` (its union
    /// with null when optional), as parquet-avro's `convertField` makes
    /// it; `forced` is the repetition of a 2-level list's element.
    #[allow(clippy::too_many_arguments)]
    fn field(
        &mut self,
        name: &str,
        s: &Schema,
        avro: &AvroType,
        forced: Option<Repetition>,
        def: i16,
        rep: i16,
        depth: usize,
    ) -> Result<(TypePtr, Node), String> {
        if depth > MAX_DEPTH {
            return Err("the schema nests too deep".into());
        }
        let (base, nullable) = match avro {
            AvroType::Union(branches) => {
                let nullable = branches.iter().any(|b| matches!(b, AvroType::Null));
                let others: Vec<&AvroType> = branches
                    .iter()
                    .filter(|b| !matches!(b, AvroType::Null))
                    .collect();
                match others.as_slice() {
                    [] => return Err(format!("field {name}: a union of null alone")),
                    [one] if !is_union(s) => (*one, nullable),
                    [_] => {
                        return Err(format!(
                            "field {name}: a union with one member has no Parquet form in Sluice yet"
                        ));
                    }
                    _ => return self.union(name, s, &others, nullable, forced, def, rep, depth),
                }
            }
            other => (other, false),
        };
        let (repetition, def, rep) = repetition(forced, nullable, def, rep);
        let first = self.columns.len();
        let primitive = |physical: Physical| ParquetType::primitive_type_builder(name, physical);
        let (t, shape) = match base {
            AvroType::Primitive(kind, props) => {
                let (builder, leaf) = match (*kind, s.name.as_deref()) {
                    ("int", Some(DATE)) => (
                        primitive(Physical::INT32).with_logical_type(Some(LogicalType::Date)),
                        Leaf::Int32,
                    ),
                    ("int", Some(TIME)) => (
                        primitive(Physical::INT32)
                            .with_logical_type(Some(LogicalType::time(true, TimeUnit::MILLIS))),
                        Leaf::Int32,
                    ),
                    ("int", _) => (primitive(Physical::INT32), Leaf::Int32),
                    ("long", Some(TIMESTAMP)) => (
                        primitive(Physical::INT64).with_logical_type(Some(LogicalType::timestamp(
                            true,
                            TimeUnit::MILLIS,
                        ))),
                        Leaf::Int64,
                    ),
                    ("long", _) => (primitive(Physical::INT64), Leaf::Int64),
                    ("float", _) => (primitive(Physical::FLOAT), Leaf::Float),
                    ("double", _) => (primitive(Physical::DOUBLE), Leaf::Double),
                    ("boolean", _) => (primitive(Physical::BOOLEAN), Leaf::Boolean),
                    ("string", _) => (
                        primitive(Physical::BYTE_ARRAY)
                            .with_logical_type(Some(LogicalType::String)),
                        Leaf::String,
                    ),
                    ("bytes", Some(DECIMAL)) => {
                        let prop = |k: &str| {
                            props
                                .iter()
                                .find(|(p, _)| p == k)
                                .and_then(|(_, v)| v.as_i64())
                        };
                        let (precision, scale) = (prop("precision"), prop("scale"));
                        let builder = match (precision, scale) {
                            // Avro's decimal is valid (and annotated) only
                            // for 0 <= scale <= precision, precision > 0.
                            (Some(p), Some(sc)) if p > 0 && (0..=p).contains(&sc) => {
                                let (p, sc) = (p as i32, sc as i32);
                                primitive(Physical::BYTE_ARRAY)
                                    .with_logical_type(Some(LogicalType::decimal(sc, p)))
                                    .with_precision(p)
                                    .with_scale(sc)
                            }
                            _ => primitive(Physical::BYTE_ARRAY),
                        };
                        (builder, Leaf::Bytes)
                    }
                    ("bytes", _) => (primitive(Physical::BYTE_ARRAY), Leaf::Bytes),
                    (other, _) => return Err(format!("field {name}: Avro type {other}")),
                };
                let t = builder
                    .with_repetition(repetition)
                    .build()
                    .map_err(refused)?;
                self.leaf(leaf, def, rep);
                (t, Shape::Leaf(leaf))
            }
            AvroType::Enum { .. } => {
                let t = primitive(Physical::BYTE_ARRAY)
                    .with_logical_type(Some(LogicalType::Enum))
                    .with_repetition(repetition)
                    .build()
                    .map_err(refused)?;
                self.leaf(Leaf::String, def, rep);
                (t, Shape::Leaf(Leaf::String))
            }
            AvroType::Fixed { size, .. } => {
                let t = primitive(Physical::FIXED_LEN_BYTE_ARRAY)
                    .with_length(*size as i32)
                    .with_repetition(repetition)
                    .build()
                    .map_err(refused)?;
                self.leaf(Leaf::Fixed(*size), def, rep);
                (t, Shape::Leaf(Leaf::Fixed(*size)))
            }
            AvroType::Record { .. } => {
                let (fields, node) = self.group_fields(s, base, def, rep, depth)?;
                let t = ParquetType::group_type_builder(name)
                    .with_fields(fields)
                    .with_repetition(repetition)
                    .build()
                    .map_err(refused)?;
                (t, node.shape)
            }
            AvroType::Map(values, _) => {
                let Type::Map(_, value_schema) = &s.ty else {
                    return Err(format!(
                        "field {name}: an Avro map of a {}",
                        s.ty.connect_name()
                    ));
                };
                // repeated group key_value (MAP_KEY_VALUE) { required binary key (STRING); value; }
                let key_type = ParquetType::primitive_type_builder("key", Physical::BYTE_ARRAY)
                    .with_logical_type(Some(LogicalType::String))
                    .with_repetition(Repetition::REQUIRED)
                    .build()
                    .map_err(refused)?;
                let key = self.leaf(Leaf::String, def + 1, rep + 1);
                let (value_type, value) = self.field(
                    "value",
                    value_schema,
                    values,
                    None,
                    def + 1,
                    rep + 1,
                    depth + 1,
                )?;
                let entries = ParquetType::group_type_builder("key_value")
                    .with_converted_type(ConvertedType::MAP_KEY_VALUE)
                    .with_repetition(Repetition::REPEATED)
                    .with_fields(vec![Arc::new(key_type), value_type])
                    .build()
                    .map_err(refused)?;
                let t = ParquetType::group_type_builder(name)
                    .with_logical_type(Some(LogicalType::Map))
                    .with_repetition(repetition)
                    .with_fields(vec![Arc::new(entries)])
                    .build()
                    .map_err(refused)?;
                (
                    t,
                    Shape::Map {
                        key,
                        value: Box::new(value),
                    },
                )
            }
            AvroType::Array(items, _) => {
                let (item_schema, entries) = match &s.ty {
                    Type::Array(items) => ((**items).clone(), false),
                    // A map with other keys: an array of MapEntry records.
                    Type::Map(k, v) => (
                        Schema::structure([
                            Field::new("key", (**k).clone()),
                            Field::new("value", (**v).clone()),
                        ]),
                        true,
                    ),
                    other => {
                        return Err(format!(
                            "field {name}: an Avro array of a {}",
                            other.connect_name()
                        ));
                    }
                };
                let list = if self.old_lists {
                    // <rep> group f (LIST) { repeated <item> array; }
                    let (item_type, item) = self.field(
                        "array",
                        &item_schema,
                        items,
                        Some(Repetition::REPEATED),
                        def,
                        rep,
                        depth + 1,
                    )?;
                    (vec![item_type], item)
                } else {
                    // <rep> group f (LIST) { repeated group list { <req/opt> element; } }
                    let (item_type, item) = self.field(
                        "element",
                        &item_schema,
                        items,
                        None,
                        def + 1,
                        rep + 1,
                        depth + 1,
                    )?;
                    let group = ParquetType::group_type_builder("list")
                        .with_repetition(Repetition::REPEATED)
                        .with_fields(vec![item_type])
                        .build()
                        .map_err(refused)?;
                    (vec![Arc::new(group)], item)
                };
                let t = ParquetType::group_type_builder(name)
                    .with_logical_type(Some(LogicalType::List))
                    .with_repetition(repetition)
                    .with_fields(list.0)
                    .build()
                    .map_err(refused)?;
                (
                    t,
                    Shape::List {
                        item: Box::new(list.1),
                        entries,
                    },
                )
            }
            AvroType::Null | AvroType::Union(_) => {
                return Err(format!("field {name}: a nested union"));
            }
        };
        let node = Node {
            optional: repetition == Repetition::OPTIONAL,
            default: s.default.clone(),
            first,
            end: self.columns.len(),
            shape,
        };
        Ok((Arc::new(t), node))
    }

    /// A union of several types: a group of OPTIONAL `member0`, `member1`,
    /// …, OPTIONAL itself when the union has null.
    #[allow(clippy::too_many_arguments)]
    fn union(
        &mut self,
        name: &str,
        s: &Schema,
        branches: &[&AvroType],
        nullable: bool,
        forced: Option<Repetition>,
        def: i16,
        rep: i16,
        depth: usize,
    ) -> Result<(TypePtr, Node), String> {
        let (repetition, def, rep) = repetition(forced, nullable, def, rep);
        let first = self.columns.len();
        let mut types = Vec::new();
        let mut members = Vec::new();
        for (i, (f, branch)) in s.fields().iter().zip(branches).enumerate() {
            let mut member = f.schema.clone();
            member.optional = false;
            // Each member is OPTIONAL: a union with null around it.
            let optional = AvroType::Union(vec![AvroType::Null, (*branch).clone()]);
            let (t, n) = self.field(
                &format!("member{i}"),
                &member,
                &optional,
                None,
                def,
                rep,
                depth + 1,
            )?;
            types.push(t);
            members.push((f.name.clone(), n));
        }
        let t = ParquetType::group_type_builder(name)
            .with_repetition(repetition)
            .with_fields(types)
            .build()
            .map_err(refused)?;
        let node = Node {
            optional: repetition == Repetition::OPTIONAL,
            default: s.default.clone(),
            first,
            end: self.columns.len(),
            shape: Shape::Union(members),
        };
        Ok((Arc::new(t), node))
    }
}

impl File {
    /// Shreds one row into the columns; on failure the columns are left
    /// as they were.
    fn append(&mut self, v: &Json) -> Result<(), String> {
        let marks: Vec<(usize, usize, usize)> = self
            .columns
            .iter()
            .map(|c| (c.values.len(), c.def.len(), c.rep.len()))
            .collect();
        let mut shredder = Shredder {
            columns: &mut self.columns,
            bytes: 0,
        };
        match shredder.node(&self.root, v, 0, 0, 0, 0) {
            Ok(()) => {
                self.buffered += shredder.bytes;
                self.rows += 1;
                self.total += 1;
                Ok(())
            }
            Err(e) => {
                for (c, (values, def, rep)) in self.columns.iter_mut().zip(marks) {
                    c.values.truncate(values);
                    c.def.truncate(def);
                    c.rep.truncate(rep);
                }
                Err(e)
            }
        }
    }

    /// Writes the buffered rows as a row group, appended to `out`.
    fn flush(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        if self.rows == 0 {
            return Ok(());
        }
        let failed = |e: parquet::errors::ParquetError| format!("writing a row group: {e}");
        let mut group = self.writer.next_row_group().map_err(failed)?;
        let mut columns = self.columns.iter_mut();
        while let Some(mut writer) = group.next_column().map_err(failed)? {
            let c = columns
                .next()
                .ok_or("the file has more columns than its schema")?;
            let def = (c.max_def > 0).then_some(c.def.as_slice());
            let rep = (c.max_rep > 0).then_some(c.rep.as_slice());
            match &c.values {
                Values::Boolean(v) => writer.typed::<BoolType>().write_batch(v, def, rep),
                Values::Int32(v) => writer.typed::<Int32Type>().write_batch(v, def, rep),
                Values::Int64(v) => writer.typed::<Int64Type>().write_batch(v, def, rep),
                Values::Float(v) => writer.typed::<FloatType>().write_batch(v, def, rep),
                Values::Double(v) => writer.typed::<DoubleType>().write_batch(v, def, rep),
                Values::Bytes(v) => writer.typed::<ByteArrayType>().write_batch(v, def, rep),
                Values::Fixed(v) => writer
                    .typed::<FixedLenByteArrayType>()
                    .write_batch(v, def, rep),
            }
            .map_err(failed)?;
            writer.close().map_err(failed)?;
            c.values.truncate(0);
            c.def.clear();
            c.rep.clear();
        }
        group.close().map_err(failed)?;
        self.drain(out)?;
        self.rows = 0;
        self.buffered = 0;
        Ok(())
    }

    /// Writes the footer, appended to `out`.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        self.writer
            .finish()
            .map_err(|e| format!("writing the footer: {e}"))?;
        self.drain(out)
    }

    /// Moves what the writer wrote into `out`.
    fn drain(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        self.writer.flush().map_err(|e| e.to_string())?;
        let written = self.writer.inner_mut();
        if out.is_empty() {
            std::mem::swap(out, written);
        } else {
            out.append(written);
        }
        Ok(())
    }
}

/// Dremel's record shredding of one row into the leaf columns.
struct Shredder<'a> {
    columns: &'a mut [Column],
    /// Bytes this row adds to the buffers.
    bytes: usize,
}

impl Shredder<'_> {
    fn levels(&mut self, col: usize, def: i16, rep: i16) {
        let c = &mut self.columns[col];
        if c.max_def > 0 {
            c.def.push(def);
            self.bytes += 2;
        }
        if c.max_rep > 0 {
            c.rep.push(rep);
            self.bytes += 2;
        }
    }

    /// No value at `def`: every leaf under `node` gets the levels alone.
    fn absent(&mut self, node: &Node, def: i16, rep: i16) {
        for col in node.first..node.end {
            self.levels(col, def, rep);
        }
    }

    /// Value `v` of `node`, whose parent is defined to level `def`; `rep`
    /// is the repetition level of the first value, `depth` the number of
    /// repeated nodes above.
    fn node(
        &mut self,
        node: &Node,
        v: &Json,
        def: i16,
        rep: i16,
        repeated: i16,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("the value nests too deep".into());
        }
        let v = match (v, &node.default) {
            (Json::Null, Some(d)) => d,
            _ => v,
        };
        let def = if node.optional {
            if v.is_null() {
                self.absent(node, def, rep);
                return Ok(());
            }
            def + 1
        } else if v.is_null() {
            return Err("null for a required field".into());
        } else {
            def
        };
        match &node.shape {
            Shape::Leaf(leaf) => self.leaf(node.first, *leaf, v, def, rep),
            Shape::Struct(fields) => {
                let o = v
                    .as_object()
                    .ok_or_else(|| format!("a struct cannot be {}", short(v)))?;
                for (name, child) in fields {
                    let fv = o.get(name).unwrap_or(&Json::Null);
                    self.node(child, fv, def, rep, repeated, depth + 1)
                        .map_err(|e| format!("field {name}: {e}"))?;
                }
                Ok(())
            }
            Shape::Union(members) => {
                let o = v
                    .as_object()
                    .ok_or_else(|| format!("a union cannot be {}", short(v)))?;
                let chosen = members
                    .iter()
                    .position(|(name, _)| o.get(name).is_some_and(|m| !m.is_null()))
                    .ok_or("Found null value for non-optional union")?;
                for (i, (name, member)) in members.iter().enumerate() {
                    if i == chosen {
                        self.node(member, &o[name.as_str()], def, rep, repeated, depth + 1)?;
                    } else {
                        self.absent(member, def, rep);
                    }
                }
                Ok(())
            }
            Shape::List { item, entries } => {
                let pairs;
                let items: &[Json] = match (v, entries) {
                    (Json::Array(a), false) => a,
                    (Json::Array(a), true) => {
                        pairs = a
                            .iter()
                            .map(|p| match p.as_array().map(Vec::as_slice) {
                                Some([k, val]) => Ok(serde_json::json!({"key": k, "value": val})),
                                _ => Err(format!("a map entry cannot be {}", short(p))),
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        &pairs
                    }
                    (Json::Object(o), true) => {
                        pairs = o
                            .iter()
                            .map(|(k, val)| serde_json::json!({"key": k, "value": val}))
                            .collect();
                        &pairs
                    }
                    _ => return Err(format!("an array cannot be {}", short(v))),
                };
                if items.is_empty() {
                    self.absent(item, def, rep);
                    return Ok(());
                }
                // Elements sit one repeated level (and one definition
                // level) below the list; the item node's own OPTIONAL
                // adds its level when it has one.
                for (i, element) in items.iter().enumerate() {
                    let r = if i == 0 { rep } else { repeated + 1 };
                    self.node(item, element, def + 1, r, repeated + 1, depth + 1)
                        .map_err(|e| format!("element {i}: {e}"))?;
                }
                Ok(())
            }
            Shape::Map { key, value } => {
                let o = v
                    .as_object()
                    .ok_or_else(|| format!("a map cannot be {}", short(v)))?;
                if o.is_empty() {
                    self.absent(node, def, rep);
                    return Ok(());
                }
                // Java's HashMap order, as AvroData's map holds the entries.
                let keys: Vec<&String> = o.keys().collect();
                let hashes: Vec<i32> = keys.iter().map(|k| java::string_hash(k)).collect();
                for (n, i) in java::hash_map_order(&hashes).into_iter().enumerate() {
                    let r = if n == 0 { rep } else { repeated + 1 };
                    self.leaf(
                        *key,
                        Leaf::String,
                        &Json::String(keys[i].clone()),
                        def + 1,
                        r,
                    )?;
                    self.node(value, &o[keys[i]], def + 1, r, repeated + 1, depth + 1)
                        .map_err(|e| format!("map value {:?}: {e}", keys[i]))?;
                }
                Ok(())
            }
        }
    }

    fn leaf(&mut self, col: usize, leaf: Leaf, v: &Json, def: i16, rep: i16) -> Result<(), String> {
        let wrong = || format!("a {leaf:?} value cannot be {}", short(v));
        let int = || v.as_i64().ok_or_else(wrong);
        let bytes = || match v {
            Json::String(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| wrong()),
            _ => Err(wrong()),
        };
        let mut size = 0;
        match (&mut self.columns[col].values, leaf) {
            (Values::Boolean(out), _) => {
                out.push(v.as_bool().ok_or_else(wrong)?);
                size += 1;
            }
            (Values::Int32(out), _) => {
                out.push(i32::try_from(int()?).map_err(|_| wrong())?);
                size += 4;
            }
            (Values::Int64(out), _) => {
                out.push(int()?);
                size += 8;
            }
            (Values::Float(out), _) => {
                out.push(json_float(v).ok_or_else(wrong)? as f32);
                size += 4;
            }
            (Values::Double(out), _) => {
                out.push(json_float(v).ok_or_else(wrong)?);
                size += 8;
            }
            (Values::Bytes(out), Leaf::String) => {
                let s = v.as_str().ok_or_else(wrong)?;
                size += s.len() + BYTE_ARRAY_OVERHEAD;
                out.push(ByteArray::from(s.as_bytes().to_vec()));
            }
            (Values::Bytes(out), _) => {
                let b = bytes()?;
                size += b.len() + BYTE_ARRAY_OVERHEAD;
                out.push(ByteArray::from(b));
            }
            (Values::Fixed(out), Leaf::Fixed(n)) => {
                let b = bytes()?;
                if b.len() != n {
                    return Err(format!("a fixed of {n} bytes cannot hold {}", b.len()));
                }
                size += n + BYTE_ARRAY_OVERHEAD;
                out.push(FixedLenByteArray::from(b));
            }
            (Values::Fixed(_), _) => return Err(wrong()),
        }
        self.bytes += size;
        self.levels(col, def, rep);
        Ok(())
    }
}

/// A value as an error shows it: its JSON, cut short.
fn short(v: &Json) -> String {
    let s = v.to_string();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

sluice_sdk::export_formatter!(ParquetFormat);

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn format(codec: Codec, block_bytes: usize) -> ParquetFormat {
        ParquetFormat {
            codec,
            enhanced: true,
            meta: true,
            block_bytes,
            envelope: None,
            file: None,
        }
    }

    fn write_file(f: &mut ParquetFormat, schema: &Arc<Schema>, values: &[String]) -> Vec<u8> {
        sluice_sdk::testing::container_object(f, "orders", schema, values)
    }

    fn reader(body: Vec<u8>) -> SerializedFileReader<bytes::Bytes> {
        SerializedFileReader::new(bytes::Bytes::from(body)).unwrap()
    }

    fn rows(body: Vec<u8>) -> Vec<Json> {
        reader(body)
            .get_row_iter(None)
            .unwrap()
            .map(|r| r.unwrap().to_json_value())
            .collect()
    }

    fn schema_text(body: Vec<u8>) -> String {
        let r = reader(body);
        let mut out = Vec::new();
        parquet::schema::printer::print_schema(
            &mut out,
            &r.metadata()
                .file_metadata()
                .schema_descr()
                .root_schema_ptr(),
        );
        String::from_utf8(out).unwrap()
    }

    fn order() -> Schema {
        Schema::structure([
            Field::new("id", Schema::int64()),
            Field::new("qty", Schema::int16().optional()),
            Field::new(
                "note",
                Schema::string().optional().with_default(Json::from("n/a")),
            ),
            Field::new("price", Schema::decimal(2)),
            Field::new("ts", Schema::timestamp().optional()),
            Field::new("kv", Schema::map(Schema::int32(), Schema::string())),
            Field::new(
                "addr",
                Schema::structure([Field::new("city", Schema::string())]).optional(),
            ),
        ])
        .named("com.acme.Order")
    }

    fn squash(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn the_schema_is_what_parquet_avro_makes_of_confluents_avro_schema() {
        // The worked example of the research notes (AvroSchemaConverter
        // read, not run): 2-level lists, a non-string-key map as MapEntry
        // records, Decimal with AvroData's default precision 64.
        let schema = Arc::new(order());
        let mut f = format(Codec::Snappy, DEFAULT_BLOCK_BYTES);
        let body = write_file(
            &mut f,
            &schema,
            &[r#"{"id":1,"qty":null,"note":null,"price":"J3Q=","ts":null,"kv":[[1,"a"]],"addr":null}"#.into()],
        );
        let want = "message com.acme.Order { \
            REQUIRED INT64 id; OPTIONAL INT32 qty; OPTIONAL BYTE_ARRAY note (STRING); \
            REQUIRED BYTE_ARRAY price (DECIMAL(64,2)); OPTIONAL INT64 ts (TIMESTAMP(MILLIS,true)); \
            REQUIRED group kv (LIST) { REPEATED group array { REQUIRED INT32 key; REQUIRED BYTE_ARRAY value (STRING); } } \
            OPTIONAL group addr { REQUIRED BYTE_ARRAY city (STRING); } }";
        assert_eq!(squash(&schema_text(body.clone())), want);
        let r = reader(body);
        let kv = r.metadata().file_metadata().key_value_metadata().unwrap();
        assert_eq!(kv[0].key, "parquet.avro.schema");
        assert!(
            kv[0]
                .value
                .as_deref()
                .unwrap()
                .starts_with(r#"{"type":"record","name":"Order","namespace":"com.acme""#)
        );
        assert_eq!(
            (kv[1].key.as_str(), kv[1].value.as_deref()),
            ("writer.model.name", Some("avro"))
        );
        assert_eq!(r.metadata().file_metadata().created_by(), Some(CREATED_BY));
    }

    #[test]
    fn rows_read_back_across_row_groups() {
        let schema = Arc::new(order());
        // A small row-group size: the file gets several.
        let mut f = format(Codec::Gzip, 16 * 1024);
        let values: Vec<String> = (0..3000)
            .map(|i| {
                format!(
                    r#"{{"id":{i},"qty":{},"note":null,"price":"J3Q=","ts":{},"kv":[[{i},"a"],[2,"b"]],"addr":{}}}"#,
                    if i % 2 == 0 { "7".to_string() } else { "null".into() },
                    1_700_000_000_000i64 + i,
                    if i % 3 == 0 { "null" } else { r#"{"city":"Lyon"}"# },
                )
            })
            .collect();
        let body = write_file(&mut f, &schema, &values);
        assert!(reader(body.clone()).num_row_groups() > 1);
        let rows = rows(body);
        assert_eq!(rows.len(), 3000);
        assert_eq!(rows[2999]["id"], 2999);
        assert_eq!(rows[2998]["qty"], 7);
        assert_eq!(rows[2999]["qty"], Json::Null);
        // A null optional field with a default takes the default.
        assert_eq!(rows[5]["note"], "n/a");
        assert_eq!(rows[5]["addr"]["city"], "Lyon");
        assert_eq!(rows[6]["addr"], Json::Null);
        // parquet-rs's row reader takes 2-level lists (`kv`) for lists of
        // lists; pyarrow reads them right (tests/integration/s3_formats.rs).
    }

    #[test]
    fn every_codec_writes_the_same_bytes_for_the_same_records() {
        // What exactly once rests on: an object written again after a
        // crash is the same file, whatever the codec.
        let schema = Arc::new(order());
        let values: Vec<String> = (0..2000)
            .map(|i| {
                format!(
                    r#"{{"id":{i},"qty":3,"note":"n{i}","price":"J3Q=","ts":{},"kv":[],"addr":null}}"#,
                    1_700_000_000_000i64 + i
                )
            })
            .collect();
        let mut sizes = Vec::new();
        for codec in [
            Codec::None,
            Codec::Snappy,
            Codec::Gzip,
            Codec::Lz4Raw,
            Codec::Zstd,
        ] {
            let once = write_file(&mut format(codec, 16 * 1024), &schema, &values);
            let again = write_file(&mut format(codec, 16 * 1024), &schema, &values);
            assert!(once == again, "{codec:?} wrote different bytes");
            assert_eq!(rows(once.clone()).len(), 2000, "{codec:?}");
            sizes.push(once.len());
        }
        // Compression compresses: each codec's file is smaller than none's.
        assert!(sizes[1..].iter().all(|s| *s < sizes[0]), "{sizes:?}");
    }

    #[test]
    fn optional_items_make_three_level_lists_and_nulls_empties_and_maps_read_back() {
        let schema = Arc::new(Schema::structure([
            Field::new(
                "tags",
                Schema::array(Schema::string().optional()).optional(),
            ),
            Field::new("nums", Schema::array(Schema::int32())),
            Field::new(
                "attrs",
                Schema::map(Schema::string(), Schema::int64().optional()),
            ),
            Field::new(
                "lines",
                Schema::array(Schema::structure([
                    Field::new("sku", Schema::string()),
                    Field::new("n", Schema::array(Schema::int32())),
                ])),
            ),
        ]));
        let mut f = format(Codec::None, DEFAULT_BLOCK_BYTES);
        let values = [
            r#"{"tags":["a",null,"b"],"nums":[1,2],"attrs":{"x":1,"y":null},"lines":[{"sku":"s1","n":[1,2]},{"sku":"s2","n":[]}]}"#,
            r#"{"tags":null,"nums":[],"attrs":{},"lines":[]}"#,
            r#"{"tags":[],"nums":[3],"attrs":{"z":3},"lines":[{"sku":"s3","n":[4]}]}"#,
        ]
        .map(String::from);
        let body = write_file(&mut f, &schema, &values);
        let text = squash(&schema_text(body.clone()));
        assert!(
            text.contains("OPTIONAL group tags (LIST) { REPEATED group list { OPTIONAL BYTE_ARRAY element (STRING); } }"),
            "{text}"
        );
        assert!(
            text.contains("REQUIRED group attrs (MAP) { REPEATED group key_value (MAP_KEY_VALUE) { REQUIRED BYTE_ARRAY key (STRING); OPTIONAL INT64 value; } }"),
            "{text}"
        );
        let rows = rows(body);
        assert_eq!(rows[0]["tags"], serde_json::json!(["a", null, "b"]));
        assert_eq!(rows[0]["nums"], serde_json::json!([1, 2]));
        assert_eq!(rows[0]["attrs"], serde_json::json!({"x": 1, "y": null}));
        assert_eq!(
            rows[0]["lines"],
            serde_json::json!([{"sku": "s1", "n": [1, 2]}, {"sku": "s2", "n": []}])
        );
        assert_eq!(rows[1]["tags"], Json::Null);
        assert_eq!(rows[1]["nums"], serde_json::json!([]));
        assert_eq!(rows[1]["attrs"], serde_json::json!({}));
        assert_eq!(rows[2]["tags"], serde_json::json!([]));
        assert_eq!(
            rows[2]["lines"],
            serde_json::json!([{"sku": "s3", "n": [4]}])
        );
    }

    #[test]
    fn a_failed_record_leaves_no_partial_row() {
        let schema = Arc::new(Schema::structure([
            Field::new("id", Schema::int64()),
            // Optional items: 3-level lists, which parquet-rs reads back.
            Field::new("xs", Schema::array(Schema::int32().optional())),
        ]));
        let mut f = format(Codec::Snappy, DEFAULT_BLOCK_BYTES);
        let mut body = Vec::new();
        for (i, v) in [
            r#"{"id":1,"xs":[1]}"#,
            r#"{"id":2,"xs":[1,"two"]}"#,
            r#"{"id":3,"xs":[3]}"#,
        ]
        .iter()
        .enumerate()
        {
            let mut r = Record::new("orders", Some(v.as_bytes()));
            r.offset = i as i64;
            r.value_schema = Some(&schema);
            let mut out = Vec::new();
            let result = f.encode(&r, &mut out);
            if i == 1 {
                let e = result.unwrap_err();
                assert!(e.contains("orders partition 0 offset 1"), "{e}");
                assert!(e.contains("field xs: element 1"), "{e}");
            } else {
                result.unwrap();
            }
            if i == 0 {
                body.extend(f.header());
            }
            body.extend(out);
        }
        body.extend(f.trailer());
        let rows = rows(body);
        assert_eq!(
            rows,
            [
                serde_json::json!({"id":1,"xs":[1]}),
                serde_json::json!({"id":3,"xs":[3]})
            ]
        );
    }

    #[test]
    fn the_same_records_make_the_same_bytes() {
        let schema = Arc::new(order());
        let values: Vec<String> = (0..500)
            .map(|i| {
                format!(
                    r#"{{"id":{i},"qty":1,"note":"x{i}","price":"J3Q=","ts":1,"kv":[],"addr":null}}"#
                )
            })
            .collect();
        let a = write_file(&mut format(Codec::Snappy, 4096), &schema, &values);
        let b = write_file(&mut format(Codec::Snappy, 4096), &schema, &values);
        assert_eq!(a, b);
    }

    #[test]
    fn unions_enums_and_codecs() {
        let union = Schema::structure([
            Field::new("int", Schema::int32().optional()),
            Field::new("string", Schema::string().optional()),
        ])
        .named("io.confluent.connect.avro.Union")
        .optional();
        let mut color = Schema::string().named("Color");
        color.parameters = Some(vec![
            (
                "io.confluent.connect.avro.Enum".into(),
                "com.acme.Color".into(),
            ),
            ("io.confluent.connect.avro.Enum.RED".into(), "RED".into()),
            ("io.confluent.connect.avro.Enum.BLUE".into(), "BLUE".into()),
        ]);
        let schema = Arc::new(Schema::structure([
            Field::new("u", union),
            Field::new("color", color),
        ]));
        let values = [
            r#"{"u":{"int":5,"string":null},"color":"RED"}"#,
            r#"{"u":{"int":null,"string":"s"},"color":"BLUE"}"#,
            r#"{"u":null,"color":"RED"}"#,
        ]
        .map(String::from);
        for codec in [
            Codec::None,
            Codec::Snappy,
            Codec::Gzip,
            Codec::Lz4Raw,
            Codec::Zstd,
        ] {
            let body = write_file(&mut format(codec, DEFAULT_BLOCK_BYTES), &schema, &values);
            let text = squash(&schema_text(body.clone()));
            assert!(
                text.contains("OPTIONAL group u { OPTIONAL INT32 member0; OPTIONAL BYTE_ARRAY member1 (STRING); } REQUIRED BYTE_ARRAY color (ENUM);"),
                "{text}"
            );
            let rows = rows(body);
            assert_eq!(
                rows[0]["u"],
                serde_json::json!({"member0": 5, "member1": null}),
                "{codec:?}"
            );
            assert_eq!(rows[1]["u"]["member1"], "s");
            assert_eq!(rows[2]["u"], Json::Null);
            assert_eq!(rows[1]["color"], "BLUE");
        }
    }

    #[test]
    fn values_without_a_struct_schema_are_refused_with_the_record_named() {
        let mut f = format(Codec::Snappy, DEFAULT_BLOCK_BYTES);
        let r = Record::new("orders", Some(b"{}"));
        let e = f.encode(&r, &mut Vec::new()).unwrap_err();
        assert!(e.contains("schema-aware converter"), "{e}");
        let s = Arc::new(Schema::int64());
        let mut r = Record::new("orders", Some(b"5"));
        r.value_schema = Some(&s);
        let e = f.encode(&r, &mut Vec::new()).unwrap_err();
        assert!(
            e.contains("orders partition 0 offset 0") && e.contains("INT64"),
            "{e}"
        );
        assert!(
            Codec::parse("brotli")
                .unwrap_err()
                .contains("not available")
        );
        assert_eq!(Codec::parse("zstd"), Ok(Codec::Zstd));
        assert_eq!(Codec::parse("SNAPPY"), Ok(Codec::Snappy));
    }

    #[test]
    fn aivens_rows_hold_the_key_value_offset_and_timestamp() {
        let config = Config::new(
            ParquetFormat::INFO,
            vec![
                (
                    "format.output.fields".into(),
                    "key,value,offset,timestamp".into(),
                ),
                ("parquet.codec".into(), "none".into()),
                ("enhanced.avro.schema.support".into(), "false".into()),
            ],
        )
        .unwrap();
        let mut f = ParquetFormat::configure(&config).unwrap();
        let key = Arc::new(Schema::string().optional());
        let value = Arc::new(
            Schema::structure([
                Field::new("id", Schema::int32()),
                Field::new("note", Schema::string().optional()),
            ])
            .named("shop.Order"),
        );
        let mut body = Vec::new();
        for i in 0..3_i64 {
            let json = format!(r#"{{"id":{i},"note":null}}"#);
            let mut r = Record::new("orders", Some(json.as_bytes()));
            r.key = (i != 1).then_some(b"k".as_slice());
            r.key_kind = sluice_sdk::ValueKind::Text;
            r.key_schema = Some(&key);
            r.value_kind = sluice_sdk::ValueKind::Json;
            r.value_schema = Some(&value);
            r.offset = 40 + i;
            r.timestamp = Some(1_700_000_000_000 + i);
            let mut out = Vec::new();
            f.encode(&r, &mut out).unwrap();
            if i == 0 {
                body.extend(f.header());
            }
            body.extend(out);
        }
        body.extend(f.trailer());
        assert_eq!(
            squash(&schema_text(body.clone())),
            squash(
                "message io.aiven.parquet.output.schema.connector_records {
                   OPTIONAL BYTE_ARRAY key (STRING);
                   REQUIRED group value {
                     REQUIRED INT32 id;
                     OPTIONAL BYTE_ARRAY note (STRING);
                   }
                   REQUIRED INT64 offset;
                   REQUIRED INT64 timestamp;
                 }"
            )
        );
        assert_eq!(
            rows(body),
            [
                serde_json::json!({"key": "k", "value": {"id": 0, "note": null}, "offset": 40, "timestamp": 1_700_000_000_000_i64}),
                serde_json::json!({"key": null, "value": {"id": 1, "note": null}, "offset": 41, "timestamp": 1_700_000_000_001_i64}),
                serde_json::json!({"key": "k", "value": {"id": 2, "note": null}, "offset": 42, "timestamp": 1_700_000_000_002_i64}),
            ]
        );
    }
}
