//! A payload read against its schema into Connect data, and Connect data
//! written back as the JSON Kafka's `JsonConverter` (without envelope)
//! writes for it: fields in schema order and only those, defaults for
//! nulls, `float` rounded to 32 bits, Decimals as base64 bytes or numbers
//! (`decimal.format`), maps with non-string keys as `[key, value]` pairs.
//!
//! The payload is read in one pass (serde's `DeserializeSeed`, one seed per
//! schema node); numbers that need their exact text (Decimal, integers,
//! floats) are taken as raw slices.
//!
//! Where Kafka coerces silently, this fails the record instead, naming the
//! path: a JSON type that does not match the schema (Kafka reads a string in
//! an `int32` field as 0, a number in a `string` field as null), an integer
//! out of its type's range or with a fraction (Kafka wraps and truncates),
//! a float out of its type's range (Kafka makes it infinite). These are the
//! deliberate differences listed in `docs/kafka-parity.md`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::{self, Write as _};

use base64::Engine as _;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::decimal::Decimal;
use crate::raw::{self, CowStr, JsonType};
use crate::schema::{Kind, Logical, Schema};

/// How Decimals are written (`decimal.format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalFormat {
    /// Base64 of the unscaled value's two's-complement bytes (Kafka's default).
    Base64,
    /// A JSON number.
    Numeric,
}

/// The converter options that shape reading and writing.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub decimal_format: DecimalFormat,
    pub replace_null_with_default: bool,
}

/// Connect data.
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    /// Any integer type, and Date, Time and Timestamp.
    Int(i64),
    F32(f32),
    F64(f64),
    Str(Cow<'a, str>),
    Bytes(Vec<u8>),
    Decimal(Decimal),
    Array(Vec<Val<'a>>),
    Map(Vec<(Val<'a>, Val<'a>)>),
    Struct(Vec<Val<'a>>),
}

impl Val<'_> {
    fn into_static(self) -> Val<'static> {
        match self {
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(b),
            Val::Int(i) => Val::Int(i),
            Val::F32(f) => Val::F32(f),
            Val::F64(f) => Val::F64(f),
            Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
            Val::Bytes(b) => Val::Bytes(b),
            Val::Decimal(d) => Val::Decimal(d),
            Val::Array(a) => Val::Array(a.into_iter().map(Val::into_static).collect()),
            Val::Map(m) => Val::Map(
                m.into_iter()
                    .map(|(k, v)| (k.into_static(), v.into_static()))
                    .collect(),
            ),
            Val::Struct(s) => Val::Struct(s.into_iter().map(Val::into_static).collect()),
        }
    }
}

/// Where in the payload a value is, for messages: `payload.items[2].price`.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root(&'static str),
    Field(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
    MapKey(&'p Path<'p>, usize),
    MapValue(&'p Path<'p>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Path::MapKey(parent, i) => write!(f, "{parent}[entry {i} key]"),
            Path::MapValue(parent, i) => write!(f, "{parent}[entry {i} value]"),
        }
    }
}

/// Reads `payload` against `schema`. Errors name the path that fails.
pub fn read<'de>(
    schema: &Schema,
    payload: &'de RawValue,
    options: &Options,
) -> Result<Val<'de>, String> {
    read_at(schema, payload.get(), options, Path::Root("payload"))
}

/// Reads the JSON text `payload` against `schema`, refusing anything after
/// its one value: for a payload not already checked as one JSON value.
/// Recursion follows the schema, not the text (what the schema does not
/// nest is skipped without recursing), so any text is safe to read.
pub fn read_text<'de>(
    schema: &Schema,
    payload: &'de str,
    options: &Options,
) -> Result<Val<'de>, String> {
    read_at(schema, payload, options, Path::Root("payload"))
}

/// Reads a schema's `default` against the schema itself.
pub fn read_default(
    schema: &Schema,
    raw: &RawValue,
    options: &Options,
) -> Result<Val<'static>, String> {
    // A default is read before the schema has one: a null stays null.
    let options = Options {
        replace_null_with_default: false,
        ..*options
    };
    read_at(schema, raw.get(), &options, Path::Root("default")).map(Val::into_static)
}

fn read_at<'de>(
    schema: &Schema,
    text: &'de str,
    options: &Options,
    path: Path<'_>,
) -> Result<Val<'de>, String> {
    let failure = RefCell::new(None);
    let ctx = Ctx {
        options,
        failure: &failure,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let result = Seed {
        schema,
        ctx: &ctx,
        path,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    match (result, failure.into_inner()) {
        (_, Some(message)) => Err(message),
        (Ok(v), None) => Ok(v),
        (Err(e), None) => Err(format!("{path}: {e}")),
    }
}

/// What every seed shares: the options, and the first failure (kept here,
/// so the message is ours rather than serde's with a line and column).
struct Ctx<'c> {
    options: &'c Options,
    failure: &'c RefCell<Option<String>>,
}

impl Ctx<'_> {
    fn fail<E: serde::de::Error>(&self, path: Path<'_>, message: impl fmt::Display) -> E {
        self.fail_with(format!("{path}: {message}"))
    }

    /// Keeps `message` (which names its path already) as the failure.
    fn fail_with<E: serde::de::Error>(&self, message: String) -> E {
        let mut slot = self.failure.borrow_mut();
        if slot.is_none() {
            *slot = Some(message);
        }
        E::custom("invalid value")
    }
}

#[derive(Clone, Copy)]
struct Seed<'s, 'c, 'p> {
    schema: &'s Schema,
    ctx: &'c Ctx<'c>,
    path: Path<'p>,
}

impl Seed<'_, '_, '_> {
    /// A JSON null, or a missing field: the default, null if optional, or a failure.
    fn null<'de, E: serde::de::Error>(self) -> Result<Val<'de>, E> {
        null_value(self.schema, self.ctx.options)
            .map_err(|message| self.ctx.fail(self.path, message))
    }

    fn mismatch<E: serde::de::Error>(self, found: JsonType) -> E {
        let expected = match (&self.schema.logical, &self.schema.kind) {
            (Some(Logical::Decimal(_)), _) => "a number or base64 text",
            (Some(_), _) => "an integer",
            (None, Kind::Boolean) => "a boolean",
            (None, Kind::Int8 | Kind::Int16 | Kind::Int32 | Kind::Int64) => "an integer",
            (None, Kind::Float32 | Kind::Float64) => "a number",
            (None, Kind::String) => "a string",
            (None, Kind::Bytes) => "base64 text",
            (None, Kind::Array(_)) => "an array",
            (None, Kind::Map(k, _)) if matches!(k.kind, Kind::String) => "an object",
            (None, Kind::Map(..)) => "an array of [key, value] pairs",
            (None, Kind::Struct(_)) => "an object",
        };
        self.ctx.fail(
            self.path,
            format_args!(
                "expected {expected} for schema type {}, found {}",
                type_label(self.schema),
                found.jackson_name()
            ),
        )
    }

    /// A present (non-null) value, as a raw slice.
    fn scalar<'de, E: serde::de::Error>(self, raw: &'de RawValue) -> Result<Val<'de>, E> {
        let found = raw::json_type(raw);
        let text = raw.get();
        let fail = |m: String| -> E { self.ctx.fail(self.path, m) };
        if found == JsonType::Number && text.len() > crate::decimal::MAX_NUMBER_LEN {
            return Err(fail(format!(
                "a number of {} characters: the longest allowed is {}, as in Jackson",
                text.len(),
                crate::decimal::MAX_NUMBER_LEN
            )));
        }
        if let Some(logical) = &self.schema.logical {
            return match logical {
                Logical::Decimal(scale) => match found {
                    JsonType::Number => Decimal::parse_json_number(text)
                        .map(Val::Decimal)
                        .ok_or_else(|| fail(format!("{text} is not a decimal number in range"))),
                    JsonType::String => {
                        let s = string(raw).map_err(&fail)?;
                        let bytes = base64_decode(&s)
                            .map_err(|e| fail(format!("Invalid bytes for Decimal field: {e}")))?;
                        let scale = scale.clone().map_err(&fail)?;
                        Decimal::from_bytes(&bytes, scale)
                            .map(Val::Decimal)
                            .map_err(|e| fail(format!("Invalid bytes for Decimal field: {e}")))
                    }
                    other => Err(fail(format!(
                        "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
                        other.jackson_name()
                    ))),
                },
                Logical::Date | Logical::Time => {
                    let name = if matches!(logical, Logical::Date) {
                        "Date"
                    } else {
                        "Time"
                    };
                    let v = plain_integer(text)
                        .and_then(|i| i32::try_from(i).ok())
                        .ok_or_else(|| {
                            fail(format!(
                                "Invalid type for {name}, underlying representation should be integer but was {}{}",
                                found.jackson_name(),
                                if found == JsonType::Number { format!(" {text}") } else { String::new() }
                            ))
                        })?;
                    if matches!(logical, Logical::Time) && !(0..=MILLIS_PER_DAY).contains(&v) {
                        return Err(fail(format!(
                            "Time values must use number of milliseconds greater than 0 and less than 86400000, found {v}"
                        )));
                    }
                    Ok(Val::Int(v.into()))
                }
                Logical::Timestamp => match (found, plain_integer(text)) {
                    (JsonType::Number, Some(v)) => Ok(Val::Int(v)),
                    (JsonType::Number, None) if is_plain_integer(text) => Err(fail(format!(
                        "{text} is out of range for a Timestamp (int64)"
                    ))),
                    _ => Err(fail(format!(
                        "Invalid type for Timestamp, underlying representation should be integral but was {}{}",
                        found.jackson_name(),
                        if found == JsonType::Number {
                            format!(" {text}")
                        } else {
                            String::new()
                        }
                    ))),
                },
            };
        }
        match &self.schema.kind {
            Kind::Boolean => match found {
                JsonType::True => Ok(Val::Bool(true)),
                JsonType::False => Ok(Val::Bool(false)),
                other => Err(self.mismatch(other)),
            },
            Kind::Int8 | Kind::Int16 | Kind::Int32 | Kind::Int64 => {
                if found != JsonType::Number {
                    return Err(self.mismatch(found));
                }
                let (min, max) = match self.schema.kind {
                    Kind::Int8 => (i64::from(i8::MIN), i64::from(i8::MAX)),
                    Kind::Int16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
                    Kind::Int32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
                    _ => (i64::MIN, i64::MAX),
                };
                match integral(text) {
                    Some(v) if (min..=max).contains(&v) => Ok(Val::Int(v)),
                    _ => Err(fail(format!(
                        "{text} is not an integer in the range of {} ({min} to {max})",
                        type_label(self.schema)
                    ))),
                }
            }
            Kind::Float32 | Kind::Float64 => {
                if found != JsonType::Number {
                    return Err(self.mismatch(found));
                }
                let v = if matches!(self.schema.kind, Kind::Float32) {
                    text.parse::<f32>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(Val::F32)
                } else {
                    text.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(Val::F64)
                };
                v.ok_or_else(|| {
                    fail(format!(
                        "{text} is out of the range of {}",
                        type_label(self.schema)
                    ))
                })
            }
            Kind::String => match found {
                JsonType::String => Ok(Val::Str(string(raw).map_err(&fail)?)),
                other => Err(self.mismatch(other)),
            },
            Kind::Bytes => match found {
                JsonType::String => {
                    let s = string(raw).map_err(&fail)?;
                    base64_decode(&s)
                        .map(Val::Bytes)
                        .map_err(|e| fail(format!("Invalid bytes field: {e}")))
                }
                other => Err(self.mismatch(other)),
            },
            Kind::Array(_) | Kind::Map(..) | Kind::Struct(_) => Err(self.mismatch(found)),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_, '_> {
    type Value = Val<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Val<'de>, D::Error> {
        match &self.schema.kind {
            // Containers take serde's own callbacks; a null arrives as unit.
            Kind::Array(_) | Kind::Map(..) | Kind::Struct(_) if self.schema.logical.is_none() => {
                d.deserialize_any(ContainerVisitor(self))
            }
            _ => {
                let raw = <&'de RawValue as serde::Deserialize>::deserialize(d)?;
                if raw::json_type(raw) == JsonType::Null {
                    return self.null();
                }
                self.scalar(raw)
            }
        }
    }
}

struct ContainerVisitor<'s, 'c, 'p>(Seed<'s, 'c, 'p>);

impl<'de> Visitor<'de> for ContainerVisitor<'_, '_, '_> {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Val<'de>, E> {
        self.0.null()
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Val<'de>, E> {
        Err(self.0.mismatch(JsonType::True))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Val<'de>, E> {
        Err(self.0.mismatch(JsonType::Number))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Val<'de>, E> {
        Err(self.0.mismatch(JsonType::Number))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Val<'de>, E> {
        Err(self.0.mismatch(JsonType::Number))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Val<'de>, E> {
        Err(self.0.mismatch(JsonType::String))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val<'de>, A::Error> {
        let seed = self.0;
        match &seed.schema.kind {
            Kind::Array(items) => {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                loop {
                    let path = Path::Index(&seed.path, out.len());
                    let item = Seed {
                        schema: items,
                        ctx: seed.ctx,
                        path,
                    };
                    match seq.next_element_seed(item)? {
                        Some(v) => out.push(v),
                        None => break,
                    }
                }
                Ok(Val::Array(out))
            }
            Kind::Map(keys, values) if !matches!(keys.kind, Kind::String) => {
                let mut entries: Vec<(Val<'de>, Val<'de>)> = Vec::new();
                let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
                loop {
                    let n = entries.len();
                    let pair = PairSeed {
                        keys,
                        values,
                        ctx: seed.ctx,
                        path: seed.path,
                        n,
                    };
                    let Some((k, v)) = seq.next_element_seed(pair)? else {
                        break;
                    };
                    // Kafka's HashMap: an equal key replaces the value.
                    let mut id = Vec::new();
                    write_canonical(&k, &mut id);
                    match index.get(&id) {
                        Some(&i) => entries[i].1 = v,
                        None => {
                            index.insert(id, n);
                            entries.push((k, v));
                        }
                    }
                }
                Ok(Val::Map(entries))
            }
            _ => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Err(seed.mismatch(JsonType::Array))
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val<'de>, A::Error> {
        let seed = self.0;
        match &seed.schema.kind {
            Kind::Struct(st) => {
                let mut slots: Vec<Option<Val<'de>>> = vec![None; st.fields.len()];
                // Fields mostly come in schema order: the next one is
                // compared first, the index (a hash) asked otherwise.
                let mut next = 0;
                while let Some(key) = map.next_key::<CowStr<'de>>()? {
                    let at = match st.fields.get(next) {
                        Some(f) if f.name == *key.0 => Some(next),
                        _ => st.position(&key.0),
                    };
                    match at {
                        Some(i) => {
                            next = i + 1;
                            let field = &st.fields[i];
                            let v = map.next_value_seed(Seed {
                                schema: &field.schema,
                                ctx: seed.ctx,
                                path: Path::Field(&seed.path, &field.name),
                            })?;
                            slots[i] = Some(v);
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let mut values = Vec::with_capacity(slots.len());
                for (slot, field) in slots.into_iter().zip(&st.fields) {
                    values.push(match slot {
                        Some(v) => v,
                        None => Seed {
                            schema: &field.schema,
                            ctx: seed.ctx,
                            path: Path::Field(&seed.path, &field.name),
                        }
                        .null()?,
                    });
                }
                Ok(Val::Struct(values))
            }
            Kind::Map(keys, values) if matches!(keys.kind, Kind::String) => {
                let mut entries: Vec<(Val<'de>, Val<'de>)> = Vec::new();
                let mut index: HashMap<Cow<'de, str>, usize> = HashMap::new();
                while let Some(key) = map.next_key::<CowStr<'de>>()? {
                    let n = entries.len();
                    let v = map.next_value_seed(Seed {
                        schema: values,
                        ctx: seed.ctx,
                        path: Path::MapValue(&seed.path, n),
                    })?;
                    match index.get(&key.0) {
                        Some(&i) => entries[i].1 = v,
                        None => {
                            index.insert(key.0.clone(), n);
                            entries.push((Val::Str(key.0), v));
                        }
                    }
                }
                Ok(Val::Map(entries))
            }
            _ => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Err(seed.mismatch(JsonType::Object))
            }
        }
    }
}

/// One `[key, value]` entry of a map with non-string keys.
struct PairSeed<'s, 'c, 'p> {
    keys: &'s Schema,
    values: &'s Schema,
    ctx: &'c Ctx<'c>,
    path: Path<'p>,
    n: usize,
}

impl<'de> DeserializeSeed<'de> for PairSeed<'_, '_, '_> {
    type Value = (Val<'de>, Val<'de>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let raw = <&'de RawValue as serde::Deserialize>::deserialize(d)?;
        let at = Path::Index(&self.path, self.n);
        let elements = match raw::array(raw) {
            Ok(Some(e)) => e,
            Ok(None) => {
                return Err(self.ctx.fail(
                    at,
                    format_args!(
                        "Found invalid map entry instead of array tuple: {}",
                        raw::json_type(raw).jackson_name()
                    ),
                ));
            }
            Err(e) => return Err(self.ctx.fail(at, e)),
        };
        let [k, v] = elements[..] else {
            return Err(self.ctx.fail(
                at,
                format_args!(
                    "Found invalid map entry, expected length 2 but found :{}",
                    elements.len()
                ),
            ));
        };
        let options = self.ctx.options;
        let key = read_at(
            self.keys,
            k.get(),
            options,
            Path::MapKey(&self.path, self.n),
        )
        .map_err(|m| self.ctx.fail_with(m))?;
        let value = read_at(
            self.values,
            v.get(),
            options,
            Path::MapValue(&self.path, self.n),
        )
        .map_err(|m| self.ctx.fail_with(m))?;
        Ok((key, value))
    }
}

const MILLIS_PER_DAY: i32 = 86_400_000;

fn null_value<'de>(schema: &Schema, options: &Options) -> Result<Val<'de>, String> {
    if options.replace_null_with_default
        && let Some(default) = &schema.default
    {
        return Ok(default.clone());
    }
    if schema.optional {
        return Ok(Val::Null);
    }
    Err(format!(
        "Invalid null value for required {} field",
        type_label(schema)
    ))
}

/// The schema's type as a user reads it: `FLOAT64`, or the logical name.
fn type_label(schema: &Schema) -> String {
    match &schema.logical {
        Some(Logical::Decimal(_)) => format!("Decimal ({})", schema.kind.type_name()),
        Some(Logical::Date) => format!("Date ({})", schema.kind.type_name()),
        Some(Logical::Time) => format!("Time ({})", schema.kind.type_name()),
        Some(Logical::Timestamp) => format!("Timestamp ({})", schema.kind.type_name()),
        None => schema.kind.type_name().to_string(),
    }
}

fn string(raw: &RawValue) -> Result<Cow<'_, str>, String> {
    raw::string(raw)?.ok_or_else(|| "expected a string".to_string())
}

/// Base64 as Jackson reads it for binary values (`Base64Variants.MIME_NO_LINEFEEDS`).
fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("not base64: {e}"))
}

fn base64_encode(bytes: &[u8], out: &mut Vec<u8>) {
    let s = base64::engine::general_purpose::STANDARD.encode(bytes);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

fn is_plain_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A JSON integer written without fraction or exponent, in `i64`'s range.
fn plain_integer(text: &str) -> Option<i64> {
    if is_plain_integer(text) {
        text.parse().ok()
    } else {
        None
    }
}

/// A JSON number whose exact value is an integer in `i64`'s range (`3`,
/// `3.0`, `3e2`), decided on its digits: no arithmetic on huge exponents.
fn integral(text: &str) -> Option<i64> {
    if let Some(v) = plain_integer(text) {
        return Some(v);
    }
    if text.len() > crate::decimal::MAX_NUMBER_LEN {
        return None;
    }
    let d = Decimal::parse_json_number(text)?;
    let raw = d.unscaled.to_string();
    let (sign, digits) = match raw.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", raw.as_str()),
    };
    if digits == "0" {
        return Some(0);
    }
    let scale = i64::from(d.scale);
    let whole = if scale > 0 {
        // The last `scale` digits are the fraction: all zeros, or not integral.
        let cut = digits.len().checked_sub(scale as usize)?;
        if !digits[cut..].bytes().all(|b| b == b'0') {
            return None;
        }
        &digits[..cut]
    } else {
        digits
    };
    let zeros = if scale < 0 { (-scale) as usize } else { 0 };
    // i64 has 19 digits: more cannot fit.
    if whole.len() + zeros > 19 {
        return None;
    }
    format!("{sign}{whole}{}", "0".repeat(zeros)).parse().ok()
}

/// Writes `value` as Kafka's JsonConverter would (without envelope).
pub fn write(
    value: &Val<'_>,
    schema: &Schema,
    options: &Options,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    write_at(value, schema, options, out, Path::Root("payload"))
}

fn write_at(
    value: &Val<'_>,
    schema: &Schema,
    options: &Options,
    out: &mut Vec<u8>,
    path: Path<'_>,
) -> Result<(), String> {
    if let Val::Null = value {
        if options.replace_null_with_default
            && let Some(default) = &schema.default
        {
            return write_at(default, schema, options, out, path);
        }
        if schema.optional {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        return Err(format!(
            "{path}: null value for field that is required and has no default value"
        ));
    }
    if let (Some(Logical::Decimal(scale)), Val::Decimal(d)) = (&schema.logical, value) {
        match options.decimal_format {
            DecimalFormat::Numeric => out.extend_from_slice(d.to_java_string().as_bytes()),
            DecimalFormat::Base64 => {
                let scale = scale.clone().map_err(|e| format!("{path}: {e}"))?;
                if d.scale != scale {
                    return Err(format!(
                        "{path}: Decimal value has mismatching scale for given Decimal schema. Schema has scale {scale}, value has scale {}. Set decimal.format=NUMERIC to write it as a number.",
                        d.scale
                    ));
                }
                base64_encode(&d.to_bytes(), out);
            }
        }
        return Ok(());
    }
    match (value, &schema.kind) {
        (Val::Bool(b), _) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        (Val::Int(i), _) => {
            let _ = write!(Buf(out), "{i}");
        }
        (Val::F32(f), _) => serde_json::to_writer(&mut *out, f).map_err(|e| e.to_string())?,
        (Val::F64(f), _) => serde_json::to_writer(&mut *out, f).map_err(|e| e.to_string())?,
        (Val::Str(s), _) => serde_json::to_writer(&mut *out, s).map_err(|e| e.to_string())?,
        (Val::Bytes(b), _) => base64_encode(b, out),
        (Val::Array(items), Kind::Array(item_schema)) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_at(item, item_schema, options, out, Path::Index(&path, i))?;
            }
            out.push(b']');
        }
        (Val::Map(entries), Kind::Map(keys, values)) => {
            let object = matches!(keys.kind, Kind::String);
            out.push(if object { b'{' } else { b'[' });
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if object {
                    write_at(k, keys, options, out, Path::MapKey(&path, i))?;
                    out.push(b':');
                } else {
                    out.push(b'[');
                    write_at(k, keys, options, out, Path::MapKey(&path, i))?;
                    out.push(b',');
                }
                write_at(v, values, options, out, Path::MapValue(&path, i))?;
                if !object {
                    out.push(b']');
                }
            }
            out.push(if object { b'}' } else { b']' });
        }
        (Val::Struct(fields), Kind::Struct(st)) => {
            out.push(b'{');
            for (i, (v, field)) in fields.iter().zip(&st.fields).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, &field.name).map_err(|e| e.to_string())?;
                out.push(b':');
                write_at(
                    v,
                    &field.schema,
                    options,
                    out,
                    Path::Field(&path, &field.name),
                )?;
            }
            out.push(b'}');
        }
        (other, kind) => {
            return Err(format!(
                "{path}: internal error: a {other:?} value for schema type {}",
                kind.type_name()
            ));
        }
    }
    Ok(())
}

/// A value's bytes for telling equal map keys apart (no schema needed).
fn write_canonical(value: &Val<'_>, out: &mut Vec<u8>) {
    let _ = write!(Buf(out), "{value:?}");
}

/// `fmt::Write` into a byte buffer.
struct Buf<'b>(&'b mut Vec<u8>);

impl fmt::Write for Buf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}
