//! Per-instance memory limits and per-call time limits.

use std::time::Duration;

/// How much a plugin instance may use. Every instance gets its own copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory an instance may grow to. Python and JavaScript
    /// components need over 16 MiB just to start.
    pub memory_bytes: usize,
    /// An instance whose memory grew past this is replaced after the call
    /// (linear memory never shrinks).
    pub recycle_above_bytes: usize,
    /// CPU time one call (or instantiation) may take, enforced inside wasm code
    /// by epoch interruption.
    pub cpu_deadline: Duration,
    /// Wall-clock time one call may take, also covering time blocked in WASI.
    pub call_timeout: Duration,
}

/// 128 MiB per instance.
pub const DEFAULT_MEMORY_MIB: usize = 128;
/// 5 seconds of CPU per call.
pub const DEFAULT_CPU_DEADLINE_MS: u64 = 5_000;
/// 10 seconds per call, wall clock.
pub const DEFAULT_CALL_TIMEOUT_MS: u64 = 10_000;

impl Default for Limits {
    fn default() -> Self {
        Limits::new(
            DEFAULT_MEMORY_MIB,
            DEFAULT_CPU_DEADLINE_MS,
            DEFAULT_CALL_TIMEOUT_MS,
        )
    }
}

impl Limits {
    /// Limits from the manifest's units; instances are recycled above 3/4 of the memory limit.
    pub fn new(memory_mib: usize, cpu_deadline_ms: u64, call_timeout_ms: u64) -> Self {
        let memory_bytes = memory_mib << 20;
        Limits {
            memory_bytes,
            recycle_above_bytes: memory_bytes / 4 * 3,
            cpu_deadline: Duration::from_millis(cpu_deadline_ms),
            call_timeout: Duration::from_millis(call_timeout_ms),
        }
    }
}

/// Enforces [`Limits::memory_bytes`] and remembers whether it refused growth,
/// so the error can say it was the memory limit rather than a bare trap.
pub(crate) struct MemoryLimiter {
    pub limit: usize,
    /// The largest memory size granted so far.
    pub high_water: usize,
    pub denied: bool,
}

impl MemoryLimiter {
    pub fn new(limit: usize) -> Self {
        MemoryLimiter {
            limit,
            high_water: 0,
            denied: false,
        }
    }
}

/// Tables hold function references; 100k covers the interpreted languages
/// (Python ~5.7k, JavaScript ~7.7k) with room to spare.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.denied = true;
            return Err(wasmtime::format_err!(
                "memory limit of {} MiB reached (the plugin asked for {} MiB)",
                self.limit >> 20,
                desired >> 20
            ));
        }
        self.high_water = self.high_water.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
