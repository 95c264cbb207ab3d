//! What each plugin instance's Store holds: a WASI context that denies by
//! default, the memory limiter, and the plugin's name for its log lines.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::log;
use super::grants::Grants;
use super::limits::MemoryLimiter;

/// Per-instance state.
pub(crate) struct StoreState {
    pub plugin: Arc<str>,
    pub limiter: MemoryLimiter,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl StoreState {
    /// No sockets or name lookup, no arguments; only the granted environment
    /// variables and read-only directories; stdout and stderr go to the host
    /// log. Clocks and random stay: every guest toolchain imports them.
    /// Fails when a granted directory cannot be opened.
    pub fn new(plugin: Arc<str>, memory_limit: usize, grants: &Grants) -> Result<Self, String> {
        let mut wasi = WasiCtx::builder();
        wasi.stdout(LogStream {
            plugin: plugin.clone(),
            stream: "stdout",
        })
        .stderr(LogStream {
            plugin: plugin.clone(),
            stream: "stderr",
        })
        .allow_ip_name_lookup(false)
        .allow_tcp(false)
        .allow_udp(false)
        .envs(&grants.env);
        for dir in &grants.dirs {
            wasi.preopened_dir(&dir.host, &dir.guest, wasmtime_wasi::FsPerms::ReadOnly)
                .map_err(|e| {
                    format!("cannot open granted directory {}: {e}", dir.host.display())
                })?;
        }
        Ok(StoreState {
            plugin,
            limiter: MemoryLimiter::new(memory_limit),
            wasi: wasi.build(),
            table: ResourceTable::new(),
        })
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl log::Host for StoreState {
    fn log(&mut self, level: log::Level, message: String) {
        let plugin = &*self.plugin;
        match level {
            log::Level::Trace => tracing::trace!(plugin, "{message}"),
            log::Level::Debug => tracing::debug!(plugin, "{message}"),
            log::Level::Info => tracing::info!(plugin, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, "{message}"),
            log::Level::Error => tracing::error!(plugin, "{message}"),
        }
    }
}

/// A guest's stdout or stderr, written line by line into the host log.
#[derive(Clone)]
struct LogStream {
    plugin: Arc<str>,
    stream: &'static str,
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(LineLogger {
            target: self.clone(),
            pending: Vec::new(),
        })
    }
}

/// Longest line kept; the rest of a longer line is cut.
const MAX_LINE: usize = 4096;

struct LineLogger {
    target: LogStream,
    pending: Vec<u8>,
}

impl LineLogger {
    fn emit(&mut self) {
        if !self.pending.is_empty() {
            let line = String::from_utf8_lossy(&self.pending);
            tracing::info!(
                plugin = &*self.target.plugin,
                stream = self.target.stream,
                "{}",
                line.trim_end()
            );
            self.pending.clear();
        }
    }
}

impl tokio::io::AsyncWrite for LineLogger {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        for &b in buf {
            if b == b'\n' {
                self.emit();
            } else if self.pending.len() < MAX_LINE {
                self.pending.push(b);
            }
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.emit();
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineLogger {
    fn drop(&mut self) {
        self.emit();
    }
}
