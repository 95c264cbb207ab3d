//! Sluice's integration and end-to-end tests, in one test binary (one link
//! instead of twenty; run one area with `cargo test -p sluice-tests --test
//! integration <module>::`). Each module is one area:
//!
//! | module | what it drives |
//! |---|---|
//! | `aiven_s3` | Aiven's S3 sink configs to MinIO: template keys, Aiven's file contents |
//! | `api_fuzz` | the REST API fuzzed from its OpenAPI document (schemathesis) |
//! | `cli` | the `sluice` binary's plugin commands |
//! | `conformance` | the reference transform in every SDK language, vectors and a pipeline |
//! | `connect_rest` | the REST API diffed against a real Kafka Connect worker's |
//! | `contract` | plugins of contract 0.1 and 0.2 in one pipeline; schemas end to end |
//! | `deploy` | the systemd unit, verified and rated by `systemd-analyze`; the container image's OCI archive, run from its layer |
//! | `docs` | the reference pages generated from the code (`docs/reference/`) |
//! | `errors` | `errors.tolerance`, the dead letter queue, reporter topics |
//! | `fuzz_regressions` | the fuzz targets' kept inputs, replayed |
//! | `hostile_input` | malformed, huge and deep records; plugins that loop or trap |
//! | `json_schema_converter` | Confluent's JsonSchemaConverter through a real registry |
//! | `import` | `sluice import` of connector JSON |
//! | `kafka_parity` | converters and transforms against Kafka's own classes |
//! | `kafka_tls` | Kafka over TLS with Java's JKS, PKCS#12 and PEM stores |
//! | `kafka_to_http` | Kafka to HTTP end to end, offsets checked exactly |
//! | `manifest` | `sluice validate` and `run` on bad manifests |
//! | `mock_cluster` | the connector against librdkafka's mock cluster, with faults |
//! | `plugin_new` | `sluice plugin new` projects built and tested per language |
//! | `protobuf_converter` | Confluent's ProtobufConverter through a real registry |
//! | `plugin_runtime` | the plugin runtime: limits, traps, metadata |
//! | `remote_plugins` | plugins from S3 and HTTPS with pinned digests |
//! | `rest_api` | Kafka Connect's REST API, end to end |
//! | `s3_formats` | Avro and Parquet objects in S3 from schema'd records: read back by fastavro and pyarrow, rotation on schema change, `sluice import` |
//! | `s3_sink` | Kafka to S3 (MinIO): keys, rotation, exactly once |
//! | `schema_registry` | the schema-registry capability against Apicurio Registry |
//! | `security` | attacks on the REST API, plugins and cache (`SECURITY.md`) |
//! | `shared_configs` | API connectors shared by a group's workers |
//! | `shared_tasks` | `tasks.max` across workers |
//! | `smt_parity` | Kafka's SMTs and predicates against Sluice's plugins |
//! | `status_page` | `/ui` in headless Chromium |

mod aiven_s3;
mod api_fuzz;
mod avro_converter;
mod cli;
mod conformance;
mod connect_configs;
mod connect_rest;
mod contract;
mod deploy;
mod docs;
mod errors;
mod fuzz_regressions;
mod hostile_input;
mod hot_swap;
mod import;
mod json_schema_converter;
mod kafka_auth;
mod kafka_parity;
mod kafka_tls;
mod kafka_to_http;
mod manifest;
mod mock_cluster;
mod plugin_new;
mod plugin_runtime;
mod protobuf_converter;
mod remote_plugins;
mod rest_api;
mod s3_formats;
mod s3_sink;
mod schema_registry;
mod security;
mod shared_configs;
mod shared_tasks;
mod smt_parity;
mod status_page;
