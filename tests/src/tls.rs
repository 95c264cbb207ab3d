//! TLS material as Kafka Connect users hold it, made by the tools they use:
//! a CA, a server and a client certificate (`openssl`), the client's key in
//! PKCS#12 (`openssl pkcs12`) and JKS (`keytool`), trust stores in JKS and
//! PKCS#12 (`keytool`); and an HTTPS receiver (Python's `ssl`) that requires
//! a client certificate signed by the CA.

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
    child: Child,
    pub port: u16,
    lines: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

const SERVER: &str = r#"
import http.server, json, ssl, sys
d = sys.argv[1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/server.pem", d + "/server.key")
ctx.load_verify_locations(d + "/ca.pem")
ctx.verify_mode = ssl.CERT_REQUIRED
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        subject = dict(x[0] for x in self.connection.getpeercert()["subject"])
        print(json.dumps({"path": self.path, "body": body.decode(), "client": subject.get("commonName")}), flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

impl HttpsReceiver {
    /// Starts the server with `files`' server certificate and CA.
    pub fn start(files: &TlsFiles) -> Self {
        let mut child = Command::new("python3")
            .args(["-c", SERVER])
            .arg(&files.dir)
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
        HttpsReceiver { child, port, lines }
    }

    /// `https://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<serde_json::Value> {
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for HttpsReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
