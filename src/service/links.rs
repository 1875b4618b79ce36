//! Signed links: what a reminder carries so that a unit opens its page from a phone without an
//! account, and a leader opens the board read-only.
//!
//! A token is base64url (no padding) of `version (1 byte) ‖ payload ‖ HMAC-SHA256(version ‖
//! payload)[..16]`. The payload is `access␟unit␟occurrence␟expiry␟key id␟link version` (␟ = 0x1F):
//! the kind of access (`u` unit page, `b` board), the unit, an optional occurrence, the expiry
//! (unix seconds), the id of the signing key and the unit's `link_version`. Several keys verify
//! (rotation: add a key, let links signed by the old one expire, remove it); bumping a unit's
//! `link_version` revokes its older links at once.
//!
//! Pure: keys are given (resolved from env/file/credential by [`LinkSigner::from_catalog`]),
//! `now` is a parameter. May touch: the secret source passed to `from_catalog`, nothing else.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;

use crate::catalog::Catalog;
use crate::notify::secret::{SecretSource, describe};

/// Token format version.
const VERSION: u8 = 1;
/// Bytes of the HMAC kept in a token (128 bits).
const MAC_LEN: usize = 16;
/// Field separator inside the payload (never in ids or occurrence keys).
const SEP: char = '\u{1f}';

/// What a token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A unit's page: read its items, report progress, file requests.
    Unit,
    /// The leaders' board, read-only.
    Board,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The kind of access.
    pub access: Access,
    /// The unit (empty for a board link).
    pub unit: String,
    /// The occurrence the reminder was about, if any.
    pub occurrence: Option<String>,
    /// When it stops working.
    pub expires: Timestamp,
    /// The key that signed it.
    pub key_id: String,
    /// The unit's link version when it was signed.
    pub link_version: u32,
}

/// Why a token is refused. Shown to nobody: the page says only that the link is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not base64url, too short, an unknown version or a bad payload.
    #[error("malformed token")]
    Malformed,
    /// The key id is not configured (any more).
    #[error("unknown key")]
    UnknownKey,
    /// The HMAC does not match (tampered, or signed by another key).
    #[error("bad signature")]
    BadSignature,
    /// Past its expiry.
    #[error("expired")]
    Expired,
    /// The unit's link version was bumped, or the unit is gone.
    #[error("revoked")]
    Revoked,
}

/// One signing key. `Debug` never shows the secret.
#[derive(Clone)]
pub struct LinkKey {
    /// Key id.
    pub id: String,
    secret: Vec<u8>,
}

impl LinkKey {
    /// A key from its id and secret bytes.
    pub fn new(id: impl Into<String>, secret: impl Into<Vec<u8>>) -> LinkKey {
        LinkKey {
            id: id.into(),
            secret: secret.into(),
        }
    }
}

impl fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinkKey({}, <redacted>)", self.id)
    }
}

/// Signs and verifies links. The first key signs; every key verifies.
#[derive(Debug, Clone)]
pub struct LinkSigner {
    keys: Vec<LinkKey>,
    base_url: String,
    ttl: SignedDuration,
    versions: BTreeMap<String, u32>,
}

impl LinkSigner {
    /// A signer over `keys` (at least one) for links under `base_url`, valid `ttl_days`;
    /// `versions` is each unit's current link version.
    pub fn new(
        keys: Vec<LinkKey>,
        base_url: &str,
        ttl_days: u32,
        versions: BTreeMap<String, u32>,
    ) -> Option<LinkSigner> {
        if keys.is_empty() {
            return None;
        }
        Some(LinkSigner {
            keys,
            base_url: base_url.trim_end_matches('/').to_owned(),
            ttl: SignedDuration::from_hours(24 * i64::from(ttl_days)),
            versions,
        })
    }

    /// The signer the catalog's `web:` section describes; `Ok(None)` when no key is configured.
    ///
    /// # Errors
    /// A message naming the key reference (never its value) when a key cannot be read or is
    /// shorter than 16 bytes.
    pub fn from_catalog(
        cat: &Catalog,
        secrets: &dyn SecretSource,
    ) -> Result<Option<LinkSigner>, String> {
        let mut keys = Vec::new();
        for k in &cat.web.keys {
            let value = match secrets.get(&k.secret) {
                Ok(v) => v,
                // A key not provided (e.g. the dev key's variable unset) leaves links out of
                // reminders; it must not stop reminders from going out.
                Err(crate::notify::secret::SecretError::EnvMissing(_)) => {
                    tracing::warn!(key = %k.id, source = %describe(&k.secret), "link key not set; skipped");
                    continue;
                }
                Err(e) => return Err(format!("web.keys {}: {e}", k.id)),
            };
            if value.len() < 16 {
                return Err(format!(
                    "web.keys {}: the key from {} is shorter than 16 bytes",
                    k.id,
                    describe(&k.secret)
                ));
            }
            keys.push(LinkKey::new(k.id.clone(), value.into_bytes()));
        }
        Ok(Self::with_keys_of(cat, keys))
    }

    /// A signer over `keys` with the catalog's base URL, link days and unit link versions.
    fn with_keys_of(cat: &Catalog, keys: Vec<LinkKey>) -> Option<LinkSigner> {
        let versions = cat
            .units
            .iter()
            .map(|u| (u.id.clone(), u.link_version))
            .collect();
        Self::new(keys, &cat.web.public_url, cat.web.link_days, versions)
    }

    /// A signer over one key with the catalog's link settings (the state directory's own key,
    /// see [`super::link_key`]).
    pub fn with_key_of(cat: &Catalog, key: LinkKey) -> Option<LinkSigner> {
        Self::with_keys_of(cat, vec![key])
    }

    fn mac(key: &LinkKey, body: &[u8]) -> Vec<u8> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&key.secret).expect("HMAC accepts any key");
        mac.update(body);
        mac.finalize().into_bytes()[..MAC_LEN].to_vec()
    }

    /// A token for `access` to `unit` (and `occurrence`), valid from `now` for the configured
    /// days.
    pub fn token(
        &self,
        access: Access,
        unit: &str,
        occurrence: Option<&str>,
        now: Timestamp,
    ) -> String {
        let key = &self.keys[0];
        let exp = now.saturating_add(self.ttl).unwrap_or(now).as_second();
        let a = match access {
            Access::Unit => 'u',
            Access::Board => 'b',
        };
        let lv = self.versions.get(unit).copied().unwrap_or(0);
        let payload = format!(
            "{a}{SEP}{unit}{SEP}{}{SEP}{exp}{SEP}{}{SEP}{lv}",
            occurrence.unwrap_or(""),
            key.id
        );
        let mut body = vec![VERSION];
        body.extend_from_slice(payload.as_bytes());
        let mac = Self::mac(key, &body);
        body.extend_from_slice(&mac);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body)
    }

    /// The unit page link (`{public_url}/u/{token}`).
    pub fn unit_url(&self, unit: &str, occurrence: Option<&str>, now: Timestamp) -> String {
        format!(
            "{}/u/{}",
            self.base_url,
            self.token(Access::Unit, unit, occurrence, now)
        )
    }

    /// A read-only board link (`{public_url}/board/{token}`).
    pub fn board_url(&self, now: Timestamp) -> String {
        format!(
            "{}/b/{}",
            self.base_url,
            self.token(Access::Board, "", None, now)
        )
    }

    /// Checks a token at `now`.
    ///
    /// # Errors
    /// [`LinkError`]: malformed, unknown key, bad signature, expired or revoked.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<Claims, LinkError> {
        if token.len() > 1024 {
            return Err(LinkError::Malformed);
        }
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| LinkError::Malformed)?;
        if raw.len() < 1 + MAC_LEN + 6 || raw[0] != VERSION {
            return Err(LinkError::Malformed);
        }
        let (body, tag) = raw.split_at(raw.len() - MAC_LEN);
        let payload = std::str::from_utf8(&body[1..]).map_err(|_| LinkError::Malformed)?;
        let f: Vec<&str> = payload.split(SEP).collect();
        let [a, unit, occ, exp, kid, lv] = f[..] else {
            return Err(LinkError::Malformed);
        };
        let key = self
            .keys
            .iter()
            .find(|k| k.id == kid)
            .ok_or(LinkError::UnknownKey)?;
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&key.secret).expect("HMAC accepts any key");
        mac.update(body);
        mac.verify_truncated_left(tag)
            .map_err(|_| LinkError::BadSignature)?;
        let access = match a {
            "u" => Access::Unit,
            "b" => Access::Board,
            _ => return Err(LinkError::Malformed),
        };
        let exp: i64 = exp.parse().map_err(|_| LinkError::Malformed)?;
        let link_version: u32 = lv.parse().map_err(|_| LinkError::Malformed)?;
        if now.as_second() >= exp {
            return Err(LinkError::Expired);
        }
        if access == Access::Unit && self.versions.get(unit) != Some(&link_version) {
            return Err(LinkError::Revoked);
        }
        Ok(Claims {
            access,
            unit: unit.to_owned(),
            occurrence: (!occ.is_empty()).then(|| occ.to_owned()),
            expires: Timestamp::from_second(exp).map_err(|_| LinkError::Malformed)?,
            key_id: kid.to_owned(),
            link_version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(keys: &[(&str, &str)], food_version: u32) -> LinkSigner {
        let keys = keys
            .iter()
            .map(|(i, s)| LinkKey::new(*i, s.as_bytes()))
            .collect();
        let versions = BTreeMap::from([("food".to_owned(), food_version)]);
        LinkSigner::new(keys, "https://x.example/p/", 60, versions).unwrap()
    }

    #[test]
    fn round_trip_tamper_expiry_rotation_and_revocation() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let s = signer(&[("k1", "0123456789abcdef0123")], 1);
        let url = s.unit_url("food", Some("4.2@2026-W41"), now);
        assert!(url.starts_with("https://x.example/p/u/"));
        let t = url.rsplit('/').next().unwrap();
        let c = s.verify(t, now).unwrap();
        assert_eq!(
            (c.unit.as_str(), c.occurrence.as_deref()),
            ("food", Some("4.2@2026-W41"))
        );
        // Tampering any byte breaks it.
        let mut raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t)
            .unwrap();
        raw[3] ^= 1;
        let bad = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw);
        assert!(s.verify(&bad, now).is_err());
        assert_eq!(s.verify("!!", now), Err(LinkError::Malformed));
        // Expiry: 60 days.
        let later = now
            .saturating_add(SignedDuration::from_hours(24 * 61))
            .unwrap();
        assert_eq!(s.verify(t, later), Err(LinkError::Expired));
        // Rotation: a new first key signs, the old one still verifies; dropped, it does not.
        let rotated = signer(
            &[
                ("k2", "fedcba9876543210fedc"),
                ("k1", "0123456789abcdef0123"),
            ],
            1,
        );
        assert!(rotated.verify(t, now).is_ok());
        let only_new = signer(&[("k2", "fedcba9876543210fedc")], 1);
        assert_eq!(only_new.verify(t, now), Err(LinkError::UnknownKey));
        // Same id, other secret: bad signature.
        let wrong = signer(&[("k1", "another-secret-of-20")], 1);
        assert_eq!(wrong.verify(t, now), Err(LinkError::BadSignature));
        // Bumped link version revokes.
        let bumped = signer(&[("k1", "0123456789abcdef0123")], 2);
        assert_eq!(bumped.verify(t, now), Err(LinkError::Revoked));
        // A board link verifies as board access.
        let b = s.board_url(now);
        let c = s.verify(b.rsplit('/').next().unwrap(), now).unwrap();
        assert_eq!(c.access, Access::Board);
        assert!(format!("{:?}", s).contains("<redacted>"));
    }
}
