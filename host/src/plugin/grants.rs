//! What a plugin may reach beyond its default sandbox. By default a plugin
//! gets clocks and random numbers and nothing else: no files, no
//! environment, no network. The manifest (or `sluice plugin test --env/--dir`)
//! grants more, one variable or directory at a time, and host capabilities
//! (contract 0.2 imports such as `schema-registry`) by name: a plugin that
//! imports a capability it was not granted is refused when it starts.

use std::path::PathBuf;

use super::registry::RegistryConfig;

/// A host capability: an interface of contract 0.2 the host implements for
/// the plugins granted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// `sluice:plugin/schema-registry`: a Confluent-compatible schema
    /// registry, reached and cached by the host.
    SchemaRegistry,
}

impl Capability {
    /// Every capability, as the manifest lists them.
    pub const ALL: [Capability; 1] = [Capability::SchemaRegistry];

    /// The name the manifest's `capabilities` uses.
    pub fn name(self) -> &'static str {
        match self {
            Capability::SchemaRegistry => "schema-registry",
        }
    }

    /// The capability of a manifest name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The capability a component import names (any contract version).
    pub fn of_import(import: &str) -> Option<Self> {
        let rest = import.strip_prefix("sluice:plugin/")?;
        let interface = rest.split_once('@').map_or(rest, |(i, _)| i);
        Self::parse(interface)
    }
}

/// Environment variables, directories and capabilities given to a plugin's
/// instances.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// Environment variables the plugin sees, as name and value.
    pub env: Vec<(String, String)>,
    /// Host directories the plugin sees, read-only.
    pub dirs: Vec<DirGrant>,
    /// The `schema-registry` capability, with the registry it reaches.
    pub registry: Option<RegistryConfig>,
}

impl Grants {
    /// Whether `capability` is granted.
    pub fn grants(&self, capability: Capability) -> bool {
        match capability {
            Capability::SchemaRegistry => self.registry.is_some(),
        }
    }
}

/// A host directory opened read-only for a plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirGrant {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the plugin sees it, e.g. `/data`.
    pub guest: String,
}

/// Limits and grants: everything about an instance's sandbox.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sandbox {
    pub limits: super::Limits,
    pub grants: Grants,
}

impl From<super::Limits> for Sandbox {
    fn from(limits: super::Limits) -> Self {
        Sandbox {
            limits,
            grants: Grants::default(),
        }
    }
}
