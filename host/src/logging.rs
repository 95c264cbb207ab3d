//! Logging: the `SLUICE_LOG` filter, changeable while the process runs, as
//! Connect's `/admin/loggers` changes log4j levels. A logger is a module
//! path (`sluice::sink::http`) or `root`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Registry, reload};

/// One logger's level and when the API last set it (ms since the epoch).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggerLevel {
    pub level: String,
    pub last_modified: Option<i64>,
}

struct Levels {
    handle: reload::Handle<EnvFilter, Registry>,
    /// `root` and every logger given a level, as filter directives.
    loggers: Mutex<BTreeMap<String, LoggerLevel>>,
}

static LEVELS: OnceLock<Levels> = OnceLock::new();

/// Installs the global subscriber: logs to stderr, filtered by `SLUICE_LOG`
/// (default `info`), with levels the API can change.
pub fn init() {
    let spec = std::env::var("SLUICE_LOG").unwrap_or_else(|_| "info".into());
    let filter = EnvFilter::try_new(&spec).unwrap_or_else(|_| EnvFilter::new("info"));
    let (filter, handle) = reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(|| Scrubbed(std::io::stderr()))
        .with_ansi(std::io::stderr().is_terminal());
    tracing_subscriber::registry().with(filter).with(fmt).init();
    let mut loggers = BTreeMap::new();
    for directive in spec.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let (name, level) = match directive.split_once('=') {
            Some((n, l)) => (n.to_string(), l.to_string()),
            None => ("root".to_string(), directive.to_string()),
        };
        loggers.insert(
            name,
            LoggerLevel {
                level: level.to_ascii_uppercase(),
                last_modified: None,
            },
        );
    }
    loggers.entry("root".into()).or_insert(LoggerLevel {
        level: "ERROR".into(),
        last_modified: None,
    });
    let _ = LEVELS.set(Levels {
        handle,
        loggers: Mutex::new(loggers),
    });
}

/// Standard error through [`crate::secrets::scrub`]: a value that came
/// from a config provider is written as its reference. The formatter hands
/// over one whole event per write.
struct Scrubbed(std::io::Stderr);

impl std::io::Write for Scrubbed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => {
                self.0.write_all(crate::secrets::scrub(text).as_bytes())?;
                Ok(buf.len())
            }
            Err(_) => self.0.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Most loggers the API may set levels for: each one is kept.
const MAX_LOGGERS: usize = 256;

/// Every logger with a level (`root` included); empty if logging was not
/// set up through [`init`].
pub fn levels() -> BTreeMap<String, LoggerLevel> {
    LEVELS
        .get()
        .map(|l| l.loggers.lock().unwrap_or_else(|p| p.into_inner()).clone())
        .unwrap_or_default()
}

/// Why a logger's level was not set.
#[derive(Debug, thiserror::Error)]
pub enum LevelError {
    #[error("invalid log level '{0}'.")]
    Level(String),
    #[error("invalid logger {0:?}: a module path such as sluice::sink::http, or root")]
    Logger(String),
    #[error("{MAX_LOGGERS} loggers have levels already: set a level on a parent logger instead")]
    TooMany,
    #[error("logging is not set up in this process")]
    NotSetUp,
    #[error("cannot apply the levels: {0}")]
    Filter(String),
}

/// Sets `logger`'s level (`ERROR` … `TRACE`, any case); returns the loggers
/// changed, or why not.
pub fn set(logger: &str, level: &str) -> Result<Vec<String>, LevelError> {
    let level = level.trim().to_ascii_uppercase();
    if !["ERROR", "WARN", "INFO", "DEBUG", "TRACE", "OFF"].contains(&level.as_str()) {
        return Err(LevelError::Level(level));
    }
    if logger.is_empty()
        || !logger
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        return Err(LevelError::Logger(logger.to_string()));
    }
    let levels = LEVELS.get().ok_or(LevelError::NotSetUp)?;
    let mut loggers = levels.loggers.lock().unwrap_or_else(|p| p.into_inner());
    if !loggers.contains_key(logger) && loggers.len() >= MAX_LOGGERS {
        return Err(LevelError::TooMany);
    }
    loggers.insert(
        logger.to_string(),
        LoggerLevel {
            level,
            last_modified: Some(chrono::Utc::now().timestamp_millis()),
        },
    );
    let spec: Vec<String> = loggers
        .iter()
        .map(|(name, l)| {
            let level = l.level.to_ascii_lowercase();
            if name == "root" {
                level
            } else {
                format!("{name}={level}")
            }
        })
        .collect();
    let filter =
        EnvFilter::try_new(spec.join(",")).map_err(|e| LevelError::Filter(e.to_string()))?;
    levels
        .handle
        .reload(filter)
        .map_err(|e| LevelError::Filter(e.to_string()))?;
    Ok(vec![logger.to_string()])
}
