//! Java key and trust stores, as Kafka Connect users hold their TLS
//! material: JKS and PKCS#12 files (and PEM), read into what the HTTP
//! client and librdkafka take: certificates to trust, and a client
//! certificate chain with its private key. The format is recognised from the file's first bytes, as
//! Java's own `KeyStore` does in its compatibility mode, so a PKCS#12 file
//! declared `JKS` (keytool's default since Java 9) still loads.

use std::collections::BTreeMap;
use std::path::Path;

/// A store file and how to open it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StoreSpec {
    pub location: String,
    /// The store's password: its integrity check, and the key's password
    /// unless one of its own is given. Never logged.
    pub password: Option<String>,
}

impl std::fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreSpec({}, ***)", self.location)
    }
}

/// A client identity: the certificate chain (leaf first) and the private
/// key, all DER (the key as PKCS#8).
pub struct Identity {
    pub chain: Vec<Vec<u8>>,
    pub key: Vec<u8>,
}

/// Why a store could not be used; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Read(String),
    #[error("{location}: not a JKS, PKCS#12 or PEM store")]
    Unknown { location: String },
    #[error("{location}: a JKS store needs its password (…store.password) to be checked")]
    NoPassword { location: String },
    #[error("{location}: cannot open the store (wrong password or damaged file): {message}")]
    Open { location: String, message: String },
    #[error("{location}: {message}")]
    Unusable { location: String, message: String },
    #[error("{location}: the store holds no {what}")]
    Empty {
        location: String,
        what: &'static str,
    },
}

enum Format {
    Jks,
    Pkcs12,
    Pem,
}

fn read(store: &StoreSpec) -> Result<(Vec<u8>, Format), StoreError> {
    let data = crate::files::read_small(Path::new(&store.location))
        .map_err(|e| StoreError::Read(e.to_string()))?;
    let format = if data.starts_with(&[0xFE, 0xED, 0xFE, 0xED]) {
        Format::Jks
    } else if data.first() == Some(&0x30) {
        Format::Pkcs12
    } else if data.trim_ascii_start().starts_with(b"-----BEGIN") {
        Format::Pem
    } else {
        return Err(StoreError::Unknown {
            location: store.location.clone(),
        });
    };
    Ok((data, format))
}

fn open_jks(store: &StoreSpec, data: &[u8]) -> Result<jks::KeyStore, StoreError> {
    let password = store.password.as_deref().ok_or(StoreError::NoPassword {
        location: store.location.clone(),
    })?;
    let mut ks = jks::KeyStore::new();
    ks.load(data, password.as_bytes())
        .map_err(|e| StoreError::Open {
            location: store.location.clone(),
            message: e.to_string(),
        })?;
    Ok(ks)
}

fn open_pkcs12(
    store: &StoreSpec,
    data: &[u8],
    policy: p12_keystore::Pkcs12ImportPolicy,
) -> Result<p12_keystore::KeyStore, StoreError> {
    p12_keystore::KeyStore::from_pkcs12(data, store.password.as_deref().unwrap_or(""), policy)
        .map_err(|e| StoreError::Open {
            location: store.location.clone(),
            message: e.to_string(),
        })
}

/// The certificates a trust store holds, DER; a PEM store is returned as
/// one PEM text instead.
pub fn trusted(store: &StoreSpec) -> Result<Trusted, StoreError> {
    let (data, format) = read(store)?;
    let certs: Vec<Vec<u8>> = match format {
        Format::Pem => return Ok(Trusted::Pem(data)),
        Format::Jks => {
            let ks = open_jks(store, &data)?;
            ks.aliases()
                .iter()
                .filter_map(|a| ks.get_trusted_certificate_entry(a).ok())
                .map(|e| e.certificate.content)
                .collect()
        }
        Format::Pkcs12 => {
            // Relaxed: a trust store made by openssl has certificates
            // without Java's "trusted" attribute.
            let ks = open_pkcs12(store, &data, p12_keystore::Pkcs12ImportPolicy::Relaxed)?;
            ks.entries()
                .flat_map(|(_, e)| match e {
                    p12_keystore::KeyStoreEntry::Certificate(c) => vec![c.as_der().to_vec()],
                    p12_keystore::KeyStoreEntry::PrivateKeyChain(k) => {
                        k.certs().iter().map(|c| c.as_der().to_vec()).collect()
                    }
                    _ => Vec::new(),
                })
                .collect()
        }
    };
    if certs.is_empty() {
        return Err(StoreError::Empty {
            location: store.location.clone(),
            what: "certificate",
        });
    }
    Ok(Trusted::Der(certs))
}

/// What a trust store gave.
pub enum Trusted {
    Der(Vec<Vec<u8>>),
    Pem(Vec<u8>),
}

/// The client identity a key store holds: its first private key entry (by
/// alias) with its chain; `key_password` opens the key when it has its own.
/// A PEM store is returned as one PEM text (chain and key).
pub fn identity(store: &StoreSpec, key_password: Option<&str>) -> Result<Key, StoreError> {
    let (data, format) = read(store)?;
    let empty = || StoreError::Empty {
        location: store.location.clone(),
        what: "private key entry",
    };
    match format {
        Format::Pem => Ok(Key::Pem(data)),
        Format::Jks => {
            let ks = open_jks(store, &data)?;
            let password = key_password.or(store.password.as_deref()).unwrap_or("");
            let mut aliases = ks.aliases();
            aliases.sort();
            let alias = aliases
                .into_iter()
                .find(|a| ks.is_private_key_entry(a))
                .ok_or_else(empty)?;
            let entry = ks
                .get_private_key_entry(&alias, password.as_bytes())
                .map_err(|e| StoreError::Open {
                    location: store.location.clone(),
                    message: format!("the key {alias:?}: {e}"),
                })?;
            Ok(Key::Der(Identity {
                chain: entry
                    .certificate_chain
                    .into_iter()
                    .map(|c| c.content)
                    .collect(),
                key: entry.private_key,
            }))
        }
        Format::Pkcs12 => {
            let ks = open_pkcs12(store, &data, p12_keystore::Pkcs12ImportPolicy::Strict)?;
            let (_, chain) = ks.private_key_chain().ok_or_else(empty)?;
            Ok(Key::Der(Identity {
                chain: chain.certs().iter().map(|c| c.as_der().to_vec()).collect(),
                key: chain.key().as_der().to_vec(),
            }))
        }
    }
}

/// What a key store gave.
pub enum Key {
    Der(Identity),
    Pem(Vec<u8>),
}

impl Identity {
    /// The chain and key as one PEM text, as the TLS client takes them.
    pub fn to_pem(&self) -> Vec<u8> {
        let mut out = String::new();
        for cert in &self.chain {
            out.push_str(&pem("CERTIFICATE", cert));
        }
        out.push_str(&pem("PRIVATE KEY", &self.key));
        out.into_bytes()
    }
}

/// One PEM block (RFC 7468): the DER in base64, 64 characters a line.
fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The certificates a trust store holds, as the HTTP client trusts them.
pub fn root_certificates(store: &StoreSpec) -> Result<Vec<reqwest::Certificate>, StoreError> {
    match trusted(store)? {
        Trusted::Der(ders) => ders
            .iter()
            .map(|d| reqwest::Certificate::from_der(d))
            .collect::<Result<Vec<_>, _>>(),
        Trusted::Pem(pem) => reqwest::Certificate::from_pem_bundle(&pem),
    }
    .map_err(|e| StoreError::Unusable {
        location: store.location.clone(),
        message: format!("its certificates cannot be used: {e}"),
    })
}

/// The client certificate and key a key store holds, as the HTTP client
/// presents them; `key_password` opens the key when it has its own.
pub fn client_identity(
    store: &StoreSpec,
    key_password: Option<&str>,
) -> Result<reqwest::Identity, StoreError> {
    let pem = match identity(store, key_password)? {
        Key::Der(identity) => identity.to_pem(),
        Key::Pem(pem) => pem,
    };
    reqwest::Identity::from_pem(&pem).map_err(|e| StoreError::Unusable {
        location: store.location.clone(),
        message: format!("the client certificate and key cannot be used: {e}"),
    })
}

/// The store types Java's clients name (`ssl.truststore.type`,
/// `ssl.keystore.type`); the file's first bytes decide, as above.
pub const STORE_TYPES: [&str; 3] = ["JKS", "PKCS12", "PEM"];

/// Checks a `…store.type` value: one of [`STORE_TYPES`], in any case.
pub fn check_type(given: &str) -> Result<(), String> {
    if STORE_TYPES.contains(&given.trim().to_ascii_uppercase().as_str()) {
        Ok(())
    } else {
        Err(format!(
            "{given:?} is not a store type Sluice reads: JKS, PKCS12 or PEM"
        ))
    }
}

/// A Kafka client's Java store properties (`ssl.truststore.*`,
/// `ssl.keystore.*`), which librdkafka does not have, replaced by the ones
/// it has: the trusted certificates in `ssl.ca.pem` (or `ssl.ca.location`
/// for a PEM file), the client's chain and key in `ssl.certificate.pem` and
/// `ssl.key.pem` (or both `.location`s for a PEM file). The files are read
/// now, so a wrong password or a missing file is reported before a
/// consumer starts. The problems, each under the property it concerns.
pub fn kafka_properties(props: &mut BTreeMap<String, String>) -> Result<(), Vec<(String, String)>> {
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut take = |k: &str| props.remove(k);
    let trust = (
        take("ssl.truststore.location"),
        take("ssl.truststore.password"),
        take("ssl.truststore.type"),
    );
    let keys = (
        take("ssl.keystore.location"),
        take("ssl.keystore.password"),
        take("ssl.keystore.type"),
    );
    for (key, given) in [
        ("ssl.truststore.type", &trust.2),
        ("ssl.keystore.type", &keys.2),
    ] {
        if let Some(Err(why)) = given.as_deref().map(check_type) {
            problems.push((key.into(), why));
        }
    }
    if let (Some(location), password, _) = trust {
        if props.contains_key("ssl.ca.location") || props.contains_key("ssl.ca.pem") {
            problems.push((
                "ssl.truststore.location".into(),
                "give the trusted certificates once: ssl.truststore.location or ssl.ca.location, not both".into(),
            ));
        } else {
            let spec = StoreSpec {
                location: location.clone(),
                password,
            };
            match trusted(&spec) {
                Ok(Trusted::Pem(_)) => {
                    props.insert("ssl.ca.location".into(), location);
                }
                Ok(Trusted::Der(certs)) => {
                    let text: String = certs.iter().map(|c| pem("CERTIFICATE", c)).collect();
                    props.insert("ssl.ca.pem".into(), text);
                }
                Err(e) => problems.push(("ssl.truststore.location".into(), e.to_string())),
            }
        }
    }
    if let (Some(location), password, _) = keys {
        let own = [
            "ssl.certificate.location",
            "ssl.certificate.pem",
            "ssl.key.location",
            "ssl.key.pem",
        ];
        if let Some(both) = own.iter().find(|k| props.contains_key(**k)) {
            problems.push((
                "ssl.keystore.location".into(),
                format!(
                    "give the client's certificate once: ssl.keystore.location or {both}, not both"
                ),
            ));
        } else {
            let spec = StoreSpec {
                location: location.clone(),
                password,
            };
            match identity(&spec, props.get("ssl.key.password").map(String::as_str)) {
                // A PEM file holds the chain and the key; `ssl.key.password`
                // opens the key, in librdkafka as in Java.
                Ok(Key::Pem(_)) => {
                    props.insert("ssl.certificate.location".into(), location.clone());
                    props.insert("ssl.key.location".into(), location);
                }
                Ok(Key::Der(id)) => {
                    let chain: String = id.chain.iter().map(|c| pem("CERTIFICATE", c)).collect();
                    props.insert("ssl.certificate.pem".into(), chain);
                    props.insert("ssl.key.pem".into(), pem("PRIVATE KEY", &id.key));
                    // It opened the key in the store; the PEM key is not encrypted.
                    props.remove("ssl.key.password");
                }
                Err(e) => problems.push(("ssl.keystore.location".into(), e.to_string())),
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
