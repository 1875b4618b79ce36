//! Starts `tests/support/smtp_server.py` (aiosmtpd) on 127.0.0.1 for tests and benches.
//!
//! Touches: a child process, a temp directory, loopback TCP. A missing python3 or aiosmtpd is a
//! loud failure (CI installs both), never a skipped test.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running aiosmtpd; killed on drop.
pub struct SmtpServer {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    dir: tempfile::TempDir,
}

/// Options for [`SmtpServer::start`].
#[derive(Default, Clone)]
pub struct ServerOptions {
    /// Certificate and key (PEM) to offer STARTTLS (or implicit TLS, see below).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// With `tls`: TLS from the first byte (SMTPS) instead of STARTTLS.
    pub implicit_tls: bool,
    /// Accepted AUTH login and password (any when `None`).
    pub login: Option<(String, String)>,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py")
}

impl SmtpServer {
    /// Starts the server and waits (bounded, ~15 s) until it accepts connections.
    ///
    /// # Panics
    ///
    /// When python3 or aiosmtpd is missing or the server does not come up.
    pub fn start(opts: &ServerOptions) -> SmtpServer {
        let dir = tempfile::tempdir().expect("temp dir");
        // Port 0: the server binds a free port itself and reports it (no probe-then-bind race).
        let mut cmd = Command::new("python3");
        cmd.arg(script())
            .args(["--host", "127.0.0.1", "--port", "0"])
            .arg("--maildir")
            .arg(dir.path().join("mail"))
            .arg("--log")
            .arg(dir.path().join("events.jsonl"));
        if let Some((cert, key)) = &opts.tls {
            cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
            if opts.implicit_tls {
                cmd.arg("--implicit-tls");
            }
        }
        if let Some((user, pass)) = &opts.login {
            cmd.args(["--user", user, "--password", pass]);
        }
        let stderr = std::fs::File::create(dir.path().join("stderr.txt")).expect("stderr file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run python3 for the SMTP test server ({e}); install python3 and `python3 -m pip install aiosmtpd` (.ci/setup does)")
            });
        let mut server = SmtpServer {
            child,
            port: 0,
            dir,
        };
        server.wait_ready();
        server
    }

    /// The port from the server's "listening on HOST:PORT" line, once it is written.
    fn reported_port(&self) -> Option<u16> {
        let text = self.stderr();
        let line = text.lines().find(|l| l.contains("listening on"))?;
        line.rsplit(':').next()?.trim().parse().ok()
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("poll child") {
                panic!(
                    "SMTP test server exited early ({status}); stderr:\n{}",
                    self.stderr()
                );
            }
            if let Some(port) = self.reported_port() {
                let addr = SocketAddr::from(([127, 0, 0, 1], port));
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    self.port = port;
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "SMTP test server not listening after 15 s; stderr:\n{}",
                self.stderr()
            );
            // Process start-up only: a short nap between connection attempts.
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.txt")).unwrap_or_default()
    }

    /// Received messages (raw bytes), in arrival order.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut names: Vec<PathBuf> = match std::fs::read_dir(self.dir.path().join("mail")) {
            Ok(rd) => rd
                .map(|e| e.expect("dir entry").path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read(p).expect("read message"))
            .collect()
    }

    /// The event log: one JSON object per line (`auth`, `rcpt_refused`, `message`, …).
    pub fn events(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.path().join("events.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("event JSON"))
            .collect()
    }

    /// Events whose `event` field equals `kind`.
    pub fn events_of(&self, kind: &str) -> Vec<serde_json::Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == kind)
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private CA and a leaf for 127.0.0.1/localhost, made with the `openssl` CLI:
/// returns `(ca.pem, leaf.pem, leaf.key)` inside `dir`.
///
/// # Panics
///
/// When `openssl` is missing or fails.
pub fn make_test_pki(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run the openssl CLI ({e}); install openssl"));
        assert!(
            out.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=dutybell test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write leaf.ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("leaf.pem"),
        dir.join("leaf.key"),
    )
}
