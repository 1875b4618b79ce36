//! The catalog: the validated plan, units, groups, channels and events.
//!
//! [`build`] turns a [`RawConfig`](crate::config::load::RawConfig) into a [`Catalog`], collecting every semantic problem
//! (unknown references, group cycles, bad dates, time zones, emails, inline secrets, rules that
//! never fire) with its file, line, column and key path. Pure: no I/O.

mod build;
mod campaign;
mod channels;
pub mod model;
pub(crate) mod names;
pub mod parse;
mod responsible;
mod rule_attrs;
mod steps;
mod tasks;
mod todo;
mod units;
pub mod web;

use std::collections::BTreeMap;

pub use build::build;
pub use model::*;
pub use rule_attrs::NATIONAL_HOLIDAYS;

/// The validated configuration and plan.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Settings.
    pub settings: Settings,
    /// Units in declaration order.
    pub units: Vec<Unit>,
    /// Groups in declaration order.
    pub groups: Vec<Group>,
    /// Channels in declaration order.
    pub channels: Vec<ChannelSpec>,
    /// Named yearly events.
    pub events: BTreeMap<String, NamedEvent>,
    /// Areas by number.
    pub areas: Vec<Area>,
    /// Tasks in plan order.
    pub tasks: Vec<Task>,
    /// Local calendar overrides.
    pub calendar_overrides: Vec<CalendarOverride>,
    /// The web pages (`web:`).
    pub web: web::WebSettings,
}

/// How a unit is involved in a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 牵头: the first named unit (or a member of the first named group).
    Lead,
    /// 配合.
    Cooperating,
}

impl Catalog {
    /// A unit by id.
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// A group by id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// A channel by id.
    pub fn channel(&self, id: &str) -> Option<&ChannelSpec> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// A task by id.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// The Chinese name of a unit or group id.
    pub fn name_of<'a>(&'a self, id: &'a str) -> &'a str {
        self.unit(id)
            .map(|u| u.name.as_str())
            .or_else(|| self.group(id).map(|g| g.name.as_str()))
            .unwrap_or(id)
    }

    /// Expand a unit or group id into unit ids (declaration order, no duplicates).
    pub fn expand(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        units::expand_into(self, id, &mut out, 0);
        out
    }

    /// Lead units of a task (every lead and co-lead, expanded, in the source's order).
    pub fn lead_units(&self, task: &Task) -> Vec<String> {
        let mut out = Vec::new();
        for l in &task.leads {
            units::expand_into(self, l, &mut out, 0);
        }
        if task.leads.is_empty() {
            units::expand_into(self, &task.lead, &mut out, 0);
        }
        out
    }

    /// Cooperating units of a task (expanded; lead units excluded).
    pub fn cooperating_units(&self, task: &Task) -> Vec<String> {
        let lead = self.lead_units(task);
        let mut out: Vec<String> = Vec::new();
        for c in &task.cooperating {
            for u in self.expand(c) {
                if !lead.contains(&u) && !out.contains(&u) {
                    out.push(u);
                }
            }
        }
        out
    }

    /// The role of `unit` in `task`, if any (through groups too).
    pub fn role_of(&self, task: &Task, unit: &str) -> Option<Role> {
        if self.lead_units(task).iter().any(|u| u == unit) {
            Some(Role::Lead)
        } else if self.cooperating_units(task).iter().any(|u| u == unit) {
            Some(Role::Cooperating)
        } else {
            None
        }
    }

    /// Tasks a unit leads or supports, with its role, in plan order.
    pub fn tasks_for_unit(&self, unit: &str) -> Vec<(&Task, Role)> {
        self.tasks
            .iter()
            .filter_map(|t| self.role_of(t, unit).map(|r| (t, r)))
            .collect()
    }

    /// The area title for a number.
    pub fn area_title(&self, number: u32) -> &str {
        self.areas
            .iter()
            .find(|a| a.number == number)
            .map(|a| a.title.as_str())
            .unwrap_or("")
    }

    /// Number of rules across all tasks.
    pub fn rule_count(&self) -> usize {
        self.tasks.iter().map(|t| t.rules.len()).sum()
    }
}
