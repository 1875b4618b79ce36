//! A private PostgreSQL cluster for tests that must stop or restart the server (the machine's
//! shared server may be serving other tests): `initdb` in a temp dir, `pg_ctl` on a free
//! loopback port, trust auth, stopped when dropped. Built from Debian's
//! `/usr/lib/postgresql/*/bin`; when that is missing the test prints why and is skipped.
//!
//! May touch: a temp dir (owned by the `postgres` user when running as root, since initdb refuses
//! root), a loopback port, the cluster's processes.

use std::path::PathBuf;
use std::process::Command;

use dutybell::store::{PgUrl, StoreUrl};

/// A running private cluster.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

fn bindir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn as_owner(root: bool, bin: PathBuf) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl Cluster {
    /// Starts a cluster, or prints why it cannot and returns `None`.
    pub fn start(test: &str) -> Option<Cluster> {
        let Some(bin) = bindir() else {
            eprintln!("SKIPPED {test}: no initdb/pg_ctl under /usr/lib/postgresql/*/bin");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let root = is_root();
        if root {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                eprintln!("SKIPPED {test}: running as root without a `postgres` user for initdb");
                return None;
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = dir.path().join("data");
        let out = as_owner(root, bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let c = Cluster { bin, dir, port };
        c.ctl(&["start"]);
        Some(c)
    }

    /// Runs `pg_ctl ACTION` (start, stop, restart) and waits for it to finish.
    pub fn ctl(&self, action: &[&str]) {
        let data = self.dir.path().join("data");
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let out = as_owner(is_root(), self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-m", "fast", "-o", &opts])
            .args(action)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl {action:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The URL of database `db` on this cluster.
    pub fn url(&self, db: &str) -> PgUrl {
        match StoreUrl::parse(&format!(
            "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )) {
            Ok(StoreUrl::Postgres(u)) => u,
            other => panic!("{other:?}"),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_owner(is_root(), self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
    }
}
