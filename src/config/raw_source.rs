//! The task keys an imported draft adds (`dutybell import`, docs/IMPORT.md): `deadline:` with a
//! `todo:` marker for a 完成时限 phrase the importer did not understand, and `source:`, the cells
//! of the document a task came from, kept verbatim beside what was derived from them.

use serde::Deserialize;

/// `deadline:` of a task: `ongoing`/`长期坚持`, a date, `{date, shift}`, or `{todo: 按上级要求}`.
#[derive(Debug, Clone, Default)]
pub struct RawDeadline {
    /// `ongoing`, `长期坚持` or a date; `None` only with `todo`.
    pub date: Option<String>,
    /// `none` | `previous` | `next` (default `previous`).
    pub shift: Option<String>,
    /// A 完成时限 phrase nobody has turned into a rule yet: the task gets no reminders until
    /// someone writes its rules and removes the marker; `check` warns about it.
    pub todo: Option<String>,
}

impl<'de> Deserialize<'de> for RawDeadline {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Map {
            date: Option<String>,
            shift: Option<String>,
            todo: Option<String>,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawDeadline;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "`ongoing`, a date such as 2027-06-30, `{date: 2027-06-30, shift: none}` or \
                     `{todo: \"按上级要求\"}`",
                )
            }
            fn visit_str<E>(self, s: &str) -> Result<RawDeadline, E> {
                Ok(RawDeadline {
                    date: Some(s.to_string()),
                    ..RawDeadline::default()
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                a: A,
            ) -> Result<RawDeadline, A::Error> {
                let m = Map::deserialize(serde::de::value::MapAccessDeserializer::new(a))?;
                match (&m.date, &m.todo) {
                    (None, None) => Err(serde::de::Error::custom(
                        "a deadline map needs `date` (or `todo` for a phrase not yet understood)",
                    )),
                    (Some(_), Some(_)) => Err(serde::de::Error::custom(
                        "a deadline has either `date` or `todo`: once the rule is written, remove \
                         the `todo` marker",
                    )),
                    _ => Ok(RawDeadline {
                        date: m.date,
                        shift: m.shift,
                        todo: m.todo,
                    }),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `source:` of an imported task: where it stood in the document and what its cells said, for
/// the clerk who reviews the draft. Nothing here drives reminders.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// 1-based table number in the document.
    pub table: Option<u32>,
    /// 1-based row of the task's first cell in that table.
    pub row: Option<u32>,
    /// The row's own number as written (`1.`, `（二）`, `①`, the 序号 cell).
    pub seq: Option<String>,
    /// 责任单位 as written.
    pub units: Option<String>,
    /// 牵头单位 as written.
    pub lead: Option<String>,
    /// 配合单位 as written.
    pub cooperating: Option<String>,
    /// 责任领导 as written (a person, not a unit: never matched).
    pub leader: Option<String>,
    /// 完成时限 as written.
    pub deadline: Option<String>,
    /// The year the importer assumed for a date written without one (6月30日前 → 2027).
    pub assumed_year: Option<i32>,
    /// 进展情况 as written in the document (progress is recorded with `dutybell progress`).
    pub progress: Option<String>,
}
