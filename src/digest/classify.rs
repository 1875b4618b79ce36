//! Which digest list an occurrence belongs to as of one instant, and the status wording of its
//! line. Pure. May touch: nothing.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::content::AHEAD_DAYS;
use super::week::add_days;
use crate::calendar::WorkCalendar;
use crate::notify::MessageKind;
use crate::render::context::zh_date;
use crate::render::status::status;
use crate::schedule::{Occurrence, OccurrenceKind};
use crate::store::{self, OccurrenceStatus, ProgressNote};

/// Which list an occurrence belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum List {
    /// 红.
    Red,
    /// 黄.
    Yellow,
    /// Opening soon.
    Opening,
    /// No progress this period.
    Silent,
}

/// The as-of facts every classification needs.
pub(super) struct AsOf<'a> {
    pub(super) cal: &'a WorkCalendar,
    pub(super) tz: &'a TimeZone,
    pub(super) at: Timestamp,
    pub(super) day: Date,
    pub(super) stored: HashMap<&'a str, &'a store::Occurrence>,
    pub(super) notes: &'a [ProgressNote],
}

impl AsOf<'_> {
    pub(super) fn local(&self, t: Timestamp) -> Date {
        t.to_zoned_datetime(self.tz.clone()).date()
    }

    /// Done, skipped or cancelled as of `at`: a done note by then, else the stored status (a
    /// `done` status changed after `at` counts as still open then).
    fn closed(&self, key: &str) -> bool {
        let done_note = self
            .notes
            .iter()
            .any(|n| n.done && n.occurrence_key.as_deref() == Some(key) && n.at <= self.at);
        done_note
            || self.stored.get(key).is_some_and(|o| match o.status {
                OccurrenceStatus::Done => o.updated_at <= self.at,
                OccurrenceStatus::Skipped | OccurrenceStatus::Cancelled => true,
                OccurrenceStatus::Open => false,
            })
    }

    /// The task's last note by `at`: `9月3日 张三：已完成…` (note cut to 40 characters), or empty.
    pub(super) fn last_progress(&self, task_id: &str) -> String {
        self.notes
            .iter()
            .filter(|n| n.task_id == task_id && n.at <= self.at)
            .max_by_key(|n| (n.at, n.id))
            .map(|n| {
                let d = self.local(n.at);
                let note = crate::render::context::shorten_at_sentence(&n.note, 40);
                format!("{}月{}日 {}：{note}", d.month(), d.day(), n.by_name)
            })
            .unwrap_or_default()
    }

    /// A note on the task since the check-in period started (by `at`).
    pub(super) fn reported_since(&self, task_id: &str, start: Date) -> bool {
        self.notes
            .iter()
            .any(|n| n.task_id == task_id && n.at <= self.at && self.local(n.at) >= start)
    }

    pub(super) fn classify(&self, o: &Occurrence) -> Option<List> {
        let ahead = add_days(self.day, AHEAD_DAYS);
        if o.kind == OccurrenceKind::Checkin {
            if self.closed(&o.key) || self.reported_since(&o.task_id, o.window_start) {
                return None;
            }
            return if o.due < self.day {
                Some(List::Red)
            } else if o.window_start <= self.day {
                Some(List::Silent)
            } else {
                None
            };
        }
        if self.closed(&o.key) {
            return None;
        }
        let campaign = o.kind == OccurrenceKind::Campaign;
        if o.due < self.day {
            Some(List::Red)
        } else if campaign && o.window_start <= self.day {
            Some(List::Yellow)
        } else if campaign && o.window_start <= ahead {
            Some(List::Opening)
        } else if !campaign && o.due <= ahead {
            Some(List::Yellow)
        } else {
            None
        }
    }

    /// The reminders' status wording (`render::status`); for check-ins the short form with the
    /// date, since the period is already on the line.
    pub(super) fn status(&self, list: List, o: &Occurrence) -> String {
        let kind = match (list, o.kind) {
            (_, OccurrenceKind::Checkin) => MessageKind::Checkin,
            (List::Opening, _) => MessageKind::CampaignOpening,
            (List::Red, _) => MessageKind::Overdue,
            _ => MessageKind::Lead,
        };
        let s = status(self.cal, kind, o, None, self.day);
        match (kind, list) {
            (MessageKind::Checkin, List::Red) => format!("{}（{}截止）", s.short, zh_date(o.due)),
            (MessageKind::Checkin, _) => format!(
                "{}（{}截止，还有 {} 天）",
                s.short,
                zh_date(o.due),
                s.days_left
            ),
            _ => s.long,
        }
    }
}
