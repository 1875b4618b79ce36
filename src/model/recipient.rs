//! [`Recipient`]: who a reminder is addressed to, instead of strings such as `food#head`.
//!
//! The stored form (the outbox's `recipient` column and the reminder identity) stays text, so
//! databases written by earlier versions read back unchanged: a unit or group id, `{unit}#head`
//! for a unit head, or `operator`.

use std::fmt;

/// Suffix marking a unit head in the stored form.
pub const HEAD_SUFFIX: &str = "#head";

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recipient {
    /// A unit (or a group id, expanded when rendered).
    Unit(String),
    /// The head of a unit (escalations, digests).
    Head(String),
    /// The admin (operator alerts).
    Operator,
}

impl Recipient {
    /// Reads the stored form.
    pub fn parse(text: &str) -> Recipient {
        if text == "operator" {
            Recipient::Operator
        } else if let Some(unit) = text.strip_suffix(HEAD_SUFFIX) {
            Recipient::Head(unit.to_owned())
        } else {
            Recipient::Unit(text.to_owned())
        }
    }

    /// The unit (or group) id behind the recipient; `None` for the operator.
    pub fn unit(&self) -> Option<&str> {
        match self {
            Recipient::Unit(u) | Recipient::Head(u) => Some(u),
            Recipient::Operator => None,
        }
    }

    /// True for a unit head.
    pub fn is_head(&self) -> bool {
        matches!(self, Recipient::Head(_))
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Unit(u) => f.write_str(u),
            Recipient::Head(u) => write!(f, "{u}{HEAD_SUFFIX}"),
            Recipient::Operator => f.write_str("operator"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips() {
        for text in ["food", "food#head", "operator", "all_offices"] {
            assert_eq!(Recipient::parse(text).to_string(), text);
        }
        assert_eq!(Recipient::parse("food#head").unit(), Some("food"));
        assert!(Recipient::parse("food#head").is_head());
        assert_eq!(Recipient::parse("operator").unit(), None);
    }
}
