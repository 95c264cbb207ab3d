//! `avro` converter: Confluent's `io.confluent.connect.avro.AvroConverter`,
//! reading. A key or value in Confluent's wire format (magic byte 0, the
//! schema's 4-byte big-endian id, the Avro binary datum) is decoded with the
//! writer schema the host looks up by id in the schema registry (the
//! `schema-registry` capability; schema references are looked up too), and
//! becomes Connect data as Confluent's `AvroData` makes it: records are
//! structs named after the record, `["null", X]` unions optional `X`, other
//! unions `io.confluent.connect.avro.Union` structs, enums strings with
//! their symbols as parameters, `fixed` bytes with `connect.fixed.size`,
//! `decimal` Connect's Decimal, `date`, `time-millis` and
//! `timestamp-millis` Connect's Date, Time and Timestamp, and the
//! `connect.*` properties Confluent's serializers write read back.

use std::collections::HashMap;
use std::sync::Arc;

use apache_avro::types::Value as Avro;
use base64::Engine as _;
use serde_json::{Map, Value as Json, json};
use sluice_sdk::registry::{self, RegistryError, Versioned};
use sluice_sdk::schema::{Field, Schema};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Converted, Converter, Part, Plugin, PluginInfo, Record,
    ValueKind,
};

const UNION: &str = "io.confluent.connect.avro.Union";
const MAP_ENTRY: &str = "io.confluent.connect.avro.MapEntry";
const ENUM: &str = "io.confluent.connect.avro.Enum";
const RECORD_DOC: &str = "io.confluent.connect.avro.record.doc";
const FIELD_DOC: &str = "io.confluent.connect.avro.field.doc.";
const FIELD_DEFAULT: &str = "io.confluent.connect.avro.field.default";
const ENUM_DOC: &str = "io.confluent.connect.avro.enum.doc.";
const ENUM_DEFAULT: &str = "io.confluent.connect.avro.enum.default.";
const FIXED_SIZE: &str = "connect.fixed.size";
const PRECISION: &str = "connect.decimal.precision";
/// Nesting beyond this is refused (a recursive record has no Connect form).
const MAX_DEPTH: usize = 64;

/// A writer schema, read once per id.
struct Writer {
    avro: apache_avro::Schema,
    /// The schemas its references name, for decoding.
    references: Vec<apache_avro::Schema>,
    /// The schema's JSON and its named types (its references' too).
    json: Json,
    names: Names,
    connect: Arc<Schema>,
    /// A top-level `bytes` schema: the datum is the bytes, unframed.
    raw_bytes: bool,
}

/// Named types (records, enums, fixed) by full name, with the namespace
/// their definition sits in.
#[derive(Default)]
struct Names(HashMap<String, (Json, Option<String>)>);

/// The converter, configured.
pub struct AvroConverter {
    meta: bool,
    flatten_singletons: bool,
    cache_size: usize,
    writers: HashMap<u32, Arc<Writer>>,
    /// The Connect schemas with their registry versions, by subject and id
    /// (Confluent looks the version up once per schema).
    versioned: Versioned,
}

impl Plugin for AvroConverter {
    const INFO: PluginInfo = PluginInfo {
        name: "avro",
        version: env!("CARGO_PKG_VERSION"),
        description: "Avro in Confluent's wire format, schemas from the schema registry (Confluent's AvroConverter)",
        config: &[
            ConfigKey::connect_classes("io.confluent.connect.avro.AvroConverter"),
            ConfigKey::optional(
                "connect.meta.data",
                ConfigType::Boolean,
                Some("true"),
                "Docs, defaults and enum details of the Avro schema kept as Connect schema parameters",
            ),
            ConfigKey::optional(
                "flatten.singleton.unions",
                ConfigType::Boolean,
                Some("true"),
                "A union of one type is that type",
            ),
            ConfigKey::optional(
                "schemas.cache.config",
                ConfigType::Integer,
                Some("1000"),
                "How many writer schemas are kept, each read once",
            ),
            ConfigKey::optional(
                "enhanced.avro.schema.support",
                ConfigType::Boolean,
                Some("false"),
                "Accepted; only false is supported (union branches named by their simple names)",
            ),
            ConfigKey::optional(
                "generalized.sum.type.support",
                ConfigType::Boolean,
                Some("false"),
                "Accepted; only false is supported",
            ),
            ConfigKey::optional(
                "scrub.invalid.names",
                ConfigType::Boolean,
                Some("false"),
                "Accepted: it applies to writing Avro, which a sink does not",
            ),
            ConfigKey::optional(
                "ignore.default.for.nullables",
                ConfigType::Boolean,
                Some("false"),
                "Accepted: it applies to writing Avro, which a sink does not",
            ),
            ConfigKey::optional(
                "discard.type.doc.default",
                ConfigType::Boolean,
                Some("false"),
                "Accepted; only false is supported",
            ),
            ConfigKey::optional(
                "key.subject.name.strategy",
                ConfigType::String,
                None,
                "The subject keys' schema versions are looked up under (TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy); records are read by the id they carry",
            ),
            ConfigKey::optional(
                "value.subject.name.strategy",
                ConfigType::String,
                None,
                "The subject values' schema versions are looked up under (TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy); records are read by the id they carry",
            ),
            ConfigKey::optional(
                "auto.register.schemas",
                ConfigType::Boolean,
                None,
                "Accepted: it applies to writing Avro, which a sink does not",
            ),
            ConfigKey::optional(
                "use.latest.version",
                ConfigType::Boolean,
                None,
                "Accepted: it applies to writing Avro, which a sink does not",
            ),
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        for key in [
            "enhanced.avro.schema.support",
            "generalized.sum.type.support",
            "discard.type.doc.default",
        ] {
            if config.get_bool(key) {
                return Err(format!(
                    "{key}=true is not supported yet: remove it or set it to false"
                ));
            }
        }
        let cache_size = config
            .get_int("schemas.cache.config")
            .filter(|n| *n > 0)
            .ok_or("schemas.cache.config must be a positive number")?;
        Ok(AvroConverter {
            meta: config.get_bool("connect.meta.data"),
            flatten_singletons: config.get_bool("flatten.singleton.unions"),
            cache_size: usize::try_from(cache_size).unwrap_or(usize::MAX),
            writers: HashMap::new(),
            versioned: Versioned::from_config(
                config,
                usize::try_from(cache_size).unwrap_or(usize::MAX),
            )?,
        })
    }
}

impl Converter for AvroConverter {
    fn convert<'a>(
        &mut self,
        part: Part,
        record: &Record<'a>,
        input: Option<&'a [u8]>,
    ) -> Result<Option<Converted<'a>>, String> {
        let Some(bytes) = input else { return Ok(None) };
        let failed = |why: String| {
            format!(
                "Failed to deserialize data for topic {} to Avro: {why} (partition {} offset {})",
                record.topic, record.partition, record.offset
            )
        };
        let (id, datum) = registry::confluent_framing(bytes)
            .ok_or_else(|| failed("Unknown magic byte!".into()))?;
        let writer = self
            .writer(id)
            .map_err(|e| failed(registry::retrieval_error(e, "Avro", part, id)))?;
        let connect = self
            .versioned(part, record.topic, id, &writer)
            .map_err(|e| failed(registry::retrieval_error(e, "Avro", part, id)))?;
        if writer.raw_bytes {
            let payload = Json::String(base64::engine::general_purpose::STANDARD.encode(datum));
            return Ok(Some(
                Converted::new(payload.to_string().into_bytes(), ValueKind::Json)
                    .with_schema(&connect),
            ));
        }
        let mut reader = datum;
        let value = apache_avro::reader::datum::GenericDatumReader::builder(&writer.avro)
            .writer_schemata(writer.references.iter().collect())
            .and_then(|b| b.build())
            .and_then(|r| r.read_value(&mut reader))
            .map_err(|e| failed(format!("Error deserializing Avro message for id {id}: {e}")))?;
        let ctx = Walk {
            names: &writer.names,
            flatten: self.flatten_singletons,
        };
        let payload = ctx
            .value(&writer.json, None, &value, 0)
            .map_err(|e| failed(format!("Error deserializing Avro message for id {id}: {e}")))?;
        Ok(Some(
            Converted::new(payload.to_string().into_bytes(), ValueKind::Json).with_schema(&connect),
        ))
    }
}

impl AvroConverter {
    /// The Connect schema of writer `id` with its version: the schema's
    /// own `connect.version`, else the version the registry gives it under
    /// the subject of the configured strategy (Confluent's
    /// `AvroData.toConnectSchema(schema, version)`), which
    /// `schema.compatibility` compares.
    fn versioned(
        &mut self,
        part: Part,
        topic: &str,
        id: u32,
        writer: &Writer,
    ) -> Result<Arc<Schema>, RegistryError> {
        let full_name = writer.avro.name().map(|n| n.fullname(None));
        self.versioned
            .schema(topic, part, full_name.as_deref(), id, &writer.connect)
    }

    /// The writer schema of `id`, read once.
    fn writer(&mut self, id: u32) -> Result<Arc<Writer>, RegistryError> {
        if let Some(w) = self.writers.get(&id) {
            return Ok(w.clone());
        }
        let registered = registry::schema_by_id(id)?;
        if registered.schema_type != "AVRO" {
            return Err(RegistryError::Refused(format!(
                "schema {id} is {}, not AVRO: the topic is not written with Confluent's Avro serializer",
                registered.schema_type
            )));
        }
        let references: Vec<String> = registry::referenced_schemas(&registered)?
            .into_iter()
            .map(|(_, s)| s.schema)
            .collect();
        let refused = |e: String| RegistryError::Refused(format!("schema {id}: {e}"));
        let (avro, parsed_refs) =
            apache_avro::Schema::parse_str_with_list(&registered.schema, &references)
                .map_err(|e| refused(format!("not a valid Avro schema: {e}")))?;
        let json: Json = serde_json::from_str(&registered.schema)
            .map_err(|e| refused(format!("not JSON: {e}")))?;
        let mut names = Names::default();
        for r in &references {
            let r: Json =
                serde_json::from_str(r).map_err(|e| refused(format!("a reference: {e}")))?;
            names.collect(&r, None, 0);
        }
        names.collect(&json, None, 0);
        let ctx = Walk {
            names: &names,
            flatten: self.flatten_singletons,
        };
        let connect = ctx
            .schema(&json, None, self.meta, None, 0)
            .map_err(refused)?;
        let raw_bytes = json == json!("bytes") || json == json!({"type": "bytes"});
        if self.writers.len() >= self.cache_size {
            self.writers.clear();
        }
        let writer = Arc::new(Writer {
            avro,
            references: parsed_refs,
            json,
            names,
            connect: Arc::new(connect),
            raw_bytes,
        });
        self.writers.insert(id, writer.clone());
        Ok(writer)
    }
}

/// The full name of a named type defined by `def` in namespace `ns`.
fn full_name(def: &Map<String, Json>, ns: Option<&str>) -> Option<(String, Option<String>)> {
    let name = def.get("name")?.as_str()?;
    if name.contains('.') {
        let ns = name.rsplit_once('.').map(|(n, _)| n.to_string());
        return Some((name.to_string(), ns));
    }
    let ns = def
        .get("namespace")
        .and_then(Json::as_str)
        .map(String::from)
        .or_else(|| ns.map(String::from))
        .filter(|n| !n.is_empty());
    Some((
        ns.as_deref()
            .map_or_else(|| name.to_string(), |n| format!("{n}.{name}")),
        ns,
    ))
}

fn simple_name(full: &str) -> &str {
    full.rsplit('.').next().unwrap_or(full)
}

impl Names {
    /// Records every named type defined in `s`.
    fn collect(&mut self, s: &Json, ns: Option<&str>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match s {
            Json::Array(branches) => branches.iter().for_each(|b| self.collect(b, ns, depth + 1)),
            Json::Object(o) => {
                let ty = o.get("type").and_then(Json::as_str).unwrap_or_default();
                let mut inner_ns = ns.map(String::from);
                if matches!(ty, "record" | "error" | "enum" | "fixed")
                    && let Some((full, own_ns)) = full_name(o, ns)
                {
                    inner_ns = own_ns;
                    self.0.insert(full, (s.clone(), inner_ns.clone()));
                }
                if let Some(t @ (Json::Object(_) | Json::Array(_))) = o.get("type") {
                    self.collect(t, inner_ns.as_deref(), depth + 1);
                }
                for f in o
                    .get("fields")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(t) = f.get("type") {
                        self.collect(t, inner_ns.as_deref(), depth + 1);
                    }
                }
                for key in ["items", "values"] {
                    if let Some(t) = o.get(key) {
                        self.collect(t, inner_ns.as_deref(), depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    /// The definition a type name refers to, and its namespace.
    fn resolve(&self, name: &str, ns: Option<&str>) -> Option<&(Json, Option<String>)> {
        if !name.contains('.')
            && let Some(ns) = ns
            && let Some(d) = self.0.get(&format!("{ns}.{name}"))
        {
            return Some(d);
        }
        self.0.get(name)
    }
}

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// A walk over a schema's JSON, with its named types.
struct Walk<'n> {
    names: &'n Names,
    flatten: bool,
}

/// How a union maps: the one type it flattens to, or a Union struct.
enum UnionForm<'s> {
    /// `[X]` (flattened) or `["null", X]` (optional): the branch's index.
    One(&'s Json, bool),
    Struct,
}

impl Walk<'_> {
    fn union_form<'s>(&self, branches: &'s [Json]) -> UnionForm<'s> {
        if self.flatten && branches.len() == 1 {
            return UnionForm::One(&branches[0], false);
        }
        if branches.len() == 2 {
            let null = |b: &Json| b == "null" || b.get("type") == Some(&json!("null"));
            if null(&branches[0]) {
                return UnionForm::One(&branches[1], true);
            }
            if null(&branches[1]) {
                return UnionForm::One(&branches[0], true);
            }
        }
        UnionForm::Struct
    }

    /// The name a union branch's field gets: the type's name, a named
    /// type's simple name.
    fn branch_name(&self, b: &Json, ns: Option<&str>) -> String {
        match b {
            Json::String(t) if PRIMITIVES.contains(&t.as_str()) => t.clone(),
            Json::String(t) => self
                .names
                .resolve(t, ns)
                .and_then(|(d, _)| d.as_object())
                .and_then(|d| full_name(d, ns))
                .map_or_else(
                    || simple_name(t).to_string(),
                    |(f, _)| simple_name(&f).to_string(),
                ),
            Json::Object(o) => {
                let ty = o.get("type").and_then(Json::as_str).unwrap_or_default();
                match ty {
                    "record" | "error" | "enum" | "fixed" => full_name(o, ns)
                        .map(|(f, _)| simple_name(&f).to_string())
                        .unwrap_or_default(),
                    _ => ty.to_string(),
                }
            }
            _ => String::new(),
        }
    }

    /// The Connect schema of Avro schema `s` (in namespace `ns`); `default`
    /// is the Avro default of the field it types.
    fn schema(
        &self,
        s: &Json,
        ns: Option<&str>,
        meta: bool,
        default: Option<&Json>,
        depth: usize,
    ) -> Result<Schema, String> {
        if depth > MAX_DEPTH {
            return Err(
                "the schema nests too deep (a recursive record has no Connect form)".into(),
            );
        }
        match s {
            Json::String(t) => {
                if PRIMITIVES.contains(&t.as_str()) {
                    return self.schema(&json!({"type": t}), ns, meta, default, depth + 1);
                }
                let (def, def_ns) = self
                    .names
                    .resolve(t, ns)
                    .ok_or_else(|| format!("unknown type {t:?}"))?;
                self.schema(def, def_ns.as_deref(), meta, default, depth + 1)
            }
            Json::Array(branches) => match self.union_form(branches) {
                UnionForm::One(b, optional) => {
                    // An optional union's field default is not carried.
                    let d = if optional { None } else { default };
                    let s = self.schema(b, ns, meta, d, depth + 1)?;
                    Ok(if optional { s.optional() } else { s })
                }
                UnionForm::Struct => {
                    let mut fields: Vec<Field> = Vec::new();
                    let mut optional = false;
                    for b in branches {
                        if b == "null" {
                            optional = true;
                            continue;
                        }
                        let name = self.branch_name(b, ns);
                        if fields.iter().any(|f| f.name == name) {
                            return Err(
                                "Multiple union schemas map to the Connect union field name".into(),
                            );
                        }
                        let fs = self.schema(b, ns, meta, None, depth + 1)?.optional();
                        fields.push(Field::new(name, fs));
                    }
                    let s = Schema::structure(fields).named(UNION);
                    Ok(if optional { s.optional() } else { s })
                }
            },
            Json::Object(o) => {
                let mut out = self.object_schema(o, ns, meta, depth)?;
                if let Some(d) = default
                    && let Ok(v) = self.default_value(s, ns, d, depth)
                {
                    out.default = Some(v);
                    if meta {
                        out.parameters
                            .get_or_insert_with(Vec::new)
                            .push((FIELD_DEFAULT.into(), "true".into()));
                    }
                }
                Ok(out)
            }
            other => Err(format!("not an Avro schema: {other}")),
        }
    }

    fn object_schema(
        &self,
        o: &Map<String, Json>,
        ns: Option<&str>,
        meta: bool,
        depth: usize,
    ) -> Result<Schema, String> {
        let prop = |k: &str| o.get(k);
        let logical = prop("logicalType")
            .and_then(Json::as_str)
            .map(str::to_ascii_lowercase);
        let ty = match prop("type") {
            Some(Json::String(t)) => t.as_str(),
            Some(t @ (Json::Object(_) | Json::Array(_))) => {
                return self.schema(t, ns, meta, None, depth + 1);
            }
            _ => return Err("a schema object without a type".into()),
        };
        let mut params: Vec<(String, String)> = Vec::new();
        let mut name: Option<String> = None;
        let mut s = match (ty, logical.as_deref()) {
            ("null", _) => {
                return Err("Standalone null schemas are not supported by this converter".into());
            }
            ("boolean", _) => Schema::boolean(),
            ("int", Some("date")) => Schema::date(),
            ("int", Some("time-millis")) => Schema::time(),
            ("int", Some(_)) => Schema::int32(),
            ("int", None) => match prop("connect.type").and_then(Json::as_str) {
                None => Schema::int32(),
                Some("int8") => Schema::int8(),
                Some("int16") => Schema::int16(),
                Some(_) => return Err("Connect type annotation for Avro int field is null".into()),
            },
            ("long", Some("timestamp-millis")) => Schema::timestamp(),
            ("long", _) => Schema::int64(),
            ("float", _) => Schema::float32(),
            ("double", _) => Schema::float64(),
            ("bytes" | "fixed", Some("decimal")) => {
                let scale = prop("scale").and_then(Json::as_i64).unwrap_or(0);
                let mut d = Schema::decimal(i32::try_from(scale).unwrap_or(0));
                match prop("precision") {
                    None => {}
                    Some(p) => {
                        let p = p.as_i64().ok_or("precision property must be a JSON Integer. https://avro.apache.org/docs/1.9.1/spec.html#Decimal")?;
                        if p != 64 {
                            params.push((PRECISION.into(), p.to_string()));
                        }
                    }
                }
                if ty == "fixed" {
                    let size = prop("size").and_then(Json::as_i64).unwrap_or(0);
                    params.push((FIXED_SIZE.into(), size.to_string()));
                }
                d.parameters
                    .get_or_insert_with(Vec::new)
                    .append(&mut params);
                d
            }
            ("bytes", _) => Schema::bytes(),
            ("string", _) => Schema::string(),
            ("fixed", _) => {
                let (full, _) = full_name(o, ns).ok_or("a fixed without a name")?;
                let size = prop("size").and_then(Json::as_i64).unwrap_or(0);
                params.push((FIXED_SIZE.into(), size.to_string()));
                name = Some(full);
                Schema::bytes()
            }
            ("enum", _) => {
                let (full, _) = full_name(o, ns).ok_or("an enum without a name")?;
                params.push((ENUM.into(), full.clone()));
                for sym in prop("symbols")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(sym) = sym.as_str() {
                        params.push((format!("{ENUM}.{sym}"), sym.to_string()));
                    }
                }
                if meta {
                    let simple = simple_name(&full).to_string();
                    if let Some(doc) = prop("doc").and_then(Json::as_str) {
                        params.push((format!("{ENUM_DOC}{simple}"), doc.to_string()));
                    }
                    if let Some(d) = prop("default").and_then(Json::as_str) {
                        params.push((format!("{ENUM_DEFAULT}{simple}"), d.to_string()));
                    }
                }
                name = Some(full);
                Schema::string()
            }
            ("array", _) => {
                let items = prop("items").ok_or("an array without items")?;
                if let Some(entry) = self.map_entry(items, ns) {
                    let key = entry.iter().find(|f| f.get("name") == Some(&json!("key")));
                    let value = entry
                        .iter()
                        .find(|f| f.get("name") == Some(&json!("value")));
                    match (
                        key.and_then(|k| k.get("type")),
                        value.and_then(|v| v.get("type")),
                    ) {
                        (Some(k), Some(v)) if entry.len() == 2 => Schema::map(
                            self.schema(k, ns, meta, None, depth + 1)?,
                            self.schema(v, ns, meta, None, depth + 1)?,
                        ),
                        _ => {
                            return Err("Found map encoded as array of key-value pairs, but array elements do not match the expected format.".into());
                        }
                    }
                } else {
                    Schema::array(self.schema(items, ns, meta, None, depth + 1)?)
                }
            }
            ("map", _) => {
                let values = prop("values").ok_or("a map without values")?;
                Schema::map(
                    Schema::string(),
                    self.schema(values, ns, meta, None, depth + 1)?,
                )
            }
            ("record" | "error", _) => {
                let (full, own_ns) = full_name(o, ns).ok_or("a record without a name")?;
                let mut fields = Vec::new();
                if meta && let Some(doc) = prop("doc").and_then(Json::as_str) {
                    params.push((RECORD_DOC.into(), doc.to_string()));
                }
                for f in prop("fields")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    let fname = f
                        .get("name")
                        .and_then(Json::as_str)
                        .ok_or("a record field without a name")?;
                    let ftype = f.get("type").ok_or("a record field without a type")?;
                    if meta && let Some(doc) = f.get("doc").and_then(Json::as_str) {
                        params.push((format!("{FIELD_DOC}{fname}"), doc.to_string()));
                    }
                    let fs =
                        self.schema(ftype, own_ns.as_deref(), meta, f.get("default"), depth + 1)?;
                    fields.push(Field::new(fname, fs));
                }
                name = Some(full);
                Schema::structure(fields)
            }
            (other, _) => {
                // A named type's name in the object form.
                let (def, def_ns) = self
                    .names
                    .resolve(other, ns)
                    .ok_or_else(|| format!("unknown type {other:?}"))?;
                return self.schema(def, def_ns.as_deref(), meta, None, depth + 1);
            }
        };
        // Connect's own properties, as Confluent's serializers write them.
        if let Some(n) = prop("connect.name").and_then(Json::as_str) {
            name = Some(n.to_string());
        }
        if let Some(n) = name.filter(|n| !n.starts_with("io.confluent.connect.avro.ConnectDefault"))
        {
            s.name = Some(n);
        }
        if let Some(v) = prop("connect.version") {
            let v = v
                .as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(|| format!("Invalid Connect version found: {v}"))?;
            s.version = Some(v);
        }
        if let Some(d) = prop("connect.doc").and_then(Json::as_str) {
            s.doc = Some(d.to_string());
        }
        if meta && let Some(p) = prop("connect.parameters").and_then(Json::as_object) {
            for (k, v) in p {
                let v = v.as_str().ok_or("connect.parameters must hold strings")?;
                params.push((k.clone(), v.to_string()));
            }
        }
        for (k, v) in o {
            if k.starts_with("avro") {
                let v = v.as_str().map_or_else(|| v.to_string(), String::from);
                params.push((k.clone(), v));
            }
        }
        if !params.is_empty() {
            s.parameters.get_or_insert_with(Vec::new).extend(params);
        }
        Ok(s)
    }

    /// The fields of a `MapEntry` record `items` names, if it is one.
    fn map_entry<'s>(&'s self, items: &'s Json, ns: Option<&str>) -> Option<&'s Vec<Json>> {
        let def = match items {
            Json::String(t) => &self.names.resolve(t, ns)?.0,
            other => other,
        };
        let o = def.as_object()?;
        let (full, _) = full_name(o, ns)?;
        let internal = o.get("connect.internal.type") == Some(&json!("MapEntry"));
        (full == MAP_ENTRY || internal)
            .then(|| o.get("fields").and_then(Json::as_array))
            .flatten()
    }

    /// A field's Avro default (JSON) as a Connect default (payload JSON).
    fn default_value(
        &self,
        s: &Json,
        ns: Option<&str>,
        d: &Json,
        depth: usize,
    ) -> Result<Json, String> {
        if depth > MAX_DEPTH {
            return Err("too deep".into());
        }
        let latin1 = |t: &str| -> Option<Vec<u8>> {
            t.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
        };
        match s {
            Json::String(t) if !PRIMITIVES.contains(&t.as_str()) => {
                let (def, def_ns) = self.names.resolve(t, ns).ok_or("unknown type")?;
                self.default_value(def, def_ns.as_deref(), d, depth + 1)
            }
            Json::String(t) => self.default_value(&json!({"type": t}), ns, d, depth + 1),
            Json::Array(branches) => {
                let first = branches.first().ok_or("an empty union")?;
                self.default_value(first, ns, d, depth + 1)
            }
            Json::Object(o) => {
                let ty = o.get("type").ok_or("no type")?;
                if !ty.is_string() {
                    return self.default_value(ty, ns, d, depth + 1);
                }
                match ty.as_str().unwrap_or_default() {
                    "null" => d.is_null().then_some(Json::Null).ok_or("not null".into()),
                    "boolean" => d
                        .is_boolean()
                        .then(|| d.clone())
                        .ok_or("not a boolean".into()),
                    "int" | "long" => d.is_i64().then(|| d.clone()).ok_or("not an integer".into()),
                    "float" | "double" => d
                        .is_number()
                        .then(|| d.clone())
                        .ok_or("not a number".into()),
                    "string" | "enum" => d
                        .is_string()
                        .then(|| d.clone())
                        .ok_or("not a string".into()),
                    "bytes" | "fixed" => {
                        let b = d.as_str().and_then(latin1).ok_or("not bytes")?;
                        let b = if o
                            .get("logicalType")
                            .and_then(Json::as_str)
                            .is_some_and(|l| l.eq_ignore_ascii_case("decimal"))
                        {
                            minimal_twos_complement(b)
                        } else {
                            b
                        };
                        Ok(Json::String(
                            base64::engine::general_purpose::STANDARD.encode(b),
                        ))
                    }
                    "array" => {
                        let items = o.get("items").ok_or("no items")?;
                        let list = d.as_array().ok_or("not a list")?;
                        list.iter()
                            .map(|v| self.default_value(items, ns, v, depth + 1))
                            .collect::<Result<Vec<_>, _>>()
                            .map(Json::Array)
                    }
                    "map" => {
                        let values = o.get("values").ok_or("no values")?;
                        let map = d.as_object().ok_or("not a map")?;
                        let mut out = Map::new();
                        for (k, v) in map {
                            out.insert(k.clone(), self.default_value(values, ns, v, depth + 1)?);
                        }
                        Ok(Json::Object(out))
                    }
                    "record" | "error" => {
                        let (_, own_ns) = full_name(o, ns).ok_or("no name")?;
                        let given = d.as_object().ok_or("not a record")?;
                        let mut out = Map::new();
                        for f in o
                            .get("fields")
                            .and_then(Json::as_array)
                            .into_iter()
                            .flatten()
                        {
                            let name = f.get("name").and_then(Json::as_str).ok_or("no name")?;
                            let v = given
                                .get(name)
                                .or_else(|| f.get("default"))
                                .ok_or("a field without a value")?;
                            let t = f.get("type").ok_or("no type")?;
                            out.insert(
                                name.to_string(),
                                self.default_value(t, own_ns.as_deref(), v, depth + 1)?,
                            );
                        }
                        Ok(Json::Object(out))
                    }
                    other => {
                        let (def, def_ns) = self.names.resolve(other, ns).ok_or("unknown type")?;
                        self.default_value(def, def_ns.as_deref(), d, depth + 1)
                    }
                }
            }
            _ => Err("not a schema".into()),
        }
    }

    /// A decoded Avro value as a Connect payload (JSON), walking its
    /// schema `s` alongside.
    fn value(&self, s: &Json, ns: Option<&str>, v: &Avro, depth: usize) -> Result<Json, String> {
        if depth > MAX_DEPTH {
            return Err("the value nests too deep".into());
        }
        let b64 = |b: &[u8]| Json::String(base64::engine::general_purpose::STANDARD.encode(b));
        // The schema at this point, with named types resolved.
        let (s, ns): (&Json, Option<&str>) = match s {
            Json::String(t) if !PRIMITIVES.contains(&t.as_str()) => {
                let (def, def_ns) = self
                    .names
                    .resolve(t, ns)
                    .ok_or_else(|| format!("unknown type {t:?}"))?;
                (def, def_ns.as_deref())
            }
            Json::Object(o) if o.get("type").is_some_and(|t| !t.is_string()) => {
                return self.value(&o["type"], ns, v, depth + 1);
            }
            _ => (s, ns),
        };
        Ok(match v {
            Avro::Null => Json::Null,
            Avro::Boolean(b) => Json::Bool(*b),
            Avro::Int(i) | Avro::Date(i) | Avro::TimeMillis(i) => json!(i),
            Avro::Long(i)
            | Avro::TimeMicros(i)
            | Avro::TimestampMillis(i)
            | Avro::TimestampMicros(i)
            | Avro::TimestampNanos(i)
            | Avro::LocalTimestampMillis(i)
            | Avro::LocalTimestampMicros(i)
            | Avro::LocalTimestampNanos(i) => json!(i),
            Avro::Float(f) => number(f.to_string().parse::<f64>().unwrap_or(f64::from(*f)))?,
            Avro::Double(d) => number(*d)?,
            Avro::Bytes(b) | Avro::Fixed(_, b) => b64(b),
            Avro::String(t) | Avro::Enum(_, t) => Json::String(t.clone()),
            Avro::Uuid(u) => Json::String(u.to_string()),
            Avro::Decimal(d) => {
                let bytes = <Vec<u8>>::try_from(d).map_err(|e| format!("a decimal: {e}"))?;
                b64(&minimal_twos_complement(bytes))
            }
            Avro::Duration(d) => b64(&<[u8; 12]>::from(*d)),
            Avro::BigDecimal(_) => return Err("big-decimal values have no Connect form".into()),
            Avro::Union(i, inner) => {
                let branches = s.as_array().ok_or("a union value without a union schema")?;
                let i = usize::try_from(*i).unwrap_or(usize::MAX);
                let branch = branches.get(i).ok_or("a union branch out of range")?;
                match self.union_form(branches) {
                    UnionForm::One(..) => self.value(branch, ns, inner, depth + 1)?,
                    UnionForm::Struct => {
                        if matches!(**inner, Avro::Null) {
                            Json::Null
                        } else {
                            let mut out = Map::new();
                            for b in branches.iter().filter(|b| *b != "null") {
                                out.insert(self.branch_name(b, ns), Json::Null);
                            }
                            out.insert(
                                self.branch_name(branch, ns),
                                self.value(branch, ns, inner, depth + 1)?,
                            );
                            Json::Object(out)
                        }
                    }
                }
            }
            Avro::Array(items) => {
                let item_schema = s.get("items").ok_or("an array value without items")?;
                if let Some(entry) = self.map_entry(item_schema, ns) {
                    let key_s = entry
                        .iter()
                        .find(|f| f.get("name") == Some(&json!("key")))
                        .and_then(|f| f.get("type"))
                        .ok_or("a map entry without a key")?;
                    let val_s = entry
                        .iter()
                        .find(|f| f.get("name") == Some(&json!("value")))
                        .and_then(|f| f.get("type"))
                        .ok_or("a map entry without a value")?;
                    // Connect's map with other keys than strings: a list
                    // of [key, value] pairs, as JsonConverter writes it.
                    let mut pairs = Vec::with_capacity(items.len());
                    for item in items {
                        let Avro::Record(fields) = item else {
                            return Err("a map entry that is not a record".into());
                        };
                        let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v);
                        pairs.push(json!([
                            self.value(key_s, ns, get("key").unwrap_or(&Avro::Null), depth + 1)?,
                            self.value(val_s, ns, get("value").unwrap_or(&Avro::Null), depth + 1)?,
                        ]));
                    }
                    Json::Array(pairs)
                } else {
                    items
                        .iter()
                        .map(|i| self.value(item_schema, ns, i, depth + 1))
                        .collect::<Result<Vec<_>, _>>()?
                        .into()
                }
            }
            Avro::Map(entries) => {
                let value_s = s.get("values").ok_or("a map value without values")?;
                // Sorted: the order is the same on every run.
                let mut keys: Vec<&String> = entries.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    out.insert(k.clone(), self.value(value_s, ns, &entries[k], depth + 1)?);
                }
                Json::Object(out)
            }
            Avro::Record(fields) => {
                let o = s
                    .as_object()
                    .ok_or("a record value without a record schema")?;
                let (_, own_ns) = full_name(o, ns).ok_or("a record without a name")?;
                let defs = o
                    .get("fields")
                    .and_then(Json::as_array)
                    .ok_or("a record without fields")?;
                let mut out = Map::new();
                for (name, fv) in fields {
                    let t = defs
                        .iter()
                        .find(|f| f.get("name").and_then(Json::as_str) == Some(name))
                        .and_then(|f| f.get("type"))
                        .ok_or_else(|| format!("no field {name} in the schema"))?;
                    out.insert(
                        name.clone(),
                        self.value(t, own_ns.as_deref(), fv, depth + 1)?,
                    );
                }
                Json::Object(out)
            }
        })
    }
}

/// A finite float as a JSON number.
fn number(f: f64) -> Result<Json, String> {
    serde_json::Number::from_f64(f)
        .map(Json::Number)
        .ok_or_else(|| format!("{f} has no JSON form"))
}

/// Two's complement bytes without redundant sign bytes, as Java's
/// `BigInteger.toByteArray` gives them (Connect's Decimal payload).
fn minimal_twos_complement(mut b: Vec<u8>) -> Vec<u8> {
    let redundant = b
        .windows(2)
        .take_while(|w| (w[0] == 0 && w[1] & 0x80 == 0) || (w[0] == 0xFF && w[1] & 0x80 != 0))
        .count();
    b.drain(..redundant);
    if b.is_empty() {
        b.push(0);
    }
    b
}

sluice_sdk::export_converter!(AvroConverter);

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(schema: Json) -> Json {
        let mut names = Names::default();
        names.collect(&schema, None, 0);
        let w = Walk {
            names: &names,
            flatten: true,
        };
        serde_json::from_str(&w.schema(&schema, None, true, None, 0).unwrap().to_json()).unwrap()
    }

    #[test]
    fn decimals_lose_their_redundant_sign_bytes() {
        assert_eq!(minimal_twos_complement(vec![0, 0, 0x7f]), vec![0x7f]);
        assert_eq!(minimal_twos_complement(vec![0, 0x80]), vec![0, 0x80]);
        assert_eq!(minimal_twos_complement(vec![0xff, 0xff, 0x80]), vec![0x80]);
        assert_eq!(minimal_twos_complement(vec![0, 0]), vec![0]);
    }

    #[test]
    fn records_map_as_confluents_avro_data_maps_them() {
        let s = connect(json!({
            "type": "record", "name": "Order", "namespace": "shop", "doc": "An order",
            "fields": [
                {"name": "id", "type": "long"},
                {"name": "note", "type": ["null", "string"], "default": null},
                {"name": "qty", "type": "int", "default": 1, "doc": "How many"},
                {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
                {"name": "small", "type": {"type": "int", "connect.type": "int16"}},
                {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
                {"name": "either", "type": ["int", "string", "Kind"]}
            ]
        }));
        assert_eq!(s["name"], "shop.Order");
        assert_eq!(s["parameters"][RECORD_DOC], "An order");
        assert_eq!(s["parameters"][format!("{FIELD_DOC}qty")], "How many");
        let field = |n: &str| {
            s["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["field"] == n)
                .unwrap()
                .clone()
        };
        assert_eq!(field("note")["optional"], true);
        assert!(field("note").get("default").is_none());
        assert_eq!(field("qty")["default"], 1);
        assert_eq!(field("qty")["parameters"][FIELD_DEFAULT], "true");
        assert_eq!(field("kind")["name"], "shop.Kind");
        assert_eq!(field("kind")["parameters"][ENUM], "shop.Kind");
        assert_eq!(field("kind")["parameters"][format!("{ENUM}.B")], "B");
        assert_eq!(field("small")["type"], "int16");
        assert_eq!(
            field("when")["name"],
            "org.apache.kafka.connect.data.Timestamp"
        );
        assert_eq!(field("price")["parameters"]["scale"], "2");
        assert_eq!(field("price")["parameters"][PRECISION], "10");
        let either = field("either");
        assert_eq!(either["name"], UNION);
        let names: Vec<&str> = either["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["int", "string", "Kind"]);
    }

    fn walk_value(schema: Json, v: &Avro) -> Json {
        let mut names = Names::default();
        names.collect(&schema, None, 0);
        let w = Walk {
            names: &names,
            flatten: true,
        };
        w.value(&schema, None, v, 0).unwrap()
    }

    #[test]
    fn values_map_as_confluents_avro_data_maps_them() {
        let union = json!(["null", "int", "string"]);
        assert_eq!(
            walk_value(
                union.clone(),
                &Avro::Union(2, Box::new(Avro::String("x".into())))
            ),
            json!({"int": null, "string": "x"})
        );
        assert_eq!(
            walk_value(union, &Avro::Union(0, Box::new(Avro::Null))),
            Json::Null
        );
        assert_eq!(
            walk_value(
                json!(["null", "long"]),
                &Avro::Union(1, Box::new(Avro::Long(7)))
            ),
            json!(7)
        );
        assert_eq!(walk_value(json!("float"), &Avro::Float(1.1)), json!(1.1));
        let decimal =
            json!({"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2});
        assert_eq!(
            walk_value(
                decimal,
                &Avro::Decimal(apache_avro::Decimal::from(vec![0, 0, 0x30, 0x39]))
            ),
            json!("MDk=")
        );
        let entries = json!({"type": "array", "items": {"type": "record", "name": "MapEntry",
            "namespace": "io.confluent.connect.avro",
            "fields": [{"name": "key", "type": "int"}, {"name": "value", "type": "string"}]}});
        assert_eq!(
            connect(entries.clone())["type"],
            "map",
            "an array of MapEntry records is a map"
        );
        assert_eq!(
            walk_value(
                entries,
                &Avro::Array(vec![Avro::Record(vec![
                    ("key".into(), Avro::Int(1)),
                    ("value".into(), Avro::String("a".into()))
                ])])
            ),
            json!([[1, "a"]])
        );
        let mut map = HashMap::new();
        map.insert("b".to_string(), Avro::Int(2));
        map.insert("a".to_string(), Avro::Int(1));
        let text = walk_value(json!({"type": "map", "values": "int"}), &Avro::Map(map)).to_string();
        assert_eq!(text, r#"{"a":1,"b":2}"#, "keys in order");
        let fixed = json!({"type": "fixed", "name": "Hash", "size": 2});
        assert_eq!(connect(fixed.clone())["parameters"][FIXED_SIZE], "2");
        assert_eq!(
            walk_value(fixed, &Avro::Fixed(2, vec![1, 2])),
            json!("AQI=")
        );
    }
}
