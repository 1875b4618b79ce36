//! The config half of a draft: `dutybell.yaml` with the units, groups, channels, events and
//! settings of the config in force (or the bundled one), written from its parsed tree so no key
//! is lost, with these changes, each listed in the report:
//!
//! - `settings.plan: [plan]` (the draft's plan files);
//! - `settings.state_dir: state` and no `settings.store`: checking or planning the draft never
//!   touches the live database;
//! - `settings.calendar` and `settings.templates` re-pointed relative to the draft directory
//!   (entries that do not exist are dropped: the embedded calendar still applies);
//! - `settings.default_unit` from `--default-unit` when given;
//! - new units appended to `units:` (flagged by a comment), missing events added to `events:`.

use std::path::{Component, Path, PathBuf};

use super::draft_plan::Needs;
use super::draft_yaml::Y;
use super::phrase_parse::EVENTS;
use super::report::{EventRow, Report};
use crate::config::tree::Node;

/// What the config half starts from.
pub struct ConfigInput<'a> {
    /// The base config's tree.
    pub tree: &'a Node,
    /// The directory relative paths of the base config start from (`None`: bundled defaults).
    pub base_dir: Option<&'a Path>,
    /// The draft directory (absolute).
    pub out_dir: &'a Path,
    /// Event ids the base config defines.
    pub events: Vec<String>,
    /// `--default-unit`, as given.
    pub default_unit: Option<String>,
}

/// The draft's `dutybell.yaml` as a value.
pub fn draft_config(input: &ConfigInput, needs: &Needs, report: &mut Report) -> Y {
    let mut root = match Y::from_node(input.tree) {
        Y::Map(m) => m,
        _ => Vec::new(),
    };
    let settings = entry(&mut root, "settings");
    settings_changes(settings, input, report);
    if !needs.new_units.is_empty() {
        let units = entry(&mut root, "units");
        if !matches!(units, Y::Seq(_)) {
            *units = Y::Seq(Vec::new());
        }
        if let Y::Seq(items) = units {
            for (name, kind, cell) in &needs.new_units {
                let at = cell.map(|c| format!(" ({c})")).unwrap_or_default();
                items.push((
                    Y::Flow(Box::new(Y::map([("name", Y::s(name)), ("kind", Y::s(*kind))]))),
                    Some(format!(
                        "NEW (dutybell import): named by the plan{at}, not in the base config; check the kind, add head, email and channels"
                    )),
                ));
            }
        }
    }
    let missing: Vec<&(&str, &str, &str)> = EVENTS
        .iter()
        .filter(|(id, ..)| needs.events.contains(id) && !input.events.iter().any(|e| e == id))
        .collect();
    if !missing.is_empty() {
        let events = entry(&mut root, "events");
        if !matches!(events, Y::Map(_)) {
            *events = Y::Map(Vec::new());
        }
        if let Y::Map(m) = events {
            for (id, name, default) in missing {
                m.push((
                    id.to_string(),
                    Y::Flow(Box::new(Y::map([("name", Y::s(*name)), ("default", Y::s(*default))]))),
                    Some("ADDED (dutybell import): confirm the date for your region, or list each year's under dates:".into()),
                ));
                report.events_added.push(EventRow {
                    id: id.to_string(),
                    name: name.to_string(),
                    default: default.to_string(),
                });
            }
        }
    }
    Y::Map(root)
}

/// The value under `key`, created (null) when absent.
fn entry<'a>(m: &'a mut Vec<(String, Y, Option<String>)>, key: &str) -> &'a mut Y {
    let i = match m.iter().position(|(k, ..)| k == key) {
        Some(i) => i,
        None => {
            m.push((key.to_string(), Y::Map(Vec::new()), None));
            m.len() - 1
        }
    };
    &mut m[i].1
}

fn set(m: &mut Vec<(String, Y, Option<String>)>, key: &str, v: Y) {
    *entry(m, key) = v;
}

fn settings_changes(settings: &mut Y, input: &ConfigInput, report: &mut Report) {
    if !matches!(settings, Y::Map(_)) {
        *settings = Y::Map(Vec::new());
    }
    let Y::Map(s) = settings else { return };
    set(s, "plan", Y::strs(["plan"]));
    report
        .config_changes
        .push("settings.plan: [plan] (the draft's plan files)".into());
    set(s, "state_dir", Y::s("state"));
    report
        .config_changes
        .push("settings.state_dir: state (the draft never touches the live database)".into());
    if let Some(i) = s.iter().position(|(k, ..)| k == "store") {
        s.remove(i);
        report.config_changes.push(
            "settings.store left out: the draft keeps its own SQLite file under state/".into(),
        );
    }
    if let Some(d) = &input.default_unit {
        set(s, "default_unit", Y::s(d));
        report
            .config_changes
            .push(format!("settings.default_unit: {d} (--default-unit)"));
    }
    for key in ["calendar", "templates"] {
        let Some(i) = s.iter().position(|(k, ..)| k == key) else {
            continue;
        };
        let repoint = |p: &str| -> Option<String> {
            let p = Path::new(p);
            let abs = if p.is_absolute() {
                p.to_path_buf()
            } else {
                input.base_dir?.join(p)
            };
            let abs = abs.canonicalize().ok()?;
            Some(relative(input.out_dir, &abs).display().to_string())
        };
        match &s[i].1 {
            Y::Seq(items) => {
                let mut kept = Vec::new();
                for (item, _) in items {
                    let Y::Str(p) = item else { continue };
                    match repoint(p) {
                        Some(n) => kept.push(n),
                        None => report.config_changes.push(format!(
                            "settings.{key}: `{p}` left out (not found from the base config)"
                        )),
                    }
                }
                s[i].1 = Y::strs(kept);
            }
            Y::Str(p) => match repoint(p) {
                Some(n) => s[i].1 = Y::s(n),
                None => {
                    report.config_changes.push(format!(
                        "settings.{key}: `{p}` left out (not found from the base config)"
                    ));
                    s.remove(i);
                }
            },
            _ => {}
        }
    }
}

/// `to` relative to the directory `from` (both absolute), through `..` where needed.
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // Sharing only the root: an absolute path says more than ../../../.
    if common <= 1 {
        return to.to_path_buf();
    }
    let mut p = PathBuf::new();
    for _ in common..a.len() {
        p.push("..");
    }
    for c in &b[common..] {
        p.push(c.as_os_str());
    }
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::relative;
    use std::path::Path;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/a/b/draft"), Path::new("/a/b/config/calendar")),
            Path::new("../config/calendar")
        );
        assert_eq!(relative(Path::new("/a"), Path::new("/a/x")), Path::new("x"));
        assert_eq!(
            relative(Path::new("/a/x"), Path::new("/a/x")),
            Path::new(".")
        );
        assert_eq!(
            relative(Path::new("/tmp/d"), Path::new("/srv/c")),
            Path::new("/srv/c")
        );
    }
}
