//! `units:`, `groups:` and `channels:`: who is reminded, and through what (mailboxes, webhooks,
//! secrets by reference).

use serde::Deserialize;

use super::{LStr, Located};

/// A unit head.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHead {
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<LStr>,
    /// Mobile (quoted).
    pub mobile: Option<LStr>,
}

/// One unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnit {
    /// Id (optional: derived from `name` when absent; plans may name units by name or alias).
    pub id: Option<LStr>,
    /// Chinese name.
    pub name: LStr,
    /// Kind.
    pub kind: LStr,
    /// Head.
    pub head: Option<RawHead>,
    /// Unit mailboxes.
    #[serde(default)]
    pub email: Vec<LStr>,
    /// Chat channel ids.
    #[serde(default)]
    pub channels: Vec<LStr>,
    /// Other spellings.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Version of the unit's signed web links; bumping it revokes every older link (default 1).
    pub link_version: Option<Located<u32>>,
}

/// One group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// Id.
    pub id: LStr,
    /// Chinese name.
    pub name: LStr,
    /// Unit or group ids.
    pub members: Vec<LStr>,
    /// Other spellings.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A reference to a secret: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSecret {
    /// Written inline in the YAML: always refused (the text is not kept).
    Inline,
    /// `{env: NAME}`.
    Env(String),
    /// `{file: PATH}`.
    File(String),
    /// `{credential: NAME}` (systemd `LoadCredential=`).
    Credential(String),
}

impl<'de> Deserialize<'de> for RawSecret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawSecret;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a secret reference `{env: NAME}`, `{file: PATH}` or `{credential: NAME}`",
                )
            }
            fn visit_str<E>(self, _: &str) -> Result<RawSecret, E> {
                Ok(RawSecret::Inline)
            }
            fn visit_i64<E>(self, _: i64) -> Result<RawSecret, E> {
                Ok(RawSecret::Inline)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<RawSecret, A::Error> {
                use serde::de::Error;
                let Some(k) = a.next_key::<String>()? else {
                    return Err(A::Error::custom(
                        "empty secret reference; use {env: NAME}, {file: PATH} or {credential: NAME}",
                    ));
                };
                let v: String = a.next_value()?;
                if a.next_key::<String>()?.is_some() {
                    return Err(A::Error::custom("a secret reference has exactly one key"));
                }
                match k.as_str() {
                    "env" => Ok(RawSecret::Env(v)),
                    "file" => Ok(RawSecret::File(v)),
                    "credential" => Ok(RawSecret::Credential(v)),
                    _ => Err(A::Error::unknown_field(&k, &["env", "file", "credential"])),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A mailbox in YAML: `{name: 督办提醒, email: x@example.org}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMailbox {
    /// Display name.
    pub name: Option<String>,
    /// Address.
    pub email: LStr,
}

/// One channel; which keys apply depends on `kind` (checked by the catalog).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    /// Id.
    pub id: LStr,
    /// `file` | `smtp` | `wecom` | `dingtalk` | `feishu` | `generic`.
    pub kind: LStr,
    /// Off by default for everything but `file` in the reference config.
    pub enabled: Option<bool>,
    /// file: output directory.
    pub dir: Option<LStr>,
    /// smtp: relay host.
    pub host: Option<LStr>,
    /// smtp: port.
    pub port: Option<Located<u16>>,
    /// smtp: `implicit` | `starttls` | `none`.
    pub tls: Option<LStr>,
    /// smtp: user name.
    pub username: Option<LStr>,
    /// smtp: password reference.
    pub password: Option<Located<RawSecret>>,
    /// smtp: extra root CA (PEM) for a private relay.
    pub ca_file: Option<LStr>,
    /// smtp: sender.
    pub from: Option<RawMailbox>,
    /// wecom: bot key reference.
    pub key: Option<Located<RawSecret>>,
    /// dingtalk: access token reference.
    pub token: Option<Located<RawSecret>>,
    /// feishu: hook id reference.
    pub hook: Option<Located<RawSecret>>,
    /// generic: URL reference (the URL itself is a credential).
    pub url: Option<Located<RawSecret>>,
    /// dingtalk/feishu signing secret, generic `whsec_` secret.
    pub secret: Option<Located<RawSecret>>,
    /// dingtalk/feishu keyword security.
    pub keyword: Option<LStr>,
    /// wecom/dingtalk: @-mention unit heads by mobile.
    pub mention_heads: Option<bool>,
    /// Override the vendor endpoint base (private deployments, tests).
    pub base_url: Option<LStr>,
    /// Max sends in flight.
    pub concurrency: Option<Located<u32>>,
}
