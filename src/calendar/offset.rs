//! Offsets such as `14d`, `3wd`, `2w`, `0d`, `-7d`, `-3wd`, used by reminder ladders and rules.
//!
//! Pure text parsing; applying an offset to a date is [`WorkCalendar::apply`](super::WorkCalendar::apply).
//! Errors are plain text; the config layer adds `file:line:col`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A signed distance between dates.
///
/// Weeks (`2w`) are parsed as 7 calendar days each, so `"2w"` becomes `Days(14)` and displays as
/// `14d`: the value round-trips, the spelling does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Offset {
    /// Calendar days (`14d`, `2w`, `-7d`).
    Days(i32),
    /// Working days under the Chinese statutory calendar, 调休 aware (`3wd`, `-3wd`).
    Workdays(i32),
}

/// Why an offset string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OffsetError {
    /// The text does not have the `<number><unit>` shape.
    #[error(
        "invalid offset {0:?}: expected a whole number and a unit, like \"14d\" (days), \
         \"3wd\" (working days), \"2w\" (weeks), \"0d\" or \"-7d\""
    )]
    Syntax(String),
    /// The unit is not one of `d`, `wd`, `w`.
    #[error(
        "invalid offset {text:?}: unknown unit {unit:?}; use d (days), wd (working days) or w (weeks)"
    )]
    Unit {
        /// The whole text.
        text: String,
        /// The unit as written.
        unit: String,
    },
    /// The number does not fit.
    #[error("invalid offset {0:?}: the number is too large")]
    TooLarge(String),
}

impl Offset {
    /// The same distance in the other direction (`3wd` becomes `-3wd`).
    pub fn negated(self) -> Offset {
        match self {
            Offset::Days(n) => Offset::Days(n.saturating_neg()),
            Offset::Workdays(n) => Offset::Workdays(n.saturating_neg()),
        }
    }

    /// True for `0d` and `0wd`: "the day itself".
    pub fn is_zero(self) -> bool {
        matches!(self, Offset::Days(0) | Offset::Workdays(0))
    }
}

impl FromStr for Offset {
    type Err = OffsetError;

    fn from_str(text: &str) -> Result<Offset, OffsetError> {
        let s = text.trim();
        let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
        let negative = s.starts_with('-');
        let digits_end = unsigned
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(unsigned.len());
        let (digits, unit) = unsigned.split_at(digits_end);
        if digits.is_empty() || unit.is_empty() {
            return Err(OffsetError::Syntax(text.to_string()));
        }
        let too_large = || OffsetError::TooLarge(text.to_string());
        let magnitude: i32 = digits.parse().map_err(|_| too_large())?;
        let n = if negative { -magnitude } else { magnitude };
        match unit {
            "d" => Ok(Offset::Days(n)),
            "wd" => Ok(Offset::Workdays(n)),
            "w" => n.checked_mul(7).map(Offset::Days).ok_or_else(too_large),
            _ => Err(OffsetError::Unit {
                text: text.to_string(),
                unit: unit.to_string(),
            }),
        }
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Offset::Days(n) => write!(f, "{n}d"),
            Offset::Workdays(n) => write!(f, "{n}wd"),
        }
    }
}

impl Serialize for Offset {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Accepts a string (`"3wd"`) or a bare integer of calendar days (`-7`), as docs/CONFIG.md says.
impl<'de> Deserialize<'de> for Offset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Offset, D::Error> {
        d.deserialize_any(OffsetVisitor)
    }
}

/// serde visitor for [`Offset`].
struct OffsetVisitor;

impl de::Visitor<'_> for OffsetVisitor {
    type Value = Offset;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an offset like \"14d\", \"3wd\", \"2w\", \"-7d\" or an integer of days")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Offset, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Offset, E> {
        i32::try_from(v)
            .map(Offset::Days)
            .map_err(|_| E::custom(format!("offset {v} days is too large")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Offset, E> {
        i32::try_from(v)
            .map(Offset::Days)
            .map_err(|_| E::custom(format!("offset {v} days is too large")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        assert_eq!("14d".parse(), Ok(Offset::Days(14)));
        assert_eq!("3wd".parse(), Ok(Offset::Workdays(3)));
        assert_eq!("2w".parse(), Ok(Offset::Days(14)));
        assert_eq!("0d".parse(), Ok(Offset::Days(0)));
        assert_eq!("-7d".parse(), Ok(Offset::Days(-7)));
        assert_eq!("-3wd".parse(), Ok(Offset::Workdays(-3)));
        assert_eq!("+5wd".parse(), Ok(Offset::Workdays(5)));
        assert_eq!(" 1d ".parse(), Ok(Offset::Days(1)));
        assert_eq!("-1w".parse(), Ok(Offset::Days(-7)));
    }

    #[test]
    fn displays_back_to_parseable_text() {
        for text in ["14d", "3wd", "0d", "-7d", "-3wd", "0wd"] {
            let off: Offset = text.parse().unwrap();
            assert_eq!(off.to_string(), text);
        }
        // Weeks keep their value, not their spelling.
        assert_eq!("2w".parse::<Offset>().unwrap().to_string(), "14d");
    }

    #[test]
    fn rejects_bad_text_with_clear_messages() {
        let e = "3x".parse::<Offset>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid offset \"3x\": unknown unit \"x\"; use d (days), wd (working days) or w (weeks)"
        );
        for bad in ["", "d", "3", "-", "--3d", "3 d", "3D", "1.5d", "wd3"] {
            let e = bad.parse::<Offset>().unwrap_err();
            assert!(e.to_string().contains(&format!("{bad:?}")), "{bad}: {e}");
        }
        assert!(matches!(
            "99999999999d".parse::<Offset>(),
            Err(OffsetError::TooLarge(_))
        ));
        assert!(matches!(
            "400000000w".parse::<Offset>(),
            Err(OffsetError::TooLarge(_))
        ));
    }

    #[test]
    fn negation_and_zero() {
        assert_eq!(Offset::Workdays(3).negated(), Offset::Workdays(-3));
        assert_eq!(Offset::Days(-7).negated(), Offset::Days(7));
        assert!(Offset::Days(0).is_zero());
        assert!(!Offset::Workdays(1).is_zero());
    }

    #[test]
    fn serde_accepts_strings_and_integers() {
        let v: Vec<Offset> = serde_json::from_str(r#"["14d", "-3wd", -7, 0]"#).unwrap();
        assert_eq!(
            v,
            [
                Offset::Days(14),
                Offset::Workdays(-3),
                Offset::Days(-7),
                Offset::Days(0)
            ]
        );
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"["14d","-3wd","-7d","0d"]"#
        );
        assert!(serde_json::from_str::<Offset>(r#""7h""#).is_err());
    }
}
