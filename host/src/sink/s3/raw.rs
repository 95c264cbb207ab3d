//! The S3 sink's section of the manifest as written: Confluent S3 Sink's
//! option names, so a connector's Connect config maps onto it key for key.
//! `F` is how the manifest names the formatter plugin; the sink itself
//! never reads it.

use serde::Deserialize;

/// The S3 sink: Confluent S3 Sink's option names and defaults.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawS3Sink<F> {
    /// The bucket objects are written to; it must exist.
    /// Example: `"s3.bucket.name" = "archive"`.
    #[serde(rename = "s3.bucket.name")]
    pub bucket: String,
    /// The bucket's region. Example: `"s3.region" = "eu-west-1"`.
    /// Default: `$AWS_REGION` / the AWS profile's region, else `us-west-2` (Confluent's default).
    #[serde(rename = "s3.region")]
    pub region: Option<String>,
    /// Endpoint of an S3-compatible store (MinIO, Ceph); `https://` is assumed
    /// without a scheme. Example: `"store.url" = "http://127.0.0.1:9000"`. Default: AWS.
    #[serde(rename = "store.url")]
    pub store_url: Option<String>,
    /// Path-style requests (`<endpoint>/<bucket>/<key>`), which most
    /// S3-compatible stores need. Example: `"s3.path.style.access.enabled" = false`. Default: `true`.
    #[serde(rename = "s3.path.style.access.enabled")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub path_style: Option<bool>,
    /// Access key; use a provider for it. Example: `"aws.access.key.id" = "${env:S3_KEY}"`.
    /// Default: the standard AWS chain (environment, profile, web identity, instance role).
    #[serde(rename = "aws.access.key.id")]
    pub access_key_id: Option<String>,
    /// Secret key, with `aws.access.key.id`. Example: `"aws.secret.access.key" = "${file:/etc/sluice/s3.properties:secret}"`.
    #[serde(rename = "aws.secret.access.key")]
    pub secret_access_key: Option<String>,
    /// An IAM role to assume (STS AssumeRole) for every request, with the
    /// key pair or the AWS chain as the base credentials; the temporary
    /// credentials are renewed before they expire. Confluent's
    /// `AwsAssumeRoleCredentialsProvider` and Aiven's `aws.sts.role.arn` map
    /// to it. Example: `"sts.role.arn" = "arn:aws:iam::123456789012:role/kafka-s3"`. Default: none.
    #[serde(rename = "sts.role.arn")]
    pub sts_role_arn: Option<String>,
    /// The role session's name, seen in the role's CloudTrail entries.
    /// Example: `"sts.role.session.name" = "kafka-s3"`. Default: `sluice`.
    #[serde(rename = "sts.role.session.name")]
    pub sts_role_session_name: Option<String>,
    /// The external id the role's trust policy asks for.
    /// Example: `"sts.role.external.id" = "2f401145"`. Default: none.
    #[serde(rename = "sts.role.external.id")]
    pub sts_role_external_id: Option<String>,
    /// How long each set of temporary credentials lasts, in seconds (900 to
    /// 43200). Example: `"sts.role.session.duration" = 900`. Default: 3600.
    #[serde(rename = "sts.role.session.duration")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub sts_role_session_duration: Option<u64>,
    /// The STS endpoint, e.g. a regional one. Example:
    /// `"sts.endpoint" = "https://sts.eu-west-1.amazonaws.com"`. Default: the
    /// AWS SDK's for the region.
    #[serde(rename = "sts.endpoint")]
    pub sts_endpoint: Option<String>,
    /// Top directory of every key; empty for none. Example: `"topics.dir" = "archive"`. Default: `topics`.
    #[serde(rename = "topics.dir")]
    pub topics_dir: Option<String>,
    /// Between directories of a key. Example: `"directory.delim" = "/"`. Default: `/`.
    #[serde(rename = "directory.delim")]
    pub directory_delim: Option<String>,
    /// Between topic, partition and start offset in a file name. Example: `"file.delim" = "+"`. Default: `+`.
    #[serde(rename = "file.delim")]
    pub file_delim: Option<String>,
    /// Digits of the start offset in a file name, zero padded.
    /// Example: `"filename.offset.zero.pad.width" = 20`. Default: 10.
    #[serde(rename = "filename.offset.zero.pad.width")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub offset_pad_width: Option<usize>,
    /// Records of one Kafka partition, over all its open objects, after which
    /// they are all uploaded (required, as in Confluent's). 0 sets no record
    /// limit, with `rotate.schedule.interval.ms` closing objects. Example: `"flush.size" = 1000`.
    #[serde(rename = "flush.size")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub flush_size: Option<u64>,
    /// Uncompressed bytes of one object after which all open objects of its Kafka
    /// partition are uploaded (Sluice's addition). Example: `"flush.size.bytes" = 67108864`.
    /// Default: none.
    #[serde(rename = "flush.size.bytes")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub flush_size_bytes: Option<u64>,
    /// Objects of one Kafka partition open at once (Sluice's addition): a
    /// record for a new partition path past this many uploads the open ones
    /// first, as `flush.size` does, so a `Field` partitioner on a field of
    /// very many values cannot hold unbounded memory (each open object holds
    /// a buffer, and with Avro or Parquet a formatter instance). Example:
    /// `"open.objects.max" = 1000`. Default: 100.
    #[serde(rename = "open.objects.max")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub open_objects_max: Option<u64>,
    /// Record-time span of an object set: a record whose timestamp is this many ms past the
    /// first record's closes the open objects first. Time-based partitioners only.
    /// Example: `"rotate.interval.ms" = 3600000`. Default: -1 (off).
    #[serde(rename = "rotate.interval.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub rotate_interval_ms: Option<i64>,
    /// Wall-clock period, aligned to midnight in `timezone`, at which open objects are
    /// uploaded even if no record arrives (not deterministic: see the README).
    /// Example: `"rotate.schedule.interval.ms" = 600000`. Default: -1 (off).
    #[serde(rename = "rotate.schedule.interval.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub rotate_schedule_interval_ms: Option<i64>,
    /// With `rotate.interval.ms`, close the open objects when a record's partition path differs
    /// from the previous record's. Example: `"rotate.file.on.partition.change" = false`. Default: `true`.
    #[serde(rename = "rotate.file.on.partition.change")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub rotate_on_partition_change: Option<bool>,
    /// Bytes of an object held in memory before they go up as one part of a multipart
    /// upload; at least 5 MiB. Example: `"s3.part.size" = 5242880`. Default: 26214400 (25 MiB).
    #[serde(rename = "s3.part.size")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub part_size: Option<u64>,
    /// Server-side encryption of every object: `AES256` (keys the store
    /// manages), `aws:kms` or `aws:kms:dsse` (a KMS key: `s3.sse.kms.key.id`,
    /// else the account's default); empty for none (the bucket's default).
    /// Example: `"s3.ssea.name" = "aws:kms"`. Default: empty.
    #[serde(rename = "s3.ssea.name")]
    pub ssea_name: Option<String>,
    /// The KMS key of `s3.ssea.name` `aws:kms`: its id, ARN or alias
    /// (ignored with another algorithm, as Confluent's sink ignores it).
    /// Example: `"s3.sse.kms.key.id" = "alias/archive"`.
    #[serde(rename = "s3.sse.kms.key.id")]
    pub sse_kms_key_id: Option<String>,
    /// Refused when set: customer-provided keys (SSE-C) are not implemented.
    /// Use `"s3.ssea.name" = "aws:kms"` with a KMS key instead.
    /// Example: `"s3.sse.customer.key" = "${file:/etc/sluice/sse.properties:key}"` (refused, with that advice).
    #[serde(rename = "s3.sse.customer.key")]
    pub sse_customer_key: Option<String>,
    /// `none` or `gzip` (objects get `.gz` after the formatter's extension).
    /// Container formats (`avro-format`, `parquet-format`) compress inside
    /// and are not wrapped, as in Confluent's sink, unless
    /// `s3.compression.containers` says so.
    /// Example: `"s3.compression.type" = "gzip"`. Default: `none`.
    #[serde(rename = "s3.compression.type")]
    pub compression_type: Option<String>,
    /// Wrap container formats' files in `s3.compression.type` too (Sluice's
    /// addition): what Aiven's `avro` output does, set by its import.
    /// Example: `"s3.compression.containers" = true`. Default: false.
    #[serde(rename = "s3.compression.containers")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub compression_containers: Option<bool>,
    /// gzip level, 0–9, or -1 for the default (6). Example: `"s3.compression.level" = 9`. Default: -1.
    #[serde(rename = "s3.compression.level")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub compression_level: Option<i32>,
    /// Attempts after the first for one S3 request. Example: `"s3.part.retries" = 5`. Default: 3.
    #[serde(rename = "s3.part.retries")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub part_retries: Option<u32>,
    /// First delay between those attempts, in ms; it doubles. Example: `"s3.retry.backoff.ms" = 500`. Default: 200.
    #[serde(rename = "s3.retry.backoff.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub retry_backoff_ms: Option<u64>,
    /// Pause, in ms, before an upload whose retries ran out is tried again (the store is
    /// down or throttling); the partition waits, nothing past it is committed.
    /// Example: `"retry.backoff.ms" = 10000`. Default: 5000.
    #[serde(rename = "retry.backoff.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub outage_backoff_ms: Option<u64>,
    /// Null values: `fail` (stop the connector), `ignore` (skip them) or `write` (the
    /// formatter encodes them, e.g. a `null` line). Example: `"behavior.on.null.values" = "ignore"`.
    /// Default: `fail`, as in Confluent's.
    #[serde(rename = "behavior.on.null.values")]
    pub behavior_on_null_values: Option<String>,
    /// `Default` (`partition=<p>`), `Field`, `Hourly`, `Daily` or `TimeBased`; Confluent's
    /// class names are accepted too. Example: `"partitioner.class" = "Hourly"`. Default: `Default`.
    #[serde(rename = "partitioner.class")]
    pub partitioner_class: Option<String>,
    /// Field partitioner: comma-separated (dotted) fields of the JSON value.
    /// Example: `"partition.field.name" = "region,tier"`.
    #[serde(rename = "partition.field.name")]
    pub partition_field_name: Option<String>,
    /// TimeBased partitioner: a Joda-Time pattern of the partition path.
    /// Example: `"path.format" = "'year'=YYYY/'month'=MM/'day'=dd"`.
    #[serde(rename = "path.format")]
    pub path_format: Option<String>,
    /// TimeBased partitioner: the width of a time partition in ms.
    /// Example: `"partition.duration.ms" = 900000`.
    #[serde(rename = "partition.duration.ms")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub partition_duration_ms: Option<i64>,
    /// Time zone of time partitions and scheduled rotation (an IANA name or `UTC`);
    /// required by time-based partitioners. Example: `timezone = "Europe/Paris"`.
    pub timezone: Option<String>,
    /// Locale of time partitions; required by time-based partitioners. Month and day
    /// names are English. Example: `locale = "en-US"`.
    pub locale: Option<String>,
    /// Time of a record for time-based partitioners: `Wallclock`, `Record` (the Kafka
    /// timestamp) or `RecordField` (`timestamp.field`). Example: `"timestamp.extractor" = "Record"`.
    /// Default: `Wallclock`, as in Confluent's.
    #[serde(rename = "timestamp.extractor")]
    pub timestamp_extractor: Option<String>,
    /// RecordField extractor: the (dotted) field holding epoch ms or an ISO-8601 time.
    /// Example: `"timestamp.field" = "event.time"`. Default: `timestamp`.
    #[serde(rename = "timestamp.field")]
    pub timestamp_field: Option<String>,
    /// Object keys from a template instead of `topics.dir` and the partitioner
    /// (Aiven's S3 sink's option): `{{topic}}`, `{{partition}}` and
    /// `{{start_offset}}` are required (`:padding=true` pads them to 10 and 20
    /// digits), `{{timestamp:unit=yyyy|MM|dd|HH}}` groups records by time.
    /// Nothing is appended: write the extension in the template.
    /// Example: `"file.name.template" = "{{topic}}/{{timestamp:unit=yyyy}}/{{partition}}-{{start_offset}}.jsonl.gz"`.
    /// Default: none (Confluent's layout).
    #[serde(rename = "file.name.template")]
    pub file_name_template: Option<String>,
    /// Time zone of `{{timestamp}}` in `file.name.template` (an IANA name or `UTC`).
    /// Example: `"file.name.timestamp.timezone" = "Europe/Berlin"`. Default: `UTC`.
    #[serde(rename = "file.name.timestamp.timezone")]
    pub file_name_timezone: Option<String>,
    /// Time of `{{timestamp}}` in `file.name.template`: `wallclock` (when the
    /// record is written) or `event` (the Kafka record's timestamp).
    /// Example: `"file.name.timestamp.source" = "event"`. Default: `wallclock`.
    #[serde(rename = "file.name.timestamp.source")]
    pub file_name_time_source: Option<String>,
    /// Confluent's format class, choosing the default formatter: `JsonFormat` → `jsonl`,
    /// `ByteArrayFormat` → `bytearray`, `AvroFormat` → `avro-format`,
    /// `ParquetFormat` → `parquet-format`. Example: `"format.class" = "io.confluent.connect.s3.format.json.JsonFormat"`.
    #[serde(rename = "format.class")]
    pub format_class: Option<String>,
    /// Given to the `bytearray` formatter: bytes written after every value.
    /// Example: `"format.bytearray.separator" = "\n"`. Default: a newline.
    #[serde(rename = "format.bytearray.separator")]
    pub bytearray_separator: Option<String>,
    /// Given to the `bytearray` formatter: the objects' extension.
    /// Example: `"format.bytearray.extension" = ".txt"`. Default: `.bin`.
    #[serde(rename = "format.bytearray.extension")]
    pub bytearray_extension: Option<String>,
    /// Given to the `avro-format` formatter: the compression of the Avro
    /// file's blocks, `null`, `deflate`, `snappy`, `bzip2` or `zstandard`.
    /// Example: `"avro.codec" = "snappy"`. Default: `null`.
    #[serde(rename = "avro.codec")]
    pub avro_codec: Option<String>,
    /// Given to the `parquet-format` formatter: the compression of the
    /// Parquet file's pages, `none`, `snappy`, `gzip`, `lz4_raw` or `zstd`; it also
    /// names the objects (`.snappy.parquet`, `.gz.parquet`, …).
    /// Example: `"parquet.codec" = "gzip"`. Default: `snappy`.
    #[serde(rename = "parquet.codec")]
    pub parquet_codec: Option<String>,
    /// Given to the `avro-format` and `parquet-format` formatters: Connect
    /// strings marked as Avro enums (as the `avro` converter reads them) are written as enums.
    /// Example: `"enhanced.avro.schema.support" = false`. Default: `true`.
    #[serde(rename = "enhanced.avro.schema.support")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub enhanced_avro_schema_support: Option<bool>,
    /// Given to the `avro-format` and `parquet-format` formatters: the
    /// Connect schema's version,
    /// doc, parameters and defaults kept as `connect.*` properties of the
    /// Avro schema. Example: `"connect.meta.data" = false`. Default: `true`.
    #[serde(rename = "connect.meta.data")]
    #[serde(default, deserialize_with = "crate::sink::lenient::opt")]
    pub connect_meta_data: Option<bool>,
    /// When a record whose value schema is not its object's starts new
    /// objects: `NONE` (always), `BACKWARD` or `FULL` (when its schema
    /// version is newer; older ones are projected onto the object's schema),
    /// `FORWARD` (when older; newer ones are projected). Projection applies
    /// to container formats (Avro, Parquet); JSON and bytes objects hold each
    /// value as it came. Example: `"schema.compatibility" = "BACKWARD"`.
    /// Default: `NONE`.
    #[serde(rename = "schema.compatibility")]
    pub schema_compatibility: Option<String>,
    /// The formatter writing object contents. Example: `formatter = { plugin = "bytearray" }`.
    /// Default: `jsonl` (one JSON value per line, `.json`).
    pub formatter: Option<F>,
}
