//! Secret resolution: turns a [`SecretRef`] (`{env: NAME}`, `{file: PATH}`, `{credential: NAME}`)
//! into the secret value a channel needs.
//!
//! May touch: environment variables, the named files and `$CREDENTIALS_DIRECTORY` (systemd
//! `LoadCredential=`), only in [`SystemSecrets`]. Errors name the *reference* (variable name,
//! path, credential name), never the value; no type here prints a value in `Debug`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::catalog::SecretRef;

/// Why a secret could not be resolved. Never contains the secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The YAML had the secret inline; the catalog refuses that, so this is a defect upstream.
    #[error(
        "inline secrets are not supported; use {{env: NAME}}, {{file: PATH}} or {{credential: NAME}}"
    )]
    Inline,
    /// The environment variable is not set (or not valid UTF-8).
    #[error("environment variable {0} is not set")]
    EnvMissing(String),
    /// The file cannot be read.
    #[error("secret file {path}: {reason}")]
    File {
        /// The configured path.
        path: String,
        /// The I/O error (no content).
        reason: String,
    },
    /// `{credential: NAME}` without `$CREDENTIALS_DIRECTORY` (not started by systemd with
    /// `LoadCredential=`).
    #[error(
        "credential {0}: $CREDENTIALS_DIRECTORY is not set (start dutybell from systemd with \
         LoadCredential={0}:/path/to/file)"
    )]
    NoCredentialsDirectory(String),
    /// The credential file cannot be read, or the name is not a plain file name.
    #[error("credential {name}: {reason}")]
    Credential {
        /// Credential name.
        name: String,
        /// What went wrong (no content).
        reason: String,
    },
    /// The value resolved to an empty string.
    #[error("{0} is empty")]
    Empty(String),
}

/// Resolves secret references. Implemented by [`SystemSecrets`] and the test double [`MapSecrets`].
pub trait SecretSource {
    /// The secret value for `r`.
    ///
    /// # Errors
    /// [`SecretError`] naming the reference when it cannot be resolved or is empty.
    fn get(&self, r: &SecretRef) -> Result<String, SecretError>;
}

/// How a reference is described in messages (`env DUTYBELL_SMTP_PASSWORD`, `file /etc/x`, …).
pub fn describe(r: &SecretRef) -> String {
    match r {
        SecretRef::Inline => "inline secret".into(),
        SecretRef::Env(n) => format!("environment variable {n}"),
        SecretRef::File(p) => format!("secret file {p}"),
        SecretRef::Credential(n) => format!("credential {n}"),
    }
}

type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Secrets from the process environment, files, and systemd credentials.
pub struct SystemSecrets {
    env: EnvLookup,
    credentials_dir: Option<PathBuf>,
}

impl fmt::Debug for SystemSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemSecrets")
            .field("credentials_dir", &self.credentials_dir)
            .finish_non_exhaustive()
    }
}

impl SystemSecrets {
    /// Reads the real environment; `$CREDENTIALS_DIRECTORY` is taken once, now.
    pub fn from_env() -> Self {
        SystemSecrets {
            env: Box::new(|name| std::env::var(name).ok()),
            credentials_dir: std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from),
        }
    }

    /// An explicit environment lookup and credentials directory (tests; no process-global state).
    pub fn with(
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
        credentials_dir: Option<PathBuf>,
    ) -> Self {
        SystemSecrets {
            env: Box::new(env),
            credentials_dir,
        }
    }
}

/// File content with exactly one trailing newline (`\n` or `\r\n`) removed: `echo pw > file`
/// must not put a newline into a password, but deliberate trailing whitespace is kept.
fn trim_one_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}

fn read_secret_file(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_owned())?;
    Ok(trim_one_newline(text))
}

impl SecretSource for SystemSecrets {
    fn get(&self, r: &SecretRef) -> Result<String, SecretError> {
        let value = match r {
            SecretRef::Inline => return Err(SecretError::Inline),
            SecretRef::Env(name) => {
                (self.env)(name).ok_or_else(|| SecretError::EnvMissing(name.clone()))?
            }
            SecretRef::File(path) => {
                read_secret_file(Path::new(path)).map_err(|reason| SecretError::File {
                    path: path.clone(),
                    reason,
                })?
            }
            SecretRef::Credential(name) => {
                let cred_err = |reason: String| SecretError::Credential {
                    name: name.clone(),
                    reason,
                };
                // A credential is a file name inside the directory, never a path out of it.
                if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                    return Err(cred_err("not a plain credential name".into()));
                }
                let Some(dir) = &self.credentials_dir else {
                    return Err(SecretError::NoCredentialsDirectory(name.clone()));
                };
                read_secret_file(&dir.join(name)).map_err(cred_err)?
            }
        };
        if value.is_empty() {
            return Err(SecretError::Empty(describe(r)));
        }
        Ok(value)
    }
}

/// A test double: secrets from a map keyed by reference. `Debug` shows only the keys.
#[derive(Default, Clone)]
pub struct MapSecrets {
    values: HashMap<String, String>,
}

fn key(r: &SecretRef) -> String {
    match r {
        SecretRef::Inline => "inline".into(),
        SecretRef::Env(n) => format!("env:{n}"),
        SecretRef::File(p) => format!("file:{p}"),
        SecretRef::Credential(n) => format!("credential:{n}"),
    }
}

impl MapSecrets {
    /// An empty map (every lookup fails like a missing variable/file/credential).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value for `r`.
    pub fn with(mut self, r: SecretRef, value: impl Into<String>) -> Self {
        self.values.insert(key(&r), value.into());
        self
    }

    /// Adds a value for `{env: name}`.
    pub fn with_env(self, name: &str, value: impl Into<String>) -> Self {
        self.with(SecretRef::Env(name.to_owned()), value)
    }
}

impl fmt::Debug for MapSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<&String> = self.values.keys().collect();
        keys.sort();
        f.debug_struct("MapSecrets").field("keys", &keys).finish()
    }
}

impl SecretSource for MapSecrets {
    fn get(&self, r: &SecretRef) -> Result<String, SecretError> {
        let found = self.values.get(&key(r)).cloned();
        match (r, found) {
            (SecretRef::Inline, _) => Err(SecretError::Inline),
            (_, Some(v)) if v.is_empty() => Err(SecretError::Empty(describe(r))),
            (_, Some(v)) => Ok(v),
            (SecretRef::Env(n), None) => Err(SecretError::EnvMissing(n.clone())),
            (SecretRef::File(p), None) => Err(SecretError::File {
                path: p.clone(),
                reason: "No such file or directory (os error 2)".into(),
            }),
            (SecretRef::Credential(n), None) => Err(SecretError::NoCredentialsDirectory(n.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "pw-Very-Secret-42";

    fn env(name: &str) -> Option<String> {
        (name == "DB_SMTP_PW").then(|| VALUE.to_owned())
    }

    #[test]
    fn env_file_and_credential_resolve_and_errors_never_show_values() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw.txt"), format!("{VALUE}\n\n")).unwrap();
        std::fs::write(dir.path().join("smtp-password"), format!("{VALUE}\r\n")).unwrap();
        let s = SystemSecrets::with(env, Some(dir.path().to_owned()));
        assert_eq!(s.get(&SecretRef::Env("DB_SMTP_PW".into())).unwrap(), VALUE);
        let file = dir.path().join("pw.txt").display().to_string();
        // Exactly one trailing newline goes.
        assert_eq!(s.get(&SecretRef::File(file)).unwrap(), format!("{VALUE}\n"));
        let cred = SecretRef::Credential("smtp-password".into());
        assert_eq!(s.get(&cred).unwrap(), VALUE);

        let errors = [
            s.get(&SecretRef::Env("NOPE_VAR".into())).unwrap_err(),
            s.get(&SecretRef::File("/nonexistent/pw".into()))
                .unwrap_err(),
            s.get(&SecretRef::Credential("../pw.txt".into()))
                .unwrap_err(),
            s.get(&SecretRef::Credential("absent".into())).unwrap_err(),
            s.get(&SecretRef::Inline).unwrap_err(),
        ];
        let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(texts[0].contains("NOPE_VAR"), "{}", texts[0]);
        assert!(texts[1].contains("/nonexistent/pw"), "{}", texts[1]);
        assert!(texts[2].contains("../pw.txt"), "{}", texts[2]);
        assert!(texts[3].contains("absent"), "{}", texts[3]);
        for t in &texts {
            assert!(!t.contains(VALUE), "{t}");
        }
        let no_dir = SystemSecrets::with(env, None);
        assert_eq!(
            no_dir.get(&cred).unwrap_err(),
            SecretError::NoCredentialsDirectory("smtp-password".into())
        );
        assert!(!format!("{s:?}").contains(VALUE));
    }

    #[test]
    fn map_secrets_behave_like_the_system_and_hide_values() {
        let m = MapSecrets::new().with_env("A", VALUE).with_env("EMPTY", "");
        assert_eq!(m.get(&SecretRef::Env("A".into())).unwrap(), VALUE);
        assert!(matches!(
            m.get(&SecretRef::Env("EMPTY".into())),
            Err(SecretError::Empty(_))
        ));
        assert_eq!(
            m.get(&SecretRef::Env("B".into())).unwrap_err(),
            SecretError::EnvMissing("B".into())
        );
        assert!(!format!("{m:?}").contains(VALUE));
    }
}
