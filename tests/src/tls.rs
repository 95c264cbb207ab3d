//! TLS material as Kafka Connect users hold it, made by the tools they use:
//! a CA, a server and a client certificate (`openssl`), the client's key in
//! PKCS#12 (`openssl pkcs12`) and JKS (`keytool`), trust stores in JKS and
//! PKCS#12 (`keytool`); an HTTPS receiver and an HTTPS front that forwards
//! to a plain HTTP service (both Python's `ssl`), each requiring a client
//! certificate signed by the CA.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The files, under one directory.
pub struct TlsFiles {
    pub dir: PathBuf,
}

/// Passwords of the stores.
pub const STORE_PASSWORD: &str = "store-pass";
/// The JKS key store's key has a password of its own.
pub const KEY_PASSWORD: &str = "key-pass";

fn run(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TlsFiles {
    /// Makes every file in `dir`.
    pub fn generate(dir: &Path) -> Self {
        let o = |args: &[&str]| run(dir, "openssl", args);
        o(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=sluice-test-ca",
        ]);
        for (name, ext) in [
            (
                "server",
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
            ),
            ("client", "extendedKeyUsage=clientAuth\n"),
        ] {
            std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
            o(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN=sluice-test-{name}"),
            ]);
            o(&[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &format!("{name}.pem"),
                "-days",
                "2",
                "-extfile",
                &format!("{name}.ext"),
            ]);
        }
        let pass = format!("pass:{STORE_PASSWORD}");
        o(&[
            "pkcs12",
            "-export",
            "-in",
            "client.pem",
            "-inkey",
            "client.key",
            "-certfile",
            "ca.pem",
            "-name",
            "client",
            "-out",
            "client.p12",
            "-passout",
            &pass,
        ]);
        let k = |args: &[&str]| run(dir, "keytool", args);
        for (store, kind) in [("trust.jks", "JKS"), ("trust.p12", "PKCS12")] {
            k(&[
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                "ca.pem",
                "-keystore",
                store,
                "-storetype",
                kind,
                "-storepass",
                STORE_PASSWORD,
            ]);
        }
        k(&[
            "-importkeystore",
            "-noprompt",
            "-srckeystore",
            "client.p12",
            "-srcstoretype",
            "PKCS12",
            "-srcstorepass",
            STORE_PASSWORD,
            "-destkeystore",
            "client.jks",
            "-deststoretype",
            "JKS",
            "-deststorepass",
            STORE_PASSWORD,
            "-destkeypass",
            KEY_PASSWORD,
            "-alias",
            "client",
        ]);
        TlsFiles {
            dir: dir.to_path_buf(),
        }
    }

    /// A file's path.
    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

/// An HTTPS server on 127.0.0.1 that requires a client certificate signed
/// by the CA; it prints one JSON line per request (path, body, client CN).
pub struct HttpsReceiver {
    server: PythonServer,
    pub port: u16,
}

/// A Python server run as a child: it prints its port, then one JSON line
/// per request, kept here; killed when dropped.
struct PythonServer {
    child: Child,
    port: u16,
    lines: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

impl PythonServer {
    fn start(script: &str, args: &[&std::ffi::OsStr]) -> Self {
        let mut child = Command::new("python3")
            .args(["-c", script])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3");
        let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        out.read_line(&mut first).expect("the server's port");
        let port = first.trim().parse().expect("a port number");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        PythonServer { child, port, lines }
    }

    fn received(&self) -> Vec<serde_json::Value> {
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The start of each server's script: a TLS context that requires a client
/// certificate signed by the CA in the directory `sys.argv[1]`, and `out`,
/// which prints one JSON line whole whichever thread calls it.
const TLS_CONTEXT: &str = r#"
import http.server, json, ssl, sys, threading
d = sys.argv[1]
lock = threading.Lock()
def out(line):
    with lock:
        print(json.dumps(line), flush=True)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/server.pem", d + "/server.key")
ctx.load_verify_locations(d + "/ca.pem")
ctx.verify_mode = ssl.CERT_REQUIRED
"#;

/// The end of each server's script: `H` served over TLS on a free port,
/// which it prints first.
const SERVE: &str = r#"
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

const SERVER: &str = r#"
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        subject = dict(x[0] for x in self.connection.getpeercert()["subject"])
        out({"path": self.path, "body": body.decode(), "client": subject.get("commonName")})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
"#;

impl HttpsReceiver {
    /// Starts the server with `files`' server certificate and CA.
    pub fn start(files: &TlsFiles) -> Self {
        let server = PythonServer::start(
            &[TLS_CONTEXT, SERVER, SERVE].concat(),
            &[files.dir.as_os_str()],
        );
        HttpsReceiver {
            port: server.port,
            server,
        }
    }

    /// `https://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<serde_json::Value> {
        self.server.received()
    }
}

/// A TLS front on 127.0.0.1, as a load balancer puts before a service: it
/// requires a client certificate signed by the CA, forwards each GET and
/// POST to `upstream` (path, body and the content headers) and answers what
/// the upstream answered. It keeps one JSON line per request (method, path,
/// client CN).
pub struct HttpsProxy {
    server: PythonServer,
    pub port: u16,
}

const PROXY: &str = r#"
import urllib.error, urllib.request
upstream = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def forward(self, method):
        n = int(self.headers.get("Content-Length", 0) or 0)
        body = self.rfile.read(n) if n else None
        subject = dict(x[0] for x in self.connection.getpeercert()["subject"])
        out({"method": method, "path": self.path, "client": subject.get("commonName")})
        req = urllib.request.Request(upstream + self.path, data=body, method=method)
        for h in ("Content-Type", "Accept", "Authorization"):
            if self.headers.get(h):
                req.add_header(h, self.headers[h])
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, data, ctype = r.status, r.read(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type")
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.forward("GET")
    def do_POST(self):
        self.forward("POST")
    def log_message(self, *args):
        pass
"#;

impl HttpsProxy {
    /// Starts the proxy with `files`' server certificate and CA, forwarding
    /// to `upstream` (`http://host:port`, no trailing slash).
    pub fn start(files: &TlsFiles, upstream: &str) -> Self {
        let server = PythonServer::start(
            &[TLS_CONTEXT, PROXY, SERVE].concat(),
            &[files.dir.as_os_str(), upstream.as_ref()],
        );
        HttpsProxy {
            port: server.port,
            server,
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The requests forwarded so far.
    pub fn received(&self) -> Vec<serde_json::Value> {
        self.server.received()
    }
}
