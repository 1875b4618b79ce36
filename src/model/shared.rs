//! [`SharedStr`]: an immutable string shared by reference count, for the planner's output.
//!
//! A year of 10,000 duties is ~1.6 million reminders over a few thousand distinct strings (task
//! ids, occurrence keys, stage names and reasons, recipients, channels). Each reminder owning its
//! six strings cost six allocations and was a third of all planning work; sharing them costs a
//! reference count. Unlike a bare `Arc<str>` it compares with `&str` and `String` (both ways), so
//! code that reads reminders reads them as strings.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// An immutable, cheaply cloned string (see the module comment).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SharedStr(Arc<str>);

impl SharedStr {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when both are the same allocation (so equal without comparing the text).
    pub fn ptr_eq(a: &SharedStr, b: &SharedStr) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// Compares as `Ord` does, skipping the text when both share one allocation.
    pub fn cmp_shared(a: &SharedStr, b: &SharedStr) -> std::cmp::Ordering {
        if SharedStr::ptr_eq(a, b) {
            std::cmp::Ordering::Equal
        } else {
            a.0.cmp(&b.0)
        }
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> SharedStr {
        SharedStr(s.into())
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> SharedStr {
        SharedStr(s.into())
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_as_its_text_and_shares_on_clone() {
        let a = SharedStr::from("food");
        let b = a.clone();
        let c = SharedStr::from(String::from("food"));
        assert!(SharedStr::ptr_eq(&a, &b));
        assert!(!SharedStr::ptr_eq(&a, &c));
        assert_eq!(a, c);
        assert_eq!(a, "food");
        assert_eq!("food", a);
        assert_eq!(a, String::from("food"));
        assert_eq!(String::from("food"), a);
        assert_eq!(SharedStr::cmp_shared(&a, &c), std::cmp::Ordering::Equal);
        let (due, lead) = (SharedStr::from("due"), SharedStr::from("lead-3wd"));
        assert!(due < lead);
        assert_eq!(
            SharedStr::cmp_shared(&lead, &due),
            std::cmp::Ordering::Greater
        );
        assert_eq!(format!("{a} {a:?}"), "food \"food\"");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"food\"");
        assert_eq!(a.len(), 4);
    }
}
