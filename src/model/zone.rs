//! [`Zone`]: the plan's time zone, resolved once when the config is loaded.
//!
//! An unknown zone name is a config error at load time; after that no code looks a zone up by
//! name again, and nothing outside the config default names one.

use std::ops::Deref;

use jiff::tz::TimeZone;

/// The plan's time zone, resolved. Compares and prints by its IANA name.
#[derive(Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// The default when a config names none: the bureau's zone.
    pub const DEFAULT_NAME: &'static str = "Asia/Shanghai";

    /// Resolves an IANA name (from the bundled tz database).
    ///
    /// # Errors
    /// jiff's error when the name is unknown.
    pub fn get(name: &str) -> Result<Zone, jiff::Error> {
        Ok(Zone {
            name: name.to_owned(),
            tz: TimeZone::get(name)?,
        })
    }

    /// The default zone ([`Zone::DEFAULT_NAME`]).
    ///
    /// # Panics
    /// Never: the name is in the tz database bundled into the binary (a unit test checks it).
    pub fn default_zone() -> Zone {
        #[allow(clippy::expect_used)]
        Zone::get(Self::DEFAULT_NAME).expect("Asia/Shanghai is in the bundled tz database")
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The resolved zone.
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::default_zone()
    }
}

impl Deref for Zone {
    type Target = TimeZone;
    fn deref(&self) -> &TimeZone {
        &self.tz
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_zone_resolves_and_unknown_is_an_error() {
        assert_eq!(Zone::default_zone().name(), "Asia/Shanghai");
        assert!(Zone::get("Mars/Olympus").is_err());
    }
}
