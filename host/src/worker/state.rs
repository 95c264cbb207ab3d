//! A connector's states: the one asked for and the one it is in, in
//! Connect's words.

use std::path::PathBuf;

/// Where a connector was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A `[[connectors]]` section of this manifest: changed by editing it.
    Manifest(PathBuf),
    /// Created through the REST API.
    Api,
}

/// The state a connector is asked to be in (Connect's target state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    Running,
    Paused,
    Stopped,
}

impl TargetState {
    /// Connect's name of the state.
    pub fn name(&self) -> &'static str {
        match self {
            TargetState::Running => "RUNNING",
            TargetState::Paused => "PAUSED",
            TargetState::Stopped => "STOPPED",
        }
    }

    /// Reads Connect's `initial_state` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "RUNNING" => Some(TargetState::Running),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }
}

/// The state a connector is in, as Connect's status endpoints show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorState {
    Unassigned,
    Running,
    Paused,
    Stopped,
    /// With the error that stopped it.
    Failed(String),
}

impl ConnectorState {
    /// Connect's name of the state.
    pub fn name(&self) -> &'static str {
        match self {
            ConnectorState::Unassigned => "UNASSIGNED",
            ConnectorState::Running => "RUNNING",
            ConnectorState::Paused => "PAUSED",
            ConnectorState::Stopped => "STOPPED",
            ConnectorState::Failed(_) => "FAILED",
        }
    }

    /// The error of a failed connector.
    pub fn trace(&self) -> Option<&str> {
        match self {
            ConnectorState::Failed(e) => Some(e),
            _ => None,
        }
    }
}
