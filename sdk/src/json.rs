//! JSON output for formatters: a record's value written as one JSON
//! document, whatever the converter made of it, and with its schema in
//! Kafka's `JsonConverter` envelope.

use crate::{Record, ValueKind};

/// Writes `record`'s value as Kafka's `JsonConverter` with
/// `schemas.enable=true` writes it: `{"schema":…,"payload":…}`, the schema
/// `null` when the value has none.
pub fn write_envelope(record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    out.extend_from_slice(br#"{"schema":"#);
    match record.value_schema {
        Some(schema) => out.extend_from_slice(crate::schema::text(schema).as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(br#","payload":"#);
    write_value(record, out)?;
    out.push(b'}');
    Ok(())
}

/// Writes `record`'s value to `out` as JSON: JSON values as they are,
/// text as a JSON string, binary values only if they already are JSON,
/// a null value as `null`. The error names the record's offset.
pub fn write_value(record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    let Some(value) = record.value else {
        out.extend_from_slice(b"null");
        return Ok(());
    };
    match record.value_kind {
        ValueKind::Json => out.extend_from_slice(value),
        ValueKind::Text => {
            let text = std::str::from_utf8(value)
                .map_err(|e| format!("offset {}: text value is not UTF-8: {e}", record.offset))?;
            serde_json::to_writer(&mut *out, text).map_err(|e| e.to_string())?;
        }
        ValueKind::Binary => {
            serde_json::from_slice::<serde::de::IgnoredAny>(value).map_err(|e| {
                format!(
                    "offset {}: the value is not JSON ({e}): use the json converter, or a formatter that writes bytes",
                    record.offset
                )
            })?;
            out.extend_from_slice(value);
        }
    }
    Ok(())
}
