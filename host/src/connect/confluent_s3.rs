//! Confluent's S3 Sink (`io.confluent.connect.s3.S3SinkConnector`): its
//! options are the S3 sink's, names and defaults unchanged.

use super::{Options, Problem};

pub const CLASS: &str = "io.confluent.connect.s3.S3SinkConnector";

/// The credentials provider Aiven ships for this connector: a static key
/// pair in `s3.credentials.provider.access_key_id` / `.secret_access_key`.
const AIVEN_CREDENTIALS: &str = "io.aiven.kafka.connect.util.AivenAWSCredentialsProvider";

/// Confluent's own provider assuming an IAM role with STS, configured by
/// `s3.credentials.provider.sts.role.arn`, `.sts.role.session.name` and
/// `.sts.role.external.id`; the key pair, or the AWS chain, is the base.
const ASSUME_ROLE: &str = "io.confluent.connect.s3.auth.AwsAssumeRoleCredentialsProvider";

/// The options of Confluent's `AwsAssumeRoleCredentialsProvider` Sluice
/// applies, with that class as `s3.credentials.provider.class`.
pub const ASSUME_ROLE_OPTIONS: &[&str] = &[
    "s3.credentials.provider.sts.role.arn",
    "s3.credentials.provider.sts.role.session.name",
    "s3.credentials.provider.sts.role.external.id",
];

/// Options of the S3 sink section, the same names as Confluent's (and
/// Sluice's own additions).
pub const SINK_OPTIONS: &[&str] = &[
    "s3.bucket.name",
    "s3.region",
    "store.url",
    "s3.path.style.access.enabled",
    "aws.access.key.id",
    "aws.secret.access.key",
    "topics.dir",
    "directory.delim",
    "file.delim",
    "filename.offset.zero.pad.width",
    "flush.size",
    "flush.size.bytes",
    "open.objects.max",
    "rotate.interval.ms",
    "rotate.schedule.interval.ms",
    "rotate.file.on.partition.change",
    "s3.part.size",
    "s3.ssea.name",
    "s3.sse.kms.key.id",
    "s3.sse.customer.key",
    "s3.compression.type",
    "s3.compression.level",
    "s3.part.retries",
    "s3.retry.backoff.ms",
    "retry.backoff.ms",
    "behavior.on.null.values",
    "partitioner.class",
    "partition.field.name",
    "path.format",
    "partition.duration.ms",
    "timezone",
    "locale",
    "timestamp.extractor",
    "timestamp.field",
    "format.class",
    "schema.compatibility",
    "format.bytearray.separator",
    "format.bytearray.extension",
    "avro.codec",
    "parquet.codec",
    "enhanced.avro.schema.support",
    "connect.meta.data",
];

/// The `sink` table, taking its options from `opts`.
pub fn sink(opts: &mut Options, problems: &mut Vec<Problem>) -> toml::Table {
    let mut sink = toml::Table::new();
    sink.insert("type".into(), "s3".into());
    for key in SINK_OPTIONS {
        if let Some(v) = opts.take(key) {
            sink.insert((*key).into(), v.into());
        }
    }
    // Aiven's provider takes the access key from its own two options;
    // Confluent's assume-role provider its role from three.
    let provider = opts.take("s3.credentials.provider.class");
    let mapped: &[(&str, &str)] = match provider.as_deref() {
        Some(AIVEN_CREDENTIALS) => &[
            ("s3.credentials.provider.access_key_id", "aws.access.key.id"),
            (
                "s3.credentials.provider.secret_access_key",
                "aws.secret.access.key",
            ),
        ],
        Some(ASSUME_ROLE) => &[
            ("s3.credentials.provider.sts.role.arn", "sts.role.arn"),
            (
                "s3.credentials.provider.sts.role.session.name",
                "sts.role.session.name",
            ),
            (
                "s3.credentials.provider.sts.role.external.id",
                "sts.role.external.id",
            ),
        ],
        _ => &[],
    };
    for (from, to) in mapped {
        if let Some(v) = opts.take(from) {
            sink.entry(*to).or_insert(v.into());
        }
    }
    if provider.as_deref() == Some(ASSUME_ROLE) && !sink.contains_key("sts.role.arn") {
        problems.push(Problem::new(
            "s3.credentials.provider.sts.role.arn",
            format!("missing: {ASSUME_ROLE} needs the role to assume"),
        ));
    }
    if let Some(p) = provider.filter(|p| p != AIVEN_CREDENTIALS && p != ASSUME_ROLE) {
        opts.put_back("s3.credentials.provider.class", p);
    }
    if let Some(storage) = opts.take("storage.class")
        && storage != "io.confluent.connect.s3.storage.S3Storage"
    {
        problems.push(Problem::new(
            "storage.class",
            format!("{storage:?}: only io.confluent.connect.s3.storage.S3Storage exists"),
        ));
    }
    sink
}

/// Why a Confluent S3 Sink option Sluice does not implement is not applied.
pub fn not_implemented(key: &str) -> Option<&'static str> {
    Some(match key {
        "s3.acl.canned" => "objects get the bucket's default ACL",
        "s3.credentials.provider.class" => {
            "credentials come from aws.access.key.id / aws.secret.access.key (or AivenAWSCredentialsProvider's two options) or the standard AWS chain, and a role from AwsAssumeRoleCredentialsProvider's sts.role.* options"
        }
        k if k.starts_with("s3.credentials.provider.") => {
            "options of a credentials provider class, which Sluice does not load"
        }
        "schema.generator.class" => "Hive integration: not applied",
        k if k.starts_with("hive.") => "Hive integration: not applied",
        "schemas.cache.config" | "allow.optional.map.keys" => {
            "Avro/Parquet schema options: Sluice writes what its formatter plugin writes"
        }
        "s3.object.tagging.key.value.pairs" => "not implemented",
        "report.null.values.to.dlq" => "null values follow behavior.on.null.values",
        "max.write.duration.ms" | "partitioner.max.open.files" | "max.files.scan.limit" => {
            "not implemented"
        }
        "tombstone.encoded.partition" => "null values follow behavior.on.null.values",
        "s3.schema.partition.affix.type" => "not implemented",
        "s3.send.digest" => "uploads are checked by the SDK's checksums",
        "enable.conditional.writes" => {
            "exactly-once comes from deterministic keys: an object rewritten holds the same records"
        }
        "s3.proxy.url" | "s3.proxy.user" | "s3.proxy.password" => {
            "set HTTPS_PROXY in the environment instead"
        }
        "s3.http.send.expect.continue"
        | "s3.wan.mode"
        | "s3.object.tagging"
        | "s3.object.behavior.on.tagging.error"
        | "s3.retry.backoff.max.ms"
        | "s3.elastic.buffer.enable"
        | "s3.elastic.buffer.init.capacity" => "not implemented",
        "schema.cache.size" | "json.decimal.format" => {
            "Sluice writes what its formatter plugin writes (JSON lines, Avro, Parquet or raw bytes)"
        }
        "format.bytearray.compression.type" => "use s3.compression.type",
        "partitioner.class.name" | "partition.field.format.path" => "not implemented",
        "keys.format.class"
        | "headers.format.class"
        | "store.kafka.keys"
        | "store.kafka.headers" => "only record values are stored",
        "shutdown.timeout.ms" => "in-flight uploads get 10 s at shutdown",
        "filename.offset.zero.pad.width.ignore" | "behavior.on.null.values.write" => {
            "not implemented"
        }
        _ => return None,
    })
}
