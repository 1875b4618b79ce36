//! The link-signing key when none is configured: on a fresh machine the README's first command
//! should serve pages and put a working link in every reminder, so dutybell keeps a random key
//! of its own in the state directory (`link-key`, mode 0600), created once and reused, used only
//! while no `web.keys` entry resolves. A configured key always wins; the file is never logged.
//!
//! May touch: `<state_dir>/link-key` (created with 32 random bytes when missing).

use std::io::Write;
use std::path::Path;

use super::links::{LinkKey, LinkSigner};
use crate::catalog::Catalog;
use crate::notify::secret::SecretSource;

/// The file name under the state directory.
pub const FILE: &str = "link-key";
/// The key id links signed with it carry.
pub const KEY_ID: &str = "local";

/// The signer from `web.keys`, or, when none of them is available and the web pages are on,
/// from the state directory's own key.
///
/// # Errors
/// A configured key that cannot be read or is too short (from [`LinkSigner::from_catalog`]);
/// a state key file that cannot be read or created.
pub fn signer(cat: &Catalog, secrets: &dyn SecretSource) -> Result<Option<LinkSigner>, String> {
    if let Some(s) = LinkSigner::from_catalog(cat, secrets)? {
        return Ok(Some(s));
    }
    if cat.web.bind.is_none() {
        return Ok(None);
    }
    let key = state_key(&cat.settings.state_dir)?;
    Ok(LinkSigner::with_key_of(cat, key))
}

/// Read `<dir>/link-key`, or create it (0600) with a fresh random key.
///
/// # Errors
/// The file cannot be read, created or is not a key this function wrote.
pub fn state_key(dir: &Path) -> Result<LinkKey, String> {
    let path = dir.join(FILE);
    let describe = |e: std::io::Error| format!("link key file {}: {e}", path.display());
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= 32 => return Ok(LinkKey::new(KEY_ID, bytes)),
        Ok(_) => {
            return Err(format!(
                "link key file {} is shorter than 32 bytes; delete it to have a new one made",
                path.display()
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(describe(e)),
    }
    std::fs::create_dir_all(dir).map_err(describe)?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for the link key: {e}"))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(&path) {
        Ok(mut f) => {
            f.write_all(&bytes)
                .and_then(|()| f.sync_all())
                .map_err(describe)?;
            tracing::warn!(file = %path.display(), "no web.keys entry is set: signing links with a key of this installation's own (set web.keys to use yours)");
            Ok(LinkKey::new(KEY_ID, bytes.to_vec()))
        }
        // Another process (`dutybell link` beside the daemon) made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => state_key(dir),
        Err(e) => Err(describe(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let a = state_key(dir.path()).unwrap();
        let first = std::fs::read(dir.path().join(FILE)).unwrap();
        let b = state_key(dir.path()).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join(FILE)).unwrap(),
            first,
            "reused, not remade"
        );
        assert_eq!((a.id.as_str(), b.id.as_str()), (KEY_ID, KEY_ID));
        let meta = std::fs::metadata(dir.path().join(FILE)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), 32);
        std::fs::write(dir.path().join(FILE), b"short").unwrap();
        assert!(
            state_key(dir.path())
                .unwrap_err()
                .contains("shorter than 32 bytes")
        );
    }
}
