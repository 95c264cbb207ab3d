//! The S3 sink's per-object encoders for a container format, made of the
//! connector's formatter plugin: each object gets a formatter instance of
//! its own (a [`FormatterSession`]), which the sink drives through
//! [`ObjectEncoder`] without knowing plugins.

use std::sync::Arc;

use bytes::Bytes;

use crate::plugin::{ConfiguredPlugin, FormatterSession};
use crate::record::Record;
use crate::sink::{BoxFuture, EncodeError, ObjectEncoder, ObjectEncoders};

/// The encoders of `formatter`, a container format's.
pub fn encoders(formatter: Arc<ConfiguredPlugin>) -> Arc<dyn ObjectEncoders> {
    Arc::new(Sessions(formatter))
}

struct Sessions(Arc<ConfiguredPlugin>);

fn error(e: crate::plugin::CallError) -> EncodeError {
    EncodeError(e.to_string())
}

impl ObjectEncoders for Sessions {
    fn open(&self) -> BoxFuture<'_, Result<Box<dyn ObjectEncoder>, EncodeError>> {
        Box::pin(async move {
            let session = self.0.session().await.map_err(error)?;
            Ok(Box::new(session) as Box<dyn ObjectEncoder>)
        })
    }
}

impl ObjectEncoder for FormatterSession {
    fn encode<'a>(
        &'a mut self,
        record: &'a Record,
    ) -> BoxFuture<'a, Result<Result<Bytes, String>, EncodeError>> {
        Box::pin(async move {
            let mut out = FormatterSession::encode(self, std::slice::from_ref(record))
                .await
                .map_err(error)?;
            Ok(out.pop().unwrap_or_else(|| Err("no encoding".into())))
        })
    }

    fn header(&mut self) -> BoxFuture<'_, Result<Bytes, EncodeError>> {
        Box::pin(async move { FormatterSession::header(self).await.map_err(error) })
    }

    fn trailer(&mut self) -> BoxFuture<'_, Result<Bytes, EncodeError>> {
        Box::pin(async move { FormatterSession::trailer(self).await.map_err(error) })
    }
}
