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
    /// Time one call (or instantiation) may spend outside the schema
    /// registry's answers, enforced inside wasm code by epoch interruption
    /// (wall-clock ticks, so time blocked in WASI counts; time waiting for
    /// the registry is given back).
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

/// Enforces [`Limits::memory_bytes`] on the sum of every linear memory of
/// an instance (a component holds several core instances, each may have its
/// own), caps tables, instances and memories, and remembers whether it
/// refused growth, so the error can say it was the memory limit rather than
/// a bare trap.
pub(crate) struct MemoryLimiter {
    pub limit: usize,
    /// The largest total memory granted so far.
    pub high_water: usize,
    /// Bytes of linear memory granted, all memories together.
    total_memory: usize,
    /// Table elements granted, all tables together.
    total_elements: usize,
    pub denied: bool,
}

impl MemoryLimiter {
    pub fn new(limit: usize) -> Self {
        MemoryLimiter {
            limit,
            high_water: 0,
            total_memory: 0,
            total_elements: 0,
            denied: false,
        }
    }
}

/// Tables hold function references; 100k covers the interpreted languages
/// (Python ~5.7k, JavaScript ~7.7k) with room to spare. All tables of an
/// instance together.
const MAX_TABLE_ELEMENTS: usize = 100_000;
/// Core instances, memories and tables one component may create: the
/// interpreted languages' components have a dozen or so of each.
const MAX_INSTANCES: usize = 100;
const MAX_MEMORIES: usize = 16;
const MAX_TABLES: usize = 100;

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self
            .total_memory
            .saturating_sub(current)
            .saturating_add(desired);
        if total > self.limit {
            self.denied = true;
            return Err(wasmtime::format_err!(
                "memory limit of {} MiB reached (the plugin asked for {} MiB in all)",
                self.limit >> 20,
                total >> 20
            ));
        }
        self.total_memory = total;
        self.high_water = self.high_water.max(total);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self
            .total_elements
            .saturating_sub(current)
            .saturating_add(desired);
        if total > MAX_TABLE_ELEMENTS {
            return Ok(false);
        }
        self.total_elements = total;
        Ok(true)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::ResourceLimiter;

    #[test]
    fn the_limit_is_on_all_memories_together() {
        let mut l = MemoryLimiter::new(100 << 20);
        assert!(l.memory_growing(0, 60 << 20, None).unwrap());
        // A second memory may not take the whole limit again.
        assert!(l.memory_growing(0, 60 << 20, None).is_err());
        assert!(l.denied);
        assert!(l.memory_growing(0, 40 << 20, None).unwrap());
        assert_eq!(l.high_water, 100 << 20);
        assert!(!l.table_growing(0, MAX_TABLE_ELEMENTS + 1, None).unwrap());
        assert!(l.table_growing(0, 60_000, None).unwrap());
        assert!(!l.table_growing(0, 60_000, None).unwrap());
    }
}
