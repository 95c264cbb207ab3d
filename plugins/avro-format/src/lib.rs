//! `avro-format` formatter: Confluent's S3
//! `io.confluent.connect.s3.format.avro.AvroFormat`. Each S3 object is one
//! Avro object container file: the header holds the Avro schema Confluent's
//! `AvroData.fromConnectSchema` makes of the first record's Connect value
//! schema (`connect.*` properties, `ConnectDefault` names, optional fields
//! as unions with null, logical types), then blocks of records of about
//! 64,000 bytes (`avro.codec`: `null`, `deflate`, `snappy` or `bzip2`), each closed
//! by the file's sync marker. A container format: the S3 sink gives every
//! object an instance of its own (`sluice.format.scope = object`), which
//! sees that object's records in order; apache-avro encodes each datum
//! and compresses each block. The sync marker is derived from the object's
//! first record, so an object written again after a crash has the same
//! bytes. See `docs/s3-formats.md`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use apache_avro::types::Value as Avro;
use base64::Engine as _;
use serde_json::Value as Json;
use sluice_sdk::java;
use sluice_sdk::schema::{DATE, DECIMAL, Schema, TIME, TIMESTAMP, Type};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, FormatInfo, Formatter, Plugin, PluginInfo, Record,
};

const UNION: &str = "io.confluent.connect.avro.Union";
const ENUM: &str = "io.confluent.connect.avro.Enum";
const RECORD_DOC: &str = "io.confluent.connect.avro.record.doc";
const FIELD_DOC: &str = "io.confluent.connect.avro.field.doc.";
const FIELD_DEFAULT: &str = "io.confluent.connect.avro.field.default";
const ENUM_DOC: &str = "io.confluent.connect.avro.enum.doc.";
const ENUM_DEFAULT: &str = "io.confluent.connect.avro.enum.default.";
const GENERAL_UNION: &str = "org.apache.kafka.connect.data.Union";
const DEFAULT_NAMESPACE: &str = "io.confluent.connect.avro";
const FIXED_SIZE: &str = "connect.fixed.size";
const PRECISION: &str = "connect.decimal.precision";
/// Java's `DataFileConstants.DEFAULT_SYNC_INTERVAL`: a block is written
/// once this many bytes of records are buffered.
const BLOCK_BYTES: usize = 64_000;
const MAX_DEPTH: usize = 64;

/// The compression of the blocks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Codec {
    Null,
    Deflate,
    Snappy,
    Bzip2,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Null => "null",
            Codec::Deflate => "deflate",
            Codec::Snappy => "snappy",
            Codec::Bzip2 => "bzip2",
        }
    }

    fn avro(self) -> apache_avro::Codec {
        match self {
            Codec::Null => apache_avro::Codec::Null,
            // Java's Deflater.DEFAULT_COMPRESSION (zlib's level 6).
            Codec::Deflate => apache_avro::Codec::Deflate(apache_avro::DeflateSettings::default()),
            Codec::Snappy => apache_avro::Codec::Snappy,
            // Level 9, commons-compress's default block size in Java.
            Codec::Bzip2 => apache_avro::Codec::Bzip2(apache_avro::Bzip2Settings::default()),
        }
    }
}

/// The file being written: its schema, the records buffered for the next
/// block, and what the header needs.
struct File {
    connect: Arc<Schema>,
    avro: apache_avro::Schema,
    /// The schema's JSON as Java's `Schema.toString()` writes it.
    json: String,
    marker: [u8; 16],
    block: Vec<u8>,
    count: i64,
}

/// The formatter, configured.
pub struct AvroFormat {
    codec: Codec,
    enhanced: bool,
    meta: bool,
    file: Option<File>,
}

impl Plugin for AvroFormat {
    const INFO: PluginInfo = PluginInfo {
        name: "avro-format",
        version: env!("CARGO_PKG_VERSION"),
        description: "Avro object container files, one per S3 object (Confluent's S3 AvroFormat)",
        config: &[
            ConfigKey::connect_classes("io.confluent.connect.s3.format.avro.AvroFormat"),
            ConfigKey::object_scoped(),
            ConfigKey::optional(
                "avro.codec",
                ConfigType::String,
                Some("null"),
                "The compression of the file's blocks: null, deflate, snappy or bzip2",
            ),
            ConfigKey::optional(
                "enhanced.avro.schema.support",
                ConfigType::Boolean,
                Some("true"),
                "Connect strings marked io.confluent.connect.avro.Enum are written as Avro enums",
            ),
            ConfigKey::optional(
                "connect.meta.data",
                ConfigType::Boolean,
                Some("true"),
                "The Connect schema's doc, version, parameters and defaults kept as connect.* properties",
            ),
            ConfigKey::optional(
                "schemas.cache.config",
                ConfigType::Integer,
                Some("1000"),
                "Accepted: each file converts its one schema once",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let codec = match config.get("avro.codec").unwrap_or("null") {
            "null" => Codec::Null,
            "deflate" => Codec::Deflate,
            "snappy" => Codec::Snappy,
            "bzip2" => Codec::Bzip2,
            other => {
                return Err(format!(
                    "avro.codec={other:?} is not a codec: use null, deflate, snappy or bzip2"
                ));
            }
        };
        Ok(AvroFormat {
            codec,
            enhanced: config.get_bool("enhanced.avro.schema.support"),
            meta: config.get_bool("connect.meta.data"),
            file: None,
        })
    }
}

impl Formatter for AvroFormat {
    fn info(&self) -> FormatInfo {
        FormatInfo {
            content_type: "avro/binary".into(),
            extension: ".avro".into(),
            prefix: Vec::new(),
            separator: Vec::new(),
            suffix: Vec::new(),
        }
    }

    fn header(&mut self) -> Vec<u8> {
        let Some(file) = &self.file else {
            return Vec::new();
        };
        let mut out = b"Obj\x01".to_vec();
        // The file's metadata, a map<bytes>, in the order Java's HashMap
        // holds it.
        let meta = [
            ("avro.schema", file.json.as_bytes()),
            ("avro.codec", self.codec.name().as_bytes()),
        ];
        let hashes: Vec<i32> = meta.iter().map(|(k, _)| java::string_hash(k)).collect();
        long(&mut out, meta.len() as i64);
        for i in java::hash_map_order(&hashes) {
            let (k, v) = meta[i];
            long(&mut out, k.len() as i64);
            out.extend_from_slice(k.as_bytes());
            long(&mut out, v.len() as i64);
            out.extend_from_slice(v);
        }
        long(&mut out, 0);
        out.extend_from_slice(&file.marker);
        out
    }

    fn trailer(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(file) = self.file.as_mut() {
            // A block that fails to compress cannot be reported here; the
            // codecs in use do not fail on bytes.
            let _ = flush(file, self.codec, &mut out);
        }
        out
    }

    fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        let at = || {
            format!(
                "{} partition {} offset {}",
                record.topic, record.partition, record.offset
            )
        };
        let Some(schema) = record.value_schema else {
            return Err(format!(
                "AvroFormat writes values with a schema, and the value of {} has none: read it with a schema-aware converter (AvroConverter, JsonConverter with schemas.enable=true)",
                at()
            ));
        };
        if self.file.is_none() {
            self.file = Some(self.open(schema, record)?);
        }
        let file = self.file.as_mut().expect("opened above");
        if !Arc::ptr_eq(&file.connect, schema) && *file.connect != **schema {
            return Err(format!(
                "Mismatching struct schema: the value of {} has another schema than the file's first record",
                at()
            ));
        }
        let payload: Json = match record.value {
            None => Json::Null,
            Some(bytes) => serde_json::from_slice(bytes)
                .map_err(|e| format!("the value of {} is not JSON: {e}", at()))?,
        };
        let shape = Shape {
            enhanced: self.enhanced,
        };
        let value = shape
            .value(&file.connect, &payload, 0)
            .map_err(|e| format!("the value of {} cannot be written as Avro: {e}", at()))?;
        let before = file.block.len();
        apache_avro::writer::datum::GenericDatumWriter::builder(&file.avro)
            .build()
            .and_then(|w| w.write_value(&mut file.block, value))
            .map_err(|e| format!("the value of {} cannot be written as Avro: {e}", at()))
            .inspect_err(|_| file.block.truncate(before))?;
        file.count += 1;
        if file.block.len() >= BLOCK_BYTES {
            flush(file, self.codec, out)?;
        }
        Ok(())
    }
}

impl AvroFormat {
    /// The file for a first record of schema `schema`.
    fn open(&self, schema: &Arc<Schema>, record: &Record<'_>) -> Result<File, String> {
        let mut ctx = FromConnect {
            enhanced: self.enhanced,
            meta: self.meta,
            defaults: 0,
            defined: Vec::new(),
        };
        let avro_type = ctx.schema(schema, 0)?;
        let mut json = String::new();
        avro_type.write(&mut json, None, &mut Vec::new());
        let avro = apache_avro::Schema::parse_str(&json)
            .map_err(|e| format!("the Avro schema made of the value's schema is refused: {e}"))?;
        Ok(File {
            connect: schema.clone(),
            avro,
            json,
            marker: marker(record),
            block: Vec::new(),
            count: 0,
        })
    }
}

/// Writes the buffered records as one block: count, size, data, marker.
fn flush(file: &mut File, codec: Codec, out: &mut Vec<u8>) -> Result<(), String> {
    if file.count == 0 {
        return Ok(());
    }
    let mut data = std::mem::take(&mut file.block);
    codec
        .avro()
        .compress(&mut data)
        .map_err(|e| format!("compressing a block: {e}"))?;
    long(out, file.count);
    long(out, data.len() as i64);
    out.extend_from_slice(&data);
    out.extend_from_slice(&file.marker);
    file.count = 0;
    Ok(())
}

/// Avro's `long`: a zig-zag varint.
fn long(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The file's sync marker, from its first record's topic, partition and
/// offset (FNV-1a, twice): the same object always gets the same marker.
fn marker(record: &Record<'_>) -> [u8; 16] {
    let fnv = |seed: u64| {
        let mut h = seed;
        for b in record
            .topic
            .bytes()
            .chain(record.partition.to_le_bytes())
            .chain(record.offset.to_le_bytes())
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    let mut m = [0u8; 16];
    m[..8].copy_from_slice(&fnv(0xcbf2_9ce4_8422_2325).to_le_bytes());
    m[8..].copy_from_slice(&fnv(0x6c62_272e_07bb_0142).to_le_bytes());
    m
}

/// An Avro type as Confluent's `AvroData` makes it, with its properties in
/// Java's order.
#[derive(Clone, Debug)]
enum AvroType {
    Null,
    Primitive(&'static str, Props),
    Record {
        name: String,
        doc: Option<String>,
        fields: Vec<AvroField>,
        props: Props,
    },
    Enum {
        name: String,
        doc: Option<String>,
        symbols: Vec<String>,
        default: Option<String>,
        props: Props,
    },
    Fixed {
        name: String,
        size: usize,
        props: Props,
    },
    Array(Box<AvroType>, Props),
    Map(Box<AvroType>, Props),
    Union(Vec<AvroType>),
}

type Props = Vec<(String, Json)>;

#[derive(Clone, Debug)]
struct AvroField {
    name: String,
    ty: AvroType,
    doc: Option<String>,
    default: Option<Json>,
}

/// Java's `JsonProperties`: `"name":value` pairs after the type's own keys.
fn write_props(out: &mut String, props: &Props) {
    for (k, v) in props {
        let _ = write!(out, ",{}:{v}", Json::String(k.clone()));
    }
}

fn split(full: &str) -> (Option<&str>, &str) {
    match full.rsplit_once('.') {
        Some((ns, n)) => (Some(ns), n),
        None => (None, full),
    }
}

/// Opens named type `full` of `kind` (`{"type":…,"name":…,"namespace":…,"doc":…`),
/// or, when it was written before, writes a reference to it and returns
/// false: Java writes a named type once, then refers to it by name (the
/// full name only where the namespace differs).
fn open_named(
    out: &mut String,
    kind: &str,
    full: &str,
    doc: Option<&String>,
    enclosing: Option<&str>,
    written: &mut Vec<String>,
) -> bool {
    let (ns, name) = split(full);
    if written.iter().any(|w| w == full) {
        let shown = if ns == enclosing { name } else { full };
        let _ = write!(out, "{}", Json::String(shown.into()));
        return false;
    }
    written.push(full.to_string());
    let _ = write!(
        out,
        "{{\"type\":\"{kind}\",\"name\":{}",
        Json::String(name.into())
    );
    if ns != enclosing {
        let _ = write!(
            out,
            ",\"namespace\":{}",
            Json::String(ns.unwrap_or("").into())
        );
    }
    if let Some(d) = doc {
        let _ = write!(out, ",\"doc\":{}", Json::String(d.clone()));
    }
    true
}

impl AvroType {
    /// Java's `Schema.toString()`: compact, named types written once and
    /// then referred to by name, a namespace only where it changes.
    fn write(&self, out: &mut String, enclosing: Option<&str>, written: &mut Vec<String>) {
        match self {
            AvroType::Null => out.push_str("\"null\""),
            AvroType::Primitive(t, props) if props.is_empty() => {
                let _ = write!(out, "\"{t}\"");
            }
            AvroType::Primitive(t, props) => {
                let _ = write!(out, "{{\"type\":\"{t}\"");
                write_props(out, props);
                out.push('}');
            }
            AvroType::Record {
                name,
                doc,
                fields,
                props,
            } => {
                if !open_named(out, "record", name, doc.as_ref(), enclosing, written) {
                    return;
                }
                out.push_str(",\"fields\":[");
                let inner = split(name).0;
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{{\"name\":{},\"type\":", Json::String(f.name.clone()));
                    f.ty.write(out, inner, written);
                    if let Some(d) = &f.doc {
                        let _ = write!(out, ",\"doc\":{}", Json::String(d.clone()));
                    }
                    if let Some(d) = &f.default {
                        let _ = write!(out, ",\"default\":{d}");
                    }
                    out.push('}');
                }
                out.push(']');
                write_props(out, props);
                out.push('}');
            }
            AvroType::Enum {
                name,
                doc,
                symbols,
                default,
                props,
            } => {
                if !open_named(out, "enum", name, doc.as_ref(), enclosing, written) {
                    return;
                }
                let _ = write!(out, ",\"symbols\":{}", Json::from(symbols.clone()));
                if let Some(d) = default {
                    let _ = write!(out, ",\"default\":{}", Json::String(d.clone()));
                }
                write_props(out, props);
                out.push('}');
            }
            AvroType::Fixed { name, size, props } => {
                if !open_named(out, "fixed", name, None, enclosing, written) {
                    return;
                }
                let _ = write!(out, ",\"size\":{size}");
                write_props(out, props);
                out.push('}');
            }
            AvroType::Array(items, props) => {
                out.push_str("{\"type\":\"array\",\"items\":");
                items.write(out, enclosing, written);
                write_props(out, props);
                out.push('}');
            }
            AvroType::Map(values, props) => {
                out.push_str("{\"type\":\"map\",\"values\":");
                values.write(out, enclosing, written);
                write_props(out, props);
                out.push('}');
            }
            AvroType::Union(branches) => {
                out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    b.write(out, enclosing, written);
                }
                out.push(']');
            }
        }
    }
}

/// `AvroData.fromConnectSchema` with the S3 sink's settings.
struct FromConnect {
    enhanced: bool,
    meta: bool,
    /// `ConnectDefault` names given so far.
    defaults: usize,
    /// Non-optional Connect schemas already converted: the same Avro type.
    defined: Vec<(Schema, AvroType)>,
}

fn is_union(s: &Schema) -> bool {
    s.name.as_deref() == Some(UNION) || s.parameter(GENERAL_UNION).is_some()
}

fn is_enum(s: &Schema, enhanced: bool) -> bool {
    enhanced && s.ty == Type::String && s.parameter(ENUM).is_some()
}

impl FromConnect {
    fn next_default(&mut self) -> String {
        self.defaults += 1;
        if self.defaults == 1 {
            format!("{DEFAULT_NAMESPACE}.ConnectDefault")
        } else {
            format!("{DEFAULT_NAMESPACE}.ConnectDefault{}", self.defaults)
        }
    }

    /// The connect.* properties of `s` (AD 1006-1037), then its `avro*`
    /// parameters.
    fn props(&self, s: &Schema, mut own: Props) -> Props {
        let mut props = Vec::new();
        if self.meta {
            if let Some(d) = &s.doc {
                props.push(("connect.doc".into(), Json::String(d.clone())));
            }
            if let Some(v) = s.version {
                props.push(("connect.version".into(), Json::from(v)));
            }
            let params: serde_json::Map<String, Json> = s
                .parameters
                .iter()
                .flatten()
                .filter(|(k, _)| k != FIELD_DEFAULT)
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect();
            if !params.is_empty() {
                props.push(("connect.parameters".into(), Json::Object(params)));
            }
            if let Some(d) = &s.default
                && s.parameter(FIELD_DEFAULT).is_none()
            {
                props.push(("connect.default".into(), default_json(s, d)));
            }
            if let Some(n) = &s.name {
                props.push(("connect.name".into(), Json::String(n.clone())));
            }
            match s.ty {
                Type::Int8 => props.push(("connect.type".into(), "int8".into())),
                Type::Int16 => props.push(("connect.type".into(), "int16".into())),
                _ => {}
            }
        }
        props.append(&mut own);
        for (k, v) in s.parameters.iter().flatten() {
            if k.starts_with("avro") {
                props.push((k.clone(), Json::String(v.clone())));
            }
        }
        props
    }

    /// The Avro type of `s`, optional schemas as unions with null.
    fn schema(&mut self, s: &Schema, depth: usize) -> Result<AvroType, String> {
        if depth > MAX_DEPTH {
            return Err("the schema nests too deep".into());
        }
        if matches!(s.ty, Type::Struct(_)) && s.optional && !is_union(s) {
            let mut required = s.clone();
            required.optional = false;
            return Ok(AvroType::Union(vec![
                AvroType::Null,
                self.schema(&required, depth + 1)?,
            ]));
        }
        if is_union(s) {
            let mut branches = Vec::new();
            if s.optional {
                branches.push(AvroType::Null);
            }
            for f in s.fields() {
                let mut member = f.schema.clone();
                member.optional = false;
                branches.push(self.schema(&member, depth + 1)?);
            }
            return Ok(AvroType::Union(branches));
        }
        let base = self.base(s, depth)?;
        if s.optional {
            return Ok(if s.default.as_ref().is_some_and(|d| !d.is_null()) {
                AvroType::Union(vec![base, AvroType::Null])
            } else {
                AvroType::Union(vec![AvroType::Null, base])
            });
        }
        Ok(base)
    }

    /// The non-union type of `s`, with its properties.
    fn base(&mut self, s: &Schema, depth: usize) -> Result<AvroType, String> {
        let key = {
            let mut k = s.clone();
            k.optional = false;
            k
        };
        if let Some((_, t)) = self.defined.iter().find(|(d, _)| *d == key) {
            return Ok(t.clone());
        }
        let name = s.name.as_deref();
        let t = match &s.ty {
            Type::Int8 | Type::Int16 | Type::Int32 => {
                let mut own = Vec::new();
                match name {
                    Some(DATE) => own.push(("logicalType".into(), "date".into())),
                    Some(TIME) => own.push(("logicalType".into(), "time-millis".into())),
                    _ => {}
                }
                AvroType::Primitive("int", self.props(s, own))
            }
            Type::Int64 => {
                let own = if name == Some(TIMESTAMP) {
                    vec![("logicalType".into(), "timestamp-millis".into())]
                } else {
                    Vec::new()
                };
                AvroType::Primitive("long", self.props(s, own))
            }
            Type::Float32 => AvroType::Primitive("float", self.props(s, Vec::new())),
            Type::Float64 => AvroType::Primitive("double", self.props(s, Vec::new())),
            Type::Boolean => AvroType::Primitive("boolean", self.props(s, Vec::new())),
            Type::String if is_enum(s, self.enhanced) => {
                let full = s.parameter(ENUM).unwrap_or_default().to_string();
                let simple = s
                    .name
                    .as_deref()
                    .map_or(full.as_str(), |n| split(n).1)
                    .to_string();
                let prefix = format!("{ENUM}.");
                let symbols = s
                    .parameters
                    .iter()
                    .flatten()
                    .filter_map(|(k, _)| k.strip_prefix(&prefix).map(String::from))
                    .collect();
                AvroType::Enum {
                    name: full,
                    doc: s
                        .parameter(&format!("{ENUM_DOC}{simple}"))
                        .map(String::from),
                    symbols,
                    default: s
                        .parameter(&format!("{ENUM_DEFAULT}{simple}"))
                        .map(String::from),
                    props: self.props(s, Vec::new()),
                }
            }
            Type::String => AvroType::Primitive("string", self.props(s, Vec::new())),
            Type::Bytes => {
                if let (Some(n), Some(size)) = (name, s.parameter(FIXED_SIZE)) {
                    AvroType::Fixed {
                        name: n.to_string(),
                        size: size
                            .parse()
                            .map_err(|_| format!("{FIXED_SIZE} {size:?} is not a size"))?,
                        props: self.props(s, Vec::new()),
                    }
                } else if name == Some(DECIMAL) {
                    let scale: i64 = s
                        .parameter("scale")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let precision: i64 = s
                        .parameter(PRECISION)
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(64);
                    let mut props = vec![
                        ("scale".to_string(), Json::from(scale)),
                        ("precision".to_string(), Json::from(precision)),
                    ];
                    props
                        .append(&mut self.props(s, vec![("logicalType".into(), "decimal".into())]));
                    AvroType::Primitive("bytes", props)
                } else {
                    AvroType::Primitive("bytes", self.props(s, Vec::new()))
                }
            }
            Type::Array(items) => {
                let items = self.schema(items, depth + 1)?;
                AvroType::Array(Box::new(items), self.props(s, Vec::new()))
            }
            Type::Map(keys, values) if keys.ty == Type::String && !keys.optional => {
                let values = self.schema(values, depth + 1)?;
                AvroType::Map(Box::new(values), self.props(s, Vec::new()))
            }
            Type::Map(keys, values) => {
                let (entry, props) = match name {
                    None => (format!("{DEFAULT_NAMESPACE}.MapEntry"), Vec::new()),
                    Some(n) => (
                        n.to_string(),
                        vec![("connect.internal.type".to_string(), Json::from("MapEntry"))],
                    ),
                };
                let fields = vec![
                    self.field("key", keys, None, depth)?,
                    self.field("value", values, None, depth)?,
                ];
                let record = AvroType::Record {
                    name: entry,
                    doc: None,
                    fields,
                    props,
                };
                AvroType::Array(Box::new(record), self.props(s, Vec::new()))
            }
            Type::Struct(fields) => {
                let full = match name {
                    Some(n) => n.to_string(),
                    None => self.next_default(),
                };
                let mut out = Vec::new();
                for f in fields {
                    let doc = s
                        .parameter(&format!("{FIELD_DOC}{}", f.name))
                        .map(String::from);
                    out.push(self.field(&f.name, &f.schema, doc, depth)?);
                }
                AvroType::Record {
                    name: full,
                    doc: s.parameter(RECORD_DOC).map(String::from),
                    fields: out,
                    props: self.props(s, Vec::new()),
                }
            }
        };
        self.defined.push((key, t.clone()));
        Ok(t)
    }

    /// A record field: its type, doc and default (AD 1234-1273).
    fn field(
        &mut self,
        name: &str,
        s: &Schema,
        doc: Option<String>,
        depth: usize,
    ) -> Result<AvroField, String> {
        let ty = self.schema(s, depth + 1)?;
        let default = match &s.default {
            // An optional struct's default does not fit its null branch:
            // Java drops it with a warning.
            Some(d) if !(d.is_null() || s.optional && matches!(s.ty, Type::Struct(_))) => {
                Some(default_json(s, d))
            }
            _ if s.optional => Some(Json::Null),
            _ => None,
        };
        Ok(AvroField {
            name: name.to_string(),
            ty,
            doc,
            default,
        })
    }
}

/// A Connect default in the JSON Avro's schemas use: bytes (and decimals)
/// as ISO-8859-1 strings of the raw bytes, non-string-key maps as
/// `[key, value]` pairs.
fn default_json(s: &Schema, d: &Json) -> Json {
    match (&s.ty, d) {
        (Type::Bytes, Json::String(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map(|bytes| Json::String(bytes.iter().map(|&b| char::from(b)).collect()))
            .unwrap_or_else(|_| d.clone()),
        _ => d.clone(),
    }
}

/// Connect values (`JsonConverter`'s payload form) as Avro values of the
/// type `FromConnect` made of their schema.
struct Shape {
    enhanced: bool,
}

impl Shape {
    /// The value of `s`, wrapped in its union branch when `s` is optional.
    fn value(&self, s: &Schema, v: &Json, depth: usize) -> Result<Avro, String> {
        if depth > MAX_DEPTH {
            return Err("the value nests too deep".into());
        }
        let v = if v.is_null() {
            s.default.as_ref().unwrap_or(v)
        } else {
            v
        };
        if is_union(s) {
            let offset = u32::from(s.optional);
            for (i, f) in s.fields().iter().enumerate() {
                let member = &v[f.name.as_str()];
                if !member.is_null() {
                    let mut required = f.schema.clone();
                    required.optional = false;
                    let inner = self.value(&required, member, depth + 1)?;
                    return Ok(Avro::Union(i as u32 + offset, Box::new(inner)));
                }
            }
            return if s.optional {
                Ok(Avro::Union(0, Box::new(Avro::Null)))
            } else {
                Err("Found null value for non-optional union".into())
            };
        }
        if !s.optional {
            if v.is_null() {
                return Err(format!(
                    "Found null value for non-optional schema {}",
                    s.ty.connect_name()
                ));
            }
            return self.base(s, v, depth);
        }
        // Optional: null first unless a non-null default put the type
        // first (structs always have null first).
        let value_first =
            !matches!(s.ty, Type::Struct(_)) && s.default.as_ref().is_some_and(|d| !d.is_null());
        let (null_index, value_index) = if value_first { (1, 0) } else { (0, 1) };
        if v.is_null() {
            return Ok(Avro::Union(null_index, Box::new(Avro::Null)));
        }
        Ok(Avro::Union(value_index, Box::new(self.base(s, v, depth)?)))
    }

    fn base(&self, s: &Schema, v: &Json, depth: usize) -> Result<Avro, String> {
        let wrong = || format!("a {} value cannot be {v}", s.ty.connect_name());
        let int = || v.as_i64().ok_or_else(wrong);
        Ok(match &s.ty {
            Type::Int8 | Type::Int16 | Type::Int32 => {
                let i = i32::try_from(int()?).map_err(|_| wrong())?;
                match s.name.as_deref() {
                    Some(DATE) => Avro::Date(i),
                    Some(TIME) => Avro::TimeMillis(i),
                    _ => Avro::Int(i),
                }
            }
            Type::Int64 => match s.name.as_deref() {
                Some(TIMESTAMP) => Avro::TimestampMillis(int()?),
                _ => Avro::Long(int()?),
            },
            Type::Float32 => Avro::Float(float(v).ok_or_else(wrong)? as f32),
            Type::Float64 => Avro::Double(float(v).ok_or_else(wrong)?),
            Type::Boolean => Avro::Boolean(v.as_bool().ok_or_else(wrong)?),
            Type::String if is_enum(s, self.enhanced) => {
                let symbol = v.as_str().ok_or_else(wrong)?;
                let prefix = format!("{ENUM}.");
                let index = s
                    .parameters
                    .iter()
                    .flatten()
                    .filter_map(|(k, _)| k.strip_prefix(&prefix))
                    .position(|sym| sym == symbol)
                    .ok_or_else(|| format!("{symbol:?} is not a symbol of the enum"))?;
                Avro::Enum(index as u32, symbol.to_string())
            }
            Type::String => Avro::String(v.as_str().ok_or_else(wrong)?.to_string()),
            Type::Bytes => {
                let bytes = match v {
                    Json::String(b64) => base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map_err(|_| wrong())?,
                    _ => return Err(wrong()),
                };
                if s.name.is_some() && s.parameter(FIXED_SIZE).is_some() {
                    Avro::Fixed(bytes.len(), bytes)
                } else if s.name.as_deref() == Some(DECIMAL) {
                    Avro::Decimal(apache_avro::Decimal::from(bytes))
                } else {
                    Avro::Bytes(bytes)
                }
            }
            Type::Array(items) => Avro::Array(
                v.as_array()
                    .ok_or_else(wrong)?
                    .iter()
                    .map(|i| self.value(items, i, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Type::Map(keys, values) if keys.ty == Type::String && !keys.optional => {
                let o = v.as_object().ok_or_else(wrong)?;
                let mut m = HashMap::with_capacity(o.len());
                for (k, val) in o {
                    m.insert(k.clone(), self.value(values, val, depth + 1)?);
                }
                Avro::Map(m)
            }
            Type::Map(keys, values) => {
                // JsonConverter's form of a map with other keys: pairs;
                // a string-keyed optional-key map comes as an object.
                let pairs: Vec<(Json, Json)> = match v {
                    Json::Array(pairs) => pairs
                        .iter()
                        .map(|p| match p.as_array().map(Vec::as_slice) {
                            Some([k, val]) => Ok((k.clone(), val.clone())),
                            _ => Err(wrong()),
                        })
                        .collect::<Result<_, _>>()?,
                    Json::Object(o) => o
                        .iter()
                        .map(|(k, val)| (Json::String(k.clone()), val.clone()))
                        .collect(),
                    _ => return Err(wrong()),
                };
                Avro::Array(
                    pairs
                        .iter()
                        .map(|(k, val)| {
                            Ok(Avro::Record(vec![
                                ("key".into(), self.value(keys, k, depth + 1)?),
                                ("value".into(), self.value(values, val, depth + 1)?),
                            ]))
                        })
                        .collect::<Result<_, String>>()?,
                )
            }
            Type::Struct(fields) => {
                let o = v.as_object().ok_or_else(wrong)?;
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    let fv = o.get(&f.name).unwrap_or(&Json::Null);
                    let value = self
                        .value(&f.schema, fv, depth + 1)
                        .map_err(|e| format!("field {}: {e}", f.name))?;
                    out.push((f.name.clone(), value));
                }
                Avro::Record(out)
            }
        })
    }
}

/// A float from its JSON form: a number, or Jackson's `NaN`/`Infinity`.
fn float(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

sluice_sdk::export_formatter!(AvroFormat);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sdk::schema::Field;

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
        .with_version(2)
        .with_doc("an order")
    }

    fn avro_json(s: &Schema) -> String {
        let mut ctx = FromConnect {
            enhanced: true,
            meta: true,
            defaults: 0,
            defined: Vec::new(),
        };
        let t = ctx.schema(s, 0).unwrap();
        let mut out = String::new();
        t.write(&mut out, None, &mut Vec::new());
        out
    }

    /// A whole object as the S3 sink assembles it: each record encoded in
    /// turn, the header after the first, the trailer at the end.
    fn write_file(f: &mut AvroFormat, schema: &Arc<Schema>, values: &[String]) -> Vec<u8> {
        let mut body = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let mut r = Record::new("orders", Some(v.as_bytes()));
            r.offset = i as i64;
            r.value_schema = Some(schema);
            let mut out = Vec::new();
            f.encode(&r, &mut out).unwrap();
            if i == 0 {
                body.extend(f.header());
            }
            body.extend(out);
        }
        body.extend(f.trailer());
        body
    }

    #[test]
    fn schemas_are_written_as_javas_avro_data_writes_them() {
        // The worked example of the research notes (AvroData read, not run).
        let want = concat!(
            r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"id","type":"long"},"#,
            r#"{"name":"qty","type":["null",{"type":"int","connect.type":"int16"}],"default":null},"#,
            r#"{"name":"note","type":[{"type":"string","connect.default":"n/a"},"null"],"default":"n/a"},"#,
            r#"{"name":"price","type":{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}},"#,
            r#"{"name":"ts","type":["null",{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}],"default":null},"#,
            r#"{"name":"kv","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}},"#,
            r#"{"name":"addr","type":["null",{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"city","type":"string"}]}],"default":null}],"#,
            r#""connect.doc":"an order","connect.version":2,"connect.name":"com.acme.Order"}"#
        );
        assert_eq!(avro_json(&order()), want);
        apache_avro::Schema::parse_str(want).unwrap();
    }

    #[test]
    fn a_file_holds_blocks_an_avro_reader_reads_back() {
        let schema = Arc::new(order());
        let mut f = AvroFormat {
            codec: Codec::Deflate,
            enhanced: true,
            meta: true,
            file: None,
        };
        let values: Vec<String> = (0..3000)
            .map(|i| {
                format!(
                    r#"{{"id":{i},"qty":null,"note":null,"price":"J3Q=","ts":{},"kv":[[1,"a"]],"addr":{{"city":"Lyon"}}}}"#,
                    1_700_000_000_000i64 + i
                )
            })
            .collect();
        let body = write_file(&mut f, &schema, &values);
        let reader = apache_avro::Reader::new(body.as_slice()).unwrap();
        let read: Vec<Avro> = reader.map(Result::unwrap).collect();
        assert_eq!(read.len(), 3000);
        let Avro::Record(fields) = &read[2999] else {
            panic!("{:?}", read[2999])
        };
        assert_eq!(fields[0], ("id".into(), Avro::Long(2999)));
        // A null optional field with a default takes the default.
        assert_eq!(
            fields[2],
            (
                "note".into(),
                Avro::Union(0, Box::new(Avro::String("n/a".into())))
            )
        );
    }

    #[test]
    fn every_codec_confluent_takes_is_read_back() {
        let schema = Arc::new(Schema::structure([Field::new("x", Schema::string())]));
        for codec in [Codec::Null, Codec::Deflate, Codec::Snappy, Codec::Bzip2] {
            let mut f = AvroFormat {
                codec,
                enhanced: true,
                meta: true,
                file: None,
            };
            let values: Vec<String> = (0..100)
                .map(|i| format!(r#"{{"x":"value {i}"}}"#))
                .collect();
            let body = write_file(&mut f, &schema, &values);
            let reader = apache_avro::Reader::new(body.as_slice()).unwrap();
            assert_eq!(reader.count(), 100, "{codec:?}");
        }
    }

    #[test]
    fn records_without_a_schema_or_of_another_schema_fail_with_the_record_named() {
        let mut f = AvroFormat {
            codec: Codec::Null,
            enhanced: true,
            meta: true,
            file: None,
        };
        let r = Record::new("orders", Some(b"{}"));
        let e = f.encode(&r, &mut Vec::new()).unwrap_err();
        assert!(e.contains("orders partition 0 offset 0"), "{e}");
        assert!(e.contains("schema-aware converter"), "{e}");
        let a = Arc::new(Schema::structure([Field::new("x", Schema::int32())]));
        let b = Arc::new(Schema::structure([Field::new("y", Schema::int32())]));
        let mut r = Record::new("orders", Some(br#"{"x":1}"#));
        r.value_schema = Some(&a);
        f.encode(&r, &mut Vec::new()).unwrap();
        let mut r = Record::new("orders", Some(br#"{"y":1}"#));
        r.value_schema = Some(&b);
        let e = f.encode(&r, &mut Vec::new()).unwrap_err();
        assert!(e.contains("Mismatching struct schema"), "{e}");
    }
}
