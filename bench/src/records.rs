//! Realistic 1 KiB JSON events, the same in every benchmark.

use std::sync::Arc;

use bytes::Bytes;
use sluice::record::{Record, ValueKind};

/// One clickstream-like event of about 1 KiB, deterministic in `i`.
pub fn event(i: u64) -> String {
    let event_type = ["page_view", "add_to_cart", "checkout", "search"][(i % 4) as usize];
    let variant = if i.is_multiple_of(2) {
        "control"
    } else {
        "treatment"
    };
    let mut v = serde_json::json!({
        "event_id": format!("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", i * 2654435761 % 0xffff_ffff, i % 0xffff, i % 0xfff, (i * 7) % 0xfff, i * 11),
        "event_type": event_type,
        "user_id": 100_000 + (i * 7919) % 50_000,
        "session_id": format!("s-{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        "ts": 1_650_000_000_000_u64 + i * 37,
        "page": {
            "url": format!("https://shop.example.com/catalog/item/{}", i % 10_000),
            "referrer": "https://www.example.org/search?q=running+shoes&page=2",
            "title": "Trail running shoes, lightweight, waterproof - Example Shop"
        },
        "device": {"type": "mobile", "os": "Android 14", "browser": "Chrome 124.0", "screen": "1080x2400"},
        "geo": {"country": "JP", "region": "Tokyo", "city": "Shibuya", "lat": 35.6618, "lon": 139.704},
        "cart": {"items": (i % 5), "value_cents": (i * 1299) % 100_000, "currency": "JPY"},
        "experiment": {"id": "exp-checkout-v2", "variant": variant},
    });
    let base = v.to_string().len();
    v["padding"] = serde_json::Value::String("x".repeat(1024usize.saturating_sub(base + 14)));
    v.to_string()
}

/// The Connect schema of [`event`], in `JsonConverter`'s JSON form.
pub fn event_schema() -> String {
    use sluice_sdk::schema::{Field, Schema};
    let strings =
        |names: &[&str]| Schema::structure(names.iter().map(|n| Field::new(*n, Schema::string())));
    Schema::structure([
        Field::new("event_id", Schema::string()),
        Field::new("event_type", Schema::string()),
        Field::new("user_id", Schema::int64()),
        Field::new("session_id", Schema::string()),
        Field::new("ts", Schema::int64()),
        Field::new("page", strings(&["url", "referrer", "title"])),
        Field::new("device", strings(&["type", "os", "browser", "screen"])),
        Field::new(
            "geo",
            Schema::structure([
                Field::new("country", Schema::string()),
                Field::new("region", Schema::string()),
                Field::new("city", Schema::string()),
                Field::new("lat", Schema::float64()),
                Field::new("lon", Schema::float64()),
            ]),
        ),
        Field::new(
            "cart",
            Schema::structure([
                Field::new("items", Schema::int64()),
                Field::new("value_cents", Schema::int64()),
                Field::new("currency", Schema::string()),
            ]),
        ),
        Field::new("experiment", strings(&["id", "variant"])),
        Field::new("padding", Schema::string()),
    ])
    .named("shop.Event")
    .to_json()
}

/// `n` raw (unconverted) records of [`event`]s, each in a `JsonConverter`
/// envelope with [`event_schema`] when `envelope`.
pub fn raw_records(n: usize, envelope: bool) -> Vec<Record> {
    let schema = event_schema();
    (0..n as u64)
        .map(|i| {
            let value = if envelope {
                format!(r#"{{"schema":{schema},"payload":{}}}"#, event(i))
            } else {
                event(i)
            };
            let mut r = Record::new("events", Some(Bytes::from(value)));
            r.offset = i as i64;
            r
        })
        .collect()
}

/// `n` records of one topic and partition, values JSON as after a converter.
pub fn json_records(n: usize) -> Vec<Record> {
    let topic: Arc<str> = Arc::from("events");
    (0..n as u64)
        .map(|i| {
            let mut r = Record::new(topic.clone(), Some(Bytes::from(event(i))));
            r.offset = i as i64;
            r.timestamp = Some(1_650_000_000_000 + i as i64);
            r.key = Some(Bytes::from(format!("user-{}", i % 1000)));
            r.value_kind = ValueKind::Json;
            r
        })
        .collect()
}

/// `n` Debezium change events (creates) whose rows are [`event`]s, as the
/// `json` converter leaves them: the envelope's payload, with its schema on
/// the record (`before`, `after`, `source`, `op`, `ts_ms`).
pub fn change_events(n: usize) -> Vec<Record> {
    use sluice_sdk::schema::{Field, Schema};
    let row = Schema::parse(&event_schema())
        .expect("the event schema parses")
        .optional();
    let source = Schema::structure([
        Field::new("connector", Schema::string()),
        Field::new("db", Schema::string()),
        Field::new("table", Schema::string()),
        Field::new("ts_ms", Schema::int64()),
    ])
    .named("io.debezium.connector.mysql.Source");
    let envelope = Schema::structure([
        Field::new("before", row.clone()),
        Field::new("after", row),
        Field::new("source", source),
        Field::new("op", Schema::string()),
        Field::new("ts_ms", Schema::int64().optional()),
    ])
    .named("dbserver1.shop.events.Envelope");
    let envelope = Arc::new(
        sluice::record::Schema::parse(&envelope.to_json()).expect("the envelope schema parses"),
    );
    let topic: Arc<str> = Arc::from("dbserver1.shop.events");
    (0..n as u64)
        .map(|i| {
            let ts = 1_650_000_000_000 + i as i64;
            let value = format!(
                r#"{{"before":null,"after":{},"source":{{"connector":"mysql","db":"shop","table":"events","ts_ms":{ts}}},"op":"c","ts_ms":{}}}"#,
                event(i),
                ts + 3
            );
            let mut r = Record::new(topic.clone(), Some(Bytes::from(value)));
            r.offset = i as i64;
            r.timestamp = Some(ts);
            r.value_kind = ValueKind::Json;
            r.value_schema = Some(envelope.clone());
            r
        })
        .collect()
}
