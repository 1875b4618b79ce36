//! Channels: kinds, per-kind keys, secret references (never inline), SMTP TLS rules.

use std::collections::BTreeSet;

use super::build::Ctx;
use super::model::{ChannelKind, ChannelSpec, Flavour, SecretRef, SmtpTls};
use super::parse;
use crate::config::Located;
use crate::config::raw::{RawChannel, RawSecret};

const KINDS: &[&str] = &["file", "smtp", "wecom", "dingtalk", "feishu", "generic"];

/// Keys each kind may use (besides id, kind, enabled, concurrency).
fn allowed(kind: &str) -> &'static [&'static str] {
    match kind {
        "file" => &["dir"],
        "smtp" => &[
            "host", "port", "tls", "username", "password", "ca_file", "from",
        ],
        "wecom" => &["key", "mention_heads", "base_url"],
        "dingtalk" => &["token", "secret", "keyword", "mention_heads", "base_url"],
        "feishu" => &["hook", "secret", "keyword", "base_url"],
        _ => &["url", "secret"],
    }
}

fn present(c: &RawChannel) -> Vec<(&'static str, crate::config::Pos, String)> {
    let mut v = Vec::new();
    macro_rules! p {
        ($($f:ident)*) => {$(
            if let Some(x) = &c.$f { v.push((stringify!($f), x.pos, x.path.clone())); }
        )*};
    }
    p!(dir host port tls username password ca_file key token hook url secret keyword base_url);
    if let Some(f) = &c.from {
        v.push(("from", f.email.pos, f.email.path.clone()));
    }
    v
}

/// Refuse inline secrets; return the reference.
fn secret(ctx: &mut Ctx, s: &Option<Located<RawSecret>>) -> Option<SecretRef> {
    let s = s.as_ref()?;
    if s.value == RawSecret::Inline {
        ctx.error(s, "inline secret: secrets are never written in YAML; use {env: NAME}, {file: PATH} or {credential: NAME}");
        return None;
    }
    Some(s.value.clone())
}

fn required(ctx: &mut Ctx, c: &RawChannel, key: &str, v: Option<SecretRef>) -> SecretRef {
    v.unwrap_or_else(|| {
        ctx.error(
            &c.id,
            format!(
                "channel `{}` of kind {} needs `{key}`",
                c.id.value, c.kind.value
            ),
        );
        RawSecret::Env(String::new())
    })
}

pub(super) fn channels(ctx: &mut Ctx, raw: &crate::config::RawConfig) -> Vec<ChannelSpec> {
    let mut ids = BTreeSet::new();
    let mut out = Vec::new();
    for c in &raw.channels {
        ctx.check(&c.id, parse::id(&c.id.value));
        if !ids.insert(c.id.value.clone()) {
            ctx.error(&c.id, format!("duplicate channel id `{}`", c.id.value));
        }
        let kind = c.kind.value.as_str();
        if !KINDS.contains(&kind) {
            let h = crate::config::diag::hint(kind, KINDS.iter().copied());
            ctx.error(
                &c.kind,
                format!(
                    "unknown channel kind `{kind}`{h}; expected one of: {}",
                    KINDS.join(", ")
                ),
            );
            continue;
        }
        for (key, pos, path) in present(c) {
            if !allowed(kind).contains(&key) {
                let at = Located {
                    value: (),
                    pos,
                    path,
                };
                ctx.error(
                    &at,
                    format!(
                        "`{key}` does not apply to a {kind} channel; it takes: {}",
                        allowed(kind).join(", ")
                    ),
                );
            }
        }
        let Some(k) = channel_kind(ctx, c, raw) else {
            continue;
        };
        out.push(ChannelSpec {
            id: c.id.value.clone(),
            enabled: c.enabled.unwrap_or(true),
            concurrency: c.concurrency.as_ref().map(|n| n.value.max(1) as usize),
            kind: k,
        });
    }
    out
}

fn channel_kind(
    ctx: &mut Ctx,
    c: &RawChannel,
    raw: &crate::config::RawConfig,
) -> Option<ChannelKind> {
    let flavour = |f| {
        Some(ChannelKind::Webhook {
            flavour: f,
            endpoint: RawSecret::Env(String::new()),
            secret: None,
            keyword: c.keyword.as_ref().map(|k| k.value.clone()),
            mention_heads: c.mention_heads.unwrap_or(false),
            base_url: c.base_url.as_ref().map(|b| b.value.clone()),
        })
    };
    let mut k = match c.kind.value.as_str() {
        "file" => {
            let dir = c.dir.as_ref().map(|d| d.value.as_str()).unwrap_or("outbox");
            return Some(ChannelKind::File {
                dir: raw.state_dir.join(dir),
            });
        }
        "smtp" => return smtp(ctx, c),
        "wecom" => flavour(Flavour::Wecom),
        "dingtalk" => flavour(Flavour::Dingtalk),
        "feishu" => flavour(Flavour::Feishu),
        _ => flavour(Flavour::Generic),
    }?;
    if let ChannelKind::Webhook {
        flavour,
        endpoint,
        secret: sec,
        ..
    } = &mut k
    {
        let (key, raw_ref) = match flavour {
            Flavour::Wecom => ("key", &c.key),
            Flavour::Dingtalk => ("token", &c.token),
            Flavour::Feishu => ("hook", &c.hook),
            Flavour::Generic => ("url", &c.url),
        };
        let r = secret(ctx, raw_ref);
        *endpoint = required(ctx, c, key, r);
        *sec = secret(ctx, &c.secret);
    }
    Some(k)
}

fn smtp(ctx: &mut Ctx, c: &RawChannel) -> Option<ChannelKind> {
    let host = c.host.as_ref().map(|h| h.value.clone()).unwrap_or_default();
    if c.host.is_none() {
        ctx.error(&c.id, format!("smtp channel `{}` needs `host`", c.id.value));
    }
    let tls = match c.tls.as_ref().map(|t| t.value.as_str()) {
        None | Some("implicit") => SmtpTls::Implicit,
        Some("starttls") => SmtpTls::Starttls,
        Some("none") => SmtpTls::None,
        Some(other) => {
            ctx.error(
                c.tls.as_ref()?,
                format!("`{other}` is not a TLS mode; expected implicit, starttls or none"),
            );
            SmtpTls::Implicit
        }
    };
    if tls == SmtpTls::None && !parse::is_loopback_host(&host) {
        ctx.error(c.tls.as_ref()?, format!("plain SMTP is only allowed to a loopback relay, not `{host}`; use implicit or starttls"));
    }
    let port = c.port.as_ref().map(|p| p.value).unwrap_or(match tls {
        SmtpTls::Implicit => 465,
        SmtpTls::Starttls => 587,
        SmtpTls::None => 25,
    });
    let (from_name, from_email) = match &c.from {
        Some(f) => {
            ctx.check(&f.email, parse::email(&f.email.value));
            (
                f.name.clone().unwrap_or_else(|| "督办提醒".into()),
                f.email.value.clone(),
            )
        }
        None => {
            ctx.error(
                &c.id,
                format!(
                    "smtp channel `{}` needs `from: {{name, email}}`",
                    c.id.value
                ),
            );
            ("督办提醒".into(), String::new())
        }
    };
    Some(ChannelKind::Smtp {
        host,
        port,
        tls,
        username: c.username.as_ref().map(|u| u.value.clone()),
        password: secret(ctx, &c.password),
        ca_file: c.ca_file.as_ref().map(|f| f.value.clone().into()),
        from_name,
        from_email,
    })
}
