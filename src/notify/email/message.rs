//! Pure message building: a [`Notification`] becomes one RFC 5322 message.
//!
//! Touches nothing: no clock (the `Date` header comes from [`Notification::attempt_at`]), no
//! network, no randomness (the MIME boundary and `Message-ID` derive from the reminder id, so the
//! same notification always renders to the same bytes and a retry reuses its `Message-ID`).

use std::time::{Duration, SystemTime};

use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox as LettreMailbox, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use crate::notify::{Mailbox, Notification, SendError};

/// `Auto-Submitted` (RFC 3834): tells auto-responders not to answer machine mail.
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");
/// Asks Exchange/Outlook not to send out-of-office and similar replies.
const AUTO_RESPONSE_SUPPRESS: HeaderName =
    HeaderName::new_from_ascii_str("X-Auto-Response-Suppress");

/// First 32 hex digits of SHA-256 over `parts` joined by a NUL byte.
fn hash32(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p.as_bytes());
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Keeps only characters valid in a dot-atom domain, so any host name yields a valid id.
fn id_domain(host: &str) -> String {
    let clean: String = host
        .trim()
        .trim_end_matches('.')
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect::<String>()
        .to_ascii_lowercase();
    let clean = clean.trim_matches('.');
    format!(
        "dutybell.{}",
        if clean.is_empty() { "localhost" } else { clean }
    )
}

/// The `Message-ID` of the reminder `id`: `<hex32@dutybell.HOST>`; equal for every retry.
pub fn message_id(id: &str, hostname_for_ids: &str) -> String {
    format!(
        "<{}@{}>",
        hash32(&["message", id]),
        id_domain(hostname_for_ids)
    )
}

/// The id of the (virtual) thread root for `thread`: every reminder about one occurrence
/// points at it with `In-Reply-To` and `References`, so mail clients group them.
pub fn thread_root_id(thread: &str, hostname_for_ids: &str) -> String {
    format!(
        "<{}@{}>",
        hash32(&["thread", thread]),
        id_domain(hostname_for_ids)
    )
}

/// The host part used for ids when sending as `from`: the domain of its address.
pub fn host_of(from: &Mailbox) -> &str {
    from.email.rsplit_once('@').map_or("localhost", |(_, d)| d)
}

fn mailbox(m: &Mailbox) -> Result<LettreMailbox, SendError> {
    let address = m
        .email
        .trim()
        .parse()
        .map_err(|_| SendError::permanent(format!("invalid email address {:?}", m.email)))?;
    let name = m.name.as_deref().map(one_line).filter(|n| !n.is_empty());
    Ok(LettreMailbox::new(name, address))
}

/// `s` with control characters (a NUL, a Word vertical tab, line breaks) turned into spaces and
/// trimmed: display names and the subject are header text, and lettre cannot build a message
/// whose `To` name holds a NUL (found by fuzzing `render_hostile`: "missing destination
/// address").
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn date_of(attempt_at: i64) -> SystemTime {
    let secs = Duration::from_secs(attempt_at.unsigned_abs());
    if attempt_at >= 0 {
        SystemTime::UNIX_EPOCH + secs
    } else {
        SystemTime::UNIX_EPOCH - secs
    }
}

/// The thread roots `n` belongs to: its own thread, or for a grouped message (issue 12) the
/// thread of every task occurrence it lists, so each task's thread in the mail client shows the
/// grouped reminder too. Never empty.
pub fn thread_roots(n: &Notification, hostname_for_ids: &str) -> Vec<String> {
    let mut roots: Vec<String> = Vec::new();
    if let Some(items) = n.data["items"].as_array() {
        for it in items {
            if let (Some(task), Some(occ)) = (it["task"]["id"].as_str(), it["occurrence"].as_str())
            {
                let root = thread_root_id(&format!("{task}|{occ}"), hostname_for_ids);
                if !roots.contains(&root) {
                    roots.push(root);
                }
            }
        }
    }
    if roots.is_empty() {
        roots.push(thread_root_id(&n.thread, hostname_for_ids));
    }
    roots
}

fn alternative(n: &Notification, html: &str) -> MultiPart {
    // Deterministic boundary: the same notification renders to the same bytes.
    let boundary = format!("=_dutybell_{}", hash32(&["boundary", &n.id]));
    MultiPart::alternative()
        .boundary(boundary)
        .singlepart(SinglePart::plain(n.text.clone()))
        .singlepart(SinglePart::html(html.to_owned()))
}

/// Builds the email for `n` sent as `from`.
///
/// `hostname_for_ids` is the domain for ids (normally [`host_of`] the sender): `Message-ID` is
/// [`message_id`]`(n.id, host)`, `In-Reply-To` is the first of [`thread_roots`] and `References`
/// all of them (one per task occurrence of a grouped message).
///
/// # Errors
///
/// [`SendError::Permanent`] when an address is invalid or there is no `To`/`Cc` recipient.
pub fn build_message(
    n: &Notification,
    from: &Mailbox,
    hostname_for_ids: &str,
) -> Result<Message, SendError> {
    let roots = thread_roots(n, hostname_for_ids);
    let mut b = Message::builder()
        .from(mailbox(from)?)
        .subject(one_line(&n.subject))
        .date(date_of(n.attempt_at))
        .message_id(Some(message_id(&n.id, hostname_for_ids)))
        .in_reply_to(roots[0].clone())
        .references(roots.join(" "))
        .raw_header(HeaderValue::new(AUTO_SUBMITTED, "auto-generated".into()))
        .raw_header(HeaderValue::new(AUTO_RESPONSE_SUPPRESS, "All".into()));
    for m in &n.recipients.to {
        b = b.to(mailbox(m)?);
    }
    for m in &n.recipients.cc {
        b = b.cc(mailbox(m)?);
    }
    if let Some(r) = &n.recipients.reply_to {
        b = b.reply_to(mailbox(r)?);
    }
    if n.recipients.to.is_empty() && n.recipients.cc.is_empty() {
        return Err(SendError::permanent(
            "no email recipients (To and Cc are empty)",
        ));
    }
    match &n.html {
        Some(html) => b.multipart(alternative(n, html)),
        None => b.singlepart(SinglePart::plain(n.text.clone())),
    }
    .map_err(|e| SendError::permanent(format!("cannot build email: {e}")))
}

/// The full RFC 5322 bytes of the email for `n` (what `dutybell render` prints).
///
/// # Errors
///
/// As [`build_message`].
pub fn render_rfc5322(
    n: &Notification,
    from: &Mailbox,
    hostname_for_ids: &str,
) -> Result<Vec<u8>, SendError> {
    Ok(build_message(n, from, hostname_for_ids)?.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{Colour, MessageKind, Recipients};
    use mailparse::MailHeaderMap;

    fn note(id: &str, html: Option<&str>) -> Notification {
        Notification {
            id: id.into(),
            thread: "task-07/2026-12".into(),
            kind: MessageKind::Lead,
            colour: Colour::Yellow,
            subject: "【督办】食品安全专项整治：还有3天到期".into(),
            text: "请于12月1日前报送工作进展。".into(),
            html: html.map(str::to_owned),
            markdown: String::new(),
            recipients: Recipients {
                to: vec![Mailbox {
                    name: Some("食品室".into()),
                    email: "food@example.org".into(),
                }],
                cc: vec![Mailbox {
                    name: None,
                    email: "head@example.org".into(),
                }],
                mobiles: vec![],
                reply_to: None,
            },
            data: serde_json::Value::Null,
            attempt_at: 1_795_000_000,
        }
    }

    fn from() -> Mailbox {
        Mailbox {
            name: Some("督办提醒".into()),
            email: "duban@example.org".into(),
        }
    }

    #[test]
    fn same_notification_same_bytes_and_ids() {
        let a = render_rfc5322(&note("r1", Some("<p>请报送</p>")), &from(), "example.org").unwrap();
        let b = render_rfc5322(&note("r1", Some("<p>请报送</p>")), &from(), "example.org").unwrap();
        assert_eq!(a, b);
        assert_ne!(
            message_id("r1", "example.org"),
            message_id("r2", "example.org")
        );
        assert_eq!(
            message_id("r1", "Example.ORG."),
            message_id("r1", "example.org")
        );
        assert!(message_id("r1", "example.org").ends_with("@dutybell.example.org>"));
        assert_ne!(message_id("x", "h"), thread_root_id("x", "h"));
    }

    #[test]
    fn headers_and_parts_parse_back() {
        let raw =
            render_rfc5322(&note("r1", Some("<p>请报送</p>")), &from(), "example.org").unwrap();
        let m = mailparse::parse_mail(&raw).unwrap();
        let h = &m.headers;
        assert_eq!(
            h.get_first_value("Subject").unwrap(),
            "【督办】食品安全专项整治：还有3天到期"
        );
        assert!(h.get_first_value("From").unwrap().starts_with("督办提醒"));
        let root = thread_root_id("task-07/2026-12", "example.org");
        assert_eq!(
            h.get_first_value("Message-ID").unwrap(),
            message_id("r1", "example.org")
        );
        assert_eq!(h.get_first_value("In-Reply-To").unwrap(), root);
        assert_eq!(h.get_first_value("References").unwrap(), root);
        assert_eq!(
            h.get_first_value("Auto-Submitted").unwrap(),
            "auto-generated"
        );
        assert_eq!(
            h.get_first_value("X-Auto-Response-Suppress").unwrap(),
            "All"
        );
        let date = mailparse::dateparse(&h.get_first_value("Date").unwrap()).unwrap();
        assert_eq!(date, 1_795_000_000);
        assert_eq!(m.ctype.mimetype, "multipart/alternative");
        assert_eq!(m.subparts.len(), 2);
        assert_eq!(m.subparts[0].ctype.mimetype, "text/plain");
        assert_eq!(
            m.subparts[0].get_body().unwrap().trim_end(),
            "请于12月1日前报送工作进展。"
        );
        assert_eq!(m.subparts[1].ctype.mimetype, "text/html");
        assert_eq!(m.subparts[1].ctype.charset, "utf-8");
        assert!(
            h.get_first_value("Cc")
                .unwrap()
                .contains("head@example.org")
        );
    }

    #[test]
    fn text_only_is_a_single_plain_part() {
        let raw = render_rfc5322(&note("r1", None), &from(), "example.org").unwrap();
        let m = mailparse::parse_mail(&raw).unwrap();
        assert_eq!(m.ctype.mimetype, "text/plain");
        assert_eq!(m.ctype.charset, "utf-8");
        assert!(m.subparts.is_empty());
        assert_eq!(
            m.get_body().unwrap().trim_end(),
            "请于12月1日前报送工作进展。"
        );
    }

    #[test]
    fn bad_recipients_are_permanent() {
        let mut n = note("r1", None);
        n.recipients.to.clear();
        n.recipients.cc.clear();
        let e = build_message(&n, &from(), "example.org").unwrap_err();
        assert!(
            !e.is_transient() && e.to_string().contains("no email recipients"),
            "{e}"
        );
        n.recipients.to.push(Mailbox {
            name: None,
            email: "not-an-address".into(),
        });
        let e = build_message(&n, &from(), "example.org").unwrap_err();
        assert!(e.to_string().contains("not-an-address"), "{e}");
    }

    /// A NUL or a Word line break in a unit's name or the subject (plan text) never makes the
    /// message unbuildable; found by the `render_hostile` fuzz target.
    #[test]
    fn control_characters_in_names_and_subject_are_spaces() {
        let mut n = note("r1", None);
        n.recipients.to[0].name = Some("\0".into());
        n.recipients.cc[0].name = Some("餐饮\u{b}室\n".into());
        n.subject = "第一行\r\n第二行\0".into();
        let raw = render_rfc5322(&n, &from(), "example.org").unwrap();
        let m = mailparse::parse_mail(&raw).unwrap();
        assert_eq!(
            m.headers.get_first_value("To").as_deref(),
            Some("food@example.org")
        );
        assert_eq!(
            m.headers.get_first_value("Cc").as_deref(),
            Some("餐饮 室 <head@example.org>")
        );
        // mailparse drops the space between the encoded words it decodes.
        let subject = m.headers.get_first_value("Subject").unwrap();
        assert!(
            subject.starts_with("第一行") && subject.ends_with("第二行"),
            "{subject}"
        );
        assert!(!subject.chars().any(char::is_control), "{subject:?}");
    }

    /// Answers go to the 督办 office (`settings.reply_to`), not to the sending robot.
    #[test]
    fn reply_to_is_the_office_mailbox() {
        let mut n = note("r1", None);
        let bytes = render_rfc5322(&n, &from(), "example.org").unwrap();
        let parsed = mailparse::parse_mail(&bytes).unwrap();
        assert!(parsed.headers.get_first_value("Reply-To").is_none());
        n.recipients.reply_to = Some(Mailbox {
            name: None,
            email: "duchaban@example.org".into(),
        });
        let bytes = render_rfc5322(&n, &from(), "example.org").unwrap();
        let parsed = mailparse::parse_mail(&bytes).unwrap();
        assert_eq!(
            parsed.headers.get_first_value("Reply-To").as_deref(),
            Some("duchaban@example.org")
        );
    }
}
