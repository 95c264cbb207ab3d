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

/// Kafka Connect's logger names, each with the Sluice modules that do the
/// work its classes do in Connect. Setting a level on one of these names (or
/// on a name under one, such as `io.confluent.connect.http.HttpSinkTask`)
/// sets it on those modules too, so a runbook's
/// `PUT /admin/loggers/org.apache.kafka.connect {"level":"DEBUG"}` does on
/// Sluice what it does on Connect. Longest prefix wins.
pub const CONNECT_LOGGERS: &[(&str, &[&str])] = &[
    ("org.apache.kafka", &["sluice"]),
    ("org.apache.kafka.connect", &["sluice"]),
    (
        "org.apache.kafka.connect.runtime",
        &[
            "sluice::worker",
            "sluice::connector",
            "sluice::pipeline",
            "sluice::source",
        ],
    ),
    // The task loop: consuming, batching, delivering, committing offsets.
    (
        "org.apache.kafka.connect.runtime.WorkerSinkTask",
        &["sluice::connector", "sluice::pipeline", "sluice::source"],
    ),
    (
        "org.apache.kafka.connect.runtime.Worker",
        &["sluice::worker"],
    ),
    // Group membership, the config log, task assignment.
    (
        "org.apache.kafka.connect.runtime.distributed",
        &["sluice::worker"],
    ),
    (
        "org.apache.kafka.connect.runtime.standalone",
        &["sluice::worker"],
    ),
    ("org.apache.kafka.connect.runtime.rest", &["sluice::api"]),
    // errors.tolerance, the error log and the dead letter queue.
    (
        "org.apache.kafka.connect.runtime.errors",
        &["sluice::errors"],
    ),
    // Plugin loading: Wasm components here.
    (
        "org.apache.kafka.connect.runtime.isolation",
        &["sluice::plugin"],
    ),
    // Config, status and offset topics.
    ("org.apache.kafka.connect.storage", &["sluice::worker"]),
    // Converters and transforms run as plugins.
    ("org.apache.kafka.connect.json", &["sluice::plugin"]),
    ("org.apache.kafka.connect.transforms", &["sluice::plugin"]),
    // Kafka clients: librdkafka, driven by these modules.
    (
        "org.apache.kafka.clients",
        &["sluice::source", "sluice::produce", "sluice::kafka"],
    ),
    ("org.apache.kafka.clients.consumer", &["sluice::source"]),
    ("org.apache.kafka.clients.producer", &["sluice::produce"]),
    ("io.confluent.connect.http", &["sluice::sink::http"]),
    ("io.aiven.kafka.connect.http", &["sluice::sink::http"]),
    ("io.confluent.connect.s3", &["sluice::sink::s3"]),
    ("io.confluent.connect.storage", &["sluice::sink::s3"]),
];

/// Whether `name` is a Kafka Connect (Java) logger name rather than a
/// module path: Java names have dots, module paths never do.
fn is_connect_name(name: &str) -> bool {
    name.contains('.')
}

/// Whether logger `name` is `parent` or one of its children
/// (`org.apache.kafka` ⊃ `org.apache.kafka.connect`, `sluice` ⊃ `sluice::sink`).
fn is_under(name: &str, parent: &str) -> bool {
    if parent == ROOT {
        return true;
    }
    let sep = if is_connect_name(parent) { "." } else { "::" };
    name == parent
        || name
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with(sep))
}

/// The Sluice modules Connect logger `name` stands for: those of the
/// longest [`CONNECT_LOGGERS`] name it is under; none if it is under none.
pub fn modules_of(name: &str) -> &'static [&'static str] {
    CONNECT_LOGGERS
        .iter()
        .filter(|(connect, _)| is_under(name, connect))
        .max_by_key(|(connect, _)| connect.len())
        .map_or(&[], |(_, modules)| modules)
}

const ROOT: &str = "root";

/// Every logger with a level (`root` included), and Connect's logger names
/// that Sluice maps with their effective level; empty if logging was not
/// set up through [`init`].
pub fn levels() -> BTreeMap<String, LoggerLevel> {
    let Some(levels) = LEVELS.get() else {
        return BTreeMap::new();
    };
    let mut all = levels
        .loggers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    for (connect, _) in CONNECT_LOGGERS {
        if !all.contains_key(*connect) {
            let level = effective(&all, connect);
            all.insert((*connect).to_string(), level);
        }
    }
    all
}

/// Logger `name`'s level: its own, else its nearest ancestor's, else
/// `root`'s; `None` for a logger that neither has a level nor is one of
/// Connect's names Sluice maps.
pub fn level(name: &str) -> Option<LoggerLevel> {
    let name = if name.eq_ignore_ascii_case(ROOT) {
        ROOT
    } else {
        name
    };
    levels().remove(name)
}

/// The level `name` gets from its nearest ancestor with one.
fn effective(loggers: &BTreeMap<String, LoggerLevel>, name: &str) -> LoggerLevel {
    let level = loggers
        .iter()
        .filter(|(n, _)| n.as_str() != ROOT && is_under(name, n))
        .max_by_key(|(n, _)| n.len())
        .or_else(|| loggers.get_key_value(ROOT))
        .map_or_else(|| "INFO".to_string(), |(_, l)| l.level.clone());
    LoggerLevel {
        level,
        last_modified: None,
    }
}

/// Why a logger's level was not set.
#[derive(Debug, thiserror::Error)]
pub enum LevelError {
    #[error("invalid log level '{0}'.")]
    Level(String),
    #[error(
        "invalid logger {0:?}: a module path such as sluice::sink::http, a Kafka Connect logger name such as org.apache.kafka.connect.runtime.WorkerSinkTask, or root"
    )]
    Logger(String),
    #[error("{MAX_LOGGERS} loggers have levels already: set a level on a parent logger instead")]
    TooMany,
    #[error("logging is not set up in this process")]
    NotSetUp,
    #[error("cannot apply the levels: {0}")]
    Filter(String),
}

/// Whether `level` (`ERROR` … `TRACE`, `OFF`, `FATAL`, `ALL`, any case) may
/// be set on `logger` (a module path, a Connect logger name or `root`);
/// the logger and level as [`set`] takes them.
pub fn check<'a>(logger: &'a str, level: &str) -> Result<(&'a str, String), LevelError> {
    let level = level.trim().to_ascii_uppercase();
    if directive_level(&level).is_none() {
        return Err(LevelError::Level(level));
    }
    let logger = if logger.eq_ignore_ascii_case(ROOT) || logger.is_empty() {
        ROOT
    } else {
        logger
    };
    let valid_char = |c: char| {
        c.is_ascii_alphanumeric()
            || c == '_'
            || if is_connect_name(logger) {
                c == '.' || c == '$' || c == '-'
            } else {
                c == ':'
            }
    };
    if logger.len() > 255 || !logger.chars().all(valid_char) {
        return Err(LevelError::Logger(logger.to_string()));
    }
    Ok((logger, level))
}

/// Sets the level of `logger` and of every logger under it, as Connect sets
/// a namespace and its children: `ERROR` … `TRACE`, `OFF` (and log4j's
/// `FATAL`, `ALL`), any case. A Connect logger name sets the Sluice modules
/// [`CONNECT_LOGGERS`] maps it to as well. Returns the loggers whose level
/// changed, sorted, or why nothing was set.
pub fn set(logger: &str, level: &str) -> Result<Vec<String>, LevelError> {
    let (logger, level) = check(logger, level)?;
    let levels = LEVELS.get().ok_or(LevelError::NotSetUp)?;
    let mut loggers = levels.loggers.lock().unwrap_or_else(|p| p.into_inner());
    // The logger, the modules it stands for, and every logger under either.
    let mut heads = vec![logger];
    heads.extend(modules_of(logger));
    let mut affected: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    for name in loggers.keys() {
        if heads.iter().any(|h| is_under(name, h)) {
            affected.push(name.clone());
        }
    }
    affected.sort();
    affected.dedup();
    let new = affected
        .iter()
        .filter(|n| !loggers.contains_key(*n))
        .count();
    if new > 0 && loggers.len() + new > MAX_LOGGERS {
        return Err(LevelError::TooMany);
    }
    let now = chrono::Utc::now().timestamp_millis();
    let mut changed = Vec::new();
    for name in affected {
        if loggers.get(&name).is_some_and(|l| l.level == level) {
            continue;
        }
        loggers.insert(
            name.clone(),
            LoggerLevel {
                level: level.clone(),
                last_modified: Some(now),
            },
        );
        changed.push(name);
    }
    if is_connect_name(logger) && modules_of(logger).is_empty() {
        tracing::warn!(
            logger,
            "no Sluice module does what this Kafka Connect logger's classes do; its level is kept and changes nothing"
        );
    }
    // Connect's names are not module paths: the modules they stand for were set above.
    let spec: Vec<String> = loggers
        .iter()
        .filter(|(name, _)| !is_connect_name(name))
        .filter_map(|(name, l)| {
            let level = directive_level(&l.level)?;
            Some(if name == ROOT {
                level.to_string()
            } else {
                format!("{name}={level}")
            })
        })
        .collect();
    let filter =
        EnvFilter::try_new(spec.join(",")).map_err(|e| LevelError::Filter(e.to_string()))?;
    levels
        .handle
        .reload(filter)
        .map_err(|e| LevelError::Filter(e.to_string()))?;
    Ok(changed)
}

/// The filter directive's level for a log4j level name.
fn directive_level(level: &str) -> Option<&'static str> {
    Some(match level {
        "OFF" => "off",
        "FATAL" | "ERROR" => "error",
        "WARN" => "warn",
        "INFO" => "info",
        "DEBUG" => "debug",
        "TRACE" | "ALL" => "trace",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_names_map_to_the_modules_of_their_longest_prefix() {
        assert_eq!(
            modules_of("org.apache.kafka.connect.runtime.WorkerSinkTask"),
            ["sluice::connector", "sluice::pipeline", "sluice::source"]
        );
        assert_eq!(
            modules_of("io.confluent.connect.http.HttpSinkTask"),
            ["sluice::sink::http"]
        );
        assert_eq!(modules_of("org.apache.kafka.connect"), ["sluice"]);
        // A prefix counts only at a dot.
        assert_eq!(
            modules_of("org.apache.kafka.connect.runtime.WorkerSinkTaskContext"),
            modules_of("org.apache.kafka.connect.runtime")
        );
        assert!(modules_of("com.example.MyConnector").is_empty());
    }

    #[test]
    fn children_are_found_by_whole_segments() {
        assert!(is_under("sluice::sink::http", "sluice::sink"));
        assert!(!is_under("sluice::sinks", "sluice::sink"));
        assert!(is_under(
            "org.apache.kafka.connect.json",
            "org.apache.kafka"
        ));
        assert!(!is_under("org.apache.kafkaesque", "org.apache.kafka"));
        assert!(is_under("anything", ROOT));
    }

    #[test]
    fn an_unset_logger_has_its_nearest_ancestors_level() {
        let mut loggers = BTreeMap::new();
        let l = |level: &str| LoggerLevel {
            level: level.into(),
            last_modified: None,
        };
        loggers.insert(ROOT.to_string(), l("WARN"));
        loggers.insert("org.apache.kafka.connect".to_string(), l("DEBUG"));
        assert_eq!(
            effective(&loggers, "org.apache.kafka.connect.runtime").level,
            "DEBUG"
        );
        assert_eq!(effective(&loggers, "io.confluent.connect.s3").level, "WARN");
    }
}
