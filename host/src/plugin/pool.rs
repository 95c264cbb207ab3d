//! A configured plugin: a pool of instances that share one configuration,
//! and the batch calls the pipeline and the CLI use. A call that fails as a
//! whole throws its instance away; the next call gets a fresh one.

use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::arena::{self, Data};
use super::bindings::converter::exports::sluice::plugin::conversion as cv;
use super::bindings::formatter::exports::sluice::plugin::formatting::Encoded;
use super::bindings::transform::exports::sluice::plugin::transformation::Transformed;
use super::bindings::types;
use super::bindings::v0_2::converter::exports::sluice::plugin::conversion as cv2;
use super::bindings::v0_2::formatter::exports::sluice::plugin::formatting::Encoded as Encoded2;
use super::bindings::v0_2::transform::exports::sluice::plugin::transformation::Transformed as Transformed2;
use super::bindings::v0_2::transform::sluice::plugin::types as tt2;
use super::bindings::v0_2::types as t2;
use super::error::{CallError, ConfigureError};
use super::flat::{self, SchemaCache};
use super::format::FormatInfo;
use super::grants::Sandbox;
use super::instance::{Exports, Instance};
use super::metadata::{Metadata, PluginKind};
use super::native::{NativeInstance, NativePlugin};
use super::registry::RegistryClient;
use super::runtime::{Contract, LoadedPlugin};
use super::store::PluginLog;
use crate::record::{Arena, Record, Schema, ValueKind};

/// Which part of the records a converter converts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

/// What a converter made of one record's key or value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conversion {
    Converted {
        bytes: Bytes,
        kind: ValueKind,
        /// The part's schema, from a schema-aware (contract 0.2) converter.
        schema: Option<Arc<Schema>>,
    },
    /// The part is null; an optional schema's null keeps the schema.
    Null {
        schema: Option<Arc<Schema>>,
    },
    Failed(String),
}

/// Where a contract 0.2 transform call leaves its reply's data buffer as an
/// [`Arena`] (the records it made are slices of it): the next call over
/// those records sends that buffer as it is instead of copying every record
/// into a new one. When the error policy splits a batch, each call replaces
/// the last; the next call checks that every record lies in the buffer and
/// copies them otherwise.
#[derive(Debug, Default)]
pub struct ReplyArena(Mutex<Option<Arena>>);

impl ReplyArena {
    fn set(&self, arena: Option<Arena>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = arena;
    }

    /// The last call's reply buffer, when it held a topic to point at.
    pub fn into_inner(self) -> Option<Arena> {
        self.0.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a transform made of one input record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransformOutcome {
    /// The records it became: one, or several when the transform split it.
    Kept(Vec<Record>),
    Dropped,
    Failed(String),
}

/// One call of the contract, whichever engine and version runs it.
enum Call<'a> {
    Convert(cv::Part, &'a types::Batch),
    Transform(&'a types::Batch),
    Encode(&'a types::Batch),
    Convert2(cv2::Part, &'a t2::Batch<'a>),
    Transform2(&'a t2::Batch<'a>),
    Encode2(&'a t2::Batch<'a>),
    Header,
    Trailer,
}

/// A call's reply.
enum Reply {
    Converted(cv::Conversions),
    Transformed(Transformed),
    Encoded(Encoded),
    Converted2(cv2::Conversions),
    Transformed2(Transformed2),
    Encoded2(Encoded2),
    Bytes(Vec<u8>),
}

/// A plugin started with its configuration.
pub struct ConfiguredPlugin {
    metadata: Metadata,
    config: Vec<(String, String)>,
    engine: Engine,
    format_info: Option<FormatInfo>,
    /// The contract version its calls speak.
    contract: Contract,
    /// Schemas its replies named (contract 0.2).
    schemas: SchemaCache,
    /// What it said, once configured, it does to every record, so the host
    /// does it without a call (contract 0.2's `keeps-bytes` and
    /// `values-as-is`).
    declared: Declared,
}

/// What a configured contract 0.2 plugin does to every record whatever its
/// bytes: the host then does it itself and sends the plugin no batch.
#[derive(Debug, Default)]
struct Declared {
    /// A converter's answer for every key (`[0]`) and every value (`[1]`).
    kept: [Option<KeptBytes>; 2],
    /// A formatter that encodes every value as it is and a null as nothing.
    values_as_is: bool,
}

/// A converter's `keeps-bytes` answer, read.
#[derive(Clone, Debug)]
struct KeptBytes {
    kind: ValueKind,
    schema: Option<Arc<Schema>>,
    null_schema: Option<Arc<Schema>>,
}

impl KeptBytes {
    fn read(wire: cv2::KeptBytes, cache: &SchemaCache) -> Result<Self, String> {
        let kind = sluice_contract::layout::Kind::from_code(wire.value_kind)
            .map_err(|e| format!("keeps-bytes: {e}"))?;
        let schema = |text: Option<String>| match text {
            Some(t) => cache
                .resolve(vec![t])
                .map(|mut s| s.pop())
                .map_err(|e| format!("keeps-bytes: {e}")),
            None => Ok(None),
        };
        Ok(KeptBytes {
            kind: kind.into(),
            schema: schema(wire.schema)?,
            null_schema: schema(wire.null_schema)?,
        })
    }

    /// The conversion of `part` the plugin declared.
    fn apply(&self, part: Option<&Bytes>) -> Conversion {
        match part {
            Some(bytes) => Conversion::Converted {
                bytes: bytes.clone(),
                kind: self.kind,
                schema: self.schema.clone(),
            },
            None => Conversion::Null {
                schema: self.null_schema.clone(),
            },
        }
    }
}

fn part_index(part: Part) -> usize {
    match part {
        Part::Key => 0,
        Part::Value => 1,
    }
}

/// What runs the plugin's code, with its idle instances.
enum Engine {
    /// A sandboxed Wasm component.
    Wasm {
        plugin: Arc<LoadedPlugin>,
        sandbox: Box<Sandbox>,
        /// The schema registry's client, shared by the instances (one cache).
        registry: Option<Arc<RegistryClient>>,
        /// The log allowance, shared by the instances.
        log: PluginLog,
        idle: Mutex<Vec<Instance>>,
    },
    /// Code compiled into the process (see [`super::native`]).
    Native {
        plugin: Arc<dyn NativePlugin>,
        idle: Mutex<Vec<NativeInstance>>,
    },
}

impl ConfiguredPlugin {
    /// The memory an instance may grow to (for code compiled into the
    /// process, which has no sandbox, the default limit).
    fn memory_limit(&self) -> usize {
        match &self.engine {
            Engine::Wasm { sandbox, .. } => sandbox.limits.memory_bytes,
            Engine::Native { .. } => super::DEFAULT_MEMORY_MIB << 20,
        }
    }

    /// The `.wasm` file it was loaded from (`None` for code compiled into
    /// the process).
    pub fn source_path(&self) -> Option<&std::path::Path> {
        match &self.engine {
            Engine::Wasm { plugin, .. } => Some(&plugin.path),
            Engine::Native { .. } => None,
        }
    }

    pub(crate) async fn start(
        plugin: Arc<LoadedPlugin>,
        config: Vec<(String, String)>,
        sandbox: Sandbox,
    ) -> Result<Self, ConfigureError> {
        let name = plugin.metadata.name.clone();
        if let Some(c) = plugin
            .capabilities
            .iter()
            .find(|c| !sandbox.grants.grants(**c))
        {
            return Err(ConfigureError::NotGranted {
                plugin: name,
                capability: c.name(),
            });
        }
        plugin
            .metadata
            .check_config(&config)
            .map_err(|message| ConfigureError::Rejected {
                plugin: name.clone(),
                message,
            })?;
        let log = PluginLog::new();
        let registry = match &sandbox.grants.registry {
            Some(r) => Some(Arc::new(RegistryClient::new(r.clone()).map_err(
                |message| ConfigureError::Registry {
                    plugin: name.clone(),
                    message,
                },
            )?)),
            None => None,
        };
        let mut this = ConfiguredPlugin {
            metadata: plugin.metadata.clone(),
            config,
            engine: Engine::Wasm {
                plugin: plugin.clone(),
                sandbox: Box::new(sandbox.clone()),
                registry: registry.clone(),
                log: log.clone(),
                idle: Mutex::new(Vec::new()),
            },
            format_info: None,
            contract: plugin.contract,
            schemas: SchemaCache::new(),
            declared: Declared::default(),
        };
        let mut first = plugin
            .instantiate(&sandbox, registry, log)
            .await
            .map_err(|source| ConfigureError::Start {
                plugin: name.clone(),
                source,
            })?;
        match this.configure(&mut first).await {
            Ok(Ok(())) => {}
            Ok(Err(message)) => {
                return Err(ConfigureError::Rejected {
                    plugin: name,
                    message,
                });
            }
            Err(source) => {
                return Err(ConfigureError::Start {
                    plugin: name,
                    source,
                });
            }
        }
        this.declared = this
            .declare(&mut first)
            .await
            .map_err(|source| ConfigureError::Start {
                plugin: name.clone(),
                source,
            })?;
        if this.metadata.kind == PluginKind::Formatter {
            let info = first
                .call(async |store, exports| match exports {
                    Exports::Formatter(f) => f
                        .sluice_plugin_formatting()
                        .call_info(store)
                        .await
                        .map(FormatInfo::from),
                    Exports::Formatter2(f) => f
                        .sluice_plugin_formatting()
                        .call_info(store)
                        .await
                        .map(FormatInfo::from),
                    _ => Err(wrong_kind()),
                })
                .await
                .and_then(|info: FormatInfo| {
                    info.check().map_err(|message| CallError::BadReply {
                        plugin: name.clone(),
                        message,
                    })?;
                    Ok(info)
                })
                .map_err(|source| ConfigureError::Start {
                    plugin: name.clone(),
                    source,
                })?;
            this.format_info = Some(info);
        }
        this.give_back(first);
        Ok(this)
    }

    /// Starts a plugin compiled into the process with `config`, checked
    /// against its metadata as a Wasm plugin's is.
    pub fn start_native(
        plugin: Arc<dyn NativePlugin>,
        config: Vec<(String, String)>,
    ) -> Result<Self, ConfigureError> {
        let metadata = Metadata::from(plugin.metadata());
        let rejected = |message| ConfigureError::Rejected {
            plugin: metadata.name.clone(),
            message,
        };
        metadata.check_consistent().map_err(rejected)?;
        metadata.check_config(&config).map_err(rejected)?;
        let mut first = plugin.instantiate(&config).map_err(rejected)?;
        let format_info = match &mut first {
            NativeInstance::Formatter(f) => {
                let info = FormatInfo::from(f.info());
                info.check().map_err(rejected)?;
                Some(info)
            }
            _ => None,
        };
        let schemas = SchemaCache::new();
        let mut declared = Declared::default();
        match &mut first {
            NativeInstance::Converter(c) => {
                for part in [Part::Key, Part::Value] {
                    declared.kept[part_index(part)] = c
                        .keeps_bytes(wire_part(part))
                        .map(|k| KeptBytes::read(k, &schemas))
                        .transpose()
                        .map_err(rejected)?;
                }
            }
            NativeInstance::Formatter(f) => declared.values_as_is = f.values_as_is(),
            NativeInstance::Transform(_) => {}
        }
        Ok(ConfiguredPlugin {
            metadata,
            config,
            engine: Engine::Native {
                plugin,
                idle: Mutex::new(vec![first]),
            },
            format_info,
            contract: Contract::V0_2,
            schemas,
            declared,
        })
    }

    /// Asks a just-configured Wasm instance what it does to every record
    /// (contract 0.2 converters and formatters; nothing for the others).
    async fn declare(&self, instance: &mut Instance) -> Result<Declared, CallError> {
        let mut declared = Declared::default();
        match self.metadata.kind {
            PluginKind::Converter => {
                for part in [Part::Key, Part::Value] {
                    let kept = instance
                        .call(async |store, exports| match exports {
                            Exports::Converter2(c) => {
                                c.sluice_plugin_conversion()
                                    .call_keeps_bytes(store, wire_part(part))
                                    .await
                            }
                            _ => Ok(None),
                        })
                        .await?;
                    declared.kept[part_index(part)] = kept
                        .map(|k| KeptBytes::read(k, &self.schemas))
                        .transpose()
                        .map_err(|m| self.bad_reply(m))?;
                }
            }
            PluginKind::Formatter => {
                declared.values_as_is = instance
                    .call(async |store, exports| match exports {
                        Exports::Formatter2(f) => {
                            f.sluice_plugin_formatting().call_values_as_is(store).await
                        }
                        _ => Ok(false),
                    })
                    .await?;
            }
            PluginKind::Transform => {}
        }
        Ok(declared)
    }

    /// The plugin's metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &[(String, String)] {
        &self.config
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The contract version the plugin speaks.
    pub fn contract(&self) -> Contract {
        self.contract
    }

    /// The most linear memory any idle Wasm instance of this plugin has
    /// grown to, in bytes (0 for native plugins): what one instance costs.
    pub fn memory_high_water(&self) -> usize {
        match &self.engine {
            Engine::Wasm { idle, .. } => idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .map(Instance::memory_high_water)
                .max()
                .unwrap_or(0),
            Engine::Native { .. } => 0,
        }
    }

    /// A formatter's framing; `None` for other kinds.
    pub fn format_info(&self) -> Option<&FormatInfo> {
        self.format_info.as_ref()
    }

    async fn configure(&self, instance: &mut Instance) -> Result<Result<(), String>, CallError> {
        let config = self.config.clone();
        instance
            .call(async move |store, exports| {
                // Contract 0.2's parameters are borrowed.
                let pairs: Vec<(&str, &str)> = config
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                match exports {
                    Exports::Converter(c) => {
                        c.sluice_plugin_conversion()
                            .call_configure(store, &config)
                            .await
                    }
                    Exports::Transform(t) => {
                        t.sluice_plugin_transformation()
                            .call_configure(store, &config)
                            .await
                    }
                    Exports::Formatter(f) => {
                        f.sluice_plugin_formatting()
                            .call_configure(store, &config)
                            .await
                    }
                    Exports::Converter2(c) => {
                        c.sluice_plugin_conversion()
                            .call_configure(store, &pairs)
                            .await
                    }
                    Exports::Transform2(t) => {
                        t.sluice_plugin_transformation()
                            .call_configure(store, &pairs)
                            .await
                    }
                    Exports::Formatter2(f) => {
                        f.sluice_plugin_formatting()
                            .call_configure(store, &pairs)
                            .await
                    }
                }
            })
            .await
    }

    /// An idle Wasm instance, or a new configured one.
    async fn take(&self) -> Result<Instance, CallError> {
        let Engine::Wasm {
            plugin,
            sandbox,
            registry,
            log,
            idle,
        } = &self.engine
        else {
            return Err(self.bad_reply("a Wasm call on a native plugin"));
        };
        if let Some(i) = idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(i);
        }
        self.fresh(plugin, sandbox, registry, log).await
    }

    /// A new instance, configured.
    async fn fresh(
        &self,
        plugin: &LoadedPlugin,
        sandbox: &Sandbox,
        registry: &Option<Arc<RegistryClient>>,
        log: &PluginLog,
    ) -> Result<Instance, CallError> {
        let mut instance = plugin
            .instantiate(sandbox, registry.clone(), log.clone())
            .await?;
        match self.configure(&mut instance).await? {
            Ok(()) => Ok(instance),
            Err(message) => Err(CallError::BadReply {
                plugin: self.name().to_string(),
                message: format!(
                    "a new instance rejected the configuration the first one accepted: {message}"
                ),
            }),
        }
    }

    /// Returns an instance to the pool unless it grew past the recycle mark.
    fn give_back(&self, instance: Instance) {
        let Engine::Wasm { sandbox, idle, .. } = &self.engine else {
            return;
        };
        if instance.memory_high_water() > sandbox.limits.recycle_above_bytes {
            tracing::debug!(
                plugin = self.name(),
                memory = instance.memory_high_water(),
                "recycling plugin instance"
            );
            return;
        }
        idle.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(instance);
    }

    /// Runs `f` on an instance; a failed call drops it.
    async fn with_instance<R>(
        &self,
        f: impl AsyncFnOnce(
            &mut wasmtime::Store<super::store::StoreState>,
            &Exports,
        ) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        let mut instance = self.take().await?;
        let result = instance.call(f).await;
        if result.is_ok() {
            self.give_back(instance);
        }
        result
    }

    /// Runs `f` on an idle native instance or a new one; a panic becomes a
    /// trap and drops the instance.
    fn with_native<R>(
        &self,
        f: impl FnOnce(&mut NativeInstance) -> Option<R>,
    ) -> Result<R, CallError> {
        let Engine::Native { plugin, idle } = &self.engine else {
            return Err(self.bad_reply("a native call on a Wasm plugin"));
        };
        let taken = idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut instance = match taken {
            Some(i) => i,
            None => plugin
                .instantiate(&self.config)
                .map_err(|m| self.bad_reply(format!("a new instance failed to start: {m}")))?,
        };
        let result = self.on_native(&mut instance, f)?;
        idle.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(instance);
        Ok(result)
    }

    /// Runs `f` on native `instance`; a panic becomes a trap.
    fn on_native<R>(
        &self,
        instance: &mut NativeInstance,
        f: impl FnOnce(&mut NativeInstance) -> Option<R>,
    ) -> Result<R, CallError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(instance)))
            .map_err(|_| CallError::Trap {
                plugin: self.name().to_string(),
                message: "native plugin panicked".into(),
                detail: String::new(),
            })?
            .ok_or_else(|| self.bad_reply("export of another plugin kind called"))
    }

    /// Runs `call` on the plugin: the one place that tells a Wasm plugin
    /// from a native one. A call the plugin's kind has no export for is
    /// refused.
    async fn dispatch(&self, call: Call<'_>) -> Result<Reply, CallError> {
        self.dispatch_on(None, call).await
    }

    /// Runs `call` on `held` (a [`FormatterSession`]'s instance), or on a
    /// pooled instance when `None`.
    async fn dispatch_on(
        &self,
        held: Option<&mut Held>,
        call: Call<'_>,
    ) -> Result<Reply, CallError> {
        match &self.engine {
            Engine::Native { .. } => {
                let f = |i: &mut NativeInstance| match (i, call) {
                    (NativeInstance::Converter(c), Call::Convert2(part, batch)) => {
                        Some(Reply::Converted2(c.convert(part, batch)))
                    }
                    (NativeInstance::Transform(t), Call::Transform2(batch)) => {
                        Some(Reply::Transformed2(t.transform(batch)))
                    }
                    (NativeInstance::Formatter(f), Call::Encode2(batch)) => {
                        Some(Reply::Encoded2(f.encode(batch)))
                    }
                    (NativeInstance::Formatter(f), Call::Header) => Some(Reply::Bytes(f.header())),
                    (NativeInstance::Formatter(f), Call::Trailer) => {
                        Some(Reply::Bytes(f.trailer()))
                    }
                    _ => None,
                };
                match held {
                    Some(Held::Native(i)) => self.on_native(i, f),
                    _ => self.with_native(f),
                }
            }
            Engine::Wasm { .. } => {
                let f = async move |store: &mut wasmtime::Store<super::store::StoreState>,
                                    exports: &Exports| match (exports, call)
                {
                    (Exports::Converter(c), Call::Convert(part, batch)) => c
                        .sluice_plugin_conversion()
                        .call_convert(store, part, batch)
                        .await
                        .map(Reply::Converted),
                    (Exports::Transform(t), Call::Transform(batch)) => t
                        .sluice_plugin_transformation()
                        .call_transform(store, batch)
                        .await
                        .map(Reply::Transformed),
                    (Exports::Formatter(f), Call::Encode(batch)) => f
                        .sluice_plugin_formatting()
                        .call_encode(store, batch)
                        .await
                        .map(Reply::Encoded),
                    (Exports::Formatter(f), Call::Header) => f
                        .sluice_plugin_formatting()
                        .call_header(store)
                        .await
                        .map(Reply::Bytes),
                    (Exports::Formatter(f), Call::Trailer) => f
                        .sluice_plugin_formatting()
                        .call_trailer(store)
                        .await
                        .map(Reply::Bytes),
                    (Exports::Converter2(c), Call::Convert2(part, batch)) => c
                        .sluice_plugin_conversion()
                        .call_convert(store, part, reborrow(batch))
                        .await
                        .map(Reply::Converted2),
                    (Exports::Transform2(t), Call::Transform2(batch)) => {
                        // The transform world's own parameter type, of the
                        // same borrowed fields.
                        let param = tt2::BatchParam {
                            data: batch.data,
                            records: batch.records,
                            headers: batch.headers,
                            schemas: batch.schemas,
                        };
                        t.sluice_plugin_transformation()
                            .call_transform(store, param)
                            .await
                            .map(Reply::Transformed2)
                    }
                    (Exports::Formatter2(f), Call::Encode2(batch)) => f
                        .sluice_plugin_formatting()
                        .call_encode(store, reborrow(batch))
                        .await
                        .map(Reply::Encoded2),
                    (Exports::Formatter2(f), Call::Header) => f
                        .sluice_plugin_formatting()
                        .call_header(store)
                        .await
                        .map(Reply::Bytes),
                    (Exports::Formatter2(f), Call::Trailer) => f
                        .sluice_plugin_formatting()
                        .call_trailer(store)
                        .await
                        .map(Reply::Bytes),
                    _ => Err(wrong_kind()),
                };
                match held {
                    Some(Held::Wasm(i)) => i.call(f).await,
                    _ => self.with_instance(f).await,
                }
            }
        }
    }

    /// The error for a reply of another call's shape (a bug, not the
    /// plugin's: [`Self::dispatch`] answers each call with its own reply).
    fn mismatched(&self) -> CallError {
        self.bad_reply("a reply of another kind of call")
    }

    fn expect_kind(&self, wanted: PluginKind) -> Result<(), CallError> {
        let kind = self.metadata.kind;
        if kind == wanted {
            return Ok(());
        }
        Err(CallError::WrongKind {
            plugin: self.name().to_string(),
            kind: kind.as_str(),
            wanted: wanted.as_str(),
        })
    }

    /// Checks a reply has one item per record and spreads its failures over
    /// the records: the message of each failed record.
    fn one_per_record(
        &self,
        items: usize,
        failures: Vec<types::Failure>,
        records: usize,
        what: &str,
    ) -> Result<Vec<Option<String>>, CallError> {
        if items != records {
            return Err(self.bad_reply(format!("{items} {what} for {records} records")));
        }
        failure_messages(failures, records).map_err(|m| self.bad_reply(m))
    }

    fn bad_reply(&self, message: impl Into<String>) -> CallError {
        CallError::BadReply {
            plugin: self.name().to_string(),
            message: message.into(),
        }
    }

    /// Converts `part` of every record; one [`Conversion`] per record.
    pub async fn convert(
        &self,
        part: Part,
        records: &[Record],
    ) -> Result<Vec<Conversion>, CallError> {
        self.convert_in(part, records, &[]).await
    }

    /// [`Self::convert`] of records whose bytes may lie in one of `arenas`
    /// (then a contract 0.2 plugin gets it as it is, not a copy).
    pub async fn convert_in(
        &self,
        part: Part,
        records: &[Record],
        arenas: &[&Arena],
    ) -> Result<Vec<Conversion>, CallError> {
        self.expect_kind(PluginKind::Converter)?;
        if let Some(kept) = &self.declared.kept[part_index(part)] {
            return Ok(records
                .iter()
                .map(|r| {
                    kept.apply(match part {
                        Part::Key => r.key.as_ref(),
                        Part::Value => r.value.as_ref(),
                    })
                })
                .collect());
        }
        if self.contract == Contract::V0_2 {
            let flat = flat::encode(records, arenas);
            let texts = flat.schema_texts();
            let batch = flat.param(&texts);
            let wire = wire_part(part);
            let Reply::Converted2(reply) = self.dispatch(Call::Convert2(wire, &batch)).await?
            else {
                return Err(self.mismatched());
            };
            let (conversions, failures) = flat::conversions(reply, part, records, &self.schemas)
                .map_err(|m| self.bad_reply(m))?;
            return Ok(conversions
                .into_iter()
                .zip(failures)
                .map(|(c, failure)| match c {
                    Conversion::Failed(_) => {
                        Conversion::Failed(failure.unwrap_or_else(|| "failed (no message)".into()))
                    }
                    c => c,
                })
                .collect());
        }
        let batch = arena::encode(records);
        let part = match part {
            Part::Key => cv::Part::Key,
            Part::Value => cv::Part::Value,
        };
        let Reply::Converted(reply) = self.dispatch(Call::Convert(part, &batch)).await? else {
            return Err(self.mismatched());
        };
        let failures = self.one_per_record(
            reply.items.len(),
            reply.failures,
            records.len(),
            "conversions",
        )?;
        arena::check_spans_fit(
            reply.items.iter().filter_map(|i| match i {
                cv::Conversion::Converted((span, _)) => Some(*span),
                _ => None,
            }),
            reply.data.len(),
        )
        .map_err(|m| self.bad_reply(m))?;
        let data = Data::new(reply.data);
        reply
            .items
            .into_iter()
            .zip(failures)
            .map(|(item, failure)| match item {
                cv::Conversion::Converted((span, kind)) => Ok(Conversion::Converted {
                    bytes: data.slice(span).map_err(|m| self.bad_reply(m))?,
                    kind: kind.into(),
                    schema: None,
                }),
                cv::Conversion::Null => Ok(Conversion::Null { schema: None }),
                cv::Conversion::Failed => Ok(Conversion::Failed(
                    failure.unwrap_or_else(|| "failed (no message)".into()),
                )),
            })
            .collect()
    }

    /// Converts `part` of every record in place: each record, or its error.
    pub async fn convert_records(
        &self,
        part: Part,
        records: Vec<Record>,
    ) -> Result<Vec<Result<Record, String>>, CallError> {
        let conversions = self.convert(part, &records).await?;
        Ok(records
            .into_iter()
            .zip(conversions)
            .map(|(mut r, c)| apply_conversion(&mut r, part, c).map(|()| r))
            .collect())
    }

    /// Transforms a batch: one [`TransformOutcome`] per input record.
    pub async fn transform(&self, records: &[Record]) -> Result<Vec<TransformOutcome>, CallError> {
        self.transform_in(records, &[], None).await
    }

    /// [`Self::transform`] of records whose bytes may lie in one of
    /// `arenas`; the reply's data buffer is left in `made`, for the next
    /// call.
    pub async fn transform_in(
        &self,
        records: &[Record],
        arenas: &[&Arena],
        made: Option<&ReplyArena>,
    ) -> Result<Vec<TransformOutcome>, CallError> {
        self.expect_kind(PluginKind::Transform)?;
        if self.contract == Contract::V0_2 {
            let flat = flat::encode(records, arenas);
            let texts = flat.schema_texts();
            let batch = flat.param(&texts);
            let Reply::Transformed2(reply) = self.dispatch(Call::Transform2(&batch)).await? else {
                return Err(self.mismatched());
            };
            let failures =
                failure_messages(reply.failures, records.len()).map_err(|m| self.bad_reply(m))?;
            let (outputs, reply_arena) =
                flat::outputs(reply.output, records, &self.schemas, self.memory_limit())
                    .map_err(|m| self.bad_reply(m))?;
            if let Some(slot) = made {
                slot.set(reply_arena);
            }
            return Ok(outcomes(failures, outputs));
        }
        let batch = arena::encode(records);
        let Reply::Transformed(reply) = self.dispatch(Call::Transform(&batch)).await? else {
            return Err(self.mismatched());
        };
        if reply.origins.windows(2).any(|w| w[0] > w[1]) {
            return Err(self.bad_reply("output origins are not in input order"));
        }
        let failures =
            failure_messages(reply.failures, records.len()).map_err(|m| self.bad_reply(m))?;
        let outputs =
            arena::decode(reply.output, &reply.origins, records).map_err(|m| self.bad_reply(m))?;
        let outputs = reply.origins.into_iter().zip(outputs).collect();
        Ok(outcomes(failures, keep_schemas(outputs, records)))
    }

    /// Encodes every record: its bytes, or its error.
    pub async fn encode(
        &self,
        records: &[Record],
    ) -> Result<Vec<Result<Bytes, String>>, CallError> {
        self.encode_on(None, records, &[]).await
    }

    /// [`Self::encode`] of records whose bytes may lie in one of `arenas`.
    pub async fn encode_in(
        &self,
        records: &[Record],
        arenas: &[&Arena],
    ) -> Result<Vec<Result<Bytes, String>>, CallError> {
        self.encode_on(None, records, arenas).await
    }

    async fn encode_on(
        &self,
        mut held: Option<&mut Held>,
        records: &[Record],
        arenas: &[&Arena],
    ) -> Result<Vec<Result<Bytes, String>>, CallError> {
        self.expect_kind(PluginKind::Formatter)?;
        if self.declared.values_as_is {
            return Ok(records
                .iter()
                .map(|r| Ok(r.value.clone().unwrap_or_default()))
                .collect());
        }
        if self.contract == Contract::V0_2 {
            let flat = flat::encode(records, arenas);
            let texts = flat.schema_texts();
            let batch = flat.param(&texts);
            let Reply::Encoded2(reply) = self
                .dispatch_on(held.as_deref_mut(), Call::Encode2(&batch))
                .await?
            else {
                return Err(self.mismatched());
            };
            let failures =
                failure_messages(reply.failures, records.len()).map_err(|m| self.bad_reply(m))?;
            let items = flat::encodings(reply.data, &reply.items, records)
                .map_err(|m| self.bad_reply(m))?;
            return Ok(items
                .into_iter()
                .zip(failures)
                .map(|(item, failure)| match (item, failure) {
                    (_, Some(message)) => Err(message),
                    (Some(bytes), None) => Ok(bytes),
                    (None, None) => Err("failed (no message)".into()),
                })
                .collect());
        }
        let batch = arena::encode(records);
        let Reply::Encoded(reply) = self.dispatch_on(held, Call::Encode(&batch)).await? else {
            return Err(self.mismatched());
        };
        let failures = self.one_per_record(
            reply.items.len(),
            reply.failures,
            records.len(),
            "encodings",
        )?;
        arena::check_spans_fit(reply.items.iter().flatten().copied(), reply.data.len())
            .map_err(|m| self.bad_reply(m))?;
        let data = Data::new(reply.data);
        reply
            .items
            .into_iter()
            .zip(failures)
            .map(|(item, failure)| match (item, failure) {
                (_, Some(message)) => Ok(Err(message)),
                (Some(span), None) => Ok(Ok(data.slice(span).map_err(|m| self.bad_reply(m))?)),
                (None, None) => Ok(Err("failed (no message)".into())),
            })
            .collect()
    }

    /// A formatter's header bytes (usually empty).
    pub async fn header(&self) -> Result<Bytes, CallError> {
        self.framing_on(None, Call::Header).await
    }

    /// A formatter's trailer bytes (usually empty).
    pub async fn trailer(&self) -> Result<Bytes, CallError> {
        self.framing_on(None, Call::Trailer).await
    }

    async fn framing_on(
        &self,
        held: Option<&mut Held>,
        call: Call<'_>,
    ) -> Result<Bytes, CallError> {
        self.expect_kind(PluginKind::Formatter)?;
        match self.dispatch_on(held, call).await? {
            Reply::Bytes(b) => Ok(Bytes::from(b)),
            _ => Err(self.mismatched()),
        }
    }

    /// An instance of this formatter of its own, for one object of a
    /// container format (see [`super::FORMAT_SCOPE_KEY`]): new and
    /// configured, never shared, dropped with the session.
    pub async fn session(self: &Arc<Self>) -> Result<FormatterSession, CallError> {
        self.expect_kind(PluginKind::Formatter)?;
        let held = match &self.engine {
            Engine::Wasm {
                plugin,
                sandbox,
                registry,
                log,
                ..
            } => Held::Wasm(Box::new(self.fresh(plugin, sandbox, registry, log).await?)),
            Engine::Native { plugin, .. } => Held::Native(
                plugin
                    .instantiate(&self.config)
                    .map_err(|m| self.bad_reply(format!("a new instance failed to start: {m}")))?,
            ),
        };
        Ok(FormatterSession {
            plugin: self.clone(),
            held,
        })
    }
}

/// An instance held by one [`FormatterSession`].
enum Held {
    /// Boxed: a Wasm instance with its bindings is some 250 bytes.
    Wasm(Box<Instance>),
    Native(NativeInstance),
}

/// A formatter instance held for one object: every call runs on it, so a
/// container format keeps its state (the file's schema, an open block or
/// row group) from the object's first record to its trailer. A call that
/// fails as a whole (a trap, a timeout) leaves the state unknown: the
/// object is then given up, not finished.
pub struct FormatterSession {
    plugin: Arc<ConfiguredPlugin>,
    held: Held,
}

impl FormatterSession {
    /// The formatter's name.
    pub fn name(&self) -> &str {
        self.plugin.name()
    }

    /// Encodes `records`, in order: each one's bytes, or its error (a
    /// record that fails leaves no trace in the object).
    pub async fn encode(
        &mut self,
        records: &[Record],
    ) -> Result<Vec<Result<Bytes, String>>, CallError> {
        self.plugin
            .encode_on(Some(&mut self.held), records, &[])
            .await
    }

    /// The bytes that open the object, after its first record's encoding.
    pub async fn header(&mut self) -> Result<Bytes, CallError> {
        self.plugin
            .framing_on(Some(&mut self.held), Call::Header)
            .await
    }

    /// The bytes that close the object.
    pub async fn trailer(&mut self) -> Result<Bytes, CallError> {
        self.plugin
            .framing_on(Some(&mut self.held), Call::Trailer)
            .await
    }
}

/// Puts a converter's result into `part` of `record`; a failed conversion
/// leaves the record as it was and returns the plugin's message.
pub fn apply_conversion(
    record: &mut Record,
    part: Part,
    conversion: Conversion,
) -> Result<(), String> {
    let (bytes, kind, schema) = match conversion {
        Conversion::Converted {
            bytes,
            kind,
            schema,
        } => (Some(bytes), kind, schema),
        Conversion::Null { schema } => (
            None,
            match part {
                Part::Key => record.key_kind,
                Part::Value => record.value_kind,
            },
            schema,
        ),
        Conversion::Failed(m) => return Err(m),
    };
    match part {
        Part::Key => (record.key, record.key_kind, record.key_schema) = (bytes, kind, schema),
        Part::Value => {
            (record.value, record.value_kind, record.value_schema) = (bytes, kind, schema)
        }
    }
    Ok(())
}

/// Groups a transform's outputs by their origin: one outcome per input.
fn outcomes(failures: Vec<Option<String>>, outputs: Vec<(u32, Record)>) -> Vec<TransformOutcome> {
    let mut outputs = outputs.into_iter().peekable();
    let mut outcomes = Vec::with_capacity(failures.len());
    for (i, failure) in failures.into_iter().enumerate() {
        let mut kept = Vec::new();
        while let Some((_, r)) = outputs.next_if(|(o, _)| *o as usize == i) {
            kept.push(r);
        }
        outcomes.push(match failure {
            Some(message) => TransformOutcome::Failed(message),
            None if kept.is_empty() => TransformOutcome::Dropped,
            None => TransformOutcome::Kept(kept),
        });
    }
    outcomes
}

/// A 0.1 transform knows no schemas: a key or value it gives back as it
/// came (same bytes, same kind) keeps its origin's schema; one it changed
/// has none.
fn keep_schemas(mut outputs: Vec<(u32, Record)>, inputs: &[Record]) -> Vec<(u32, Record)> {
    for (origin, r) in &mut outputs {
        let Some(input) = inputs.get(*origin as usize) else {
            continue;
        };
        if input.key_schema.is_some() && r.key == input.key && r.key_kind == input.key_kind {
            r.key_schema = input.key_schema.clone();
        }
        if input.value_schema.is_some()
            && r.value == input.value
            && r.value_kind == input.value_kind
        {
            r.value_schema = input.value_schema.clone();
        }
    }
    outputs
}

/// Longest failure message kept (it travels to logs, statuses and DLQ headers).
const MAX_FAILURE_MESSAGE: usize = 4096;

/// `message` cut to 4 KiB (`MAX_FAILURE_MESSAGE`) at a character boundary:
/// a failure's message travels to logs, statuses and dead letter headers.
pub fn bounded(mut message: String) -> String {
    if message.len() > MAX_FAILURE_MESSAGE {
        let mut end = MAX_FAILURE_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str("… (cut)");
    }
    message
}

/// Spreads failures over the inputs: the message of each failed input, cut
/// to [`MAX_FAILURE_MESSAGE`]. A reply may name each input once.
pub(super) fn failure_messages<F: Failure>(
    failures: Vec<F>,
    inputs: usize,
) -> Result<Vec<Option<String>>, String> {
    let mut out = vec![None; inputs];
    for f in failures {
        let (input, message) = f.parts();
        let slot = out
            .get_mut(input as usize)
            .ok_or_else(|| format!("a failure names input {input}, but the batch had {inputs}"))?;
        if slot.is_some() {
            return Err(format!("two failures name input {input}"));
        }
        *slot = Some(bounded(message));
    }
    Ok(out)
}

/// A reply's failure, of either contract version.
pub(super) trait Failure {
    fn parts(self) -> (u32, String);
}

impl Failure for types::Failure {
    fn parts(self) -> (u32, String) {
        (self.input, self.message)
    }
}

impl Failure for t2::Failure {
    fn parts(self) -> (u32, String) {
        (self.input, self.message)
    }
}

impl Failure for tt2::Failure {
    fn parts(self) -> (u32, String) {
        (self.input, self.message)
    }
}

/// A part as contract 0.2's converter world names it.
fn wire_part(part: Part) -> cv2::Part {
    match part {
        Part::Key => cv2::Part::Key,
        Part::Value => cv2::Part::Value,
    }
}

/// A borrowed batch parameter, again (its fields are references).
fn reborrow<'a>(b: &t2::Batch<'a>) -> t2::Batch<'a> {
    t2::Batch {
        data: b.data,
        records: b.records,
        headers: b.headers,
        schemas: b.schemas,
    }
}

/// The error for an export of another kind; unreachable after `expect_kind`.
fn wrong_kind() -> wasmtime::Error {
    wasmtime::format_err!("export of another plugin kind called")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_bytes_answer_is_read_or_refused_with_its_fault() {
        let cache = SchemaCache::new();
        let wire = |kind: u8, schema: &str| cv2::KeptBytes {
            value_kind: kind,
            schema: Some(schema.to_string()),
            null_schema: None,
        };
        let kept = KeptBytes::read(wire(1, r#"{"type":"string"}"#), &cache).unwrap();
        assert_eq!(kept.kind, ValueKind::Text);
        let value = Bytes::from_static(b"v");
        match kept.apply(Some(&value)) {
            Conversion::Converted {
                bytes,
                kind,
                schema,
            } => {
                assert_eq!(bytes.as_ptr(), value.as_ptr());
                assert_eq!(kind, ValueKind::Text);
                assert_eq!(schema.unwrap().text.as_ref(), r#"{"type":"string"}"#);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(kept.apply(None), Conversion::Null { schema: None });
        let bad_kind = KeptBytes::read(wire(3, r#"{"type":"string"}"#), &cache).unwrap_err();
        assert!(bad_kind.contains("keeps-bytes: value kind 3"), "{bad_kind}");
        let bad_schema = KeptBytes::read(wire(0, r#"{"type":"#), &cache).unwrap_err();
        assert!(bad_schema.contains("keeps-bytes: schema 1"), "{bad_schema}");
    }

    #[test]
    fn a_0_1_transform_keeps_the_schema_of_what_it_gave_back_unchanged() {
        let schema = Arc::new(Schema::parse(r#"{"type":"string","optional":true}"#).unwrap());
        let mut input = Record::new("t", Some(Bytes::from_static(br#""a""#)));
        input.value_kind = ValueKind::Json;
        input.value_schema = Some(schema.clone());
        input.key = Some(Bytes::from_static(b"k"));
        input.key_schema = Some(schema.clone());
        let inputs = vec![input.clone()];
        // The same bytes and kind (as a 0.1 plugin copies them back), a
        // changed value, and a changed kind.
        let mut same = input.clone();
        (same.key_schema, same.value_schema) = (None, None);
        let mut changed = same.clone();
        changed.value = Some(Bytes::from_static(br#""b""#));
        let mut rekinded = same.clone();
        rekinded.value_kind = ValueKind::Text;
        let out = keep_schemas(vec![(0, same), (0, changed), (0, rekinded)], &inputs);
        assert_eq!(out[0].1.value_schema, Some(schema.clone()));
        assert_eq!(out[0].1.key_schema, Some(schema.clone()));
        assert_eq!(
            out[1].1.value_schema, None,
            "a changed value loses its schema"
        );
        assert_eq!(out[1].1.key_schema, Some(schema), "its key is as it came");
        assert_eq!(out[2].1.value_schema, None, "a new kind loses the schema");
    }
}
