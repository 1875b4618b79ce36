//! Connecting to PostgreSQL: the password from the environment (never the URL, YAML, logs or the
//! database), TLS with rustls, and the small connection pool.
//!
//! May touch: the environment variables and files named below, the network (the database only).
//!
//! The password, first found wins:
//! 1. `DUTYBELL_PG_PASSWORD` (the variable itself);
//! 2. `DUTYBELL_PG_PASSWORD_FILE` (a file holding it, e.g. a Docker or Kubernetes secret);
//! 3. `$CREDENTIALS_DIRECTORY/pg_password` (systemd `LoadCredential=pg_password:…`).
//!
//! No password at all is fine (trust or peer authentication, a client certificate via PgBouncer).

use std::path::PathBuf;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::SslMode as PgSslMode;

use crate::store::{PgUrl, SslMode, StoreError};

/// Connections per process: one for the dispatcher's calls, one spare for a CLI-style call that
/// overlaps (the daemon serialises store calls behind a mutex, so more would sit idle).
const POOL_SIZE: usize = 2;

/// How long to wait for the server before giving up on a call (it is retried at the next wake).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads the password from the first source that has one.
///
/// # Errors
/// [`StoreError::Password`] when a named file cannot be read (the message names the file, never
/// its content).
pub fn password() -> Result<Option<String>, StoreError> {
    if let Ok(p) = std::env::var("DUTYBELL_PG_PASSWORD")
        && !p.is_empty()
    {
        return Ok(Some(p));
    }
    let file = std::env::var_os("DUTYBELL_PG_PASSWORD_FILE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CREDENTIALS_DIRECTORY")
                .map(|d| PathBuf::from(d).join("pg_password"))
                .filter(|p| p.exists())
        });
    match file {
        None => Ok(None),
        Some(path) => std::fs::read_to_string(&path)
            .map(|s| Some(s.trim_end_matches(['\r', '\n']).to_owned()))
            .map_err(|e| StoreError::Password(path.display().to_string(), e)),
    }
}

/// The driver's configuration for `url` (with the password, which stays in memory only).
pub(super) fn pg_config(url: &PgUrl) -> Result<tokio_postgres::Config, StoreError> {
    let mut c = tokio_postgres::Config::new();
    c.user(&url.user)
        .host(&url.host)
        .port(url.port)
        .dbname(&url.dbname)
        .application_name("dutybell")
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(60))
        .ssl_mode(match url.sslmode {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Prefer => PgSslMode::Prefer,
            SslMode::Require => PgSslMode::Require,
        });
    if let Some(p) = password()? {
        c.password(p);
    }
    Ok(c)
}

/// The rustls connector: Mozilla's roots (webpki-roots) plus the PEM certificates of
/// `sslrootcert`, so an organisation's private CA works without touching the system store.
pub(super) fn tls(url: &PgUrl) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = &url.sslrootcert {
        let io = |e: std::io::Error| StoreError::Io {
            path: path.display().to_string(),
            source: e,
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| io(std::io::Error::other(e.to_string())))?;
        for cert in certs {
            let cert = cert.map_err(|e| io(std::io::Error::other(e.to_string())))?;
            roots
                .add(cert)
                .map_err(|e| io(std::io::Error::other(e.to_string())))?;
        }
    }
    let provider = std::sync::Arc::new(crate::tls::provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Database(Box::new(e)))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A pool for `url`. Nothing connects yet: the first call does (inside the adapter's runtime).
///
/// # Errors
/// [`StoreError::Password`], [`StoreError::Io`] (an unreadable `sslrootcert`).
pub fn pool(url: &PgUrl) -> Result<Pool, StoreError> {
    let cfg = pg_config(url)?;
    let mgr_cfg = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let mgr = match url.sslmode {
        SslMode::Disable => Manager::from_config(cfg, tokio_postgres::NoTls, mgr_cfg),
        SslMode::Prefer | SslMode::Require => Manager::from_config(cfg, tls(url)?, mgr_cfg),
    };
    Pool::builder(mgr)
        .max_size(POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| StoreError::Database(Box::new(e)))
}
