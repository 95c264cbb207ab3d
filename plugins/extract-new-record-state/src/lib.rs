//! `extract-new-record-state` transform: Debezium's
//! `io.debezium.transforms.ExtractNewRecordState` (Debezium 3). A change
//! event's envelope (a struct whose schema's name ends in `.Envelope`, with
//! `before`, `after`, `source`, `op`, `ts_ms` and `transaction`) becomes the
//! row it carries: `after` for creates, updates and snapshot reads, and for
//! a delete what `delete.tombstone.handling.mode` says. `add.fields` and
//! `add.headers` copy envelope fields (`op`, `source.ts_ms`, ...) into the
//! row or into headers, `route.by.field` names the topic after a column, and
//! `drop.fields.header.name` removes the columns a header lists. A record
//! that is not an envelope, a schemaless one included, passes unchanged, as
//! with Debezium's.

use std::sync::Arc;

use serde_json::{Map, Value};
use sluice_sdk::java::{HeaderConverter, header_text};
use sluice_sdk::schema::{Field, Schema, Type};
use sluice_sdk::smt::{self, Data};
use sluice_sdk::{
    Config, ConfigKey, ConfigType, Emitter, Part, Plugin, PluginInfo, Record, Transform,
};

/// Debezium's suffix of an envelope schema's name.
const ENVELOPE_SUFFIX: &str = ".Envelope";
/// The field the rewrite modes add to a row.
const DELETED_FIELD: &str = "__deleted";
const MODE_KEY: &str = "delete.tombstone.handling.mode";

/// What becomes of delete events and tombstones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Deletes and tombstones are dropped.
    Drop,
    /// A delete becomes a record with a null value (keeping the row's
    /// schema); tombstones are dropped.
    Tombstone,
    /// A delete becomes its `before` row with `__deleted` = "true" (other
    /// rows get "false"); tombstones are dropped.
    Rewrite,
    /// As `Rewrite`, and tombstones are kept.
    RewriteWithTombstone,
    /// A delete becomes a tombstone (null value, no schema); tombstones
    /// are dropped.
    DeleteToTombstone,
}

impl Mode {
    const ALL: [(&'static str, Mode); 5] = [
        ("drop", Mode::Drop),
        ("tombstone", Mode::Tombstone),
        ("rewrite", Mode::Rewrite),
        ("rewrite-with-tombstone", Mode::RewriteWithTombstone),
        ("delete-to-tombstone", Mode::DeleteToTombstone),
    ];

    fn parse(text: &str) -> Result<Mode, String> {
        Mode::ALL
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text.trim()))
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                let names: Vec<&str> = Mode::ALL.iter().map(|(n, _)| *n).collect();
                format!(
                    "Invalid value {text} for configuration {MODE_KEY}: must be one of {}",
                    names.join(", ")
                )
            })
    }

    fn rewrites(self) -> bool {
        matches!(self, Mode::Rewrite | Mode::RewriteWithTombstone)
    }
}

/// An envelope field that `add.fields` or `add.headers` copies.
#[derive(Clone, Debug, PartialEq)]
struct FieldRef {
    /// The envelope's struct holding the field (`source`, `transaction`),
    /// or `None` for the envelope's own `op`, `ts_ms`, `ts_us`, `ts_ns`.
    parent: Option<String>,
    field: String,
    /// The name the copy gets: the prefix and the field (`__op`,
    /// `__source_ts_ms`), or the prefix and the name after a colon.
    name: String,
}

/// Java's `String.split`: trailing empty items are left out.
fn java_split(text: &str, separator: char) -> Vec<&str> {
    let mut items: Vec<&str> = text.split(separator).collect();
    if text.is_empty() {
        return items;
    }
    while items.last() == Some(&"") {
        items.pop();
    }
    items
}

/// Java's `Strings.isNullOrBlank` for a present string.
fn is_blank(s: &str) -> bool {
    s.chars().all(|c| c <= ' ')
}

impl FieldRef {
    /// One item of `add.fields` or `add.headers`: `op`, `source.ts_ms`,
    /// `table:TABLE_NAME`.
    fn parse(prefix: &str, text: &str) -> Result<FieldRef, String> {
        let parts = java_split(text, ':');
        let path = java_split(parts.first().copied().unwrap_or_default(), '.');
        let unexpected = || format!("Unexpected field name: {text}");
        let (parent, field) = match path.as_slice() {
            [field] => (Self::parent_of(field), field.to_string()),
            [parent, field, ..] => (Some(parent.to_string()), field.to_string()),
            [] => return Err(unexpected()),
        };
        let name = match parts.as_slice() {
            [_] if path.len() == 1 => format!("{prefix}{field}"),
            [_] => format!("{prefix}{}_{field}", parent.as_deref().unwrap_or_default()),
            [_, renamed] => format!("{prefix}{renamed}"),
            _ => return Err(unexpected()),
        };
        Ok(FieldRef {
            parent,
            field,
            name,
        })
    }

    /// The envelope's struct an unqualified field lives in.
    fn parent_of(field: &str) -> Option<String> {
        match field {
            "id" | "data_collection_order" | "total_order" => Some("transaction".into()),
            "op" | "ts_ms" | "ts_us" | "ts_ns" => None,
            "updateDescription" => Some("updateDescription".into()),
            _ => Some("source".into()),
        }
    }

    /// The schema of the field in the envelope: looked for in its struct,
    /// then among the envelope's own fields (another SMT may have put it
    /// there); `None` when neither has it (the field is not copied).
    fn schema<'s>(&self, envelope: &'s Schema) -> Result<Option<&'s Schema>, String> {
        let parent = match &self.parent {
            None => envelope,
            Some(p) => {
                &envelope
                    .field(p)
                    .ok_or_else(|| {
                        format!(
                            "the envelope has no field `{p}`, where `{}` is looked for (a Debezium envelope has `source` and `transaction`)",
                            self.field
                        )
                    })?
                    .schema
            }
        };
        Ok(parent
            .field(&self.field)
            .or_else(|| envelope.field(&self.field))
            .map(|f| &f.schema))
    }

    /// The field's value in the envelope, without its schema's default.
    fn value(&self, schema: &Schema, envelope: &Map<String, Value>) -> Value {
        let (parent_schema, parent) = match &self.parent {
            None => (schema, envelope),
            Some(p) => match (schema.field(p), envelope.get(p)) {
                (Some(f), Some(Value::Object(m))) => (&f.schema, m),
                _ => return Value::Null,
            },
        };
        let holder = if parent_schema.field(&self.field).is_some() {
            parent
        } else {
            envelope
        };
        holder.get(&self.field).cloned().unwrap_or(Value::Null)
    }

    /// The schema the copy gets: the field's type, name, version, doc and
    /// parameters, optional (Debezium's `copySchemaBasics(..).optional()`).
    fn copied_schema(&self, s: &Schema) -> Result<Schema, String> {
        if matches!(s.ty, Type::Struct(_) | Type::Array(_) | Type::Map(..)) {
            return Err(format!(
                "`{}` is a {}: add.fields and add.headers copy fields of primitive types (Debezium copies a struct's, array's or map's schema without its fields or items)",
                self.field,
                s.ty.json_name()
            ));
        }
        let mut copy = Schema::of(s.ty.clone()).optional();
        copy.name = s.name.clone();
        copy.version = s.version;
        copy.doc = s.doc.clone();
        copy.parameters = s.parameters.clone();
        Ok(copy)
    }
}

/// The transform, configured.
pub struct ExtractNewRecordState {
    mode: Mode,
    route_by: Option<String>,
    fields: Vec<FieldRef>,
    headers: Vec<FieldRef>,
    use_default: bool,
    drop_header: Option<String>,
    drop_from_key: bool,
    keep_compatible: bool,
    converter: HeaderConverter,
    /// A record without a schema was logged (once).
    warned: bool,
    derived: Derived,
}

/// The schemas derived from the schemas met, each made once: a batch's
/// records share their schemas, and so do the records made of them (the
/// host then receives each schema once per batch).
#[derive(Debug, Default)]
struct Derived {
    /// An envelope's `after` schema.
    after: smt::SchemaCache,
    /// An envelope's `before` schema.
    before: smt::SchemaCache,
    /// A row's schema with `__deleted`.
    marked: smt::SchemaCache,
    /// (row, envelope, the row's schema with the add.fields copies).
    added: Vec<(Arc<Schema>, Arc<Schema>, Arc<Schema>)>,
}

/// Derived schemas kept, as Kafka's SMTs keep them.
const CACHED: usize = 16;

fn same(a: &Arc<Schema>, b: &Arc<Schema>) -> bool {
    Arc::ptr_eq(a, b) || **a == **b
}

/// The schema of an envelope's field `name`, the same `Arc` for every
/// record of an envelope schema.
fn field_schema(
    cache: &mut smt::SchemaCache,
    envelope: &Arc<Schema>,
    name: &str,
) -> Result<Arc<Schema>, String> {
    cache.get_or_make(envelope, |s| {
        s.field(name)
            .map(|f| f.schema.clone())
            .ok_or_else(|| format!("Unknown field: {name}"))
    })
}

impl Plugin for ExtractNewRecordState {
    const INFO: PluginInfo = PluginInfo {
        name: "extract-new-record-state",
        version: env!("CARGO_PKG_VERSION"),
        description: "Unwraps Debezium's change events into the row they carry (Debezium's ExtractNewRecordState)",
        config: &[
            ConfigKey::connect_classes("io.debezium.transforms.ExtractNewRecordState"),
            ConfigKey::optional(
                MODE_KEY,
                ConfigType::String,
                Some("tombstone"),
                "What becomes of deletes and tombstones: drop (both dropped), tombstone (a delete becomes a null value; tombstones dropped), rewrite (a delete becomes its before row with __deleted=true, other rows get __deleted=false; tombstones dropped), rewrite-with-tombstone (as rewrite, tombstones kept), delete-to-tombstone (a delete becomes a tombstone; tombstones dropped)",
            ),
            ConfigKey::optional(
                "route.by.field",
                ConfigType::String,
                Some(""),
                "A string column of the row whose value becomes the topic (the before row's for a delete); empty: the topic stays",
            ),
            ConfigKey::optional(
                "add.fields",
                ConfigType::List,
                Some(""),
                "Envelope fields added to the row, e.g. op,table,source.ts_ms (named __op, __table, __source_ts_ms) or op:operation to name one",
            ),
            ConfigKey::optional(
                "add.fields.prefix",
                ConfigType::String,
                Some("__"),
                "The prefix of the fields add.fields adds",
            ),
            ConfigKey::optional(
                "add.headers",
                ConfigType::List,
                Some(""),
                "Envelope fields added as headers, named as add.fields names them (a tombstone gets op = d)",
            ),
            ConfigKey::optional(
                "add.headers.prefix",
                ConfigType::String,
                Some("__"),
                "The prefix of the headers add.headers adds",
            ),
            ConfigKey::optional(
                "replace.null.with.default",
                ConfigType::Boolean,
                Some("true"),
                "When __deleted is added, a null column with a default takes the default",
            ),
            ConfigKey::optional(
                "drop.fields.header.name",
                ConfigType::String,
                None,
                "A header listing columns to remove from the row, as a JSON list of names",
            ),
            ConfigKey::optional(
                "drop.fields.from.key",
                ConfigType::Boolean,
                Some("false"),
                "The columns of drop.fields.header.name are removed from the key too",
            ),
            ConfigKey::optional(
                "drop.fields.keep.schema.compatible",
                ConfigType::Boolean,
                Some("true"),
                "Only optional columns are removed (true), or every column listed (false)",
            ),
            sluice_sdk::java::HEADER_CONVERTER_KEY,
        ],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let refs = |list: &str, prefix: &str| -> Result<Vec<FieldRef>, String> {
            let prefix = config.get(prefix).unwrap_or_default();
            config
                .get_list(list)
                .into_iter()
                .map(|item| FieldRef::parse(prefix, item))
                .collect()
        };
        let route_by = config.get("route.by.field").unwrap_or_default();
        let drop_header = config.get("drop.fields.header.name").unwrap_or_default();
        Ok(ExtractNewRecordState {
            mode: Mode::parse(config.require(MODE_KEY)?)?,
            route_by: (!route_by.is_empty()).then(|| route_by.to_string()),
            fields: refs("add.fields", "add.fields.prefix")?,
            headers: refs("add.headers", "add.headers.prefix")?,
            use_default: config.get_bool("replace.null.with.default"),
            drop_header: (!is_blank(drop_header)).then(|| drop_header.to_string()),
            drop_from_key: config.get_bool("drop.fields.from.key"),
            keep_compatible: config.get_bool("drop.fields.keep.schema.compatible"),
            converter: HeaderConverter::from_class(
                config.get("header.converter").unwrap_or_default(),
            )?,
            warned: false,
            derived: Derived::default(),
        })
    }
}

/// The topic a row names in `column` (`route.by.field`): `None` when the
/// value is null or blank (the topic stays).
fn route(
    schema: &Schema,
    row: &Map<String, Value>,
    column: &str,
) -> Result<Option<String>, String> {
    let field = schema
        .field(column)
        .ok_or_else(|| format!("{column} is not a valid field name (route.by.field)"))?;
    if field.schema.ty != Type::String {
        return Err(format!(
            "Field '{column}' is not of type STRING (route.by.field names the column holding the topic)"
        ));
    }
    Ok(match smt::field_value(schema, row, column, true) {
        Value::String(s) if !is_blank(&s) => Some(s),
        _ => None,
    })
}

impl ExtractNewRecordState {
    /// The headers `add.headers` adds; a tombstone gets only `op` (`d`).
    fn make_headers(
        &self,
        envelope: Option<&Data>,
    ) -> Result<Vec<(String, Option<String>)>, String> {
        let mut out = Vec::new();
        let Some(data) = envelope else {
            for r in self.headers.iter().filter(|r| r.field == "op") {
                out.push((r.name.clone(), Some("d".to_string())));
            }
            return Ok(out);
        };
        let (schema, fields) = smt::require_struct(data, "Debezium envelope")?;
        for r in &self.headers {
            if let Some(s) = r.schema(schema)? {
                let copied = r.copied_schema(s)?;
                out.push((
                    r.name.clone(),
                    header_text(self.converter, Some(&copied), &r.value(schema, fields)),
                ));
            }
        }
        Ok(out)
    }

    /// Kafka's `InsertField$Value` adding `__deleted` with `value`.
    fn mark_deleted(&mut self, row: &Data, value: &str) -> Result<Data, String> {
        let (schema, fields) = smt::require_struct(row, "field insertion")?;
        let marked = self.derived.marked.get_or_make(schema, |s| {
            if s.field(DELETED_FIELD).is_some() {
                return Err(format!(
                    "Cannot create field because of field name duplication {DELETED_FIELD}"
                ));
            }
            let mut all = s.fields().to_vec();
            all.push(Field::new(DELETED_FIELD, Schema::string().optional()));
            Ok(smt::struct_like(s, all))
        })?;
        let mut values: Map<String, Value> = schema
            .fields()
            .iter()
            .map(|f| {
                let v = smt::field_value(schema, fields, &f.name, self.use_default);
                (f.name.clone(), v)
            })
            .collect();
        values.insert(DELETED_FIELD.into(), value.into());
        Ok(Data::with_schema(marked, Value::Object(values)))
    }

    /// The row with the `add.fields` copies appended; the row's own
    /// columns are copied without their defaults.
    fn add_fields(
        &mut self,
        row: &Data,
        envelope: &Arc<Schema>,
        values: &Map<String, Value>,
    ) -> Result<Data, String> {
        let (schema, fields) = smt::require_struct(row, "source field insertion")?;
        let added = match self
            .derived
            .added
            .iter()
            .position(|(r, e, _)| same(r, schema) && same(e, envelope))
        {
            Some(i) => self.derived.added[i].2.clone(),
            None => {
                let made = Arc::new(self.added_schema(schema, envelope)?);
                if self.derived.added.len() == CACHED {
                    self.derived.added.remove(0);
                }
                self.derived
                    .added
                    .push((schema.clone(), envelope.clone(), made.clone()));
                made
            }
        };
        let mut out: Map<String, Value> = schema
            .fields()
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    fields.get(&f.name).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        for r in &self.fields {
            if r.schema(envelope)?.is_some() {
                out.insert(r.name.clone(), r.value(envelope, values));
            }
        }
        Ok(Data::with_schema(added, Value::Object(out)))
    }

    /// A row's schema with the copies `add.fields` adds, as Debezium
    /// builds it: a field no struct of the envelope has is left out.
    fn added_schema(&self, schema: &Schema, envelope: &Schema) -> Result<Schema, String> {
        let mut all = schema.fields().to_vec();
        for r in &self.fields {
            let Some(s) = r.schema(envelope)? else {
                continue;
            };
            if all.iter().any(|f| f.name == r.name) {
                return Err(format!(
                    "Cannot create field because of field name duplication {}",
                    r.name
                ));
            }
            all.push(Field::new(r.name.clone(), r.copied_schema(s)?));
        }
        Ok(smt::struct_like(schema, all))
    }

    /// The columns of `names` that are removed from a row of `schema`.
    fn columns_to_drop(
        &self,
        schema: Option<&Schema>,
        names: &[String],
    ) -> Result<Vec<String>, String> {
        if !self.keep_compatible {
            return Ok(names.to_vec());
        }
        let schema = schema.ok_or(
            "drop.fields.keep.schema.compatible needs a schema to find the optional columns, and this row has none",
        )?;
        Ok(schema
            .fields()
            .iter()
            .filter(|f| f.schema.optional && names.contains(&f.name))
            .map(|f| f.name.clone())
            .collect())
    }

    /// Kafka's `ReplaceField` with `exclude`: `names` removed.
    fn exclude(data: Data, names: &[String]) -> Result<Data, String> {
        if names.is_empty() || data.value.is_null() {
            return Ok(data);
        }
        match &data.schema {
            None => {
                let mut map = smt::require_map(&data.value, "field replacement")?.clone();
                map.retain(|k, _| !names.contains(k));
                Ok(Data::schemaless(Value::Object(map)))
            }
            Some(_) => {
                let (schema, fields) = smt::require_struct(&data, "field replacement")?;
                let kept: Vec<Field> = schema
                    .fields()
                    .iter()
                    .filter(|f| !names.contains(&f.name))
                    .cloned()
                    .collect();
                let values: Map<String, Value> = kept
                    .iter()
                    .map(|f| {
                        (
                            f.name.clone(),
                            smt::field_value(schema, fields, &f.name, true),
                        )
                    })
                    .collect();
                Ok(Data::with_schema(
                    smt::struct_like(schema, kept),
                    Value::Object(values),
                ))
            }
        }
    }

    /// `drop.fields.header.name`: the columns the header lists removed
    /// from the row (and the key with `drop.fields.from.key`).
    fn drop_fields(
        &self,
        record: &Record<'_>,
        added: &[(String, Option<String>)],
        key: &mut Option<Data>,
        row: Data,
    ) -> Result<Data, String> {
        let Some(header) = &self.drop_header else {
            return Ok(row);
        };
        let found = record
            .headers
            .iter()
            .find(|h| h.name == header)
            .map(|h| h.value.map(<[u8]>::to_vec))
            .or_else(|| {
                added
                    .iter()
                    .find(|(name, _)| name == header)
                    .map(|(_, v)| v.as_ref().map(|v| v.as_bytes().to_vec()))
            });
        let Some(Some(bytes)) = found else {
            return Ok(row);
        };
        let names: Vec<String> = match self.converter {
            HeaderConverter::Simple => serde_json::from_slice(&bytes).ok(),
            HeaderConverter::String => None,
        }
        .ok_or_else(|| {
            format!(
                "the header {header} (drop.fields.header.name) is not a list of column names such as [\"a\",\"b\"] read by SimpleHeaderConverter: {}",
                String::from_utf8_lossy(&bytes)
            )
        })?;
        if names.is_empty() {
            return Ok(row);
        }
        if self.drop_from_key && record.key.is_some() {
            let k = match key.take() {
                Some(k) => k,
                None => smt::read(record, Part::Key)?,
            };
            let drop = self.columns_to_drop(k.schema.as_deref(), &names)?;
            let unchanged = drop.is_empty();
            let k = Self::exclude(k, &drop)?;
            if !unchanged {
                *key = Some(k);
            }
        }
        let drop = self.columns_to_drop(row.schema.as_deref(), &names)?;
        Self::exclude(row, &drop)
    }
}

impl Transform for ExtractNewRecordState {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        let tombstone = record.value.is_none();
        let envelope = record
            .value_schema
            .and_then(|s| s.name.as_deref())
            .is_some_and(|n| n.ends_with(ENVELOPE_SUFFIX));
        if !tombstone && !envelope {
            if record.value_schema.is_none() && !std::mem::replace(&mut self.warned, true) {
                sluice_sdk::log::warn(&format!(
                    "a record without a schema passes unchanged, as with Debezium's ExtractNewRecordState (first: topic {} partition {} offset {}); a Debezium change event needs its schema: set value.converter.schemas.enable=true, or use the converter the events were written with",
                    record.topic, record.partition, record.offset
                ));
            }
            out.keep(record);
            return Ok(());
        }
        let data = if tombstone {
            None
        } else {
            Some(smt::read(record, Part::Value)?)
        };
        let added = if self.headers.is_empty() {
            Vec::new()
        } else {
            self.make_headers(data.as_ref())?
        };
        let emit = |out: &mut Emitter<'_>,
                    topic: Option<String>,
                    key: Option<Data>,
                    value: Option<Data>| {
            let mut changed = record.to_out();
            if let Some(t) = topic {
                changed.topic = t.into();
            }
            if let Some(k) = &key {
                smt::write(&mut changed, Part::Key, k);
            }
            if let Some(v) = &value {
                smt::write(&mut changed, Part::Value, v);
            }
            for (h, v) in &added {
                changed
                    .headers
                    .push((h.clone().into(), v.clone().map(|v| v.into_bytes().into())));
            }
            out.emit(&changed);
        };
        let Some(data) = data else {
            // A tombstone: kept only by rewrite-with-tombstone.
            if self.mode == Mode::RewriteWithTombstone {
                emit(out, None, None, None);
            }
            return Ok(());
        };
        let (schema, envelope) = smt::require_struct(&data, "field extraction")?;
        let after_schema = field_schema(&mut self.derived.after, schema, "after")?;
        let after = smt::field_value(schema, envelope, "after", true);
        let mut key = None;
        let mut topic = None;
        let row = if after.is_null() {
            let before_schema = field_schema(&mut self.derived.before, schema, "before")?;
            let before = smt::field_value(schema, envelope, "before", true);
            if before.is_null() {
                // A truncate, or a delete without its before row: dropped.
                return Ok(());
            }
            let before = Data::with_schema(before_schema.clone(), before);
            let mut row = match self.mode {
                Mode::Drop => return Ok(()),
                Mode::Tombstone => Data::with_schema(after_schema, Value::Null),
                Mode::DeleteToTombstone => Data::schemaless(Value::Null),
                Mode::Rewrite | Mode::RewriteWithTombstone => {
                    if before.value.is_object() && matches!(before_schema.ty, Type::Struct(_)) {
                        self.mark_deleted(&before, "true")?
                    } else {
                        before.clone()
                    }
                }
            };
            if let Some(column) = &self.route_by {
                let (s, m) =
                    smt::require_struct(&before, "Read record to set topic routing for DELETE")?;
                topic = route(s, m, column)?;
            }
            row = self.drop_fields(record, &added, &mut key, row)?;
            if !row.value.is_null() {
                row = self.add_fields(&row, schema, envelope)?;
            }
            row
        } else {
            let struct_row = matches!(after_schema.ty, Type::Struct(_));
            let mut row = Data::with_schema(after_schema, after);
            if self.mode.rewrites() && row.value.is_object() && struct_row {
                row = self.mark_deleted(&row, "false")?;
            }
            if let Some(column) = &self.route_by {
                let (s, m) = smt::require_struct(
                    &row,
                    "Read record to set topic routing for CREATE / UPDATE",
                )?;
                topic = route(s, m, column)?;
            }
            row = self.add_fields(&row, schema, envelope)?;
            self.drop_fields(record, &added, &mut key, row)?
        };
        emit(out, topic, key, Some(row));
        Ok(())
    }
}

sluice_sdk::export_transform!(ExtractNewRecordState);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_references_are_named_as_debezium_names_them() {
        let r = |t: &str| FieldRef::parse("__", t).unwrap();
        assert_eq!(
            r("op"),
            FieldRef {
                parent: None,
                field: "op".into(),
                name: "__op".into()
            }
        );
        assert_eq!(r("table").parent.as_deref(), Some("source"));
        assert_eq!(r("table").name, "__table");
        assert_eq!(r("source.ts_ms").name, "__source_ts_ms");
        assert_eq!(r("id").parent.as_deref(), Some("transaction"));
        assert_eq!(r("source.ts_ms:EVENT_TS").name, "__EVENT_TS");
        assert_eq!(r("op:").name, "__op");
        assert!(FieldRef::parse("__", "a:b:c").is_err());
    }

    #[test]
    fn the_mode_is_one_of_debeziums() {
        assert_eq!(Mode::parse(" Rewrite ").unwrap(), Mode::Rewrite);
        let e = Mode::parse("none").unwrap_err();
        assert!(e.contains("drop, tombstone, rewrite"), "{e}");
    }
}
