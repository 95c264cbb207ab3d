//! `avro-format` formatter: Confluent's S3
//! `io.confluent.connect.s3.format.avro.AvroFormat`. Each S3 object is one
//! Avro object container file: the header holds the Avro schema Confluent's
//! `AvroData.fromConnectSchema` makes of the first record's Connect value
//! schema (`connect.*` properties, `ConnectDefault` names, optional fields
//! as unions with null, logical types), then blocks of records of about
//! 64,000 bytes (`avro.codec`: `null`, `deflate`, `snappy`, `bzip2` or `zstandard`), each closed
//! by the file's sync marker. A container format: the S3 sink gives every
//! object an instance of its own (`sluice.format.scope = object`), which
//! sees that object's records in order; apache-avro encodes each datum
//! and compresses each block. The sync marker is derived from the object's
//! first record, so an object written again after a crash has the same
//! bytes. With `format.output.fields` each datum is instead Aiven's
//! `connector_records` row of the key, value, offset and timestamp
//! (`sluice_sdk::envelope`), as Aiven's S3 sink writes
//! `format.output.type=avro`. See `docs/s3-formats.md`.

use std::collections::HashMap;
use std::sync::Arc;

use apache_avro::types::Value as Avro;
use base64::Engine as _;
use serde_json::Value as Json;
use sluice_sdk::avro_data::{
    ENUM, FIXED_SIZE, FromConnect, MAX_DEPTH, is_enum, is_union, json_float, place, value_schema,
};
use sluice_sdk::envelope::{self, Envelope, same_schema};
use sluice_sdk::java;
use sluice_sdk::schema::{DATE, DECIMAL, Schema, TIME, TIMESTAMP, Type};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, FormatInfo, Formatter, Plugin, PluginInfo, Record,
};

/// Java's `DataFileConstants.DEFAULT_SYNC_INTERVAL`: a block is written
/// once this many bytes of records are buffered.
const BLOCK_BYTES: usize = 64_000;

/// The compression of the blocks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Codec {
    Null,
    Deflate,
    Snappy,
    Bzip2,
    /// Avro's `zstandard`, at about zstd's level 1: ruzstd's one level so
    /// far (Java's default is 3).
    Zstandard,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Null => "null",
            Codec::Deflate => "deflate",
            Codec::Snappy => "snappy",
            Codec::Bzip2 => "bzip2",
            Codec::Zstandard => "zstandard",
        }
    }

    /// Compresses a block's data in place.
    fn compress(self, data: &mut Vec<u8>) -> Result<(), String> {
        if self == Codec::Zstandard {
            // apache-avro's zstandard is C code: ruzstd is pure Rust.
            *data = ruzstd::encoding::compress_to_vec(
                data.as_slice(),
                ruzstd::encoding::CompressionLevel::Fastest,
            );
            return Ok(());
        }
        self.avro()
            .compress(data)
            .map_err(|e| format!("compressing a block: {e}"))
    }

    fn avro(self) -> apache_avro::Codec {
        match self {
            Codec::Null => apache_avro::Codec::Null,
            // Java's Deflater.DEFAULT_COMPRESSION (zlib's level 6).
            Codec::Deflate => apache_avro::Codec::Deflate(apache_avro::DeflateSettings::default()),
            Codec::Snappy => apache_avro::Codec::Snappy,
            // Level 9, commons-compress's default block size in Java.
            Codec::Bzip2 => apache_avro::Codec::Bzip2(apache_avro::Bzip2Settings::default()),
            Codec::Zstandard => unreachable!("compressed by ruzstd"),
        }
    }
}

/// The namespace of Aiven's rows in Avro files.
const AIVEN_NAMESPACE: &str = "io.aiven.avro.output.schema";

/// The file being written: its schema, the records buffered for the next
/// block, and what the header needs.
struct File {
    /// The value's and (in Aiven's rows) the key's schema of the file's
    /// first record, which every record of the file must have.
    value: Option<Arc<Schema>>,
    key: Option<Arc<Schema>>,
    /// The schema of Aiven's row, when the rows are not the values.
    row: Option<Schema>,
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
    /// Aiven's rows, when `format.output.fields` is set.
    envelope: Option<Envelope>,
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
                "The compression of the file's blocks: null, deflate, snappy, bzip2 or zstandard (Sluice's; Confluent takes the first four)",
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
            envelope::FIELDS_KEY,
            envelope::ENVELOPE_KEY,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let codec = match config.get("avro.codec").unwrap_or("null") {
            "null" => Codec::Null,
            "deflate" => Codec::Deflate,
            "snappy" => Codec::Snappy,
            "bzip2" => Codec::Bzip2,
            "zstandard" | "zstd" => Codec::Zstandard,
            other => {
                return Err(format!(
                    "avro.codec={other:?} is not a codec: use null, deflate, snappy, bzip2 or zstandard"
                ));
            }
        };
        Ok(AvroFormat {
            codec,
            enhanced: config.get_bool("enhanced.avro.schema.support"),
            meta: config.get_bool("connect.meta.data"),
            envelope: Envelope::from_config(config)?,
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
        let at = || place(record);
        let (key, value) = match &self.envelope {
            None => (None, Some(value_schema(record, "AvroFormat")?)),
            Some(e) => e.schemas(record)?,
        };
        if self.file.is_none() {
            self.file = Some(self.open(key, value, record)?);
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
        let shape = Shape {
            enhanced: self.enhanced,
        };
        let (schema, payload) = match (&file.row, &self.envelope, value) {
            (Some(row), Some(e), _) => (row, e.payload(record)?),
            (_, _, Some(schema)) => (
                &**schema,
                match record.value {
                    None => Json::Null,
                    Some(bytes) => serde_json::from_slice(bytes)
                        .map_err(|e| format!("the value of {} is not JSON: {e}", at()))?,
                },
            ),
            _ => return Err(format!("the row of {} has no schema", at())),
        };
        let value = shape
            .value(schema, &payload, 0)
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
    /// The file for a first record whose key and value have the schemas
    /// `key` and `value` (the key's only in Aiven's rows that hold it).
    fn open(
        &self,
        key: Option<&Arc<Schema>>,
        value: Option<&Arc<Schema>>,
        record: &Record<'_>,
    ) -> Result<File, String> {
        let row = match &self.envelope {
            Some(e) => e.row(key, value, AIVEN_NAMESPACE, self.enhanced, self.meta)?,
            None => None,
        };
        let (row, avro) = match (row, value) {
            (Some(row), _) => (Some(row.connect), row.avro),
            (None, Some(v)) => (None, FromConnect::new(self.enhanced, self.meta).schema(v)?),
            (None, None) => return Err("a row needs the value's schema".into()),
        };
        if row.is_none() {
            sluice_sdk::avro_data::clashing_names(&[("value", &avro)])?;
        }
        let json = avro.to_json();
        let avro = apache_avro::Schema::parse_str(&avro.to_parsable_json())
            .map_err(|e| format!("the Avro schema made of the record's schemas is refused: {e}"))?;
        Ok(File {
            value: value.cloned(),
            key: key.cloned(),
            row,
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
    codec.compress(&mut data)?;
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
            Type::Float32 => Avro::Float(json_float(v).ok_or_else(wrong)? as f32),
            Type::Float64 => Avro::Double(json_float(v).ok_or_else(wrong)?),
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
        FromConnect::new(true, true).schema(s).unwrap().to_json()
    }

    fn write_file(f: &mut AvroFormat, schema: &Arc<Schema>, values: &[String]) -> Vec<u8> {
        sluice_sdk::testing::container_object(f, "orders", schema, values)
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
            envelope: None,
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
            // apache-avro reads zstandard only with its C codec: the
            // zstandard files are read by fastavro (tests/integration).
            let mut f = AvroFormat {
                codec,
                enhanced: true,
                meta: true,
                envelope: None,
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

    /// Avro's zig-zag varint at `at`, and where it ends.
    fn read_long(b: &[u8], mut at: usize) -> (i64, usize) {
        let (mut n, mut shift) = (0u64, 0);
        loop {
            let byte = b[at];
            at += 1;
            n |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                return (((n >> 1) as i64) ^ -((n & 1) as i64), at);
            }
        }
    }

    #[test]
    fn zstandard_blocks_decompress_to_the_records() {
        let schema = Arc::new(Schema::structure([Field::new("x", Schema::string())]));
        let values: Vec<String> = (0..20_000)
            .map(|i| format!(r#"{{"x":"value {i}"}}"#))
            .collect();
        let zstd = write_file(
            &mut AvroFormat {
                codec: Codec::Zstandard,
                enhanced: true,
                meta: true,
                envelope: None,
                file: None,
            },
            &schema,
            &values,
        );
        let mut plain_format = AvroFormat {
            codec: Codec::Null,
            enhanced: true,
            meta: true,
            envelope: None,
            file: None,
        };
        let plain = write_file(&mut plain_format, &schema, &values);
        // The same header up to the codec; each zstandard block (a zstd
        // frame ruzstd decodes) holds the null codec's block's bytes.
        let header_end =
            |b: &[u8]| b.windows(16).position(|w| w == &b[b.len() - 16..]).unwrap() + 16;
        let (mut zi, mut pi) = (header_end(&zstd), header_end(&plain));
        let mut blocks = 0;
        while zi < zstd.len() {
            let (zcount, next) = read_long(&zstd, zi);
            let (zsize, data) = read_long(&zstd, next);
            let (pcount, next) = read_long(&plain, pi);
            let (psize, pdata) = read_long(&plain, next);
            assert_eq!(zcount, pcount);
            let frame = &zstd[data..data + zsize as usize];
            let mut decoded = Vec::new();
            ruzstd::decoding::StreamingDecoder::new(frame)
                .map(|mut d| std::io::Read::read_to_end(&mut d, &mut decoded))
                .unwrap()
                .unwrap();
            assert_eq!(decoded, &plain[pdata..pdata + psize as usize]);
            zi = data + zsize as usize + 16;
            pi = pdata + psize as usize + 16;
            blocks += 1;
        }
        assert!(blocks > 1);
        assert!(
            zstd.len() < plain.len() / 2,
            "{} vs {}",
            zstd.len(),
            plain.len()
        );
    }

    #[test]
    fn records_without_a_schema_or_of_another_schema_fail_with_the_record_named() {
        let mut f = AvroFormat {
            codec: Codec::Null,
            enhanced: true,
            meta: true,
            envelope: None,
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

    /// A record of `topic` at `offset` with a text key and a struct value.
    fn keyed<'a>(
        key: &'a Arc<Schema>,
        value: &'a Arc<Schema>,
        json: &'a str,
        offset: i64,
    ) -> Record<'a> {
        let mut r = Record::new("orders", Some(json.as_bytes()));
        r.key = Some(b"k");
        r.key_kind = sluice_sdk::ValueKind::Text;
        r.key_schema = Some(key);
        r.value_kind = sluice_sdk::ValueKind::Json;
        r.value_schema = Some(value);
        r.offset = offset;
        r.timestamp = Some(1_700_000_000_000 + offset);
        r
    }

    #[test]
    fn aivens_rows_hold_the_key_value_offset_and_timestamp() {
        let config = |fields: &str, envelope: &str| {
            let info = AvroFormat::INFO;
            let config = Config::new(
                info,
                vec![
                    ("format.output.fields".into(), fields.into()),
                    ("format.output.envelope".into(), envelope.into()),
                    ("enhanced.avro.schema.support".into(), "false".into()),
                ],
            )
            .unwrap();
            AvroFormat::configure(&config).unwrap()
        };
        let key = Arc::new(Schema::string().optional());
        let value =
            Arc::new(Schema::structure([Field::new("id", Schema::int32())]).named("shop.Order"));
        let write = |f: &mut AvroFormat| {
            let mut body = Vec::new();
            for i in 0..3 {
                let json = format!(r#"{{"id":{i}}}"#);
                let mut out = Vec::new();
                f.encode(&keyed(&key, &value, &json, 40 + i), &mut out)
                    .unwrap();
                if i == 0 {
                    body.extend(f.header());
                }
                body.extend(out);
            }
            body.extend(f.trailer());
            body
        };
        let body = write(&mut config("key,value,offset,timestamp", "true"));
        let reader = apache_avro::Reader::new(&body[..]).unwrap();
        assert_eq!(
            reader.writer_schema().canonical_form(),
            r#"{"name":"io.aiven.avro.output.schema.connector_records","type":"record","fields":[{"name":"key","type":["null","string"]},{"name":"value","type":{"name":"shop.Order","type":"record","fields":[{"name":"id","type":"int"}]}},{"name":"offset","type":"long"},{"name":"timestamp","type":"long"}]}"#
        );
        let rows: Vec<Avro> = reader.map(Result::unwrap).collect();
        assert_eq!(
            rows[2],
            Avro::Record(vec![
                (
                    "key".into(),
                    Avro::Union(1, Box::new(Avro::String("k".into())))
                ),
                (
                    "value".into(),
                    Avro::Record(vec![("id".into(), Avro::Int(2))])
                ),
                ("offset".into(), Avro::Long(42)),
                ("timestamp".into(), Avro::Long(1_700_000_000_042)),
            ])
        );
        // Envelope off: a struct value is the row itself.
        let body = write(&mut config("value", "false"));
        let reader = apache_avro::Reader::new(&body[..]).unwrap();
        assert_eq!(
            reader.writer_schema().canonical_form(),
            r#"{"name":"shop.Order","type":"record","fields":[{"name":"id","type":"int"}]}"#
        );
        assert_eq!(reader.count(), 3);
        // A key of another schema within the file is refused, naming it.
        let mut f = config("key,value", "true");
        f.encode(&keyed(&key, &value, r#"{"id":1}"#, 0), &mut Vec::new())
            .unwrap();
        let other = Arc::new(Schema::int64().optional());
        let e = f
            .encode(&keyed(&other, &value, r#"{"id":1}"#, 1), &mut Vec::new())
            .unwrap_err();
        assert!(e.contains("the key of orders partition 0 offset 1"), "{e}");
        // A key and a value of one schema named in no namespace: one type,
        // which the row refers to by name from its own namespace.
        let user = Arc::new(Schema::structure([Field::new("id", Schema::int32())]).named("User"));
        let mut f = config("key,value", "true");
        let mut r = keyed(&user, &user, r#"{"id":1}"#, 0);
        r.key = Some(br#"{"id":2}"#);
        r.key_kind = sluice_sdk::ValueKind::Json;
        let mut body = Vec::new();
        f.encode(&r, &mut body).unwrap();
        let header = f.header();
        let text = String::from_utf8_lossy(&header);
        assert!(
            text.contains(r#"{"name":"value","type":"User"}"#),
            "Java's text: {text}"
        );
        assert!(!f.trailer().is_empty());
    }
}
