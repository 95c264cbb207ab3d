//! Logging into the host's log, tagged with the plugin's name.
//!
//! On wasm the lines go to the host; in native builds (unit tests, the
//! benchmark's native baseline) they go to standard error.

/// How important a log line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// Logs `message` at `level`.
pub fn log(level: Level, message: &str) {
    #[cfg(all(target_family = "wasm", not(feature = "contract-0-1")))]
    crate::glue::log(level, message);
    #[cfg(all(target_family = "wasm", feature = "contract-0-1"))]
    crate::v0_1::glue::log(level, message);
    #[cfg(not(target_family = "wasm"))]
    eprintln!("[{level:?}] {message}");
}

/// Logs at debug level.
pub fn debug(message: &str) {
    log(Level::Debug, message)
}

/// Logs at info level.
pub fn info(message: &str) {
    log(Level::Info, message)
}

/// Logs at warn level.
pub fn warn(message: &str) {
    log(Level::Warn, message)
}

/// Logs at error level.
pub fn error(message: &str) {
    log(Level::Error, message)
}
