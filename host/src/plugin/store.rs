//! What each plugin instance's Store holds: a WASI context that denies by
//! default, the memory limiter, the plugin's name for its log lines, and the
//! host capabilities it was granted (the schema registry's client, and
//! whether a call met the registry down).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::v0_2::schema_registry as sr;
use super::grants::Grants;
use super::limits::MemoryLimiter;
use super::registry::{NewSchema, Registered, RegistryClient, RegistryError, SchemaReference};

/// Per-instance state.
pub(crate) struct StoreState {
    pub plugin: Arc<str>,
    pub limiter: MemoryLimiter,
    /// What the plugin may still log, through the `log` import, stdout and
    /// stderr together.
    log_budget: Arc<std::sync::Mutex<LogBudget>>,
    wasi: WasiCtx,
    table: ResourceTable,
    /// The schema registry, when the plugin was granted it.
    registry: Option<Arc<RegistryClient>>,
    /// Set when a registry call of the current plugin call found the
    /// registry down: the call is then an outage, whatever the plugin answers.
    pub outage: Option<String>,
    /// When the registry call waiting for its answer began: a plugin call
    /// whose time runs out during that wait is an outage, not the plugin's
    /// fault.
    pub waiting_since: Option<std::time::Instant>,
    /// Time spent waiting for the registry since the CPU deadline was last
    /// set: the deadline is moved on by it, since the epoch ticks count
    /// wall-clock time, not the plugin's.
    pub registry_waited: std::time::Duration,
}

/// A plugin's log allowance: [`LOG_LINES_PER_MINUTE`] lines of at most
/// [`MAX_LINE`] bytes a minute; what goes over is counted, never written,
/// and the count is reported with the plugin's first line of a later minute.
struct LogBudget {
    window_start: std::time::Instant,
    lines: u32,
    dropped: u64,
}

/// A configured plugin's log allowance, shared by all its instances: a
/// plugin that traps or grows past its recycle mark, or a container
/// format's formatter with an instance per object, gets a new instance,
/// never a new allowance.
#[derive(Clone)]
pub struct PluginLog(Arc<std::sync::Mutex<LogBudget>>);

impl PluginLog {
    /// A full allowance.
    pub fn new() -> Self {
        PluginLog(Arc::new(std::sync::Mutex::new(LogBudget::new())))
    }
}

impl Default for PluginLog {
    fn default() -> Self {
        Self::new()
    }
}

/// Lines per minute one plugin may log, all its instances together.
const LOG_LINES_PER_MINUTE: u32 = 600;

impl LogBudget {
    fn new() -> Self {
        LogBudget {
            window_start: std::time::Instant::now(),
            lines: 0,
            dropped: 0,
        }
    }

    /// Whether one more line may go out now; after a full window, reports
    /// how many were dropped in the last.
    fn take(&mut self, plugin: &str) -> bool {
        if self.window_start.elapsed() >= std::time::Duration::from_secs(60) {
            if self.dropped > 0 {
                tracing::warn!(
                    plugin,
                    dropped = self.dropped,
                    "the plugin logged more than {LOG_LINES_PER_MINUTE} lines a minute: the rest were dropped"
                );
            }
            *self = LogBudget::new();
        }
        if self.lines < LOG_LINES_PER_MINUTE {
            self.lines += 1;
            true
        } else {
            self.dropped += 1;
            false
        }
    }
}

/// A guest's text as one log line: cut to [`MAX_LINE`] bytes, control
/// characters (newlines included) escaped, so a plugin cannot forge lines.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LINE) + 8);
    for c in text.chars() {
        if out.len() >= MAX_LINE {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The insecure seed formatters get (any fixed value does).
const FIXED_HASH_SEED: u128 = 0x5eed_5eed_5eed_5eed_5eed_5eed_5eed_5eed;

impl StoreState {
    /// No sockets or name lookup, no arguments; only the granted environment
    /// variables and read-only directories; stdout and stderr go to the host
    /// log. Clocks and random stay: every guest toolchain imports them.
    /// With `fixed_hash_seed` (formatters), WASI's insecure seed, which
    /// guest languages seed their hash maps with, is one fixed value, so
    /// a map's iteration order, and so the bytes a formatter writes (an
    /// Avro map's entries), is the same in every run: an S3 object written
    /// again after a crash has the same bytes. Fails when a granted
    /// directory cannot be opened.
    pub fn new(
        plugin: Arc<str>,
        memory_limit: usize,
        grants: &Grants,
        registry: Option<Arc<RegistryClient>>,
        fixed_hash_seed: bool,
        log: PluginLog,
    ) -> Result<Self, String> {
        let log_budget = log.0;
        let mut wasi = WasiCtx::builder();
        wasi.stdout(LogStream {
            plugin: plugin.clone(),
            stream: "stdout",
            budget: log_budget.clone(),
        })
        .stderr(LogStream {
            plugin: plugin.clone(),
            stream: "stderr",
            budget: log_budget.clone(),
        })
        .allow_ip_name_lookup(false)
        .allow_tcp(false)
        .allow_udp(false)
        .envs(&grants.env);
        if fixed_hash_seed {
            wasi.insecure_random_seed(FIXED_HASH_SEED);
        }
        for dir in &grants.dirs {
            wasi.preopened_dir(&dir.host, &dir.guest, wasmtime_wasi::FsPerms::ReadOnly)
                .map_err(|e| {
                    format!("cannot open granted directory {}: {e}", dir.host.display())
                })?;
        }
        Ok(StoreState {
            plugin,
            limiter: MemoryLimiter::new(memory_limit),
            log_budget,
            wasi: wasi.build(),
            table: ResourceTable::new(),
            registry,
            outage: None,
            waiting_since: None,
            registry_waited: std::time::Duration::ZERO,
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

impl StoreState {
    /// One line of the plugin's own log, within its budget.
    fn log_line(&mut self, level: tracing::Level, message: &str) {
        let plugin = &*self.plugin;
        let allowed = self
            .log_budget
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(plugin);
        if !allowed {
            return;
        }
        let message = one_line(message);
        match level {
            tracing::Level::TRACE => tracing::trace!(plugin, "{message}"),
            tracing::Level::DEBUG => tracing::debug!(plugin, "{message}"),
            tracing::Level::INFO => tracing::info!(plugin, "{message}"),
            tracing::Level::WARN => tracing::warn!(plugin, "{message}"),
            _ => tracing::error!(plugin, "{message}"),
        }
    }
}

/// The `log` import of both contract versions.
macro_rules! log_host {
    ($log:path) => {
        const _: () = {
            use $log as log;
            impl log::Host for StoreState {
                fn log(&mut self, level: log::Level, message: String) {
                    let level = match level {
                        log::Level::Trace => tracing::Level::TRACE,
                        log::Level::Debug => tracing::Level::DEBUG,
                        log::Level::Info => tracing::Level::INFO,
                        log::Level::Warn => tracing::Level::WARN,
                        log::Level::Error => tracing::Level::ERROR,
                    };
                    self.log_line(level, &message);
                }
            }
        };
    };
}

log_host!(super::bindings::log);
log_host!(super::bindings::v0_2::log);

impl StoreState {
    /// The registry client, or the refusal a plugin gets without the grant
    /// (unreachable: such a plugin is refused when it starts).
    ///
    /// Once a call of this plugin call found the registry down, the later
    /// ones fail the same way without asking it again: the whole call is
    /// an outage already, retried with backoff, and a batch of records
    /// would otherwise cost a request (and a token request) each.
    fn registry(&self) -> Result<Arc<RegistryClient>, sr::RegistryError> {
        if let Some(m) = &self.outage {
            return Err(sr::RegistryError::Unavailable(m.clone()));
        }
        self.registry.clone().ok_or_else(|| {
            sr::RegistryError::Refused("the schema-registry capability was not granted".into())
        })
    }

    /// Awaits a registry call, noting when the wait began and, after it,
    /// how long it took.
    async fn waited<T>(&mut self, call: impl std::future::Future<Output = T>) -> T {
        let since = std::time::Instant::now();
        self.waiting_since = Some(since);
        let r = call.await;
        self.waiting_since = None;
        self.registry_waited += since.elapsed();
        r
    }

    /// A registry answer for the guest; an unreachable registry marks the
    /// call as an outage.
    fn answer<T>(&mut self, r: Result<T, RegistryError>) -> Result<T, sr::RegistryError> {
        r.map_err(|e| match e {
            RegistryError::NotFound(m) => sr::RegistryError::NotFound(m),
            RegistryError::Refused(m) => sr::RegistryError::Refused(m),
            RegistryError::Unavailable(m) => {
                tracing::warn!(plugin = &*self.plugin, "{m}");
                self.outage = Some(m.clone());
                sr::RegistryError::Unavailable(m)
            }
        })
    }
}

fn to_guest(r: Registered) -> sr::RegisteredSchema {
    sr::RegisteredSchema {
        id: r.id,
        schema_type: r.schema_type,
        schema: r.schema,
        references: r.references.into_iter().map(reference_to_guest).collect(),
        subject: r.subject,
        version: r.version,
    }
}

fn reference_to_guest(r: SchemaReference) -> sr::SchemaReference {
    sr::SchemaReference {
        name: r.name,
        subject: r.subject,
        version: r.version,
    }
}

impl sr::Host for StoreState {
    async fn schema_by_id(&mut self, id: u32) -> Result<sr::RegisteredSchema, sr::RegistryError> {
        let registry = self.registry()?;
        let r = self.waited(registry.schema_by_id(id)).await;
        self.answer(r).map(to_guest)
    }

    async fn schema_by_version(
        &mut self,
        subject: String,
        version: Option<i32>,
    ) -> Result<sr::RegisteredSchema, sr::RegistryError> {
        let registry = self.registry()?;
        let r = self
            .waited(registry.schema_by_version(&subject, version))
            .await;
        self.answer(r).map(to_guest)
    }

    async fn schema_id(
        &mut self,
        subject: String,
        schema: sr::NewSchema,
        register: bool,
    ) -> Result<u32, sr::RegistryError> {
        let registry = self.registry()?;
        let schema = NewSchema {
            schema_type: schema.schema_type,
            schema: schema.schema,
            references: schema
                .references
                .into_iter()
                .map(|r| SchemaReference {
                    name: r.name,
                    subject: r.subject,
                    version: r.version,
                })
                .collect(),
        };
        let r = self
            .waited(registry.schema_id(&subject, &schema, register))
            .await;
        self.answer(r)
    }
}

/// A guest's stdout or stderr, written line by line into the host log.
#[derive(Clone)]
struct LogStream {
    plugin: Arc<str>,
    stream: &'static str,
    budget: Arc<std::sync::Mutex<LogBudget>>,
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
            let allowed = self
                .target
                .budget
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(&self.target.plugin);
            if !allowed {
                self.pending.clear();
                return;
            }
            let line = one_line(String::from_utf8_lossy(&self.pending).trim_end());
            tracing::info!(
                plugin = &*self.target.plugin,
                stream = self.target.stream,
                "{line}"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_cannot_forge_log_lines_or_flood_the_log() {
        assert_eq!(
            one_line("ok\n2026-12-04T00:00:00Z ERROR forged"),
            "ok\\n2026-12-04T00:00:00Z ERROR forged"
        );
        assert!(one_line(&"x".repeat(10_000)).len() <= MAX_LINE + 4);
        let mut b = LogBudget::new();
        let taken = (0..1000).filter(|_| b.take("p")).count();
        assert_eq!(taken, LOG_LINES_PER_MINUTE as usize);
        assert_eq!(b.dropped, 400);
    }

    #[test]
    fn the_instances_of_one_plugin_share_one_log_allowance() {
        let log = PluginLog::new();
        let state = || {
            StoreState::new(
                Arc::from("p"),
                1 << 20,
                &Grants::default(),
                None,
                false,
                log.clone(),
            )
            .unwrap()
        };
        let (first, replacement) = (state(), state());
        let taken = [&first, &replacement]
            .iter()
            .map(|s| {
                let mut budget = s.log_budget.lock().unwrap();
                (0..400).filter(|_| budget.take("p")).count()
            })
            .sum::<usize>();
        assert_eq!(taken, LOG_LINES_PER_MINUTE as usize);
        let other = StoreState::new(
            Arc::from("q"),
            1 << 20,
            &Grants::default(),
            None,
            false,
            PluginLog::new(),
        )
        .unwrap();
        assert!(
            other.log_budget.lock().unwrap().take("q"),
            "another plugin's allowance is its own"
        );
    }
}
