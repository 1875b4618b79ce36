//! `web:` validation: listen address, public URL, link-signing key references and office users.
//!
//! Pure: secrets stay references here (resolved by `web::keys` at start-up); password hashes are
//! only checked for shape (an Argon2 PHC string), never logged.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use serde::Serialize;

use super::SecretRef;
use super::build::Ctx;
use crate::config::raw::{RawSecret, RawWeb};

/// Default listen address of the web pages.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default validity of a signed link, in days.
pub const DEFAULT_LINK_DAYS: u32 = 60;

/// The validated `web:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebSettings {
    /// Where the daemon and `dutybell serve` listen; `None` when `bind: off`.
    pub bind: Option<SocketAddr>,
    /// Base URL of links in messages, without a trailing slash (may carry a path prefix).
    pub public_url: String,
    /// Link-signing keys, the first signs; all verify (rotation).
    pub keys: Vec<LinkKeyRef>,
    /// Office users.
    pub users: Vec<WebUser>,
    /// Validity of a signed link, in days.
    pub link_days: u32,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            bind: DEFAULT_BIND.parse().ok(),
            public_url: format!("http://{DEFAULT_BIND}"),
            keys: Vec::new(),
            users: Vec::new(),
            link_days: DEFAULT_LINK_DAYS,
        }
    }
}

impl WebSettings {
    /// No `web:` section: no pages are served and reminders carry no signed link.
    pub fn off() -> WebSettings {
        WebSettings {
            bind: None,
            ..WebSettings::default()
        }
    }

    /// True when cookies must be `Secure` (the public URL is https).
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The path prefix of the public URL (`/dutybell`), or empty.
    pub fn path_prefix(&self) -> &str {
        let rest = self.public_url.split_once("://").map_or("", |(_, r)| r);
        rest.find('/').map_or("", |i| &rest[i..])
    }
}

/// A link-signing key: its id and where the secret comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkKeyRef {
    /// Key id carried in tokens.
    pub id: String,
    /// The secret reference.
    #[serde(skip)]
    pub secret: SecretRef,
}

/// An office user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebUser {
    /// Login name.
    pub name: String,
    /// Shown name.
    pub display: String,
    /// Argon2 PHC hash.
    #[serde(skip)]
    pub password_hash: String,
}

/// Validates `web:`, reporting every problem with its location.
pub(super) fn web(ctx: &mut Ctx, raw: &RawWeb) -> WebSettings {
    let mut out = WebSettings::default();
    if let Some(b) = &raw.bind {
        out.bind = if b.value == "off" {
            None
        } else {
            ctx.check(
                b,
                b.value.parse::<SocketAddr>().map_err(|_| {
                    format!(
                        "`{}` is not a listen address like 127.0.0.1:8080 (or `off`)",
                        b.value
                    )
                }),
            )
        };
    }
    out.public_url = match (&raw.public_url, out.bind) {
        (Some(u), _) => {
            let v = u.value.trim_end_matches('/').to_owned();
            if !(v.starts_with("http://") || v.starts_with("https://")) || v.contains(['?', '#']) {
                ctx.error(u, format!("`{}` is not an http(s) base URL", u.value));
            }
            v
        }
        (None, Some(addr)) => format!("http://{addr}"),
        (None, None) => out.public_url,
    };
    let mut ids = BTreeSet::new();
    for k in &raw.keys {
        if k.id.value.is_empty()
            || !k
                .id
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            ctx.error(&k.id, "a key id is letters, digits, - and _");
        }
        if !ids.insert(k.id.value.clone()) {
            ctx.error(&k.id, format!("duplicate key id `{}`", k.id.value));
        }
        if k.secret.value == RawSecret::Inline {
            ctx.error(
                &k.secret,
                "link keys are never inline; use {env: NAME}, {file: PATH} or {credential: NAME}",
            );
        }
        out.keys.push(LinkKeyRef {
            id: k.id.value.clone(),
            secret: k.secret.value.clone(),
        });
    }
    let mut names = BTreeSet::new();
    for u in &raw.users {
        if !names.insert(u.name.value.clone()) {
            ctx.error(&u.name, format!("duplicate user `{}`", u.name.value));
        }
        if argon2::PasswordHash::new(&u.password_hash.value).is_err()
            || !u.password_hash.value.starts_with("$argon2")
        {
            // The value is not echoed: it may be a password pasted by mistake.
            ctx.error(
                &u.password_hash,
                "password_hash must be an Argon2 PHC string ($argon2id$v=19$...); generate one with `dutybell hash-password`",
            );
        }
        out.users.push(WebUser {
            name: u.name.value.clone(),
            display: u.display.clone().unwrap_or_else(|| u.name.value.clone()),
            password_hash: u.password_hash.value.clone(),
        });
    }
    if let Some(d) = &raw.link_days {
        if d.value == 0 || d.value > 366 {
            ctx.error(d, "link_days must be between 1 and 366");
        } else {
            out.link_days = d.value;
        }
    }
    out
}
