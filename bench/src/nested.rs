//! The nested layout the contract did not take: host bindings for the
//! benchmark's `nested-layout` world and the record conversions around it.

use std::sync::Arc;

use bytes::Bytes;
use sluice::plugin::TransformOutcome;
use sluice::record::{Header, Record};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({
    path: "wit/nested.wit",
    world: "nested-layout",
    exports: { default: async },
});

use exports::sluice_bench::nested::api::{Header as NestedHeader, NestedRecord, Reply};

pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// One instance of the nested-layout identity plugin, on the same engine
/// configuration as Sluice's plugins.
pub struct NestedIdentity {
    store: Store<State>,
    bindings: NestedLayout,
}

impl NestedIdentity {
    pub async fn new(path: &std::path::Path) -> anyhow::Result<Self> {
        let engine =
            Engine::new(&sluice::plugin::engine_config()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let component = Component::from_file(&engine, path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut store = Store::new(
            &engine,
            State {
                wasi: WasiCtx::builder().build(),
                table: ResourceTable::new(),
            },
        );
        store.set_epoch_deadline(u64::MAX / 2);
        let bindings = NestedLayout::instantiate_async(&mut store, &component, &linker)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(NestedIdentity { store, bindings })
    }

    /// Sends `records` through the plugin and back, as the host would have to.
    pub async fn call(&mut self, records: &[Record]) -> anyhow::Result<Vec<TransformOutcome>> {
        let input: Vec<NestedRecord> = records.iter().map(to_nested).collect();
        let reply = self
            .bindings
            .sluice_bench_nested_api()
            .call_identity(&mut self.store, &input)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(from_nested(reply, records))
    }
}

fn to_nested(r: &Record) -> NestedRecord {
    NestedRecord {
        topic: r.topic.to_string(),
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key.as_ref().map(|k| k.to_vec()),
        value: r.value.as_ref().map(|v| v.to_vec()),
        headers: r
            .headers
            .iter()
            .map(|h| NestedHeader {
                name: h.name.clone(),
                value: h.value.as_ref().map(|v| v.to_vec()),
            })
            .collect(),
    }
}

fn from_nested(reply: Reply, inputs: &[Record]) -> Vec<TransformOutcome> {
    let mut outcomes: Vec<TransformOutcome> = vec![TransformOutcome::Dropped; inputs.len()];
    for o in reply.outputs {
        let input = &inputs[o.origin as usize];
        let r = o.record;
        let record = Record {
            topic: if *r.topic == *input.topic {
                input.topic.clone()
            } else {
                Arc::from(r.topic)
            },
            partition: r.partition,
            offset: input.offset,
            timestamp: r.timestamp,
            key: r.key.map(Bytes::from),
            key_kind: input.key_kind,
            key_schema: None,
            value: r.value.map(Bytes::from),
            value_kind: input.value_kind,
            value_schema: None,
            headers: r
                .headers
                .into_iter()
                .map(|h| Header {
                    name: h.name,
                    value: h.value.map(Bytes::from),
                })
                .collect(),
        };
        match &mut outcomes[o.origin as usize] {
            TransformOutcome::Kept(v) => v.push(record),
            slot => *slot = TransformOutcome::Kept(vec![record]),
        }
    }
    for f in reply.failures {
        outcomes[f.input as usize] = TransformOutcome::Failed(f.message);
    }
    outcomes
}
