//! `json-schema` converter: Confluent's
//! `io.confluent.connect.json.JsonSchemaConverter`, reading. A key or value
//! in Confluent's wire format (magic byte 0, the schema's 4-byte big-endian
//! id, the JSON text) is read with the JSON Schema the host looks up by id
//! in the schema registry (the `schema-registry` capability; references are
//! looked up too), and becomes Connect data as Confluent's `JsonSchemaData`
//! makes it: objects are structs (fields ordered by `connect.index`, else as
//! Java's `HashMap` orders them), `integer` is int64 and `number` float64
//! unless `connect.type` says otherwise, a `oneOf`/`anyOf` with `null` is
//! optional, other unions are `io.confluent.connect.json.OneOf` structs,
//! `enum` and `const` strings with their symbols as parameters, `title` the
//! schema's name (which makes Decimal, Date, Time and Timestamp), and
//! `connect.type: map` maps. With `json.fail.invalid.schema=true` each value
//! is first validated against every keyword of its JSON Schema (the boon
//! crate, draft 7 unless `$schema` names another), as Confluent's
//! deserializer validates it. See `docs/json-schema.md`.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Map, Value as Json};
use sluice_sdk::java;
use sluice_sdk::registry::{self, RegistryError, Versioned};
use sluice_sdk::schema::{DATE, DECIMAL, Field, Schema, TIME, TIMESTAMP, Type};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Converted, Converter, Part, Plugin, PluginInfo, Record,
    ValueKind,
};

const ONE_OF: &str = "io.confluent.connect.json.OneOf";
const ONE_OF_FIELD: &str = "io.confluent.connect.json.OneOf.field.";
const ENUM: &str = "io.confluent.connect.json.Enum";
/// Nesting beyond this is refused (a recursive schema has no Connect form).
const MAX_DEPTH: usize = 64;

/// Validation error text beyond this many bytes of the JSON is cut.
const PREVIEW: usize = 256;

/// A writer schema, read once per id.
struct Writer {
    connect: Arc<Schema>,
    /// The compiled JSON Schema, when values are validated.
    validator: Option<Validator>,
    /// The root schema's `title`: its name for the subject name strategies.
    title: Option<String>,
}

/// A JSON Schema compiled for validation.
struct Validator {
    schemas: boon::Schemas,
    root: boon::SchemaIndex,
}

/// The schema's references, served to the validator by name: `$ref`
/// resolves a reference's name against the root schema's location, so a
/// URL is matched by the whole name, or else by its last path segment, as
/// the schema walk matches them.
struct References(Vec<(String, Json)>);

impl boon::UrlLoader for References {
    fn load(&self, url: &str) -> Result<Json, Box<dyn std::error::Error>> {
        let last = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
        self.0
            .iter()
            .find(|(name, _)| url == name || url.ends_with(&format!("/{name}")))
            .or_else(|| self.0.iter().find(|(name, _)| last(name) == last(url)))
            .map(|(_, doc)| doc.clone())
            .ok_or_else(|| format!("$ref {url:?} names no reference of the schema").into())
    }
}

impl Validator {
    /// Compiles `root` (schema `id`) with its reference documents.
    fn compile(id: u32, root: &Json, references: Vec<(String, Json)>) -> Result<Self, String> {
        let location = format!("https://schema-registry.invalid/schemas/ids/{id}");
        let mut compiler = boon::Compiler::new();
        // Confluent's validator reads a schema without `$schema` as draft 7.
        compiler.set_default_draft(boon::Draft::V7);
        compiler.use_loader(Box::new(References(references)));
        compiler
            .add_resource(&location, root.clone())
            .map_err(|e| format!("it cannot be compiled for validation: {e}"))?;
        let mut schemas = boon::Schemas::new();
        let root = compiler
            .compile(&location, &mut schemas)
            .map_err(|e| format!("it cannot be compiled for validation: {e}"))?;
        Ok(Validator { schemas, root })
    }

    /// Every keyword `value` breaks, one line: where and why.
    fn check(&self, value: &Json) -> Result<(), String> {
        let Err(e) = self.schemas.validate(value, self.root) else {
            return Ok(());
        };
        let mut leaves = Vec::new();
        collect_leaves(&e, &mut leaves);
        let shown = leaves.len().min(5);
        let mut why = leaves[..shown].join("; ");
        if leaves.len() > shown {
            why.push_str(&format!("; and {} more", leaves.len() - shown));
        }
        Err(why)
    }
}

/// The innermost causes of a validation error, as `at '/path': reason`.
fn collect_leaves(e: &boon::ValidationError<'_, '_>, out: &mut Vec<String>) {
    if e.causes.is_empty() {
        let at = e.instance_location.to_string();
        out.push(format!("at '{at}': {}", e.kind));
    } else {
        for c in &e.causes {
            collect_leaves(c, out);
        }
    }
}

/// The first bytes of a JSON text, for an error message.
fn preview(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(text);
    if s.len() <= PREVIEW {
        return s.into_owned();
    }
    let mut end = PREVIEW;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

/// The converter, configured.
pub struct JsonSchemaConverter {
    fail_invalid: bool,
    flatten_singletons: bool,
    optional_for_nonrequired: bool,
    cache_size: usize,
    writers: HashMap<u32, Arc<Writer>>,
    /// The Connect schemas with their registry versions, by subject and id.
    versioned: Versioned,
}

impl Plugin for JsonSchemaConverter {
    const INFO: PluginInfo = PluginInfo {
        name: "json-schema",
        version: env!("CARGO_PKG_VERSION"),
        description: "JSON in Confluent's wire format, JSON Schemas from the schema registry (Confluent's JsonSchemaConverter)",
        config: &[
            ConfigKey::connect_classes("io.confluent.connect.json.JsonSchemaConverter"),
            ConfigKey::optional(
                "json.fail.invalid.schema",
                ConfigType::Boolean,
                Some("false"),
                "Whether each value is validated against every keyword of its JSON Schema (minimum, pattern, format, additionalProperties, ...); a value that breaks one fails with the reason. Values are always read against their schema's types",
            ),
            ConfigKey::optional(
                "use.optional.for.nonrequired",
                ConfigType::Boolean,
                Some("false"),
                "Properties not listed in `required` become optional fields",
            ),
            ConfigKey::optional(
                "flatten.singleton.unions",
                ConfigType::Boolean,
                Some("true"),
                "A oneOf or anyOf of one schema is that schema",
            ),
            ConfigKey::optional(
                "schemas.cache.config",
                ConfigType::Integer,
                Some("1000"),
                "How many writer schemas are kept, each read once",
            ),
            ConfigKey::optional(
                "generalized.sum.type.support",
                ConfigType::Boolean,
                Some("false"),
                "Accepted; only false is supported",
            ),
            ConfigKey::optional(
                "ignore.modern.dialects",
                ConfigType::Boolean,
                Some("false"),
                "Accepted: every draft's keywords that map to Connect are read alike",
            ),
            ConfigKey::optional(
                "json.fail.unknown.properties",
                ConfigType::Boolean,
                Some("true"),
                "Accepted: it applies to binding Java classes, which a converter does not",
            ),
            ConfigKey::optional(
                "object.additional.properties",
                ConfigType::Boolean,
                Some("true"),
                "Accepted: it applies to writing JSON Schemas, which a sink does not",
            ),
            ConfigKey::optional(
                "decimal.format",
                ConfigType::String,
                Some("BASE64"),
                "Accepted: it applies to writing JSON, which a sink does not",
            ),
            ConfigKey::optional(
                "ignore.default.for.nullables",
                ConfigType::Boolean,
                Some("false"),
                "Accepted: it applies to writing JSON, which a sink does not",
            ),
            ConfigKey::optional(
                "key.subject.name.strategy",
                ConfigType::String,
                None,
                "The subject keys' schema versions are looked up under (TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy; a schema's name is its title); records are read by the id they carry",
            ),
            ConfigKey::optional(
                "value.subject.name.strategy",
                ConfigType::String,
                None,
                "The subject values' schema versions are looked up under (TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy; a schema's name is its title); records are read by the id they carry",
            ),
            ConfigKey::optional(
                "auto.register.schemas",
                ConfigType::Boolean,
                None,
                "Accepted: it applies to writing JSON, which a sink does not",
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
        if config.get_bool("generalized.sum.type.support") {
            return Err(
                "generalized.sum.type.support=true is not supported yet: remove it or set it to false"
                    .into(),
            );
        }
        let cache_size = config
            .get_int("schemas.cache.config")
            .filter(|n| *n > 0)
            .ok_or("schemas.cache.config must be a positive number")?;
        Ok(JsonSchemaConverter {
            fail_invalid: config.get_bool("json.fail.invalid.schema"),
            flatten_singletons: config.get_bool("flatten.singleton.unions"),
            optional_for_nonrequired: config.get_bool("use.optional.for.nonrequired"),
            cache_size: usize::try_from(cache_size).unwrap_or(usize::MAX),
            writers: HashMap::new(),
            versioned: Versioned::from_config(
                config,
                usize::try_from(cache_size).unwrap_or(usize::MAX),
            )?,
        })
    }
}

impl Converter for JsonSchemaConverter {
    fn convert<'a>(
        &mut self,
        part: Part,
        record: &Record<'a>,
        input: Option<&'a [u8]>,
    ) -> Result<Option<Converted<'a>>, String> {
        let Some(bytes) = input else { return Ok(None) };
        let failed = |why: String| {
            format!(
                "Converting byte[] to Kafka Connect data failed due to serialization error of topic {}: {why} (partition {} offset {})",
                record.topic, record.partition, record.offset
            )
        };
        let (id, text) = registry::confluent_framing(bytes)
            .ok_or_else(|| failed("Unknown magic byte!".into()))?;
        let writer = self
            .writer(id)
            .map_err(|e| failed(registry::retrieval_error(e, "JSON", part, id)))?;
        let json: Json = serde_json::from_slice(text)
            .map_err(|e| failed(format!("Error deserializing JSON message for id {id}: {e}")))?;
        if let Some(v) = &writer.validator {
            v.check(&json).map_err(|why| {
                failed(format!(
                    "JSON {} does not match schema {id}: {why}",
                    preview(text)
                ))
            })?;
        }
        let payload = value(&writer.connect, &json, 0)
            .map_err(|e| failed(format!("the JSON does not fit its schema (id {id}): {e}")))?;
        // The top-level schema carries its registry version, as Confluent's
        // deserializer sets it (AKJD `schemaVersion`).
        let connect = self
            .versioned
            .schema(
                record.topic,
                part,
                writer.title.as_deref(),
                id,
                &writer.connect,
            )
            .map_err(|e| failed(registry::retrieval_error(e, "JSON", part, id)))?;
        Ok(Some(
            Converted::new(payload.to_string().into_bytes(), ValueKind::Json).with_schema(&connect),
        ))
    }
}

impl JsonSchemaConverter {
    /// The writer schema of `id`, read once.
    fn writer(&mut self, id: u32) -> Result<Arc<Writer>, RegistryError> {
        if let Some(w) = self.writers.get(&id) {
            return Ok(w.clone());
        }
        let registered = registry::schema_by_id(id)?;
        if registered.schema_type != "JSON" {
            return Err(RegistryError::Refused(format!(
                "schema {id} is {}, not JSON: the topic is not written with Confluent's JSON Schema serializer",
                registered.schema_type
            )));
        }
        let refused = |e: String| RegistryError::Refused(format!("schema {id}: {e}"));
        // Documents `$ref` may name: the schema's references, by name.
        let mut documents: HashMap<String, Json> = HashMap::new();
        let mut references = Vec::new();
        for (name, s) in registry::referenced_schemas(&registered)? {
            let doc: Json = serde_json::from_str(&s.schema)
                .map_err(|e| refused(format!("reference {name}: not JSON: {e}")))?;
            if self.fail_invalid {
                references.push((name.clone(), doc.clone()));
            }
            documents.insert(name, doc);
        }
        let root: Json = serde_json::from_str(&registered.schema)
            .map_err(|e| refused(format!("not JSON: {e}")))?;
        let walk = Walk {
            documents: &documents,
            flatten: self.flatten_singletons,
            optional_for_nonrequired: self.optional_for_nonrequired,
        };
        let connect = walk.schema(&root, &root, false, 0).map_err(refused)?;
        let validator = if self.fail_invalid {
            Some(Validator::compile(id, &root, references).map_err(refused)?)
        } else {
            None
        };
        if self.writers.len() >= self.cache_size {
            self.writers.clear();
        }
        let writer = Arc::new(Writer {
            connect: Arc::new(connect),
            validator,
            title: root.get("title").and_then(Json::as_str).map(String::from),
        });
        self.writers.insert(id, writer.clone());
        Ok(writer)
    }
}

/// A walk over a JSON Schema document, with the documents its `$ref`s name.
struct Walk<'d> {
    documents: &'d HashMap<String, Json>,
    flatten: bool,
    optional_for_nonrequired: bool,
}

/// The JSON Schema `type` keyword's values, `null` left out; whether `null`
/// was among them.
fn types(o: &Map<String, Json>) -> (Vec<&str>, bool) {
    match o.get("type") {
        Some(Json::String(t)) if t == "null" => (Vec::new(), true),
        Some(Json::String(t)) => (vec![t.as_str()], false),
        Some(Json::Array(ts)) => {
            let all: Vec<&str> = ts.iter().filter_map(Json::as_str).collect();
            let null = all.contains(&"null");
            (all.into_iter().filter(|t| *t != "null").collect(), null)
        }
        _ => (Vec::new(), false),
    }
}

fn is_null_schema(s: &Json) -> bool {
    s.as_object().is_some_and(|o| {
        let (t, null) = types(o);
        t.is_empty() && null
    })
}

impl<'d> Walk<'d> {
    /// What `$ref` `r`, met in document `doc`, points at, and the document it is in.
    fn resolve(&self, doc: &'d Json, r: &str) -> Result<(&'d Json, &'d Json), String> {
        let (file, pointer) = r.split_once('#').unwrap_or((r, ""));
        let doc = if file.is_empty() {
            doc
        } else {
            self.documents
                .get(file)
                .or_else(|| {
                    // A reference named by a path or URL: match its last segment.
                    let last = file.rsplit('/').next().unwrap_or(file);
                    self.documents
                        .iter()
                        .find(|(n, _)| n.rsplit('/').next() == Some(last))
                        .map(|(_, d)| d)
                })
                .ok_or_else(|| format!("$ref {r:?} names no reference of the schema"))?
        };
        let target = if pointer.is_empty() {
            doc
        } else {
            doc.pointer(pointer)
                .ok_or_else(|| format!("$ref {r:?} points at nothing"))?
        };
        Ok((target, doc))
    }

    /// The Connect schema of JSON Schema `s` (found in document `doc`);
    /// `optional` as its place makes it.
    fn schema(
        &self,
        s: &Json,
        doc: &'d Json,
        optional: bool,
        depth: usize,
    ) -> Result<Schema, String> {
        if depth > MAX_DEPTH {
            return Err(
                "the schema nests too deep (a recursive schema has no Connect form)".into(),
            );
        }
        let o = match s {
            Json::Object(o) => o,
            Json::Bool(_) => return Err("Unsupported schema type BooleanSchema".into()),
            other => return Err(format!("not a JSON Schema: {other}")),
        };
        // `$ref`: the schema it names, its own keywords ignored.
        if let Some(r) = o.get("$ref").and_then(Json::as_str) {
            let (target, target_doc) = self.resolve(doc, r)?;
            return self.schema(target, target_doc, optional, depth + 1);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = o.get(key).and_then(Json::as_array) {
                return self.union(branches, doc, optional, depth);
            }
        }
        if let Some(all) = o.get("allOf").and_then(Json::as_array) {
            return self.all_of(all, doc, optional, depth);
        }
        let (tys, null) = types(o);
        if tys.len() > 1 {
            // `"type": ["string", "integer"]`: a union of the types.
            let branches: Vec<Json> = tys
                .iter()
                .map(|t| {
                    let mut b = o.clone();
                    b.insert("type".into(), Json::String((*t).into()));
                    Json::Object(b)
                })
                .chain(null.then(|| serde_json::json!({"type": "null"})))
                .collect();
            return self.union(&branches, doc, optional, depth);
        }
        let optional = optional || null;
        let connect_type = o.get("connect.type").and_then(Json::as_str);
        let mut out = if let Some(symbols) = o.get("enum").and_then(Json::as_array) {
            enumeration(symbols)
        } else if let Some(c) = o.get("const") {
            enumeration(std::slice::from_ref(c))
        } else {
            match tys.first().copied() {
                Some("boolean") => Schema::boolean(),
                Some("integer" | "number") => {
                    let integer = tys[0] == "integer";
                    match connect_type {
                        None if integer => Schema::int64(),
                        None => Schema::float64(),
                        Some("int8") => Schema::int8(),
                        Some("int16") => Schema::int16(),
                        Some("int32") => Schema::int32(),
                        Some("int64") => Schema::int64(),
                        Some("float32") => Schema::float32(),
                        Some("float64") => Schema::float64(),
                        Some("bytes") => Schema::bytes(),
                        Some(other) => return Err(format!("Unsupported type {other}")),
                    }
                }
                Some("string") => match connect_type {
                    Some("bytes") => Schema::bytes(),
                    _ => Schema::string(),
                },
                Some("array") => {
                    let items = match o.get("items") {
                        Some(i @ Json::Object(_)) => i,
                        _ => return Err("Array schema did not specify the items type".into()),
                    };
                    if connect_type == Some("map") {
                        let entry = self.deref(items, doc)?;
                        let prop = |k: &str| {
                            entry
                                .0
                                .get("properties")
                                .and_then(|p| p.get(k))
                                .ok_or_else(|| {
                                    format!(
                                        "a connect.type map array's items have no {k:?} property"
                                    )
                                })
                        };
                        Schema::map(
                            self.schema(prop("key")?, entry.1, false, depth + 1)?,
                            self.schema(prop("value")?, entry.1, false, depth + 1)?,
                        )
                    } else {
                        Schema::array(self.schema(items, doc, false, depth + 1)?)
                    }
                }
                Some("object") if connect_type == Some("map") => {
                    let values = o
                        .get("additionalProperties")
                        .filter(|v| v.is_object())
                        .ok_or("a connect.type map object has no additionalProperties schema")?;
                    Schema::map(
                        Schema::string(),
                        self.schema(values, doc, false, depth + 1)?,
                    )
                }
                Some("object") => self.structure(o, doc, depth)?,
                None if o.contains_key("properties") => self.structure(o, doc, depth)?,
                _ if null => return Err("Unsupported schema type NullSchema".into()),
                _ => {
                    return Err(format!(
                        "Unsupported schema type: {}",
                        Json::Object(o.clone())
                    ));
                }
            }
        };
        self.annotate(&mut out, o, optional)?;
        Ok(out)
    }

    /// `s` with its `$ref` followed, and the document it is in.
    fn deref<'s>(&self, s: &'s Json, doc: &'d Json) -> Result<(&'s Json, &'d Json), String>
    where
        'd: 's,
    {
        match s.get("$ref").and_then(Json::as_str) {
            Some(r) => self.resolve(doc, r),
            None => Ok((s, doc)),
        }
    }

    /// `title` (the name), `connect.version`, `description`,
    /// `connect.parameters` and `default`, as `JsonSchemaData` reads them.
    fn annotate(
        &self,
        out: &mut Schema,
        o: &Map<String, Json>,
        optional: bool,
    ) -> Result<(), String> {
        if out.name.is_none()
            && let Some(t) = o.get("title").and_then(Json::as_str)
        {
            out.name = Some(t.to_string());
            // The logical types are named by their title.
            match t {
                DECIMAL if out.ty != Type::Bytes => {
                    return Err(format!("{t} must be bytes (connect.type bytes)"));
                }
                DATE | TIME if out.ty != Type::Int32 => {
                    return Err(format!("{t} must be an int32 (connect.type int32)"));
                }
                TIMESTAMP if out.ty != Type::Int64 => {
                    return Err(format!("{t} must be an int64"));
                }
                _ => {}
            }
        }
        if let Some(v) = o.get("connect.version").and_then(Json::as_i64) {
            out.version = i32::try_from(v).ok();
        }
        if let Some(d) = o.get("description").and_then(Json::as_str) {
            out.doc = Some(d.to_string());
        }
        if let Some(p) = o.get("connect.parameters").and_then(Json::as_object) {
            let params = out.parameters.get_or_insert_with(Vec::new);
            for (k, v) in p {
                let v = v
                    .as_str()
                    .ok_or_else(|| format!("connect.parameters {k:?} must be a string"))?;
                params.push((k.clone(), v.to_string()));
            }
        }
        if out.name.as_deref() == Some(DECIMAL) && out.parameter("scale").is_none() {
            return Err("Invalid Decimal schema: scale parameter not found.".into());
        }
        if optional {
            out.optional = true;
        }
        if let Some(d) = o.get("default")
            && (!d.is_null() || out.optional)
        {
            out.default = Some(value(out, d, 0).map_err(|e| format!("its default: {e}"))?);
        }
        Ok(())
    }

    fn union(
        &self,
        branches: &[Json],
        doc: &'d Json,
        optional: bool,
        depth: usize,
    ) -> Result<Schema, String> {
        if self.flatten && branches.len() == 1 {
            return self.schema(&branches[0], doc, optional, depth + 1);
        }
        if branches.len() == 2 {
            for (a, b) in [(0, 1), (1, 0)] {
                if is_null_schema(&branches[a]) {
                    return self.schema(&branches[b], doc, true, depth + 1);
                }
            }
        }
        let mut fields = Vec::new();
        let mut nullable = optional;
        for b in branches {
            if is_null_schema(b) {
                nullable = true;
                continue;
            }
            let i = fields.len();
            let s = self.schema(b, doc, true, depth + 1)?;
            fields.push(Field::new(format!("{ONE_OF_FIELD}{i}"), s));
        }
        let s = Schema::structure(fields).named(ONE_OF);
        Ok(if nullable { s.optional() } else { s })
    }

    /// `allOf`: the properties of its object schemas merged into one
    /// struct; else the one branch that is not a constraint on it.
    fn all_of(
        &self,
        all: &[Json],
        doc: &'d Json,
        optional: bool,
        depth: usize,
    ) -> Result<Schema, String> {
        let mut props: Vec<(String, &Json, &'d Json, bool)> = Vec::new();
        let mut objects = 0;
        for b in all {
            let (b, bdoc) = self.deref(b, doc)?;
            if let Some(p) = b.get("properties").and_then(Json::as_object) {
                objects += 1;
                let required: Vec<&str> = b
                    .get("required")
                    .and_then(Json::as_array)
                    .map(|r| r.iter().filter_map(Json::as_str).collect())
                    .unwrap_or_default();
                for (name, s) in p {
                    if !props.iter().any(|(n, ..)| n == name) {
                        props.push((name.clone(), s, bdoc, required.contains(&name.as_str())));
                    }
                }
            }
        }
        if objects > 0 {
            let mut fields = Vec::new();
            for (name, s, sdoc, required) in props {
                let opt = self.optional_for_nonrequired && !required;
                fields.push(Field::new(name, self.schema(s, sdoc, opt, depth + 1)?));
            }
            let s = Schema::structure(fields);
            return Ok(if optional { s.optional() } else { s });
        }
        // A typed branch beside constraints (`format`, `minimum`...).
        let typed: Vec<&Json> = all
            .iter()
            .filter(|b| {
                b.get("type").is_some()
                    || b.get("$ref").is_some()
                    || b.get("enum").is_some()
                    || b.get("const").is_some()
                    || b.get("oneOf").is_some()
                    || b.get("anyOf").is_some()
            })
            .collect();
        match typed.as_slice() {
            [one] => self.schema(one, doc, optional, depth + 1),
            _ => Err("Unsupported criterion allOf: its branches are not objects and not one typed schema".into()),
        }
    }

    /// An object schema's struct: its properties ordered by
    /// `connect.index`, else as Confluent's converter orders them.
    fn structure(
        &self,
        o: &Map<String, Json>,
        doc: &'d Json,
        depth: usize,
    ) -> Result<Schema, String> {
        let empty = Map::new();
        let props = o
            .get("properties")
            .and_then(Json::as_object)
            .unwrap_or(&empty);
        let required: Vec<&str> = o
            .get("required")
            .and_then(Json::as_array)
            .map(|r| r.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let names: Vec<&String> = props.keys().collect();
        let hashes: Vec<i32> = names.iter().map(|n| java::string_hash(n)).collect();
        let order = java::hash_map_order(&hashes);
        let mut indexed: std::collections::BTreeMap<i64, (&String, &Json)> =
            std::collections::BTreeMap::new();
        for i in order {
            let name = names[i];
            let s = &props[name.as_str()];
            let index = s
                .get("connect.index")
                .and_then(Json::as_i64)
                .unwrap_or(indexed.len() as i64);
            indexed.insert(index, (name, s));
        }
        let mut fields = Vec::new();
        for (_, (name, s)) in indexed {
            let opt = self.optional_for_nonrequired && !required.contains(&name.as_str());
            fields.push(Field::new(
                name.clone(),
                self.schema(s, doc, opt, depth + 1)?,
            ));
        }
        Ok(Schema::structure(fields))
    }
}

/// A string enumeration: its symbols as parameters, as `JsonSchemaData`
/// writes them.
fn enumeration(symbols: &[Json]) -> Schema {
    let mut s = Schema::string().with_parameter(ENUM, "");
    for sym in symbols {
        let text = match sym {
            Json::Null => "<NULL>".to_string(),
            Json::String(t) => t.clone(),
            other => other.to_string(),
        };
        s = s.with_parameter(format!("{ENUM}.{text}"), text);
    }
    s
}

/// The Connect JSON form (`JsonConverter`'s payload) of `v`, read as schema
/// `s` says.
fn value(s: &Schema, v: &Json, depth: usize) -> Result<Json, String> {
    if depth > MAX_DEPTH {
        return Err("the value nests too deep".into());
    }
    if v.is_null() {
        if let Some(d) = &s.default {
            return Ok(d.clone());
        }
        if s.optional {
            return Ok(Json::Null);
        }
        return Err(format!(
            "Invalid null value for required {} field",
            s.ty.connect_name()
        ));
    }
    let mismatch = || format!("a {} value cannot be {}", s.ty.connect_name(), kind_of(v));
    match (&s.ty, s.name.as_deref()) {
        (Type::Bytes, Some(DECIMAL)) => {
            let scale: i32 = s
                .parameter("scale")
                .and_then(|p| p.parse().ok())
                .ok_or("Invalid Decimal schema: scale parameter not found.")?;
            match v {
                Json::String(b64) => {
                    base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map_err(|_| "Invalid bytes for Decimal field".to_string())?;
                    Ok(v.clone())
                }
                Json::Number(n) => decimal_from_number(&n.to_string(), scale).map(Json::String),
                _ => Err(format!(
                    "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
                    kind_of(v)
                )),
            }
        }
        (Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64, _) => {
            let n = v.as_i64().ok_or_else(mismatch)?;
            let (lo, hi) = match s.ty {
                Type::Int8 => (i64::from(i8::MIN), i64::from(i8::MAX)),
                Type::Int16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
                Type::Int32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
                _ => (i64::MIN, i64::MAX),
            };
            if n < lo || n > hi {
                return Err(format!(
                    "{n} is out of range for a {} field",
                    s.ty.connect_name()
                ));
            }
            if s.name.as_deref() == Some(TIME) && !(0..=86_400_000).contains(&n) {
                return Err(format!("{n} is not a time of day in milliseconds"));
            }
            Ok(v.clone())
        }
        (Type::Float32 | Type::Float64, _) => v.is_number().then(|| v.clone()).ok_or_else(mismatch),
        (Type::Boolean, _) => v.is_boolean().then(|| v.clone()).ok_or_else(mismatch),
        (Type::String, _) => v.is_string().then(|| v.clone()).ok_or_else(mismatch),
        (Type::Bytes, _) => {
            let b64 = v.as_str().ok_or_else(mismatch)?;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| "Invalid bytes field".to_string())?;
            Ok(v.clone())
        }
        (Type::Array(items), _) => {
            let a = v.as_array().ok_or_else(mismatch)?;
            a.iter()
                .map(|x| value(items, x, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Json::Array)
        }
        (Type::Map(k, vs), _) if k.ty == Type::String && !k.optional => {
            let o = v.as_object().ok_or_else(|| {
                format!(
                    "Maps with string fields should be encoded as JSON objects, but found {}",
                    kind_of(v)
                )
            })?;
            let mut out = Map::new();
            for (key, x) in o {
                out.insert(key.clone(), value(vs, x, depth + 1)?);
            }
            Ok(Json::Object(out))
        }
        (Type::Map(k, vs), _) => {
            let a = v.as_array().ok_or_else(|| {
                format!(
                    "Maps with non-string fields should be encoded as JSON array of objects, but found {}",
                    kind_of(v)
                )
            })?;
            // Connect's JSON form of such a map: an array of [key, value] pairs.
            let mut out = Vec::with_capacity(a.len());
            for e in a {
                let o = e
                    .as_object()
                    .ok_or_else(|| format!("Found invalid map entry instead of object: {e}"))?;
                if o.len() != 2 {
                    return Err(format!(
                        "Found invalid map entry, expected length 2 but found :{}",
                        o.len()
                    ));
                }
                let key = o.get("key").ok_or("a map entry without a key")?;
                let val = o.get("value").ok_or("a map entry without a value")?;
                out.push(Json::Array(vec![
                    value(k, key, depth + 1)?,
                    value(vs, val, depth + 1)?,
                ]));
            }
            Ok(Json::Array(out))
        }
        (Type::Struct(fields), Some(ONE_OF)) => {
            let branch = fields
                .iter()
                .position(|f| fits(&f.schema, v))
                .ok_or("Did not find matching oneof field for data")?;
            let mut out = Map::new();
            for (i, f) in fields.iter().enumerate() {
                let x = if i == branch {
                    value(&f.schema, v, depth + 1)?
                } else {
                    Json::Null
                };
                out.insert(f.name.clone(), x);
            }
            Ok(Json::Object(out))
        }
        (Type::Struct(fields), _) => {
            let o = v.as_object().ok_or_else(|| {
                format!(
                    "Structs should be encoded as JSON objects, but found {}",
                    kind_of(v)
                )
            })?;
            let mut out = Map::new();
            for f in fields {
                let x = match o.get(&f.name) {
                    Some(x) => {
                        value(&f.schema, x, depth + 1).map_err(|e| format!("{}: {e}", f.name))?
                    }
                    // Missing: the default, else null, as Confluent reads it.
                    None => f.schema.default.clone().unwrap_or(Json::Null),
                };
                out.insert(f.name.clone(), x);
            }
            Ok(Json::Object(out))
        }
    }
}

/// Whether `v` fits union branch `s`, as Confluent's converter picks the
/// first branch that does.
fn fits(s: &Schema, v: &Json) -> bool {
    match &s.ty {
        Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64 => v.is_i64() || v.is_u64(),
        Type::Float32 | Type::Float64 => v.is_number(),
        Type::Boolean => v.is_boolean(),
        Type::String => v.is_string(),
        Type::Bytes => v.is_f64(),
        Type::Array(_) => v.is_array(),
        Type::Map(..) => v.is_object() || v.is_array(),
        Type::Struct(fields) => v
            .as_object()
            .is_some_and(|o| fields.iter().any(|f| o.contains_key(&f.name))),
    }
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "NULL",
        Json::Bool(_) => "BOOLEAN",
        Json::Number(_) => "NUMBER",
        Json::String(_) => "STRING",
        Json::Array(_) => "ARRAY",
        Json::Object(_) => "OBJECT",
    }
}

/// A decimal written as a JSON number, as Connect's Decimal payload: the
/// base64 of its unscaled value at the schema's `scale`, big-endian two's
/// complement. A number with more fraction digits than the scale is refused
/// rather than rounded.
fn decimal_from_number(text: &str, scale: i32) -> Result<String, String> {
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (
            m,
            e.parse::<i32>()
                .map_err(|_| format!("{text} is not a decimal"))?,
        ),
        None => (text, 0),
    };
    let negative = mantissa.starts_with('-');
    let mantissa = mantissa.trim_start_matches(['-', '+']);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int}{frac}");
    // The number is digits × 10^(exp - frac.len()); bring it to 10^-scale.
    let shift = i64::from(scale) + i64::from(exp) - frac.len() as i64;
    if shift >= 0 {
        digits.extend(std::iter::repeat_n(
            '0',
            usize::try_from(shift).unwrap_or(0),
        ));
    } else {
        let cut = usize::try_from(-shift).unwrap_or(usize::MAX);
        if cut > digits.len() || digits[digits.len() - cut..].chars().any(|c| c != '0') {
            return Err(format!(
                "{text} has more fraction digits than the Decimal's scale {scale}"
            ));
        }
        digits.truncate(digits.len() - cut);
    }
    let unscaled: i128 = if digits.is_empty() {
        0
    } else {
        digits
            .parse()
            .map_err(|_| format!("{text} is too large for a Decimal of scale {scale}"))?
    };
    let unscaled = if negative { -unscaled } else { unscaled };
    let bytes = unscaled.to_be_bytes().to_vec();
    let redundant = bytes
        .windows(2)
        .take_while(|w| (w[0] == 0 && w[1] & 0x80 == 0) || (w[0] == 0xFF && w[1] & 0x80 != 0))
        .count();
    Ok(base64::engine::general_purpose::STANDARD.encode(&bytes[redundant..]))
}

sluice_sdk::export_converter!(JsonSchemaConverter);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn walk_schema(s: &Json) -> Result<Schema, String> {
        let docs = HashMap::new();
        let w = Walk {
            documents: &docs,
            flatten: true,
            optional_for_nonrequired: false,
        };
        w.schema(s, s, false, 0)
    }

    #[test]
    fn properties_without_connect_index_come_in_hash_map_order() {
        // The research note's example: id,name,ts,amount -> amount,name,id,ts.
        let s = walk_schema(&json!({"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"},
            "ts": {"type": "integer"}, "amount": {"type": "number"}}}))
        .unwrap();
        let names: Vec<&str> = s.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["amount", "name", "id", "ts"]);
    }

    #[test]
    fn connect_index_orders_fields() {
        let s = walk_schema(&json!({"type": "object", "properties": {
            "b": {"type": "integer", "connect.index": 1}, "a": {"type": "string", "connect.index": 0}}}))
        .unwrap();
        let names: Vec<&str> = s.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn types_map_as_json_schema_data_maps_them() {
        let s = walk_schema(&json!({"type": "object", "title": "Order", "properties": {
            "id": {"type": "integer", "connect.index": 0},
            "n16": {"type": "integer", "connect.type": "int16", "connect.index": 1},
            "f": {"type": "number", "connect.index": 2},
            "note": {"oneOf": [{"type": "null"}, {"type": "string"}], "connect.index": 3},
            "ts": {"type": "integer", "connect.type": "int64", "title": TIMESTAMP, "connect.index": 4},
            "amount": {"type": "string", "connect.type": "bytes", "title": DECIMAL,
                        "connect.parameters": {"scale": "2"}, "connect.index": 5},
            "tags": {"type": "array", "items": {"type": "string"}, "connect.index": 6},
            "attrs": {"type": "object", "connect.type": "map", "additionalProperties": {"type": "number"}, "connect.index": 7},
            "either": {"oneOf": [{"type": "integer"}, {"type": "string"}], "connect.index": 8},
            "status": {"type": "string", "enum": ["NEW", "PAID"], "connect.index": 9}
        }}))
        .unwrap();
        assert_eq!(s.name.as_deref(), Some("Order"));
        let f = |n: &str| s.field(n).unwrap().schema.clone();
        assert_eq!(f("id").ty, Type::Int64);
        assert_eq!(f("n16").ty, Type::Int16);
        assert_eq!(f("f").ty, Type::Float64);
        assert!(f("note").optional && f("note").ty == Type::String);
        assert_eq!(f("ts").name.as_deref(), Some(TIMESTAMP));
        assert_eq!(f("amount").parameter("scale"), Some("2"));
        assert!(matches!(f("tags").ty, Type::Array(_)));
        assert!(matches!(f("attrs").ty, Type::Map(..)));
        assert_eq!(f("either").name.as_deref(), Some(ONE_OF));
        assert_eq!(f("either").fields()[1].name, format!("{ONE_OF_FIELD}1"));
        assert_eq!(f("status").parameter(&format!("{ENUM}.PAID")), Some("PAID"));
        let v = value(
            &s,
            &json!({"id": 1, "n16": 2, "f": 1.5, "note": null, "ts": 1700000000000i64,
                    "amount": 123.45, "tags": ["a"], "attrs": {"x": 1}, "either": "e", "status": "NEW"}),
            0,
        )
        .unwrap();
        assert_eq!(v["amount"], json!("MDk="), "12345 at scale 2");
        assert_eq!(
            v["either"],
            json!({format!("{ONE_OF_FIELD}0"): null, format!("{ONE_OF_FIELD}1"): "e"})
        );
        assert!(
            value(&s, &json!({"id": "1"}), 0)
                .unwrap_err()
                .contains("id")
        );
    }

    #[test]
    fn decimals_from_numbers_take_the_schema_scale_or_are_refused() {
        assert_eq!(decimal_from_number("123.45", 2).unwrap(), "MDk=");
        assert_eq!(
            decimal_from_number("1.2E2", 0).unwrap(),
            base64::engine::general_purpose::STANDARD.encode([120])
        );
        assert_eq!(
            decimal_from_number("-1", 1).unwrap(),
            base64::engine::general_purpose::STANDARD.encode([0xF6])
        );
        assert!(decimal_from_number("1.234", 2).is_err());
    }

    #[test]
    fn validation_names_every_broken_keyword_and_its_place() {
        let schema = json!({"type": "object", "properties": {
            "id": {"type": "integer", "minimum": 0},
            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "email": {"type": "string", "format": "email"},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}}},
            "required": ["id"], "additionalProperties": false});
        let v = Validator::compile(7, &schema, Vec::new()).unwrap();
        v.check(&json!({"id": 1, "code": "ABC", "email": "a@b.example", "tags": ["x"]}))
            .unwrap();
        let why = v
            .check(&json!({"id": -1, "code": "abc", "email": "nope", "tags": ["long"], "extra": 1}))
            .unwrap_err();
        for part in ["'/id'", "'/code'", "'/email'", "'/tags/0'", "extra"] {
            assert!(why.contains(part), "{part} missing from: {why}");
        }
        assert!(v.check(&json!({"code": "ABC"})).unwrap_err().contains("id"));
    }

    #[test]
    fn validation_follows_references_by_name_and_the_schemas_draft() {
        let customer =
            json!({"type": "object", "properties": {"age": {"type": "integer", "maximum": 150}}});
        let root = json!({"type": "object", "properties": {"c": {"$ref": "customer.json"}}});
        let v =
            Validator::compile(1, &root, vec![("customer.json".into(), customer.clone())]).unwrap();
        v.check(&json!({"c": {"age": 30}})).unwrap();
        assert!(
            v.check(&json!({"c": {"age": 200}}))
                .unwrap_err()
                .contains("/c/age")
        );
        // A reference named by a URL, the root at another base.
        let root = json!({"$id": "https://example.com/schemas/order.json", "type": "object",
                          "properties": {"c": {"$ref": "https://example.com/schemas/customer.json"}}});
        let v = Validator::compile(
            2,
            &root,
            vec![("https://example.com/schemas/customer.json".into(), customer)],
        )
        .unwrap();
        assert!(v.check(&json!({"c": {"age": 200}})).is_err());
        // A reference the schema does not list is a compile error, named.
        let Err(missing) = Validator::compile(3, &json!({"$ref": "other.json"}), Vec::new()) else {
            panic!("a $ref to no reference compiled");
        };
        assert!(missing.contains("other.json"), "{missing}");
        // Draft 2020-12 when `$schema` says so: prefixItems is a keyword there.
        let tuple = json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
                           "type": "array", "prefixItems": [{"type": "integer"}]});
        let v = Validator::compile(4, &tuple, Vec::new()).unwrap();
        assert!(v.check(&json!(["x"])).is_err());
    }

    #[test]
    fn previews_cut_long_values_on_a_character_boundary() {
        assert_eq!(preview(b"{}"), "{}");
        let long = format!("\"{}\"", "é".repeat(300));
        let p = preview(long.as_bytes());
        assert!(p.ends_with(&format!("… ({} bytes)", long.len())), "{p}");
    }

    #[test]
    fn local_refs_resolve() {
        let s = walk_schema(&json!({"type": "object", "properties": {
            "a": {"$ref": "#/definitions/A", "connect.index": 0}},
            "definitions": {"A": {"type": "object", "title": "A", "properties": {"x": {"type": "boolean"}}}}}))
        .unwrap();
        assert_eq!(s.fields()[0].schema.name.as_deref(), Some("A"));
    }
}
