//! Builds the live channels from the catalog's channel specs, resolving secrets on the way.
//!
//! May touch: secrets through a [`SecretSource`], the SMTP extra CA file (via
//! [`EmailChannel::new`]). No network: channels connect on their first send. Every problem of
//! every channel is collected (with the channel id) so the admin sees them all at once.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::email::{DEFAULT_POOL_SIZE, EmailChannel, SmtpConfig, SmtpTls};
use super::file::FileChannel;
use super::secret::SecretSource;
use super::webhook::{self, Secret, WebhookChannel, WebhookTarget};
use super::{Channel, Mailbox};
use crate::catalog::SmtpTls as SpecTls;
use crate::catalog::{Catalog, ChannelKind, ChannelSpec, Flavour as SpecFlavour, SecretRef};

/// Deadline for one SMTP send (connect, TLS, AUTH, transaction).
const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

/// The enabled channels, by id.
#[derive(Clone, Default)]
pub struct ChannelSet {
    channels: BTreeMap<String, Arc<dyn Channel>>,
}

impl fmt::Debug for ChannelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelSet")
            .field("ids", &self.channels.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ChannelSet {
    /// The channel with this id, if it is enabled and built.
    pub fn get(&self, id: &str) -> Option<Arc<dyn Channel>> {
        self.channels.get(id).cloned()
    }

    /// Ids of the built channels, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.channels.keys().map(String::as_str)
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// True when no channel is enabled.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }
}

/// Builds every ENABLED channel of `cat`. Webhooks share one HTTP client.
///
/// Must be called inside a tokio runtime (the pooled SMTP transport needs one).
///
/// # Errors
/// Every problem found (missing environment variable, unreadable secret file, bad `whsec_`
/// secret, invalid SMTP settings, …), each prefixed with the channel id. Never a secret value.
pub fn build_channels(
    cat: &Catalog,
    secrets: &dyn SecretSource,
) -> Result<ChannelSet, Vec<String>> {
    let client = webhook::http_client();
    let mut set = ChannelSet::default();
    let mut problems = Vec::new();
    for spec in cat.channels.iter().filter(|c| c.enabled) {
        match build_channel(spec, secrets, &client) {
            Ok(ch) => {
                set.channels.insert(spec.id.clone(), ch);
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(set)
    } else {
        Err(problems)
    }
}

/// Builds one channel, enabled or not (`send-test` may try a channel before enabling it).
///
/// Must be called inside a tokio runtime for SMTP channels.
///
/// # Errors
/// As [`build_channels`], for this channel only.
pub fn build_channel(
    spec: &ChannelSpec,
    secrets: &dyn SecretSource,
    client: &reqwest::Client,
) -> Result<Arc<dyn Channel>, Vec<String>> {
    let id = &spec.id;
    match &spec.kind {
        ChannelKind::File { dir } => Ok(Arc::new(FileChannel::new(id.clone(), dir.clone()))),
        ChannelKind::Smtp { .. } => {
            let cfg = smtp_config(spec, secrets)?;
            // The channel's `concurrency:` sizes the connection pool as well as the sends in
            // flight: one connection per concurrent transaction, none waiting for another.
            let pool = spec.concurrency.unwrap_or(DEFAULT_POOL_SIZE);
            let ch = EmailChannel::with_pool_size(cfg, pool)
                .map_err(|e| vec![format!("channel {id}: {e}")])?;
            Ok(Arc::new(ch))
        }
        ChannelKind::Webhook { .. } => {
            let target = webhook_target(spec, secrets)?;
            let ch = WebhookChannel::new(target, client.clone())
                .map_err(|e| vec![format!("channel {id}: {e}")])?;
            Ok(Arc::new(ch))
        }
    }
}

/// Problems resolving the secrets of ENABLED channels, without building anything (for
/// `dutybell check`, which runs without a tokio runtime). Empty when all secrets resolve.
pub fn check_channels(cat: &Catalog, secrets: &dyn SecretSource) -> Vec<String> {
    let mut out = Vec::new();
    for spec in cat.channels.iter().filter(|c| c.enabled) {
        for r in secret_refs(spec) {
            if let Err(e) = secrets.get(r) {
                out.push(format!("channel {}: {e}", spec.id));
            }
        }
    }
    out
}

fn secret_refs(spec: &ChannelSpec) -> Vec<&SecretRef> {
    match &spec.kind {
        ChannelKind::File { .. } => Vec::new(),
        ChannelKind::Smtp { password, .. } => password.iter().collect(),
        ChannelKind::Webhook {
            endpoint, secret, ..
        } => std::iter::once(endpoint).chain(secret).collect(),
    }
}

/// Resolves `r` (if any), recording a problem named after the channel and the reference.
fn resolve(
    id: &str,
    r: Option<&SecretRef>,
    secrets: &dyn SecretSource,
    problems: &mut Vec<String>,
) -> Option<String> {
    let r = r?;
    match secrets.get(r) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(format!("channel {id}: {e}"));
            None
        }
    }
}

fn smtp_config(spec: &ChannelSpec, secrets: &dyn SecretSource) -> Result<SmtpConfig, Vec<String>> {
    let ChannelKind::Smtp {
        host,
        port,
        tls,
        username,
        password,
        ca_file,
        from_name,
        from_email,
    } = &spec.kind
    else {
        return Err(vec![format!("channel {}: not an smtp channel", spec.id)]);
    };
    let mut problems = Vec::new();
    let password = resolve(&spec.id, password.as_ref(), secrets, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let tls = match tls {
        SpecTls::Implicit => SmtpTls::Implicit,
        SpecTls::Starttls => SmtpTls::StartTls,
        SpecTls::None => SmtpTls::None,
    };
    Ok(SmtpConfig {
        id: spec.id.clone(),
        host: host.clone(),
        port: *port,
        tls,
        username: username.clone(),
        password,
        from: Mailbox {
            name: Some(from_name.clone()),
            email: from_email.clone(),
        },
        extra_root_ca: ca_file.clone(),
        // The catalog already refuses plain SMTP to a non-loopback host, so `tls: none` in a
        // validated config is the admin's explicit opt-in for a local relay.
        allow_plain_loopback: tls == SmtpTls::None,
        timeout: SMTP_TIMEOUT,
    })
}

fn webhook_target(
    spec: &ChannelSpec,
    secrets: &dyn SecretSource,
) -> Result<WebhookTarget, Vec<String>> {
    let ChannelKind::Webhook {
        flavour,
        endpoint,
        secret,
        keyword,
        mention_heads,
        base_url,
    } = &spec.kind
    else {
        return Err(vec![format!("channel {}: not a webhook channel", spec.id)]);
    };
    let mut problems = Vec::new();
    let endpoint = resolve(&spec.id, Some(endpoint), secrets, &mut problems);
    let secret = resolve(&spec.id, secret.as_ref(), secrets, &mut problems).map(Secret::new);
    let Some(endpoint) = endpoint.filter(|_| problems.is_empty()).map(Secret::new) else {
        return Err(problems);
    };
    let keyword = keyword.clone();
    let f = match flavour {
        SpecFlavour::Wecom => webhook::Flavour::Wecom { key: endpoint },
        SpecFlavour::Dingtalk => webhook::Flavour::Dingtalk {
            access_token: endpoint,
            secret,
            keyword,
        },
        SpecFlavour::Feishu => webhook::Flavour::Feishu {
            hook_id: endpoint,
            secret,
            keyword,
        },
        SpecFlavour::Generic => webhook::Flavour::Generic {
            url: endpoint,
            secret,
        },
    };
    let mut target = WebhookTarget::new(spec.id.clone(), f);
    target.base_url = base_url.clone();
    target.mention_mobiles = *mention_heads;
    Ok(target)
}
