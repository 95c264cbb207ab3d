//! What a plugin may reach beyond its default sandbox. By default a plugin
//! gets clocks and random numbers and nothing else: no files, no
//! environment, no network. The manifest (or `sluice plugin test --env/--dir`)
//! grants more, one variable or directory at a time.

use std::path::PathBuf;

/// Environment variables and directories given to a plugin's instances.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// Environment variables the plugin sees, as name and value.
    pub env: Vec<(String, String)>,
    /// Host directories the plugin sees, read-only.
    pub dirs: Vec<DirGrant>,
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
