//! Plugins given by URL (`s3://bucket/key.wasm`, `https://…`): downloaded
//! once into the cache, one directory per SHA-256, and used only when the
//! bytes have the digest the manifest pins. A cached copy is hashed again on
//! every start, so a file changed in the cache is refused, not run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// How long one download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Largest plugin downloaded: far above the largest components (a Python
/// one is about 40 MB), far below what would exhaust the host.
pub const MAX_PLUGIN_BYTES: u64 = 256 << 20;

/// Why a plugin given by URL could not be used; the message names the URL.
#[derive(Debug, thiserror::Error)]
#[error("{url}: {problem}")]
pub struct DownloadError {
    pub url: String,
    pub problem: DownloadProblem,
}

/// What went wrong with the download.
#[derive(Debug, thiserror::Error)]
pub enum DownloadProblem {
    #[error(
        "the cached copy {} has SHA-256 {got}, not the manifest's {want}: delete it to download the plugin again",
        path.display()
    )]
    CachedChanged {
        path: PathBuf,
        got: String,
        want: String,
    },
    #[error("the download took over {DOWNLOAD_TIMEOUT:?}")]
    Timeout,
    #[error(
        "SHA-256 mismatch: the manifest says {want}, the downloaded file ({bytes} bytes) has {got}; nothing was cached or run"
    )]
    Digest {
        want: String,
        got: String,
        bytes: usize,
    },
    #[error("cannot cache the download in {}: {error}", path.display())]
    Cache {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0}")]
    CacheDir(crate::plugin::PrivateDirError),
    #[error("cannot download the plugin: {0}")]
    Request(String),
    #[error("the server answered {0}")]
    Status(reqwest::StatusCode),
    #[error("the plugin is larger than {} MiB; nothing was cached or run", MAX_PLUGIN_BYTES >> 20)]
    TooBig,
    #[error("the download broke off: {0}")]
    BrokeOff(String),
    #[error("expected s3://BUCKET/KEY")]
    S3Url,
}

/// The SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The local file of the plugin at `url` with digest `sha256`: the cached
/// copy under `dir`, else a fresh download, verified before it is cached.
pub async fn fetch(
    url: &str,
    name: &str,
    sha256: &str,
    dir: &Path,
) -> Result<PathBuf, DownloadError> {
    let failed = |problem| DownloadError {
        url: url.to_string(),
        problem,
    };
    let path = dir.join(sha256).join(format!("{name}.wasm"));
    if let Ok(bytes) = std::fs::read(&path) {
        let got = sha256_hex(&bytes);
        if got == sha256 {
            return Ok(path);
        }
        return Err(failed(DownloadProblem::CachedChanged {
            path,
            got,
            want: sha256.to_string(),
        }));
    }
    let bytes = tokio::time::timeout(DOWNLOAD_TIMEOUT, download(url))
        .await
        .map_err(|_| failed(DownloadProblem::Timeout))?
        .map_err(failed)?;
    let got = sha256_hex(&bytes);
    if got != sha256 {
        return Err(failed(DownloadProblem::Digest {
            want: sha256.to_string(),
            got,
            bytes: bytes.len(),
        }));
    }
    let parent = path.parent().unwrap_or(dir);
    crate::plugin::private_dir(parent).map_err(|e| failed(DownloadProblem::CacheDir(e)))?;
    let partial = path.with_extension(format!("wasm.partial{}", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let written = {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&partial)
            .and_then(|mut f| f.write_all(&bytes).and_then(|()| f.sync_all()))
    };
    written
        .and_then(|()| std::fs::rename(&partial, &path))
        .map_err(|error| {
            let _ = std::fs::remove_file(&partial);
            failed(DownloadProblem::Cache {
                path: path.clone(),
                error,
            })
        })?;
    tracing::info!(%url, path = %path.display(), bytes = bytes.len(), "plugin downloaded and verified");
    Ok(path)
}

async fn download(url: &str) -> Result<Vec<u8>, DownloadProblem> {
    match url.strip_prefix("s3://") {
        Some(rest) => from_s3(rest).await,
        None => from_http(url).await,
    }
}

async fn from_http(url: &str) -> Result<Vec<u8>, DownloadProblem> {
    let mut response = reqwest::get(url)
        .await
        .map_err(|e| DownloadProblem::Request(e.without_url().to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(DownloadProblem::Status(status));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_PLUGIN_BYTES)
    {
        return Err(DownloadProblem::TooBig);
    }
    // Streamed with a cap: a server that sends without end is cut off.
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| DownloadProblem::BrokeOff(e.without_url().to_string()))?
    {
        if body.len() as u64 + chunk.len() as u64 > MAX_PLUGIN_BYTES {
            return Err(DownloadProblem::TooBig);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `rest` is `bucket/key`. Credentials and region come from the standard AWS
/// chain; `$AWS_ENDPOINT_URL` points at an S3-compatible store, addressed
/// path-style.
async fn from_s3(rest: &str) -> Result<Vec<u8>, DownloadProblem> {
    let (bucket, key) = rest
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or(DownloadProblem::S3Url)?;
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let mut config = aws_sdk_s3::config::Builder::from(&shared);
    if shared.endpoint_url().is_some() {
        config = config.force_path_style(true);
    }
    let client = aws_sdk_s3::Client::from_conf(config.build());
    let object = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            DownloadProblem::Request(aws_sdk_s3::error::DisplayErrorContext(e).to_string())
        })?;
    if object
        .content_length()
        .is_some_and(|n| n as u64 > MAX_PLUGIN_BYTES)
    {
        return Err(DownloadProblem::TooBig);
    }
    let mut stream = object.body;
    let mut body = Vec::new();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|e| DownloadProblem::BrokeOff(e.to_string()))?
    {
        if body.len() as u64 + chunk.len() as u64 > MAX_PLUGIN_BYTES {
            return Err(DownloadProblem::TooBig);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
