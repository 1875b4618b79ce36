//! `dutybell send-test CHANNEL [--to ADDRESS]`: builds one channel (secrets from the
//! environment, files or systemd credentials), sends a 测试消息, prints the vendor's answer.
//!
//! Exit codes: 0 sent, 1 the send failed (the classified error is printed), 2 unknown channel or
//! a channel that cannot be built (missing secret, bad settings).

use std::sync::Arc;

use clap::Args;

use super::CliError;
use crate::catalog::ChannelKind;
use crate::loader::Loaded;
use crate::notify::secret::SystemSecrets;
use crate::notify::{Channel, Mailbox, build, webhook};
use crate::render::{Renderer, test_message};

/// Arguments of `send-test`.
#[derive(Debug, Args)]
pub struct SendTestArgs {
    /// Channel id from the config (`file`, `smtp`, `wecom-food`, …). A disabled channel is
    /// tested too, so it can be checked before it is enabled.
    pub channel: String,
    /// Email recipient (smtp channels only; default: the channel's `from` address).
    #[arg(long)]
    pub to: Option<String>,
}

pub(super) fn run(l: &Loaded, a: &SendTestArgs, now: jiff::Timestamp) -> Result<(), CliError> {
    let cat = &l.catalog;
    let Some(spec) = cat.channel(&a.channel) else {
        let ids: Vec<&str> = cat.channels.iter().map(|c| c.id.as_str()).collect();
        let hint = crate::config::diag::hint(&a.channel, ids.iter().copied());
        return Err(CliError::Usage(format!(
            "unknown channel `{}`{hint}; configured: {}",
            a.channel,
            ids.join(", ")
        )));
    };
    let is_smtp = matches!(spec.kind, ChannelKind::Smtp { .. });
    if a.to.is_some() && !is_smtp {
        return Err(CliError::Usage(format!(
            "--to applies to smtp channels only; `{}` is a {} channel",
            spec.id,
            spec.kind_name()
        )));
    }
    if !spec.enabled {
        eprintln!("note: channel `{}` is disabled in the config", spec.id);
    }
    let renderer = Renderer::new(cat.settings.templates.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let mut note = test_message(&renderer, &spec.id, now.as_second(), cat.settings.tz.tz())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if let ChannelKind::Smtp {
        from_name,
        from_email,
        ..
    } = &spec.kind
    {
        note.recipients.to.push(match &a.to {
            Some(addr) => Mailbox {
                name: None,
                email: addr.clone(),
            },
            None => Mailbox {
                name: Some(from_name.clone()),
                email: from_email.clone(),
            },
        });
    }
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("cannot start the tokio runtime: {e}")))?;
    let secrets = SystemSecrets::from_env();
    let result = rt.block_on(async {
        let client = webhook::http_client();
        let channel: Arc<dyn Channel> = build::build_channel(spec, &secrets, &client)
            .map_err(|p| CliError::Usage(p.join("\n")))?;
        let sent = channel.send(&note).await;
        // Dropped inside the runtime: the SMTP pool cleans up with a spawned task.
        drop(channel);
        Ok::<_, CliError>(sent)
    })?;
    match result {
        Ok(receipt) => {
            println!("ok: {}: {}", spec.id, receipt.detail);
            Ok(())
        }
        Err(e) => Err(CliError::Runtime(anyhow::anyhow!(
            "send-test {} failed: {e}",
            spec.id
        ))),
    }
}
