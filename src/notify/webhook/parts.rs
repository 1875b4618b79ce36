//! Which parts of a split chat message an attempt delivered (issue 12): when part 2 of 3 fails,
//! the retry sends parts 2 and 3, not part 1 again.
//!
//! The record rides on the failure itself: the error of a failed multi-part send ends with a
//! marker `[sent parts: 1/3 a1b2c3d4e5f6]` naming the fingerprints of the parts delivered so far
//! (this attempt's and earlier ones'). The outbox keeps the error as the row's `last_error` on
//! both store backends and in its delivery record, so no schema changes; the dispatcher reads the
//! marker back from the claimed row and the channel leaves those parts out.
//!
//! A fingerprint is of the part's request body as built for a fixed instant, so it does not
//! depend on the signature timestamp, but does on the content: when the message was rendered
//! differently on retry (another day's wording, another group), no part matches and all are
//! sent, which is right. A crash mid-send loses the marker (the row's error becomes
//! "interrupted"), and the retry sends every part again: at least once, never a part missing.
//! Pure; touches nothing.

use sha2::{Digest, Sha256};

use crate::notify::SendError;

/// Start of the marker in an error message.
const MARK: &str = "[sent parts: ";

/// A part's fingerprint: the first 6 bytes of the SHA-256 of its body, in hex.
pub fn fingerprint(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The marker for `sent` (fingerprints) of `total` parts, with a leading space; empty when
/// nothing was sent.
pub fn marker(sent: &[String], total: usize) -> String {
    if sent.is_empty() {
        return String::new();
    }
    format!(" {MARK}{}/{total} {}]", sent.len(), sent.join(","))
}

/// The fingerprints named by the last marker in `error`, or none.
pub fn sent_from(error: Option<&str>) -> Vec<String> {
    let Some(e) = error else {
        return Vec::new();
    };
    let Some(start) = e.rfind(MARK) else {
        return Vec::new();
    };
    let rest = &e[start + MARK.len()..];
    let Some(end) = rest.find(']') else {
        return Vec::new();
    };
    // `1/3 a1b2,c3d4`: the count, then the fingerprints.
    rest[..end]
        .split_once(' ')
        .map(|(_, fps)| {
            fps.split(',')
                .filter(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The marker of `error` again (with its leading space), so an outcome that did not try the
/// channel (a paused channel) keeps the record for the next attempt; empty when there is none.
pub fn carry(error: Option<&str>) -> String {
    let sent = sent_from(error);
    let total = error
        .and_then(|e| e.rfind(MARK).map(|i| &e[i + MARK.len()..]))
        .and_then(|r| r.split_once(' '))
        .and_then(|(count, _)| count.split_once('/'))
        .and_then(|(_, total)| total.parse().ok())
        .unwrap_or(sent.len());
    marker(&sent, total)
}

/// `e`, the failure of part `part` (0-based) of `total`, naming the part and carrying the marker
/// of the parts `sent` so far.
pub fn failed_part(e: SendError, part: usize, total: usize, sent: &[String]) -> SendError {
    let suffix = format!(" (part {}/{total}){}", part + 1, marker(sent, total));
    match e {
        SendError::Transient {
            message,
            retry_after,
        } => SendError::Transient {
            message: format!("{message}{suffix}"),
            retry_after,
        },
        SendError::Permanent { message } => SendError::Permanent {
            message: format!("{message}{suffix}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_reads_back_and_survives_prefixes() {
        let a = fingerprint(b"part one");
        let b = fingerprint(b"part two");
        assert_eq!(a.len(), 12);
        assert_ne!(a, b);
        let m = marker(&[a.clone(), b.clone()], 3);
        let error = format!("transient: wecom-food: errcode -1 system busy{m}");
        assert_eq!(sent_from(Some(&error)), vec![a.clone(), b.clone()]);
        assert_eq!(carry(Some(&error)), m);
        assert!(sent_from(Some("transient: timeout")).is_empty());
        assert!(sent_from(None).is_empty());
        assert_eq!(marker(&[], 3), "");
        assert_eq!(carry(Some("interrupted")), "");
        // A truncated or foreign marker yields nothing rather than garbage.
        assert!(sent_from(Some("x [sent parts: 1/2 zz!")).is_empty());
        assert!(sent_from(Some("x [sent parts: 1/2 <script>]")).is_empty());
    }
}
