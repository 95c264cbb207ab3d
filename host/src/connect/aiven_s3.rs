//! Aiven's S3 sink (`io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector`):
//! its options (and their deprecated `aws_*` forms) mapped onto the S3
//! sink, keyed by `file.name.template`, and the `aiven-output` formatter.
//! Aiven writes a file per topic-partition at each offset commit
//! (`offset.flush.interval.ms`, 60 s by default), split by
//! `file.max.records`: so does Sluice, with scheduled rotation.
//! `docs/aiven-s3-sink-semantics.md` holds what was read in Aiven's source.

use super::{Options, Problem};

pub const CLASS: &str = "io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector";

/// The credentials provider Aiven uses when no key pair is given.
const DEFAULT_CHAIN: &str = "com.amazonaws.auth.DefaultAWSCredentialsProviderChain";

/// Aiven's options Sluice applies (deprecated names included).
pub const OPTIONS: &[&str] = &[
    "aws.access.key.id",
    "aws.secret.access.key",
    "aws.credentials.provider",
    "aws.s3.bucket.name",
    "aws.s3.endpoint",
    "aws.s3.region",
    "aws.s3.part.size.bytes",
    "aws.s3.sse.algorithm",
    "aws.s3.backoff.delay.ms",
    "aws.s3.backoff.max.retries",
    "aws.s3.prefix",
    "file.name.template",
    "file.compression.type",
    "file.max.records",
    "file.name.timestamp.timezone",
    "file.name.timestamp.source",
    "format.output.type",
    "format.output.fields",
    "format.output.fields.value.encoding",
    "format.output.envelope",
    "kafka.retry.backoff.ms",
    "aws.sts.role.arn",
    "aws.sts.role.session.name",
    "aws.sts.role.session.duration",
    "aws.sts.role.external.id",
    "aws.sts.config.endpoint",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_s3_bucket",
    "aws_s3_endpoint",
    "aws_s3_region",
    "aws_s3_prefix",
    "output_compression",
    "output_fields",
    "timestamp.timezone",
    "timestamp.source",
];

/// The S3 sink's keys that hold an Aiven option of another name.
pub const RENAMED: &[(&str, &str)] = &[
    ("s3.bucket.name", "aws.s3.bucket.name"),
    ("s3.region", "aws.s3.region"),
    ("store.url", "aws.s3.endpoint"),
    ("s3.part.size", "aws.s3.part.size.bytes"),
    ("s3.ssea.name", "aws.s3.sse.algorithm"),
    ("s3.retry.backoff.ms", "aws.s3.backoff.delay.ms"),
    ("s3.part.retries", "aws.s3.backoff.max.retries"),
    ("retry.backoff.ms", "kafka.retry.backoff.ms"),
    ("flush.size", "file.max.records"),
    ("rotate.schedule.interval.ms", "offset.flush.interval.ms"),
    ("sts.role.arn", "aws.sts.role.arn"),
    ("sts.role.session.name", "aws.sts.role.session.name"),
    ("sts.role.session.duration", "aws.sts.role.session.duration"),
    ("sts.role.external.id", "aws.sts.role.external.id"),
    ("sts.endpoint", "aws.sts.config.endpoint"),
];

/// The options the `aiven-output` formatter takes, under the same names.
const FORMATTER_OPTIONS: &[&str] = &[
    "format.output.type",
    "format.output.fields",
    "format.output.fields.value.encoding",
    "format.output.envelope",
];

/// Aiven's options as its connector defines them, for the REST API's validation.
pub fn defs() -> Vec<super::defs::OptionDef> {
    use super::defs::{ConfigType, OptionDef};
    use ConfigType::{Boolean, Int, List, Long, Password};
    let def = |name: &str, config_type, required, default: Option<&str>, doc: &str| {
        OptionDef::of("S3", name, config_type, required, default, doc)
    };
    let mut defs = vec![
        def(
            "aws.access.key.id",
            Password,
            false,
            None,
            "AWS access key id; with aws.secret.access.key. Default: the standard AWS credential chain.",
        ),
        def(
            "aws.secret.access.key",
            Password,
            false,
            None,
            "AWS secret access key, with aws.access.key.id.",
        ),
        def(
            "aws.credentials.provider",
            ConfigType::Class,
            false,
            Some(DEFAULT_CHAIN),
            "The credentials provider used without a key pair: only the default chain.",
        ),
        def(
            "aws.sts.role.arn",
            ConfigType::String,
            false,
            None,
            "An IAM role to assume with STS, with aws.sts.role.session.name; the key pair (or the default chain) is the base.",
        ),
        def(
            "aws.sts.role.session.name",
            ConfigType::String,
            false,
            None,
            "The role session's name; a role is assumed only with one.",
        ),
        def(
            "aws.sts.role.session.duration",
            Int,
            false,
            Some("3600"),
            "Seconds each set of temporary credentials lasts (900 to 43200).",
        ),
        def(
            "aws.sts.role.external.id",
            ConfigType::String,
            false,
            None,
            "The external id the role's trust policy asks for.",
        ),
        def(
            "aws.sts.config.endpoint",
            ConfigType::String,
            false,
            Some(STS_GLOBAL_ENDPOINT),
            "The STS endpoint; another than the global one needs aws.s3.region.",
        ),
        def(
            "aws.s3.bucket.name",
            ConfigType::String,
            false,
            None,
            "The bucket objects are written to (required, or its deprecated name aws_s3_bucket).",
        ),
        def(
            "aws.s3.endpoint",
            ConfigType::String,
            false,
            None,
            "Endpoint of an S3-compatible store; path-style requests are used with it.",
        ),
        def(
            "aws.s3.region",
            ConfigType::String,
            false,
            Some("us-east-1"),
            "The bucket's region.",
        ),
        def(
            "aws.s3.part.size.bytes",
            Int,
            false,
            Some("5242880"),
            "Bytes of a part of a multipart upload.",
        ),
        def(
            "aws.s3.sse.algorithm",
            ConfigType::String,
            false,
            None,
            "Server-side encryption of the objects: AES256, aws:kms or aws:kms:dsse.",
        ),
        def(
            "aws.s3.backoff.delay.ms",
            Long,
            false,
            Some("100"),
            "First delay between the attempts of an S3 request, doubling.",
        ),
        def(
            "aws.s3.backoff.max.retries",
            Int,
            false,
            Some("3"),
            "Attempts of an S3 request after the first.",
        ),
        def(
            "aws.s3.prefix",
            ConfigType::String,
            false,
            None,
            "Deprecated: a prefix of keys <prefix><topic>-<partition>-<20-digit start offset>, in place of file.name.template.",
        ),
        def(
            "file.name.template",
            ConfigType::String,
            false,
            Some("{{topic}}-{{partition}}-{{start_offset}}"),
            "Object key template: {{topic}}, {{partition}}, {{start_offset}} (each :padding=true) and {{timestamp:unit=yyyy|MM|dd|HH}}. The default gets the compression's extension.",
        ),
        def(
            "file.compression.type",
            ConfigType::String,
            false,
            Some("gzip"),
            "Compression of whole files: none or gzip.",
        ),
        def(
            "file.max.records",
            Int,
            false,
            Some("0"),
            "Records of a topic-partition per file; 0 for no limit (a file per offset commit).",
        ),
        def(
            "file.name.timestamp.timezone",
            ConfigType::String,
            false,
            Some("Z"),
            "Time zone of {{timestamp}} in file.name.template.",
        ),
        def(
            "file.name.timestamp.source",
            ConfigType::String,
            false,
            Some("wallclock"),
            "Time of {{timestamp}}: wallclock or event (the record's timestamp).",
        ),
        def(
            "format.output.type",
            ConfigType::String,
            false,
            Some("csv"),
            "csv, json, jsonl, avro or parquet.",
        ),
        def(
            "format.output.fields",
            List,
            false,
            Some("value"),
            "Fields written per record: key, value, offset, timestamp, headers.",
        ),
        def(
            "format.output.fields.value.encoding",
            ConfigType::String,
            false,
            Some("base64"),
            "csv only: the value as base64 or raw (none).",
        ),
        def(
            "format.output.envelope",
            Boolean,
            false,
            Some("true"),
            "json and jsonl: each record an object of its fields; false writes the one field alone. avro and parquet: false writes a struct value as the row itself.",
        ),
        def(
            "kafka.retry.backoff.ms",
            Long,
            false,
            None,
            "Pause before an upload that failed is tried again.",
        ),
    ];
    for (old, new) in DEPRECATED {
        if let Some(d) = defs.iter().find(|d| d.name == *new) {
            defs.push(OptionDef {
                name: old.to_string(),
                default: None,
                documentation: format!(
                    "Deprecated name of {new}, applied when {new} is not given."
                ),
                ..d.clone()
            });
        }
    }
    defs
}

/// Aiven's deprecated option names and the options that replaced them.
const DEPRECATED: &[(&str, &str)] = &[
    ("aws_access_key_id", "aws.access.key.id"),
    ("aws_secret_access_key", "aws.secret.access.key"),
    ("aws_s3_bucket", "aws.s3.bucket.name"),
    ("aws_s3_endpoint", "aws.s3.endpoint"),
    ("aws_s3_region", "aws.s3.region"),
    ("aws_s3_prefix", "aws.s3.prefix"),
    ("output_compression", "file.compression.type"),
    ("output_fields", "format.output.fields"),
    ("timestamp.timezone", "file.name.timestamp.timezone"),
    ("timestamp.source", "file.name.timestamp.source"),
];

/// The `sink` table, taking Aiven's options from `opts`.
pub fn sink(opts: &mut Options, problems: &mut Vec<Problem>) -> toml::Table {
    let mut sink = toml::Table::new();
    sink.insert("type".into(), "s3".into());
    // A non-empty new name wins over its deprecated one.
    let mut either = |new: &str, old: &str| {
        let (n, o) = (opts.take(new), opts.take(old));
        n.filter(|v| !v.trim().is_empty())
            .or(o.filter(|v| !v.trim().is_empty()))
    };
    let bucket = either("aws.s3.bucket.name", "aws_s3_bucket");
    let endpoint = either("aws.s3.endpoint", "aws_s3_endpoint");
    let region = either("aws.s3.region", "aws_s3_region");
    let prefix = either("aws.s3.prefix", "aws_s3_prefix");
    let fields = either("format.output.fields", "output_fields");
    let timezone = either("file.name.timestamp.timezone", "timestamp.timezone");
    let source = either("file.name.timestamp.source", "timestamp.source");
    // As `either`, keeping the new name's value: Parquet's codec, as
    // Aiven's ParquetConfig reads it.
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let new_compression = given(opts.take("file.compression.type"));
    let compression = new_compression
        .clone()
        .or(given(opts.take("output_compression")));
    let keys = (
        opts.take("aws.access.key.id"),
        opts.take("aws.secret.access.key"),
    );
    let old_keys = (
        opts.take("aws_access_key_id"),
        opts.take("aws_secret_access_key"),
    );
    match bucket {
        Some(b) => {
            sink.insert("s3.bucket.name".into(), b.into());
        }
        None => problems.push(Problem::new(
            "aws.s3.bucket.name",
            "missing: the bucket objects are written to",
        )),
    }
    let region_given = region.is_some();
    sink.insert(
        "s3.region".into(),
        region.unwrap_or_else(|| "us-east-1".into()).into(),
    );
    // Aiven asks for path-style requests with a custom endpoint only.
    sink.insert(
        "s3.path.style.access.enabled".into(),
        endpoint.is_some().to_string().into(),
    );
    if let Some(e) = endpoint {
        sink.insert("store.url".into(), e.into());
    }
    // The new pair is used when complete, else the deprecated one.
    let pair = match keys {
        (Some(id), Some(secret)) => Some((id, secret)),
        (id, secret) => match old_keys {
            (Some(i), Some(s)) => Some((i, s)),
            _ => {
                if id.is_some() || secret.is_some() {
                    problems.push(Problem::new(
                        "aws.access.key.id",
                        "set it together with aws.secret.access.key, or neither (the AWS credential chain)",
                    ));
                }
                None
            }
        },
    };
    let has_pair = pair.is_some();
    if let Some((id, secret)) = pair {
        sink.insert("aws.access.key.id".into(), id.into());
        sink.insert("aws.secret.access.key".into(), secret.into());
    }
    if let Some(provider) = opts.take("aws.credentials.provider")
        && provider.trim() != DEFAULT_CHAIN
        && !has_pair
    {
        problems.push(Problem::new(
            "aws.credentials.provider",
            format!("{provider:?} is not loaded: give aws.access.key.id and aws.secret.access.key, or leave it out for the standard AWS chain (environment, profile, web identity, instance role)"),
        ));
    }
    // Aiven assumes a role given with a session name, and ignores a role
    // without one: so does Sluice (the role is then reported, not applied).
    match (
        opts.take("aws.sts.role.arn")
            .filter(|a| !a.trim().is_empty()),
        opts.take("aws.sts.role.session.name")
            .filter(|n| !n.trim().is_empty()),
    ) {
        (Some(arn), Some(session)) => {
            sink.insert("sts.role.arn".into(), arn.into());
            sink.insert("sts.role.session.name".into(), session.into());
            for (from, to) in [
                ("aws.sts.role.external.id", "sts.role.external.id"),
                ("aws.sts.role.session.duration", "sts.role.session.duration"),
                ("aws.sts.config.endpoint", "sts.endpoint"),
            ] {
                if let Some(v) = opts.take(from) {
                    sink.insert(to.into(), v.into());
                }
            }
            // Aiven signs a custom STS endpoint's requests in the bucket's region.
            if sink
                .get("sts.endpoint")
                .and_then(|e| e.as_str())
                .is_some_and(|e| e.trim() != STS_GLOBAL_ENDPOINT)
                && !region_given
            {
                problems.push(Problem::new(
                    "aws.sts.config.endpoint",
                    "aws.s3.region should be specified together with aws.sts.config.endpoint",
                ));
            }
        }
        (arn, session) => {
            if let Some(a) = arn {
                opts.put_back("aws.sts.role.arn", a);
            }
            if let Some(n) = session {
                opts.put_back("aws.sts.role.session.name", n);
            }
        }
    }
    for (from, to) in [
        ("aws.s3.part.size.bytes", "s3.part.size"),
        ("aws.s3.sse.algorithm", "s3.ssea.name"),
        ("aws.s3.backoff.delay.ms", "s3.retry.backoff.ms"),
        ("aws.s3.backoff.max.retries", "s3.part.retries"),
        ("kafka.retry.backoff.ms", "retry.backoff.ms"),
    ] {
        if let Some(v) = opts.take(from) {
            sink.insert(to.into(), v.into());
        }
    }
    // Aiven's part size, not Sluice's 25 MiB: memory per open file stays as it was.
    sink.entry("s3.part.size").or_insert("5242880".into());
    let output = opts.take("format.output.type");
    let format = output.as_deref().unwrap_or("csv").trim().to_string();
    // Parquet reads file.compression.type as given (unset: none) as its
    // codec and is never wrapped; the key's extension follows the S3 default
    // (gzip) all the same, as Aiven's does.
    let parquet = format == "parquet";
    let parquet_codec = new_compression.map_or_else(|| "none".into(), |c| c.trim().to_string());
    let compression = compression.unwrap_or_else(|| "gzip".into());
    let extension = match compression.trim() {
        "none" => "",
        "gzip" => ".gz",
        "snappy" if parquet => ".snappy",
        "zstd" if parquet => ".zst",
        other => {
            let why = if ["snappy", "zstd"].contains(&other) {
                format!(
                    "{other:?} is not implemented for whole files: use gzip or none (the parquet output takes it as its codec)"
                )
            } else {
                format!("{other:?} is not none, gzip, snappy or zstd")
            };
            problems.push(Problem::new("file.compression.type", why));
            ""
        }
    };
    sink.insert(
        "s3.compression.type".into(),
        if extension.is_empty() || parquet {
            "none"
        } else {
            "gzip"
        }
        .into(),
    );
    if format == "avro" {
        // Aiven wraps its Avro files as it wraps every other file.
        sink.insert("s3.compression.containers".into(), true.into());
    }
    // Avro's files are named .avro before the compression's extension.
    let extension = if format == "avro" {
        format!(".avro{extension}")
    } else {
        extension.to_string()
    };
    let template = opts.take("file.name.template");
    let template = match prefix {
        // Aiven's old layout: the prefix, then topic-partition-offset.
        Some(prefix) => {
            if template.is_some() {
                problems.push(Problem::new(
                    "file.name.template",
                    "set with aws.s3.prefix, which Aiven lets win: give one of them",
                ));
            }
            let prefix = prefix
                .replace("unit=YYYY", "unit=yyyy")
                .replace("{{utc_date}}", DATE)
                .replace("{{local_date}}", DATE);
            format!(
                "{prefix}{{{{topic}}}}-{{{{partition}}}}-{{{{start_offset:padding=true}}}}{extension}"
            )
        }
        None => template.unwrap_or_else(|| {
            format!("{{{{topic}}}}-{{{{partition}}}}-{{{{start_offset}}}}{extension}")
        }),
    };
    sink.insert("file.name.template".into(), template.into());
    if let Some(tz) = timezone {
        sink.insert("file.name.timestamp.timezone".into(), tz.into());
    }
    if let Some(s) = source {
        sink.insert("file.name.timestamp.source".into(), s.into());
    }
    // A file per topic-partition at each offset commit, split by file.max.records.
    let max = opts.take("file.max.records").unwrap_or_else(|| "0".into());
    sink.insert("flush.size".into(), max.into());
    let interval = opts.take("offset.flush.interval.ms");
    if let Some(i) = &interval {
        opts.put_back("offset.flush.interval.ms", i.clone());
    }
    sink.insert(
        "rotate.schedule.interval.ms".into(),
        interval.unwrap_or_else(|| "60000".into()).into(),
    );
    sink.insert("timezone".into(), "UTC".into());
    // Aiven writes tombstones as records whose value is null.
    sink.insert("behavior.on.null.values".into(), "write".into());
    let mut config = toml::Table::new();
    let plugin = match format.as_str() {
        "avro" | "parquet" => {
            container_rows(opts, &format, fields, &parquet_codec, &mut config, problems);
            if format == "avro" {
                "avro-format"
            } else {
                "parquet-format"
            }
        }
        _ => {
            if let Some(o) = output {
                config.insert("format.output.type".into(), o.into());
            }
            if let Some(f) = fields {
                config.insert("format.output.fields".into(), f.into());
            }
            for key in &FORMATTER_OPTIONS[2..] {
                if let Some(v) = opts.take(key) {
                    config.insert((*key).into(), v.into());
                }
            }
            "aiven-output"
        }
    };
    let mut formatter = toml::Table::new();
    formatter.insert("plugin".into(), plugin.into());
    formatter.insert("config".into(), toml::Value::Table(config));
    sink.insert("formatter".into(), toml::Value::Table(formatter));
    sink
}

/// The `avro-format` or `parquet-format` config of Aiven's `avro` or
/// `parquet` output: its rows (`format.output.fields`, default `value`;
/// `format.output.envelope`), Confluent's `AvroData` options as Aiven
/// passes them (`enhanced.avro.schema.support` off unless set), Avro's
/// container codec, and Parquet's codec (`file.compression.type` as given).
/// `format.output.fields.value.encoding` is left unused, as Aiven's writers
/// leave it.
fn container_rows(
    opts: &mut Options,
    format: &str,
    fields: Option<String>,
    parquet_codec: &str,
    config: &mut toml::Table,
    problems: &mut Vec<Problem>,
) {
    let fields = fields.unwrap_or_else(|| "value".into());
    let names: Vec<String> = fields
        .split(',')
        .map(|f| f.trim().to_ascii_lowercase())
        .filter(|f| !f.is_empty())
        .collect();
    if names.iter().any(|f| f == "headers") {
        problems.push(Problem::new(
            "format.output.fields",
            format!("headers in {format} rows are not implemented yet: leave them out, or use the json, jsonl or csv output"),
        ));
    }
    config.insert("format.output.fields".into(), fields.into());
    if let Some(e) = opts.take("format.output.envelope") {
        if e.trim().eq_ignore_ascii_case("false") && names != ["value"] {
            problems.push(Problem::new(
                "format.output.envelope",
                format!("false with {format} rows is implemented for format.output.fields=value alone: leave the envelope on"),
            ));
        }
        config.insert("format.output.envelope".into(), e.into());
    }
    opts.take("format.output.fields.value.encoding");
    config.insert(
        "enhanced.avro.schema.support".into(),
        opts.take("enhanced.avro.schema.support")
            .unwrap_or_else(|| "false".into())
            .into(),
    );
    for key in ["connect.meta.data", "schemas.cache.config"] {
        if let Some(v) = opts.take(key) {
            config.insert(key.into(), v.into());
        }
    }
    if format == "avro" {
        if let Some(codec) = opts.take("avro.codec") {
            config.insert("avro.codec".into(), codec.into());
        }
    } else {
        config.insert("parquet.codec".into(), parquet_codec.into());
    }
}

/// Aiven's default STS endpoint, which needs no region of its own.
const STS_GLOBAL_ENDPOINT: &str = "https://sts.amazonaws.com";

/// `{{utc_date}}` and `{{local_date}}` of Aiven's old prefixes (`yyyy-MM-dd`).
const DATE: &str = "{{timestamp:unit=yyyy}}-{{timestamp:unit=MM}}-{{timestamp:unit=dd}}";

/// Why an Aiven S3 option Sluice does not implement is not applied.
pub fn not_implemented(key: &str) -> Option<&'static str> {
    Some(match key {
        "aws.s3.backoff.max.delay.ms" => {
            "the delay doubles from aws.s3.backoff.delay.ms for aws.s3.backoff.max.retries attempts"
        }
        "aws.sts.role.arn" => {
            "a role is assumed only with aws.sts.role.session.name, as Aiven's sink assumes one"
        }
        "aws.sts.role.session.name"
        | "aws.sts.role.session.duration"
        | "aws.sts.role.external.id"
        | "aws.sts.config.endpoint" => {
            "used only with aws.sts.role.arn and aws.sts.role.session.name together"
        }
        "avro.codec" => "the avro output's container codec, which the other outputs do not read",
        "schemas.cache.config" | "enhanced.avro.schema.support" | "connect.meta.data" => {
            "options of the avro and parquet outputs, which format.output.type csv, json and jsonl do not read"
        }
        k if k.starts_with("connect.parquet.") => {
            "settings of the Hadoop Parquet writer Aiven's parquet output uses; Sluice's writer takes its codec from file.compression.type and keeps its own page and row-group sizes"
        }
        _ => return None,
    })
}
