//! Connector JSON of the three supported classes translated and checked by
//! the manifest's own validation.

use super::*;
use crate::config::{Manifest, parse_unresolved};
use crate::sink::SinkSpec;

fn config(pairs: &[(&str, &str)]) -> ConnectConfig {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn worker() -> ConnectConfig {
    config(&[("bootstrap.servers", "127.0.0.1:9092")])
}

/// Translates and validates; the manifest and what was not applied.
fn checked(pairs: &[(&str, &str)], worker: &ConnectConfig) -> (Manifest, Vec<Problem>) {
    let t = translate("c", &config(pairs), worker, &DeclaredClasses::default())
        .unwrap_or_else(|r| panic!("{r:?}"));
    let text = to_manifest_toml(&t);
    let m = parse_unresolved(std::path::Path::new("/x/m.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    (m, t.unsupported)
}

/// [`checked`] with the classes plugins declare.
fn checked_with(pairs: &[(&str, &str)], d: &DeclaredClasses) -> (Manifest, Vec<Problem>) {
    let t = translate("c", &config(pairs), &worker(), d).unwrap_or_else(|r| panic!("{r:?}"));
    let text = to_manifest_toml(&t);
    let m = parse_unresolved(std::path::Path::new("/x/m.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    (m, t.unsupported)
}

fn problems(pairs: &[(&str, &str)]) -> String {
    translate("c", &config(pairs), &worker(), &DeclaredClasses::default())
        .unwrap_err()
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

const TD_BATCH: &[(&str, &str)] = &[
    (
        "connector.class",
        "io.confluent.connect.http.HttpSinkConnector",
    ),
    ("tasks.max", "1"),
    ("topics", "events"),
    (
        "http.api.url",
        "https://us01.records.in.treasuredata.com/db/t",
    ),
    (
        "headers",
        "Authorization: TD1 k|Content-Type: application/vnd.treasuredata.v1+json",
    ),
    ("request.body.format", "json"),
    ("batch.json.as.array", "true"),
    ("batch.max.size", "500"),
    ("batch.prefix", "{\"records\":"),
    ("batch.suffix", "}"),
    (
        "value.converter",
        "org.apache.kafka.connect.json.JsonConverter",
    ),
    ("value.converter.schemas.enable", "false"),
    ("confluent.topic.bootstrap.servers", "localhost:9092"),
];

#[test]
fn confluent_http_batch_keeps_its_options_and_reports_licensing_keys() {
    let (m, unsupported) = checked(TD_BATCH, &worker());
    let c = &m.connectors[0];
    let SinkSpec::Http(http) = &c.sink else {
        panic!("an HTTP sink")
    };
    assert_eq!(http.batch.max_records, 500);
    assert_eq!(c.formatter.name, "json-batch");
    let fmt: std::collections::BTreeMap<_, _> = c.formatter.config.iter().cloned().collect();
    assert_eq!(fmt["batch.prefix"], "{\"records\":");
    assert_eq!(fmt["batch.json.as.array"], "true");
    let value = c.value_converter.as_ref().unwrap();
    assert_eq!(
        (value.name.as_str(), &value.config[..]),
        (
            "json",
            &[("schemas.enable".to_string(), "false".to_string())][..]
        )
    );
    assert_eq!(c.kafka["bootstrap.servers"], "127.0.0.1:9092");
    assert_eq!(c.kafka["group.id"], "connect-c");
    assert_eq!(unsupported.len(), 1);
    assert_eq!(unsupported[0].key, "confluent.topic.bootstrap.servers");
}

#[test]
fn oauth2_of_both_http_connectors_becomes_one_client_credentials_grant() {
    use crate::sink::http::config::{Auth, ClientAuth};
    let grant = |pairs: &[(&str, &str)]| {
        let (m, _) = checked(pairs, &worker());
        let SinkSpec::Http(http) = &m.connectors[0].sink else {
            panic!("an HTTP sink")
        };
        let Auth::OAuth2(o) = &http.auth else {
            panic!("{:?}", http.auth)
        };
        (o.clone(), format!("{:?}", http.auth))
    };
    let mut confluent = TD_BATCH.to_vec();
    confluent.extend([
        ("auth.type", "OAUTH2"),
        ("oauth2.token.url", "https://idp.example.com/token"),
        ("oauth2.client.id", "sink"),
        ("oauth2.client.secret", "s3cr3t"),
        ("oauth2.client.headers", "X-Tenant: 7|X-Env: prod"),
    ]);
    let (o, shown) = grant(&confluent);
    assert_eq!(o.client_auth, ClientAuth::Header);
    assert_eq!(o.scope.as_deref(), Some("any"), "Confluent's default scope");
    assert_eq!(o.token_property, "access_token");
    assert_eq!(o.headers.len(), 2);
    assert!(!shown.contains("s3cr3t"), "{shown}");
    let (o, _) = grant(&[
        (
            "connector.class",
            "io.aiven.kafka.connect.http.HttpSinkConnector",
        ),
        ("topics", "t"),
        ("http.url", "http://127.0.0.1:1/in"),
        ("http.authorization.type", "oauth2"),
        ("oauth2.access.token.url", "http://127.0.0.1:1/token"),
        ("oauth2.client.id", "sink"),
        ("oauth2.client.secret", "s3cr3t"),
        ("oauth2.client.authorization.mode", "URL"),
        ("oauth2.response.token.property", "id_token"),
    ]);
    assert_eq!(o.client_auth, ClientAuth::Url);
    assert_eq!(o.scope, None, "Aiven sends no scope unless given");
    assert_eq!(o.token_property, "id_token");
    // Each missing option under its key.
    let mut missing = TD_BATCH.to_vec();
    missing.push(("auth.type", "OAUTH2"));
    let t = translate(
        "c",
        &config(&missing),
        &worker(),
        &DeclaredClasses::default(),
    )
    .unwrap();
    let e = parse_unresolved(std::path::Path::new("/x/m.toml"), &to_manifest_toml(&t))
        .unwrap_err()
        .to_string();
    for key in [
        "oauth2.token.url",
        "oauth2.client.id",
        "oauth2.client.secret",
    ] {
        assert!(e.contains(key), "{key} in {e}");
    }
}

#[test]
fn aiven_defaults_follow_its_class() {
    let (m, _) = checked(
        &[
            (
                "connector.class",
                "io.aiven.kafka.connect.http.HttpSinkConnector",
            ),
            ("topics", "t"),
            ("http.url", "http://127.0.0.1:1/in"),
            ("http.authorization.type", "static"),
            ("http.headers.authorization", "Bearer abc"),
            ("http.headers.content.type", "application/json"),
            ("http.headers.additional", "X-A:1, X-B:2"),
            ("batching.enabled", "true"),
        ],
        &worker(),
    );
    let c = &m.connectors[0];
    let SinkSpec::Http(http) = &c.sink else {
        panic!("an HTTP sink")
    };
    assert_eq!(
        http.batch.max_records, 500,
        "Aiven's batch.max.size default"
    );
    assert_eq!(http.retry.max_retries, 1, "Aiven retries once");
    let fmt: std::collections::BTreeMap<_, _> = c.formatter.config.iter().cloned().collect();
    assert_eq!(
        (
            fmt["batch.separator"].as_str(),
            fmt["batch.suffix"].as_str()
        ),
        ("\n", "\n")
    );
    let headers = format!("{:?}", http.headers);
    for h in [
        "Authorization",
        "Bearer abc",
        "X-A",
        "X-B",
        "application/json",
    ] {
        assert!(headers.contains(h), "{headers}");
    }
    let (m, _) = checked(
        &[
            (
                "connector.class",
                "io.aiven.kafka.connect.http.HttpSinkConnector",
            ),
            ("topics", "t"),
            ("http.url", "http://127.0.0.1:1/in"),
            ("http.authorization.type", "none"),
        ],
        &worker(),
    );
    let SinkSpec::Http(http) = &m.connectors[0].sink else {
        panic!("an HTTP sink")
    };
    assert_eq!(
        http.batch.max_records, 1,
        "no batching: one record per request"
    );
}

#[test]
fn thousands_of_unknown_options_are_each_reported_once() {
    let keys: Vec<String> = (0..20_000).map(|i| format!("flush.sise.{i}")).collect();
    let mut pairs = TD_BATCH.to_vec();
    pairs.extend(keys.iter().map(|k| (k.as_str(), "1")));
    pairs.push(("batch.max.sise", "1"));
    // Past the first 100 unknown names (in the config's order), no
    // suggestion is looked for.
    pairs.push(("zz.batch.max.size", "1"));
    let (_, unsupported) = checked(&pairs, &worker());
    let late = unsupported
        .iter()
        .find(|p| p.key == "zz.batch.max.size")
        .unwrap();
    assert!(
        late.message.contains("not an option") && !late.message.contains("did you mean"),
        "{late}"
    );
    assert_eq!(
        unsupported
            .iter()
            .filter(|p| p.key.starts_with("flush.sise."))
            .count(),
        20_000
    );
    let typo = unsupported
        .iter()
        .find(|p| p.key == "batch.max.sise")
        .unwrap();
    assert!(
        typo.message.contains("did you mean \"batch.max.size\""),
        "{typo}"
    );
}

#[test]
fn a_record_may_not_choose_the_host_of_the_http_sink() {
    for url in [
        "http://${key}.svc.example/in",
        "https://${topic}@in.example/",
        "http:///${key}/x",
    ] {
        let mut pairs = TD_BATCH.to_vec();
        pairs.retain(|(k, _)| *k != "http.api.url");
        pairs.push(("http.api.url", url));
        let t = translate("c", &config(&pairs), &worker(), &DeclaredClasses::default())
            .unwrap_or_else(|r| panic!("{r:?}"));
        let e = parse_unresolved(std::path::Path::new("/x/m.toml"), &to_manifest_toml(&t))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("may stand in the path and query only"),
            "{url}: {e}"
        );
    }
    let mut pairs = TD_BATCH.to_vec();
    pairs.retain(|(k, _)| *k != "http.api.url");
    pairs.push(("http.api.url", "https://in.example/t/${topic}?k=${key}"));
    checked(&pairs, &worker());
    // A config provider's reference is the operator's, not a record's.
    let mut pairs = TD_BATCH.to_vec();
    pairs.retain(|(k, _)| *k != "http.api.url");
    pairs.push(("http.api.url", "https://${env:SINK_HOST}/in"));
    checked(&pairs, &worker());
}

#[test]
fn aivens_http_timeout_is_seconds_of_a_java_int() {
    let aiven = |timeout: &'static str| {
        [
            (
                "connector.class",
                "io.aiven.kafka.connect.http.HttpSinkConnector",
            ),
            ("topics", "t"),
            ("http.url", "http://127.0.0.1:1/in"),
            ("http.authorization.type", "none"),
            ("http.timeout", timeout),
        ]
    };
    let (m, _) = checked(&aiven("2147483647"), &worker());
    let SinkSpec::Http(http) = &m.connectors[0].sink else {
        panic!("an HTTP sink")
    };
    assert_eq!(
        http.request_timeout,
        std::time::Duration::from_secs(2147483647)
    );
    // Past an int, Connect's own check answers, in its words.
    for too_many in ["2147483648", "18446744073709551615"] {
        let e = problems(&aiven(too_many));
        assert!(
            e.contains("http.timeout") && e.contains("Not a number of type INT"),
            "{e}"
        );
    }
    let e = problems(&aiven("-1"));
    assert!(e.contains("expected whole seconds"), "{e}");
}

#[test]
fn confluent_s3_hourly_maps_one_to_one() {
    let (m, _) = checked(
        &[
            ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
            ("topics", "t"),
            ("s3.bucket.name", "archive"),
            ("store.url", "http://127.0.0.1:9000"),
            ("flush.size", "3"),
            ("storage.class", "io.confluent.connect.s3.storage.S3Storage"),
            (
                "format.class",
                "io.confluent.connect.s3.format.json.JsonFormat",
            ),
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.HourlyPartitioner",
            ),
            ("locale", "en-US"),
            ("timezone", "UTC"),
            ("schema.compatibility", "NONE"),
        ],
        &worker(),
    );
    assert!(matches!(m.connectors[0].sink, SinkSpec::S3(_)));
    assert_eq!(m.connectors[0].formatter.name, "jsonl");
}

/// An Aiven S3 connector of topic `t` into bucket `b`, with `pairs` more,
/// translated: the manifest, the key its template gives offset 42 of
/// partition 2 at time 0, and the options it reported.
fn aiven_s3_connector(pairs: &[(&str, &str)]) -> (Manifest, String, Vec<Problem>) {
    use crate::sink::s3::partitioner::Partitioner;
    use crate::sink::s3::template::KeyTemplate;
    let mut all = vec![
        ("connector.class", aiven_s3::CLASS),
        ("topics", "t"),
        ("aws.s3.bucket.name", "b"),
    ];
    all.extend_from_slice(pairs);
    let (m, unsupported) = checked(&all, &worker());
    let SinkSpec::S3(s3) = &m.connectors[0].sink else {
        panic!("an S3 sink")
    };
    let Partitioner::Template(t) = &s3.partitioner else {
        panic!("{:?}", s3.partitioner)
    };
    let key = KeyTemplate::key(&t.group("t", 2, Some(0)), 42);
    (m, key, unsupported)
}

#[test]
fn aiven_s3_keys_come_from_its_template_or_its_old_prefix() {
    let key = |pairs: &[(&str, &str)]| {
        let (m, key, unsupported) = aiven_s3_connector(pairs);
        let c = &m.connectors[0];
        assert_eq!(c.formatter.name, "aiven-output");
        let SinkSpec::S3(s3) = &c.sink else { panic!() };
        (key, s3.rotation.clone(), unsupported)
    };
    // Aiven's defaults: gzip, a file per offset commit, no record limit.
    let (k, rotation, unsupported) = key(&[]);
    assert_eq!(k, "t-2-42.gz");
    assert_eq!(
        (rotation.flush_size, rotation.schedule_ms),
        (u64::MAX, Some(60_000))
    );
    assert!(unsupported.is_empty(), "{unsupported:?}");
    let (k, rotation, _) = key(&[
        ("file.compression.type", "none"),
        ("file.max.records", "100"),
        ("offset.flush.interval.ms", "5000"),
    ]);
    assert_eq!(k, "t-2-42");
    assert_eq!(
        (rotation.flush_size, rotation.schedule_ms),
        (100, Some(5000))
    );
    // The old layout; new names win over deprecated ones.
    let (k, _, _) = key(&[
        (
            "aws_s3_prefix",
            "logs/{{timestamp:unit=YYYY}}/{{utc_date}}/",
        ),
        ("output_compression", "none"),
    ]);
    assert_eq!(k, "logs/1970/1970-01-01/t-2-00000000000000000042");
    let (k, _, _) = key(&[
        (
            "file.name.template",
            "{{topic}}/{{partition:padding=true}}/{{start_offset}}.jsonl",
        ),
        ("output_compression", "none"),
        ("file.compression.type", "gzip"),
    ]);
    assert_eq!(k, "t/0000000002/42.jsonl");
    // Its own options reported, not refused.
    let (_, _, unsupported) = key(&[("aws.s3.backoff.max.delay.ms", "100")]);
    assert_eq!(unsupported[0].key, "aws.s3.backoff.max.delay.ms");
    let p = problems(&[
        ("connector.class", aiven_s3::CLASS),
        ("topics", "t"),
        ("aws.s3.bucket.name", "b"),
        ("aws.access.key.id", "only-half"),
        ("file.compression.type", "snappy"),
    ]);
    assert!(p.contains("aws.access.key.id: set it together"), "{p}");
    assert!(
        p.contains("file.compression.type: \"snappy\" is not implemented"),
        "{p}"
    );
}

/// Aiven's avro and parquet outputs: the container plugins with Aiven's
/// rows, Avro wrapped by the whole-file compression with `.avro` in the
/// name, Parquet's codec taken from `file.compression.type` as given.
#[test]
fn aiven_avro_and_parquet_outputs_run_the_container_plugins_with_aivens_rows() {
    use crate::sink::s3::config::Compression;
    let run = |pairs: &[(&str, &str)]| {
        let (m, key, unsupported) = aiven_s3_connector(pairs);
        assert!(unsupported.is_empty(), "{unsupported:?}");
        let c = &m.connectors[0];
        let SinkSpec::S3(s3) = &c.sink else { panic!() };
        let config: std::collections::BTreeMap<String, String> =
            c.formatter.config.iter().cloned().collect();
        (
            c.formatter.name.clone(),
            key,
            (s3.compression, s3.compress_containers),
            config,
        )
    };
    let (plugin, key, compression, config) = run(&[
        ("format.output.type", "avro"),
        ("format.output.fields", "key,value,offset,timestamp"),
        ("avro.codec", "deflate"),
    ]);
    assert_eq!(
        (plugin.as_str(), key.as_str()),
        ("avro-format", "t-2-42.avro.gz")
    );
    assert!(matches!(compression, (Compression::Gzip { .. }, true)));
    assert_eq!(config["format.output.fields"], "key,value,offset,timestamp");
    assert_eq!(config["enhanced.avro.schema.support"], "false");
    assert_eq!(config["avro.codec"], "deflate");
    // Parquet: no wrapping; the default name keeps Aiven's `.gz`, the
    // codec is none unless file.compression.type names one.
    let (plugin, key, compression, config) = run(&[("format.output.type", "parquet")]);
    assert_eq!(
        (plugin.as_str(), key.as_str()),
        ("parquet-format", "t-2-42.gz")
    );
    assert!(matches!(compression, (Compression::None, false)));
    assert_eq!(config["parquet.codec"], "none");
    assert_eq!(config["format.output.fields"], "value");
    let (_, key, _, config) = run(&[
        ("format.output.type", "parquet"),
        ("file.compression.type", "zstd"),
        ("enhanced.avro.schema.support", "true"),
        ("format.output.fields.value.encoding", "none"),
    ]);
    assert_eq!(key, "t-2-42.zst");
    assert_eq!(config["parquet.codec"], "zstd");
    assert_eq!(config["enhanced.avro.schema.support"], "true");
    let p = problems(&[
        ("connector.class", aiven_s3::CLASS),
        ("topics", "t"),
        ("aws.s3.bucket.name", "b"),
        ("format.output.type", "avro"),
        ("format.output.fields", "value,headers"),
        ("file.compression.type", "zstd"),
    ]);
    assert!(
        p.contains("format.output.fields: headers in avro rows are not implemented"),
        "{p}"
    );
    assert!(
        p.contains("file.compression.type: \"zstd\" is not implemented"),
        "{p}"
    );
    let p = problems(&[
        ("connector.class", aiven_s3::CLASS),
        ("topics", "t"),
        ("aws.s3.bucket.name", "b"),
        ("format.output.type", "parquet"),
        ("format.output.fields", "key"),
        ("format.output.envelope", "false"),
    ]);
    assert!(
        p.contains("format.output.envelope: false with parquet rows is implemented for format.output.fields=value alone"),
        "{p}"
    );
    // The deprecated name sets the compression of the name, not Parquet's codec.
    let (_, key, _, config) = run(&[
        ("format.output.type", "parquet"),
        ("output_compression", "gzip"),
    ]);
    assert_eq!(
        (key.as_str(), config["parquet.codec"].as_str()),
        ("t-2-42.gz", "none")
    );
}

#[test]
fn worker_converters_apply_when_the_connector_names_none() {
    let mut w = worker();
    w.insert(
        "value.converter".into(),
        "org.apache.kafka.connect.json.JsonConverter".into(),
    );
    w.insert("value.converter.schemas.enable".into(), "false".into());
    w.insert(
        "key.converter".into(),
        "org.apache.kafka.connect.converters.ByteArrayConverter".into(),
    );
    let (m, _) = checked(&TD_BATCH[..10], &w);
    let c = &m.connectors[0];
    assert!(
        c.key_converter.is_none(),
        "ByteArrayConverter passes bytes through"
    );
    let v = c.value_converter.as_ref().unwrap();
    assert_eq!(v.name, "json");
    assert_eq!(
        v.config,
        [("schemas.enable".to_string(), "false".to_string())]
    );
}

#[test]
fn wasm_plugins_are_named_by_a_class_without_a_dot() {
    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.extend([
        ("value.converter", "avro-lite"),
        ("value.converter.registry", "http://r"),
        ("transforms", "mask"),
        ("transforms.mask.type", "mask-fields"),
        ("transforms.mask.fields", "ssn,card"),
    ]);
    let (m, _) = checked(&pairs, &worker());
    let c = &m.connectors[0];
    assert_eq!(c.value_converter.as_ref().unwrap().name, "avro-lite");
    assert_eq!(c.transforms[0].name, "mask-fields");
    assert_eq!(
        c.transforms[0].config,
        [("fields".to_string(), "ssn,card".to_string())]
    );
}

fn declared() -> DeclaredClasses {
    let mut d = DeclaredClasses::default();
    d.insert(
        "com.example.MaskFields$Value",
        Declared {
            plugin: "mask-fields".into(),
            kind: crate::plugin::PluginKind::Transform,
            keys: vec![
                "connect.class".into(),
                "fields".into(),
                "replacement".into(),
            ],
            capabilities: vec![],
        },
    );
    d.insert(
        "com.example.AvroLite",
        Declared {
            plugin: "avro-lite".into(),
            kind: crate::plugin::PluginKind::Converter,
            keys: vec!["connect.class".into(), "strict".into()],
            capabilities: vec!["schema-registry"],
        },
    );
    d
}

fn declared_problems(pairs: &[(&str, &str)], d: &DeclaredClasses) -> String {
    let r = translate("c", &config(pairs), &worker(), d).unwrap_err();
    r.problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn confluents_avro_converter_maps_to_the_avro_plugin_with_the_registry_granted() {
    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.extend([
        ("value.converter", "io.confluent.connect.avro.AvroConverter"),
        ("value.converter.schema.registry.url", "http://r:8081"),
        ("value.converter.basic.auth.credentials.source", "USER_INFO"),
        ("value.converter.basic.auth.user.info", "u:p"),
        ("value.converter.auto.register.schemas", "false"),
        (
            "value.converter.value.subject.name.strategy",
            "io.confluent.kafka.serializers.subject.TopicNameStrategy",
        ),
        ("value.converter.avro.fancy", "x"),
        (
            "value.converter.schema.registry.ssl.truststore.location",
            "/etc/kafka/truststore.jks",
        ),
        (
            "value.converter.schema.registry.ssl.truststore.password",
            "pw",
        ),
        ("value.converter.schema.registry.ssl.protocol", "TLSv1.3"),
        ("value.converter.missing.id.cache.ttl.sec", "60"),
    ]);
    let t = translate("c", &config(&pairs), &worker(), &DeclaredClasses::default())
        .unwrap_or_else(|r| panic!("{r:?}"));
    let converter = t.section["value.converter"].as_table().unwrap();
    assert_eq!(converter["plugin"].as_str(), Some("avro"));
    assert_eq!(
        converter["capabilities"].as_array().unwrap(),
        &vec![toml::Value::from("schema-registry")]
    );
    let config = converter["config"].as_table().unwrap();
    for (k, v) in [
        ("connect.class", "io.confluent.connect.avro.AvroConverter"),
        ("schema.registry.url", "http://r:8081"),
        ("basic.auth.user.info", "u:p"),
        ("auto.register.schemas", "false"),
        (
            "schema.registry.ssl.truststore.location",
            "/etc/kafka/truststore.jks",
        ),
        ("schema.registry.ssl.truststore.password", "pw"),
        ("missing.id.cache.ttl.sec", "60"),
    ] {
        assert_eq!(config[k].as_str(), Some(v), "{k}");
    }
    assert!(!config.contains_key("schema.registry.ssl.protocol"));
    let unsupported: Vec<String> = t.unsupported.iter().map(|p| p.to_string()).collect();
    assert!(
        unsupported
            .iter()
            .any(|p| p.contains("value.converter.avro.fancy")),
        "{unsupported:?}"
    );
    assert!(
        unsupported.iter().any(
            |p| p.contains("value.converter.schema.registry.ssl.protocol") && p.contains("rustls")
        ),
        "{unsupported:?}"
    );
}

#[test]
fn classes_plugins_declare_map_to_those_plugins() {
    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.extend([
        ("value.converter", "com.example.AvroLite"),
        ("value.converter.strict", "true"),
        ("value.converter.schema.registry.url", "http://r:8081"),
        ("value.converter.stict", "false"),
        ("transforms", "mask"),
        ("transforms.mask.type", "com.example.MaskFields$Value"),
        ("transforms.mask.fields", "ssn,card"),
        ("transforms.mask.replacment", "x"),
    ]);
    let t =
        translate("c", &config(&pairs), &worker(), &declared()).unwrap_or_else(|r| panic!("{r:?}"));
    let converter = t.section["value.converter"].as_table().unwrap();
    assert_eq!(converter["plugin"].as_str(), Some("avro-lite"));
    assert_eq!(
        converter["capabilities"].as_array().unwrap(),
        &vec![toml::Value::from("schema-registry")]
    );
    let config = converter["config"].as_table().unwrap();
    assert_eq!(
        config["connect.class"].as_str(),
        Some("com.example.AvroLite")
    );
    assert_eq!(config["strict"].as_str(), Some("true"));
    assert_eq!(
        config["schema.registry.url"].as_str(),
        Some("http://r:8081")
    );
    let unsupported: Vec<String> = t.unsupported.iter().map(|p| p.to_string()).collect();
    assert!(
        unsupported
            .iter()
            .any(|p| p.contains("value.converter.stict")
                && p.contains("not an option of com.example.AvroLite (plugin \"avro-lite\")")
                && p.contains("did you mean \"strict\"")),
        "{unsupported:?}"
    );
    assert!(
        unsupported
            .iter()
            .any(|p| p.contains("transforms.mask.replacment")
                && p.contains("did you mean \"replacement\"")),
        "{unsupported:?}"
    );
    let (m, _) = checked_with(&pairs, &declared());
    let c = &m.connectors[0];
    assert_eq!(c.transforms[0].name, "mask-fields");
    assert_eq!(
        c.transforms[0].config,
        [
            (
                "connect.class".to_string(),
                "com.example.MaskFields$Value".to_string()
            ),
            ("fields".to_string(), "ssn,card".to_string())
        ]
    );
}

#[test]
fn an_undeclared_ambiguous_or_misplaced_class_says_what_to_do() {
    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.extend([
        ("transforms", "wrap"),
        ("transforms.wrap.type", "com.example.WrapField$Value"),
    ]);
    let p = declared_problems(&pairs, &declared());
    assert!(
        p.contains(
            "transforms.wrap.type: \"com.example.WrapField$Value\" is not a transform Sluice has"
        ),
        "{p}"
    );
    assert!(
        p.contains("org.apache.kafka.connect.transforms.InsertField$Value"),
        "{p}"
    );
    assert!(p.contains("declare com.example.MaskFields$Value"), "{p}");
    assert!(
        p.contains("sluice plugin new <name> --kind transform"),
        "{p}"
    );
    assert!(p.contains("`connect.class` config key"), "{p}");

    let mut twice = declared();
    twice.insert(
        "com.example.MaskFields$Value",
        Declared {
            plugin: "mask-fields-v2".into(),
            kind: crate::plugin::PluginKind::Transform,
            keys: vec![],
            capabilities: vec![],
        },
    );
    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.extend([
        ("transforms", "mask"),
        ("transforms.mask.type", "com.example.MaskFields$Value"),
    ]);
    let p = declared_problems(&pairs, &twice);
    assert!(
        p.contains("declared by several plugins (mask-fields, mask-fields-v2): keep one"),
        "{p}"
    );

    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.push(("value.converter", "com.example.MaskFields$Value"));
    let p = declared_problems(&pairs, &declared());
    assert!(
        p.contains("value.converter: com.example.MaskFields$Value is declared by the transform plugin \"mask-fields\", not by a converter"),
        "{p}"
    );
}

#[test]
fn only_classes_sluice_lacks_need_the_plugins_loaded() {
    let w = worker();
    let named = |pairs: &[(&str, &str)]| names_declared_classes(&config(pairs), &w);
    assert!(!named(TD_BATCH));
    assert!(!named(&[(
        "value.converter",
        "org.apache.kafka.connect.json.JsonConverter"
    )]));
    assert!(!named(&[("transforms.m.type", "mask-fields")]));
    assert!(named(&[(
        "transforms.m.type",
        "com.example.MaskFields$Value"
    )]));
    assert!(named(&[("key.converter", "com.example.AvroLite")]));
    let w = config(&[("value.converter", "com.example.AvroLite")]);
    assert!(names_declared_classes(&config(&[]), &w));
    assert!(!names_declared_classes(
        &config(&[(
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter"
        )]),
        &w
    ));
}

#[test]
fn filter_with_a_predicate_becomes_drop() {
    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.extend([
        ("transforms", "onlyLive"),
        (
            "transforms.onlyLive.type",
            "org.apache.kafka.connect.transforms.Filter",
        ),
        ("transforms.onlyLive.predicate", "isTest"),
        ("transforms.onlyLive.negate", "true"),
        ("predicates", "isTest"),
        (
            "predicates.isTest.type",
            "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        ),
        ("predicates.isTest.name", "test"),
    ]);
    let (m, _) = checked(&pairs, &worker());
    let t = &m.connectors[0].transforms[0];
    assert_eq!(t.name, "drop");
    let cfg: std::collections::BTreeMap<_, _> = t.config.iter().cloned().collect();
    assert_eq!(cfg["predicate"], "HasHeaderKey");
    assert_eq!(cfg["name"], "test");
    assert_eq!(cfg["negate"], "true");
}

#[test]
fn every_smt_takes_a_predicate_and_its_class_picks_key_or_value() {
    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.extend([
        ("transforms", "id,route"),
        (
            "transforms.id.type",
            "org.apache.kafka.connect.transforms.ExtractField$Key",
        ),
        ("transforms.id.field", "id"),
        ("transforms.id.predicate", "notTomb"),
        ("transforms.id.negate", "true"),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.route.regex", "(.*)"),
        ("transforms.route.replacement", "$1-out"),
        ("transforms.route.predicate", "eu"),
        ("predicates", "notTomb,eu"),
        (
            "predicates.notTomb.type",
            "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
        ),
        (
            "predicates.eu.type",
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        ),
        ("predicates.eu.pattern", "eu-.*"),
    ]);
    let (m, _) = checked(&pairs, &worker());
    let [id, route] = &m.connectors[0].transforms[..] else {
        panic!("two transforms")
    };
    assert_eq!(id.name, "extract-field");
    let cfg: std::collections::BTreeMap<_, _> = id.config.iter().cloned().collect();
    assert_eq!(
        cfg["connect.class"],
        "org.apache.kafka.connect.transforms.ExtractField$Key"
    );
    assert_eq!(cfg["field"], "id");
    let s = id.selector.as_ref().expect("a predicate");
    assert!(s.negate);
    assert!(matches!(
        s.predicate,
        crate::predicate::Predicate::RecordIsTombstone
    ));
    assert_eq!(route.name, "regex-router");
    let s = route.selector.as_ref().expect("a predicate");
    assert!(!s.negate);
    assert!(
        matches!(&s.predicate, crate::predicate::Predicate::TopicNameMatches { pattern, .. } if pattern == "eu-.*")
    );
}

#[test]
fn the_header_converter_goes_to_the_transforms_that_write_headers() {
    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.extend([
        (
            "header.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        ("transforms", "tag,id"),
        (
            "transforms.tag.type",
            "org.apache.kafka.connect.transforms.InsertHeader",
        ),
        ("transforms.tag.header", "source"),
        ("transforms.tag.value.literal", "sluice"),
        (
            "transforms.id.type",
            "org.apache.kafka.connect.transforms.ExtractField$Value",
        ),
        ("transforms.id.field", "id"),
    ]);
    let (m, _) = checked(&pairs, &worker());
    let [tag, id] = &m.connectors[0].transforms[..] else {
        panic!("two transforms")
    };
    let cfg = |t: &crate::config::PluginSpec| -> std::collections::BTreeMap<String, String> {
        t.config.iter().cloned().collect()
    };
    assert_eq!(tag.name, "insert-header");
    assert_eq!(
        cfg(tag)["header.converter"],
        "org.apache.kafka.connect.storage.StringConverter"
    );
    assert!(!cfg(id).contains_key("header.converter"));
}

#[test]
fn debeziums_unwrap_takes_its_options_and_names_the_ones_debezium_3_dropped() {
    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.extend([
        ("transforms", "unwrap"),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
        ("transforms.unwrap.add.fields", "op,source.ts_ms"),
        ("transforms.unwrap.route.by.field", "region"),
        ("transforms.unwrap.delete.handling.mode", "rewrite"),
        ("transforms.unwrap.drop.tombstones", "false"),
    ]);
    let (m, warnings) = checked(&pairs, &worker());
    let t = &m.connectors[0].transforms[0];
    assert_eq!(t.name, "extract-new-record-state");
    let cfg: std::collections::BTreeMap<_, _> = t.config.iter().cloned().collect();
    assert_eq!(cfg["add.fields"], "op,source.ts_ms");
    assert_eq!(cfg["route.by.field"], "region");
    assert!(!cfg.contains_key("delete.handling.mode"), "{cfg:?}");
    let text: Vec<String> = warnings.iter().map(Problem::to_string).collect();
    for key in ["delete.handling.mode", "drop.tombstones"] {
        assert!(
            text.iter().any(|w| w.contains(&format!("unwrap.{key}"))
                && w.contains("removed in Debezium 3.0")
                && w.contains("delete.tombstone.handling.mode")),
            "{key}: {text:?}"
        );
    }
}

#[test]
fn filter_without_a_predicate_drops_every_record_as_in_kafka() {
    let mut pairs = TD_BATCH[..10].to_vec();
    pairs.extend([
        ("transforms", "all"),
        (
            "transforms.all.type",
            "org.apache.kafka.connect.transforms.Filter",
        ),
    ]);
    let (m, _) = checked(&pairs, &worker());
    let t = &m.connectors[0].transforms[0];
    assert_eq!(t.name, "drop");
    assert!(t.config.is_empty(), "{:?}", t.config);
}

#[test]
fn unknown_classes_list_the_supported_ones() {
    let e = problems(&[("connector.class", "com.example.JdbcSinkConnector")]);
    assert!(e.contains("io.confluent.connect.s3.S3SinkConnector"), "{e}");
    assert!(
        e.contains("io.aiven.kafka.connect.http.HttpSinkConnector"),
        "{e}"
    );
    let mut pairs = TD_BATCH.to_vec();
    pairs.push((
        "key.converter",
        "com.blueapron.connect.protobuf.ProtobufConverter",
    ));
    pairs.push(("transforms", "x"));
    pairs.push((
        "transforms.x.type",
        "io.confluent.connect.transforms.ExtractTopic$Value",
    ));
    let e = problems(&pairs);
    assert!(
        e.contains(
            "key.converter: \"com.blueapron.connect.protobuf.ProtobufConverter\" is not a converter"
        ),
        "{e}"
    );
    assert!(
        e.contains("org.apache.kafka.connect.storage.StringConverter"),
        "{e}"
    );
    assert!(e.contains("transforms.x.type"), "{e}");
    assert_eq!(
        super::did_you_mean("flush.sise", ["flush.size", "s3.part.size"].into_iter()),
        Some("flush.size")
    );
    assert_eq!(super::did_you_mean("ab", ["xy"].into_iter()), None);
    // A megabyte of name is no typo, and costs no distance.
    let long = "flush.size".repeat(100_000);
    assert_eq!(super::did_you_mean(&long, ["flush.size"].into_iter()), None);
    assert!(e.contains("InsertField$Value"), "{e}");
    let e = problems(&[("topics", "t")]);
    assert!(e.contains("connector.class: missing"), "{e}");
}

#[test]
fn unknown_and_unimplemented_options_are_reported_and_ignored_as_connect_ignores_them() {
    let mut pairs = TD_BATCH.to_vec();
    pairs.push(("http.api.ulr", "x"));
    pairs.push(("group.id", "mine"));
    pairs.push(("something.else", "x"));
    pairs.push(("transforms", "t"));
    pairs.push((
        "transforms.t.type",
        "org.apache.kafka.connect.transforms.InsertField$Value",
    ));
    pairs.push(("transforms.t.topic.feild", "topic"));
    let (_, unsupported) = checked(&pairs, &worker());
    let said = |key: &str| {
        unsupported
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.message.clone())
            .unwrap_or_else(|| panic!("{key} in {unsupported:?}"))
    };
    assert!(
        said("http.api.ulr").ends_with("did you mean \"http.api.url\"?"),
        "{}",
        said("http.api.ulr")
    );
    assert!(said("group.id").contains("consumer.override.group.id"));
    assert!(!said("something.else").contains("did you mean"));
    assert!(said("transforms.t.topic.feild").contains("did you mean \"topic.field\"?"));
    let mut pairs = TD_BATCH.to_vec();
    pairs.push(("batch.key.pattern", "${key}"));
    pairs.push(("oauth2.client.id", "me"));
    let (_, unsupported) = checked(&pairs, &worker());
    let keys: Vec<&str> = unsupported.iter().map(|p| p.key.as_str()).collect();
    assert!(
        keys.contains(&"batch.key.pattern") && keys.contains(&"oauth2.client.id"),
        "{keys:?}"
    );
    assert!(
        unsupported
            .iter()
            .any(|p| p.message == "applies only with auth.type=OAUTH2"),
        "{unsupported:?}"
    );
}

#[test]
fn a_missing_required_option_is_reported_by_validation() {
    let t = translate(
        "c",
        &config(&[
            ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
            ("topics", "t"),
            ("s3.bucket.name", "b"),
        ]),
        &worker(),
        &DeclaredClasses::default(),
    )
    .unwrap();
    let e = parse_unresolved(std::path::Path::new("/x/m.toml"), &to_manifest_toml(&t))
        .unwrap_err()
        .to_string();
    assert!(e.contains("flush.size"), "{e}");
}

/// A config of `class` that runs, to which one option is added.
fn base_config(class: &str) -> Vec<(&'static str, &'static str)> {
    match class {
        confluent_s3::CLASS => vec![
            ("connector.class", confluent_s3::CLASS),
            ("topics", "t"),
            ("s3.bucket.name", "b"),
            ("s3.region", "us-east-1"),
            ("flush.size", "10"),
            (
                "format.class",
                "io.confluent.connect.s3.format.json.JsonFormat",
            ),
        ],
        aiven_s3::CLASS => vec![
            ("connector.class", aiven_s3::CLASS),
            ("topics", "t"),
            ("aws.s3.bucket.name", "b"),
        ],
        aiven::CLASS => vec![
            ("connector.class", aiven::CLASS),
            ("topics", "t"),
            ("http.url", "https://example.com/"),
            ("http.authorization.type", "none"),
        ],
        _ => TD_BATCH.to_vec(),
    }
}

/// The backticked words of `text`.
fn ticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// docs/connect-options.md's three lists hold: every option listed as
/// applied is taken by the mapping, and every option the mapping takes is
/// listed (in its connector's section or the common one); every one
/// accepted and not applied is reported with the reason the page gives;
/// every refused value is refused.
#[test]
fn the_option_lists_in_the_docs_match_the_code() {
    let page = include_str!("../../../docs/connect-options.md");
    let mut checked = 0;
    let mut common_listed: Vec<&str> = Vec::new();
    for (n, section) in page.split("\n## ").skip(1).enumerate() {
        let heading = section.lines().next().unwrap_or_default();
        let class = ticked(heading)
            .into_iter()
            .find(|t| t.contains('.'))
            .unwrap_or(confluent_http::CLASS);
        let applied = class_options(class).unwrap_or_else(|| panic!("{class}"));
        let mut listed: Vec<&str> = Vec::new();
        for part in section.split("\n### ").skip(1) {
            let (title, body) = part.split_once('\n').unwrap_or_default();
            match title.trim() {
                "Applied" => {
                    for key in ticked(body) {
                        assert!(applied.contains(&key), "{class}: {key} is not applied");
                        listed.push(key);
                        checked += 1;
                    }
                }
                "Accepted, not applied" => {
                    for row in body.lines().filter(|l| l.starts_with("| `")) {
                        let cells: Vec<&str> = row.split(" | ").collect();
                        let why = cells[1].trim_end_matches(" |").trim();
                        for key in ticked(cells[0]) {
                            let key = key.replace('*', "x");
                            assert_eq!(not_implemented(class, &key), Some(why), "{class}: {key}");
                            assert!(!applied.contains(&key.as_str()), "{class}: {key}");
                            checked += 1;
                        }
                    }
                }
                "Refused" => {
                    for row in body.lines().filter(|l| l.starts_with("| `")) {
                        let t = ticked(row);
                        let (key, value) = (t[0], t[1]);
                        listed.push(key);
                        let mut pairs = base_config(class);
                        pairs.retain(|(k, _)| *k != key);
                        pairs.push((key, value));
                        if key.starts_with("transforms.") {
                            pairs.push(("transforms", "t"));
                        }
                        let refused = match translate(
                            "c",
                            &config(&pairs),
                            &worker(),
                            &DeclaredClasses::default(),
                        ) {
                            Err(r) => r.problems.iter().map(|p| p.to_string()).collect(),
                            Ok(t) => parse_unresolved(
                                std::path::Path::new("/x/m.toml"),
                                &to_manifest_toml(&t),
                            )
                            .err()
                            .map(|e| e.to_string())
                            .unwrap_or_default(),
                        };
                        assert!(refused.contains(key), "{class}: {key} = {value} runs");
                        checked += 1;
                    }
                }
                other => panic!("unknown list {other:?}"),
            }
        }
        // The first section is every connector's options.
        if n == 0 {
            common_listed = listed.clone();
            continue;
        }
        let unlisted: Vec<&str> = applied
            .iter()
            .copied()
            .filter(|k| !listed.contains(k) && !common_listed.contains(k))
            .collect();
        assert!(
            unlisted.is_empty(),
            "{class} takes options docs/connect-options.md does not list (as applied, or with the values it refuses): {unlisted:?}"
        );
    }
    assert!(checked > 200, "{checked} options checked");
}

#[test]
fn aiven_and_confluent_roles_become_the_s3_sinks_role() {
    let sink_of = |pairs: &[(&str, &str)]| {
        let t = translate("c", &config(pairs), &worker(), &DeclaredClasses::default())
            .unwrap_or_else(|r| panic!("{r:?}"));
        let sink = t.section["sink"].as_table().unwrap().clone();
        (sink, t.unsupported)
    };
    let mut aiven = base_config(aiven_s3::CLASS);
    aiven.extend([
        ("aws.sts.role.arn", "arn:aws:iam::1:role/r"),
        ("aws.sts.role.session.name", "s"),
        ("aws.sts.role.external.id", "x"),
        ("aws.sts.role.session.duration", "900"),
    ]);
    let (sink, _) = sink_of(&aiven);
    for (key, want) in [
        ("sts.role.arn", "arn:aws:iam::1:role/r"),
        ("sts.role.session.name", "s"),
        ("sts.role.external.id", "x"),
        ("sts.role.session.duration", "900"),
    ] {
        assert_eq!(sink[key].as_str(), Some(want), "{key}");
    }
    // Without a session name Aiven assumes no role: reported, not applied.
    aiven.retain(|(k, _)| *k != "aws.sts.role.session.name");
    let (sink, unsupported) = sink_of(&aiven);
    assert!(!sink.contains_key("sts.role.arn"));
    let said: Vec<String> = unsupported.iter().map(|p| p.to_string()).collect();
    assert!(
        said.iter()
            .any(|p| p.contains("aws.sts.role.arn")
                && p.contains("only with aws.sts.role.session.name")),
        "{said:?}"
    );

    let mut confluent = base_config(confluent_s3::CLASS);
    confluent.extend([
        (
            "s3.credentials.provider.class",
            "io.confluent.connect.s3.auth.AwsAssumeRoleCredentialsProvider",
        ),
        (
            "s3.credentials.provider.sts.role.arn",
            "arn:aws:iam::1:role/r",
        ),
        ("s3.credentials.provider.sts.role.session.name", "s"),
    ]);
    let (sink, unsupported) = sink_of(&confluent);
    assert_eq!(sink["sts.role.arn"].as_str(), Some("arn:aws:iam::1:role/r"));
    assert_eq!(sink["sts.role.session.name"].as_str(), Some("s"));
    assert!(unsupported.is_empty(), "{unsupported:?}");
    confluent.retain(|(k, _)| *k != "s3.credentials.provider.sts.role.arn");
    let p = translate(
        "c",
        &config(&confluent),
        &worker(),
        &DeclaredClasses::default(),
    )
    .unwrap_err()
    .problems;
    assert!(
        p.iter()
            .any(|p| p.key == "s3.credentials.provider.sts.role.arn"),
        "{p:?}"
    );
}
