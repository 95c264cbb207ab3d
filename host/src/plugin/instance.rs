//! One live plugin instance (its own Store) and guarded calls into it: an
//! epoch deadline for time spent in wasm and a wall-clock timeout for the
//! whole call. A failed call leaves the instance unusable; the pool drops it.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;

use super::bindings::v0_2::{
    converter as converter2, formatter as formatter2, transform as transform2,
};
use super::bindings::{converter, formatter, transform};
use super::error::CallError;
use super::grants::Sandbox;
use super::limits::Limits;
use super::registry::RegistryClient;
use super::store::StoreState;

/// How often the engine's epoch advances; the CPU deadline's resolution.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A pre-instantiated component of one kind and contract version: linked
/// once, instantiated fast. The `2` variants speak contract 0.2.
#[derive(Clone)]
pub(crate) enum Pre {
    Converter(converter::ConverterPre<StoreState>),
    Transform(transform::TransformPre<StoreState>),
    Formatter(formatter::FormatterPre<StoreState>),
    Converter2(converter2::ConverterPre<StoreState>),
    Transform2(transform2::TransformPre<StoreState>),
    Formatter2(formatter2::FormatterPre<StoreState>),
}

/// The typed exports of an instance.
pub(crate) enum Exports {
    Converter(converter::Converter),
    Transform(transform::Transform),
    Formatter(formatter::Formatter),
    Converter2(converter2::Converter),
    Transform2(transform2::Transform),
    Formatter2(formatter2::Formatter),
}

/// An instance with its Store.
pub(crate) struct Instance {
    pub store: Store<StoreState>,
    pub exports: Exports,
    plugin: Arc<str>,
    limits: Limits,
}

impl Instance {
    /// Instantiates `pre` in a fresh Store in `sandbox`, whose limits apply
    /// from instantiation on (interpreted guests run code while starting).
    pub async fn new(
        pre: &Pre,
        plugin: Arc<str>,
        sandbox: &Sandbox,
        registry: Option<Arc<RegistryClient>>,
        log: super::store::PluginLog,
    ) -> Result<Self, CallError> {
        let limits = sandbox.limits;
        let engine = match pre {
            Pre::Converter(p) => p.engine(),
            Pre::Transform(p) => p.engine(),
            Pre::Formatter(p) => p.engine(),
            Pre::Converter2(p) => p.engine(),
            Pre::Transform2(p) => p.engine(),
            Pre::Formatter2(p) => p.engine(),
        };
        let formatter = matches!(pre, Pre::Formatter(_) | Pre::Formatter2(_));
        let state = StoreState::new(
            plugin.clone(),
            limits.memory_bytes,
            &sandbox.grants,
            registry,
            formatter,
            log,
        )
        .map_err(|message| CallError::Sandbox {
            plugin: plugin.to_string(),
            message,
        })?;
        let mut store = Store::new(engine, state);
        store.limiter(|s| &mut s.limiter);
        // Past the deadline, the time the call spent waiting for the
        // registry is given back; else the plugin is interrupted.
        store.epoch_deadline_callback(|mut ctx| {
            let waited = std::mem::take(&mut ctx.data_mut().registry_waited);
            Ok(match ticks(waited) {
                0 => wasmtime::UpdateDeadline::Interrupt,
                n => wasmtime::UpdateDeadline::Continue(n),
            })
        });
        arm(&mut store, &limits);
        let started = async {
            Ok::<_, wasmtime::Error>(match pre {
                Pre::Converter(p) => Exports::Converter(p.instantiate_async(&mut store).await?),
                Pre::Transform(p) => Exports::Transform(p.instantiate_async(&mut store).await?),
                Pre::Formatter(p) => Exports::Formatter(p.instantiate_async(&mut store).await?),
                Pre::Converter2(p) => Exports::Converter2(p.instantiate_async(&mut store).await?),
                Pre::Transform2(p) => Exports::Transform2(p.instantiate_async(&mut store).await?),
                Pre::Formatter2(p) => Exports::Formatter2(p.instantiate_async(&mut store).await?),
            })
        };
        let exports = match tokio::time::timeout(limits.call_timeout, started).await {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => return Err(classify(&plugin, &limits, store.data().limiter.denied, e)),
            Err(_) => {
                return Err(CallError::Timeout {
                    plugin: plugin.to_string(),
                    ms: limits.call_timeout.as_millis(),
                });
            }
        };
        Ok(Instance {
            store,
            exports,
            plugin,
            limits,
        })
    }

    /// Runs one export call under the deadline and the timeout.
    pub async fn call<R>(
        &mut self,
        f: impl AsyncFnOnce(&mut Store<StoreState>, &Exports) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        arm(&mut self.store, &self.limits);
        self.store.data_mut().outage = None;
        self.store.data_mut().waiting_since = None;
        let timeout = self.limits.call_timeout;
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(timeout, f(&mut self.store, &self.exports)).await;
        // Time ran out while the registry had not answered, in a wait that
        // began while the call still had time: an outage of the registry
        // (retried, nothing committed). A wait that began after the time was
        // spent in the plugin's own code is the plugin's timeout.
        let waiting_since = self.store.data_mut().waiting_since.take();
        if result.is_err() && waiting_since.is_some_and(|since| since < started + timeout) {
            return Err(CallError::Outage {
                plugin: self.plugin.to_string(),
                message: format!(
                    "the schema registry had not answered when the plugin call's {} ms ran out",
                    timeout.as_millis()
                ),
            });
        }
        // A registry found down fails the call as an outage, whatever the
        // plugin made of the refusal.
        if let Some(message) = self.store.data_mut().outage.take() {
            return Err(CallError::Outage {
                plugin: self.plugin.to_string(),
                message,
            });
        }
        match result {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(classify(
                &self.plugin,
                &self.limits,
                self.store.data().limiter.denied,
                e,
            )),
            Err(_) => Err(CallError::Timeout {
                plugin: self.plugin.to_string(),
                ms: timeout.as_millis(),
            }),
        }
    }

    /// The most linear memory this instance has grown to.
    pub fn memory_high_water(&self) -> usize {
        self.store.data().limiter.high_water
    }
}

fn arm(store: &mut Store<StoreState>, limits: &Limits) {
    store.data_mut().registry_waited = Duration::ZERO;
    store.set_epoch_deadline(ticks(limits.cpu_deadline).max(1));
}

/// Epoch ticks in `d`, rounded up.
fn ticks(d: Duration) -> u64 {
    u64::try_from(d.as_millis().div_ceil(EPOCH_TICK.as_millis())).unwrap_or(u64::MAX)
}

fn classify(plugin: &str, limits: &Limits, memory_denied: bool, e: wasmtime::Error) -> CallError {
    let plugin = plugin.to_string();
    if memory_denied {
        return CallError::MemoryLimit {
            plugin,
            limit_mib: limits.memory_bytes >> 20,
        };
    }
    if let Some(wasmtime::Trap::Interrupt) = e.downcast_ref::<wasmtime::Trap>() {
        return CallError::Deadline {
            plugin,
            ms: limits.cpu_deadline.as_millis(),
        };
    }
    // The first line names the trap; the wasm backtrace follows in the chain.
    let detail = format!("{e:?}");
    let mut message = e.to_string();
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        if message != trap.to_string() {
            message = format!("{trap}: {message}");
        }
    } else {
        let root = e.root_cause().to_string();
        if root != message {
            message = format!("{message}: {root}");
        }
    }
    CallError::Trap {
        plugin,
        message,
        detail,
    }
}
