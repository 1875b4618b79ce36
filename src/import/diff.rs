//! `dutybell plan-diff`: what changed between two plans (the plan in force and a draft, or two
//! drafts). Tasks are matched by text, not by id: same title first, then the same id with a
//! similar title, then the most similar remaining titles (strsim, normalised Levenshtein ≥ 0.6).
//! A matched pair is *moved* when its id or area changed, *reworded* when its title or measures
//! changed (with a character diff), and its units and deadlines are compared by the names and the
//! rules they resolve to, with the next three due dates from the planner on each side.

use jiff::civil::Date;
use serde::Serialize;

use super::diff_chars::char_diff;
use super::diff_view::{TaskView, view};
use crate::loader::Loaded;

/// Title similarity below which two tasks are different tasks.
const SIMILAR: f64 = 0.6;
/// Same id: a looser bar (the office often rewords a task it keeps).
const SIMILAR_SAME_ID: f64 = 0.4;

/// One side of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRef {
    /// Task id.
    pub id: String,
    /// Area number.
    pub area: u32,
    /// Title.
    pub title: String,
}

/// A moved task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moved {
    /// Before.
    pub old: TaskRef,
    /// After.
    pub new: TaskRef,
    /// Title similarity (1.0 = same text).
    pub similarity: f64,
}

/// A reworded field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reworded {
    /// The task (new id).
    pub id: String,
    /// `title` or `measures`.
    pub field: String,
    /// Before.
    pub old: String,
    /// After.
    pub new: String,
    /// `[-old-]{+new+}` marks.
    pub diff: String,
}

/// A task's units or deadline on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed<T> {
    /// The task (new id).
    pub id: String,
    /// Before.
    pub old: T,
    /// After.
    pub new: T,
}

/// Responsible units by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitsView {
    /// Leads.
    pub lead: Vec<String>,
    /// Cooperating.
    pub cooperating: Vec<String>,
    /// Vague text.
    pub units_text: Option<String>,
}

/// A deadline and its rules, with the next due dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineView {
    /// `ongoing`, a date, or `TODO: phrase`.
    pub deadline: String,
    /// Rules, one line each.
    pub rules: Vec<String>,
    /// The next three due dates from the planner (from the day of the diff).
    pub next: Vec<String>,
}

/// An area whose title changed, or that exists on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaChange {
    /// Number.
    pub number: u32,
    /// Title before (`None`: added).
    pub old: Option<String>,
    /// Title after (`None`: removed).
    pub new: Option<String>,
}

/// Everything that differs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PlanDiff {
    /// Old side, as given.
    pub old: String,
    /// New side, as given.
    pub new: String,
    /// No difference at all.
    pub equal: bool,
    /// Areas added, removed or retitled.
    pub areas: Vec<AreaChange>,
    /// Tasks only in the new plan.
    pub added: Vec<TaskRef>,
    /// Tasks only in the old plan.
    pub removed: Vec<TaskRef>,
    /// Tasks whose id or area changed.
    pub moved: Vec<Moved>,
    /// Title or measures changed.
    pub reworded: Vec<Reworded>,
    /// Responsible units changed.
    pub units: Vec<Changed<UnitsView>>,
    /// Deadline or rules changed.
    pub deadlines: Vec<Changed<DeadlineView>>,
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn similarity(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(a, b)
}

/// Compare two loaded plans; `today` starts the "next dates".
pub fn diff(old: &Loaded, new: &Loaded, names: (&str, &str), today: Date) -> PlanDiff {
    let a = view(old, today);
    let b = view(new, today);
    let mut d = PlanDiff {
        old: names.0.to_string(),
        new: names.1.to_string(),
        ..PlanDiff::default()
    };
    d.areas = areas(old, new);
    let pairs = match_tasks(&a, &b);
    let matched_a: Vec<usize> = pairs.iter().map(|p| p.0).collect();
    let matched_b: Vec<usize> = pairs.iter().map(|p| p.1).collect();
    d.removed = (0..a.len())
        .filter(|i| !matched_a.contains(i))
        .map(|i| a[i].r())
        .collect();
    d.added = (0..b.len())
        .filter(|i| !matched_b.contains(i))
        .map(|i| b[i].r())
        .collect();
    for (i, j) in pairs {
        compare(&a[i], &b[j], &mut d);
    }
    d.equal = d.areas.is_empty()
        && d.added.is_empty()
        && d.removed.is_empty()
        && d.moved.is_empty()
        && d.reworded.is_empty()
        && d.units.is_empty()
        && d.deadlines.is_empty();
    d
}

fn compare(x: &TaskView, y: &TaskView, d: &mut PlanDiff) {
    if x.id != y.id || x.area != y.area {
        d.moved.push(Moved {
            old: x.r(),
            new: y.r(),
            similarity: (similarity(&x.title, &y.title) * 100.0).round() / 100.0,
        });
    }
    for (field, o, n) in [
        ("title", &x.title, &y.title),
        ("measures", &x.measures, &y.measures),
    ] {
        // Spaces inside Chinese text are typesetting (承诺达标 合格证), not wording.
        if squash(o) != squash(n) {
            d.reworded.push(Reworded {
                id: y.id.clone(),
                field: field.into(),
                old: o.clone(),
                new: n.clone(),
                diff: char_diff(o, n),
            });
        }
    }
    if x.units != y.units {
        d.units.push(Changed {
            id: y.id.clone(),
            old: x.units.clone(),
            new: y.units.clone(),
        });
    }
    if (&x.deadline.deadline, &x.deadline.rules) != (&y.deadline.deadline, &y.deadline.rules) {
        d.deadlines.push(Changed {
            id: y.id.clone(),
            old: x.deadline.clone(),
            new: y.deadline.clone(),
        });
    }
}

/// Pairs (old index, new index) of the same task.
fn match_tasks(a: &[TaskView], b: &[TaskView]) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let free =
        |pairs: &[(usize, usize)], i: usize, j: usize| !pairs.iter().any(|p| p.0 == i || p.1 == j);
    for (i, x) in a.iter().enumerate() {
        if let Some(j) =
            (0..b.len()).find(|&j| squash(&b[j].title) == squash(&x.title) && free(&pairs, i, j))
        {
            pairs.push((i, j));
        }
    }
    for (i, x) in a.iter().enumerate() {
        if let Some(j) = (0..b.len()).find(|&j| {
            b[j].id == x.id
                && free(&pairs, i, j)
                && similarity(&x.title, &b[j].title) >= SIMILAR_SAME_ID
        }) {
            pairs.push((i, j));
        }
    }
    let mut scored: Vec<(f64, usize, usize)> = Vec::new();
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            if free(&pairs, i, j) {
                let s = similarity(&x.title, &y.title);
                if s >= SIMILAR {
                    scored.push((s, i, j));
                }
            }
        }
    }
    scored.sort_by(|p, q| q.0.total_cmp(&p.0).then(p.1.cmp(&q.1)).then(p.2.cmp(&q.2)));
    for (_, i, j) in scored {
        if free(&pairs, i, j) {
            pairs.push((i, j));
        }
    }
    pairs.sort_by_key(|p| p.1);
    pairs
}

fn areas(old: &Loaded, new: &Loaded) -> Vec<AreaChange> {
    let title = |l: &Loaded, n: u32| {
        l.catalog
            .areas
            .iter()
            .find(|a| a.number == n)
            .map(|a| a.title.clone())
    };
    let mut numbers: Vec<u32> = old
        .catalog
        .areas
        .iter()
        .chain(&new.catalog.areas)
        .map(|a| a.number)
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
        .into_iter()
        .filter_map(|n| {
            let (o, w) = (title(old, n), title(new, n));
            (o.as_deref().map(squash) != w.as_deref().map(squash)).then_some(AreaChange {
                number: n,
                old: o,
                new: w,
            })
        })
        .collect()
}

impl PlanDiff {
    /// How many differences.
    pub fn count(&self) -> usize {
        self.areas.len()
            + self.added.len()
            + self.removed.len()
            + self.moved.len()
            + self.reworded.len()
            + self.units.len()
            + self.deadlines.len()
    }

    /// The diff for a terminal.
    pub fn text(&self) -> String {
        super::diff_view::text(self)
    }
}
