//! Which occurrence a progress report is about, and recording it.
//!
//! Rule: an explicit occurrence wins. Otherwise the task's open occurrence that is under way (its
//! window has started) and nearest its due date, across all of the task's rules and check-ins.
//! When two such occurrences are equally near (a task with a daily and a weekly rule on a
//! Friday), the report is refused with the choices listed: closing the wrong one would silence
//! the reminder that matters.
//!
//! May touch: the store through the trait. Pure otherwise.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::store::{
    NewProgress, Occurrence, OccurrenceFilter, OccurrenceStatus, ProgressSource, Store,
};

/// What a report without an explicit occurrence refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// This occurrence.
    One(Occurrence),
    /// Several are equally near; the caller must choose.
    Ambiguous(Vec<Occurrence>),
    /// Nothing is under way.
    Nothing,
}

/// The occurrence of `task` a report on `today` is about (see the module rule).
pub fn target(occurrences: &[Occurrence], task: &str, today: Date) -> Target {
    let mut under_way: Vec<(i64, &Occurrence)> = occurrences
        .iter()
        .filter(|o| {
            o.task_id == task && o.status == OccurrenceStatus::Open && o.window_start <= today
        })
        .map(|o| {
            let due = o.due_date.unwrap_or(o.window_end);
            let days = (due - today).get_days().unsigned_abs();
            (i64::from(days), o)
        })
        .collect();
    under_way.sort_by(|a, b| (a.0, &a.1.key).cmp(&(b.0, &b.1.key)));
    let Some(&(best, _)) = under_way.first() else {
        return Target::Nothing;
    };
    let nearest: Vec<Occurrence> = under_way
        .iter()
        .take_while(|(d, _)| *d == best)
        .map(|(_, o)| (*o).clone())
        .collect();
    match nearest.len() {
        1 => Target::One(nearest.into_iter().next().unwrap_or_else(|| unreachable!())),
        _ => Target::Ambiguous(nearest),
    }
}

/// One line per choice, for an error message: `2.2@2026-W40 (周排查, due 2026-10-02)`.
pub fn describe_choices(choices: &[Occurrence]) -> String {
    choices
        .iter()
        .map(|o| {
            let due = o.due_date.map(|d| format!(", due {d}")).unwrap_or_default();
            format!("  --occurrence {}  ({}{due})", o.key, o.period_label)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Why a report cannot be recorded as asked.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Several occurrences are under way and equally near.
    #[error(
        "task {task} has several occurrences under way on {today}; name one:\n{}",
        describe_choices(choices)
    )]
    Ambiguous {
        /// Task id.
        task: String,
        /// The day judged.
        today: Date,
        /// The candidates.
        choices: Vec<Occurrence>,
    },
    /// A done report needs an occurrence and none is under way.
    #[error("task {task} has no occurrence under way on {today}; name one with --occurrence")]
    NothingUnderWay {
        /// Task id.
        task: String,
        /// The day judged.
        today: Date,
    },
    /// The store refused.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// A progress report as a person gives it.
#[derive(Debug, Clone)]
pub struct Report {
    /// Task id.
    pub task: String,
    /// Explicit occurrence, if named.
    pub occurrence: Option<String>,
    /// The note.
    pub note: String,
    /// Who reports.
    pub by: String,
    /// Whether it completes the occurrence.
    pub done: bool,
    /// Where it came from.
    pub source: ProgressSource,
}

/// Resolves the occurrence and records the note; returns the note id and the occurrence key.
///
/// # Errors
/// [`ReportError::Ambiguous`] or [`ReportError::NothingUnderWay`] (for a done report), or a store
/// error.
pub fn report(
    store: &mut dyn Store,
    r: &Report,
    today: Date,
    now: Timestamp,
) -> Result<(i64, Option<String>), ReportError> {
    let occurrence = match &r.occurrence {
        Some(k) => Some(k.clone()),
        None => {
            let filter = OccurrenceFilter {
                task_id: Some(r.task.clone()),
                ..OccurrenceFilter::default()
            };
            let occs = store.occurrences(&filter)?;
            match target(&occs, &r.task, today) {
                Target::One(o) => Some(o.key),
                Target::Ambiguous(choices) => {
                    return Err(ReportError::Ambiguous {
                        task: r.task.clone(),
                        today,
                        choices,
                    });
                }
                Target::Nothing if r.done => {
                    return Err(ReportError::NothingUnderWay {
                        task: r.task.clone(),
                        today,
                    });
                }
                Target::Nothing => None,
            }
        }
    };
    let id = store.add_progress(
        NewProgress {
            task_id: r.task.clone(),
            occurrence_key: occurrence.clone(),
            note: r.note.clone(),
            by_name: r.by.clone(),
            done: r.done,
            source: r.source,
        },
        now,
    )?;
    Ok((id, occurrence))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Colour;
    use jiff::civil::date;

    fn occ(key: &str, rule: u32, start: Date, due: Date) -> Occurrence {
        Occurrence {
            key: key.into(),
            task_id: "2.2".into(),
            rule_index: rule,
            period_label: key.into(),
            window_start: start,
            window_end: due,
            due_date: Some(due),
            status: OccurrenceStatus::Open,
            colour: Colour::Blue,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn nearest_due_across_rules_wins_and_ties_are_refused() {
        let fri = date(2026, 10, 9);
        let weekly = occ("2.2@2026-W41", 1, date(2026, 10, 5), fri);
        let daily_wed = occ("2.2@2026-10-07", 0, date(2026, 10, 7), date(2026, 10, 7));
        let monthly = occ("2.2@2026-10", 2, date(2026, 10, 1), date(2026, 10, 30));
        let occs = vec![weekly.clone(), daily_wed.clone(), monthly.clone()];
        // Thursday: the weekly report due tomorrow is nearer than Wednesday's daily item.
        let thu = date(2026, 10, 8);
        assert_eq!(target(&occs, "2.2", thu), {
            // Both are one day away: refused, both listed.
            Target::Ambiguous(vec![daily_wed.clone(), weekly.clone()])
        });
        // Friday: the weekly one is due today.
        assert_eq!(target(&occs, "2.2", fri), Target::One(weekly.clone()));
        // Nothing under way before any window opens.
        assert_eq!(target(&occs, "2.2", date(2026, 9, 1)), Target::Nothing);
        // A done occurrence is never a target.
        let mut done = weekly.clone();
        done.status = OccurrenceStatus::Done;
        assert_eq!(
            target(&[done, monthly.clone()], "2.2", fri),
            Target::One(monthly)
        );
    }
}
