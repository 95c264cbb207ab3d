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

fn too_big(url: &str) -> String {
    format!(
        "{url}: the plugin is larger than {} MiB; nothing was cached or run",
        MAX_PLUGIN_BYTES >> 20
    )
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
pub async fn fetch(url: &str, name: &str, sha256: &str, dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join(sha256).join(format!("{name}.wasm"));
    if let Ok(bytes) = std::fs::read(&path) {
        let got = sha256_hex(&bytes);
        if got == sha256 {
            return Ok(path);
        }
        return Err(format!(
            "{url}: the cached copy {} has SHA-256 {got}, not the manifest's {sha256}: delete it to download the plugin again",
            path.display()
        ));
    }
    let bytes = tokio::time::timeout(DOWNLOAD_TIMEOUT, download(url))
        .await
        .map_err(|_| format!("{url}: the download took over {DOWNLOAD_TIMEOUT:?}"))??;
    let got = sha256_hex(&bytes);
    if got != sha256 {
        return Err(format!(
            "{url}: SHA-256 mismatch: the manifest says {sha256}, the downloaded file ({} bytes) has {got}; nothing was cached or run",
            bytes.len()
        ));
    }
    let parent = path.parent().unwrap_or(dir);
    crate::plugin::private_dir(parent).map_err(|e| e.to_string())?;
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
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            format!("{}: cannot cache the download: {e}", path.display())
        })?;
    tracing::info!(%url, path = %path.display(), bytes = bytes.len(), "plugin downloaded and verified");
    Ok(path)
}

async fn download(url: &str) -> Result<Vec<u8>, String> {
    match url.strip_prefix("s3://") {
        Some(rest) => from_s3(url, rest).await,
        None => from_http(url).await,
    }
}

async fn from_http(url: &str) -> Result<Vec<u8>, String> {
    let mut response = reqwest::get(url)
        .await
        .map_err(|e| format!("{url}: cannot download the plugin: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url}: the server answered {status}"));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_PLUGIN_BYTES)
    {
        return Err(too_big(url));
    }
    // Streamed with a cap: a server that sends without end is cut off.
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("{url}: the download broke off: {}", e.without_url()))?
    {
        if body.len() as u64 + chunk.len() as u64 > MAX_PLUGIN_BYTES {
            return Err(too_big(url));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `rest` is `bucket/key`. Credentials and region come from the standard AWS
/// chain; `$AWS_ENDPOINT_URL` points at an S3-compatible store, addressed
/// path-style.
async fn from_s3(url: &str, rest: &str) -> Result<Vec<u8>, String> {
    let (bucket, key) = rest
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| format!("{url}: expected s3://BUCKET/KEY"))?;
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
            format!(
                "{url}: cannot download the plugin: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        })?;
    if object
        .content_length()
        .is_some_and(|n| n as u64 > MAX_PLUGIN_BYTES)
    {
        return Err(too_big(url));
    }
    let mut stream = object.body;
    let mut body = Vec::new();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|e| format!("{url}: the download broke off: {e}"))?
    {
        if body.len() as u64 + chunk.len() as u64 > MAX_PLUGIN_BYTES {
            return Err(too_big(url));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
