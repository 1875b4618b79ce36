//! Store URLs: which adapter holds the state, and where. `sqlite:///path` (or a bare path) for
//! the embedded default, `postgres://user@host:port/db?sslmode=…` for several replicas.
//!
//! May touch: nothing (parsing only). The PostgreSQL password is never part of a URL: a URL that
//! carries one is refused, and every message about a URL shows it with any password removed.

use std::path::{Path, PathBuf};

use super::StoreError;

/// Where the state lives: a parsed store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database shared by several replicas.
    Postgres(PgUrl),
}

/// How to reach PostgreSQL (the password comes from the environment, see
/// `store::postgres::connect`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgUrl {
    /// Role name.
    pub user: String,
    /// Host name or address (or a Unix socket directory, when it starts with `/`).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Database name.
    pub dbname: String,
    /// Transport security.
    pub sslmode: SslMode,
    /// Extra trust anchors (PEM) for `sslmode=require`, e.g. the organisation's own CA.
    pub sslrootcert: Option<PathBuf>,
}

/// `sslmode`, as libpq spells it (the subset dutybell implements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP (loopback, Unix sockets, a private network).
    Disable,
    /// TLS when the server offers it, else plain. Unlike libpq, an offered certificate is
    /// always verified.
    Prefer,
    /// TLS with a verified certificate and host name (rustls; webpki roots plus `sslrootcert`),
    /// i.e. libpq's `verify-full`: `verify-ca` and `verify-full` mean the same here.
    Require,
}

impl PgUrl {
    /// The URL without secrets, for logs and messages.
    pub fn display(&self) -> String {
        let mode = match self.sslmode {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
        };
        format!(
            "postgres://{}@{}:{}/{}?sslmode={mode}",
            self.user, self.host, self.port, self.dbname
        )
    }
}

impl std::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            StoreUrl::Postgres(pg) => f.write_str(&pg.display()),
        }
    }
}

impl StoreUrl {
    /// Parses `sqlite:///abs/path.db`, `sqlite://rel/path.db`, a bare path, or
    /// `postgres://user@host:port/db?sslmode=disable|prefer|require&sslrootcert=/path.pem`
    /// (`postgresql://` too).
    ///
    /// # Errors
    /// [`StoreError::BadUrl`] for other schemes, a malformed PostgreSQL URL, or one that
    /// carries a password (the message never repeats the password).
    pub fn parse(text: &str) -> Result<StoreUrl, StoreError> {
        if let Some(rest) = text.strip_prefix("sqlite://") {
            return Ok(StoreUrl::Sqlite(PathBuf::from(rest)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return parse_pg(text).map(StoreUrl::Postgres);
        }
        if text.contains("://") {
            return Err(StoreError::BadUrl(redact(text)));
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(text)))
    }

    /// The SQLite file, when this is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            StoreUrl::Sqlite(p) => Some(p),
            StoreUrl::Postgres(_) => None,
        }
    }

    /// True for a database that several processes may dispatch from at once.
    pub fn is_shared(&self) -> bool {
        matches!(self, StoreUrl::Postgres(_))
    }
}

fn parse_pg(text: &str) -> Result<PgUrl, StoreError> {
    let bad = |why: &str| StoreError::BadUrl(format!("{} ({why})", redact(text)));
    let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
    if url.password().is_some() {
        return Err(bad(
            "a password does not belong in the URL: set DUTYBELL_PG_PASSWORD, \
             DUTYBELL_PG_PASSWORD_FILE or the systemd credential pg_password",
        ));
    }
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let user = match url.username() {
        "" => "postgres".to_owned(),
        u => decode(u),
    };
    let host = url.host_str().unwrap_or("localhost").to_owned();
    let dbname = decode(url.path().trim_start_matches('/'));
    if dbname.is_empty() {
        return Err(bad("no database name"));
    }
    // No sslmode: plain on loopback (a local server's self-signed certificate would fail the
    // verification dutybell always does), verified TLS anywhere else.
    let local = ["127.0.0.1", "localhost", "[::1]", "::1"].contains(&host.as_str());
    let mut pg = PgUrl {
        user,
        host,
        port: url.port().unwrap_or(5432),
        dbname,
        sslmode: if local {
            SslMode::Disable
        } else {
            SslMode::Require
        },
        sslrootcert: None,
    };
    for (k, v) in url.query_pairs() {
        match (&*k, &*v) {
            ("sslmode", "disable") => pg.sslmode = SslMode::Disable,
            ("sslmode", "prefer" | "allow") => pg.sslmode = SslMode::Prefer,
            ("sslmode", "require" | "verify-ca" | "verify-full") => pg.sslmode = SslMode::Require,
            ("sslrootcert", path) => pg.sslrootcert = Some(PathBuf::from(path)),
            ("host", h) => pg.host = h.to_owned(),
            ("application_name", _) => {}
            (k, _) => return Err(bad(&format!("unknown parameter {k:?}"))),
        }
    }
    Ok(pg)
}

/// `text` with anything between `://user:` and `@` replaced, so a pasted password never reaches a
/// log line or an error message.
fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    let Some(at) = rest.find('@') else {
        return text.to_owned();
    };
    let (cred, tail) = rest.split_at(at);
    match cred.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{tail}"),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_forms() {
        let u = StoreUrl::parse("sqlite:///var/lib/d.db").unwrap();
        assert_eq!(u.sqlite_path(), Some(Path::new("/var/lib/d.db")));
        assert_eq!(
            StoreUrl::parse("state/d.db").unwrap(),
            StoreUrl::Sqlite("state/d.db".into())
        );
    }

    #[test]
    fn postgres_url() {
        let u =
            StoreUrl::parse("postgres://duty@db.example:6432/dutybell?sslmode=require").unwrap();
        let StoreUrl::Postgres(pg) = u else {
            panic!("not postgres")
        };
        assert_eq!(
            (
                pg.user.as_str(),
                pg.host.as_str(),
                pg.port,
                pg.dbname.as_str()
            ),
            ("duty", "db.example", 6432, "dutybell")
        );
        assert_eq!(pg.sslmode, SslMode::Require);
        assert!(StoreUrl::parse("postgresql://h/db").unwrap().is_shared());
    }

    #[test]
    fn password_in_url_is_refused_and_never_echoed() {
        let err = StoreUrl::parse("postgres://duty:hunter2@db/dutybell").unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("DUTYBELL_PG_PASSWORD"), "{text}");
        let err = StoreUrl::parse("mysql://a:hunter2@b/c").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn bad_pg_urls() {
        assert!(StoreUrl::parse("postgres://h:5432/").is_err());
        assert!(StoreUrl::parse("postgres://h/db?sslmode=require&foo=1").is_err());
    }
}
