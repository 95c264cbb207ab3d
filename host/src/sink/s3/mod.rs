//! The S3 sink: Confluent S3 Sink's object keys, partitioners and rotation
//! rules over aws-sdk-s3, with offsets committed only up to what is
//! uploaded, so a restart rewrites the same keys with the same contents.

mod archive;
pub mod compat;
pub mod config;
pub mod object;
pub mod partitioner;
pub mod path_format;
mod raw;
pub mod store;
pub mod template;
pub mod writer;

pub use archive::S3Sink;
pub use raw::RawS3Sink;
