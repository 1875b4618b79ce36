//! Loading files: the main config and every plan file, each item deserialized on its own so
//! that all type problems are reported together.
//!
//! May touch: the config file and the plan files/directories it names.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::de::Located;
use super::diag::{Diagnostic, Diagnostics, Pos, hint};
use super::raw::{
    RawArea, RawCalendarOverride, RawChannel, RawEvent, RawGroup, RawRule, RawSettings, RawTask,
    RawUnit, RawWeb,
};
use super::tree::Node;
use super::yaml;

/// Top-level keys of the main config.
pub const MAIN_KEYS: &[&str] = &[
    "settings",
    "units",
    "groups",
    "channels",
    "events",
    "calendar_overrides",
    "web",
];
/// Top-level keys of a plan file.
pub const PLAN_KEYS: &[&str] = &["area", "tasks"];

/// One plan file's contents.
#[derive(Debug, Clone)]
pub struct RawPlan {
    /// The file.
    pub file: PathBuf,
    /// Its area (None when it failed to parse; the error is already reported).
    pub area: Option<RawArea>,
    /// Its tasks that parsed.
    pub tasks: Vec<RawTask>,
}

/// Everything read from disk, before semantic validation.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    /// The main config file.
    pub main_file: PathBuf,
    /// Directory of the main config file (relative paths start here).
    pub base_dir: PathBuf,
    /// `settings:`.
    pub settings: RawSettings,
    /// `units:`.
    pub units: Vec<RawUnit>,
    /// `groups:`.
    pub groups: Vec<RawGroup>,
    /// `channels:`.
    pub channels: Vec<RawChannel>,
    /// `events:` in file order.
    pub events: Vec<(Located<String>, RawEvent)>,
    /// `calendar_overrides:`.
    pub calendar_overrides: Vec<RawCalendarOverride>,
    /// `web:` (absent: no web pages).
    pub web: Option<RawWeb>,
    /// Plan files in load order.
    pub plans: Vec<RawPlan>,
    /// The state directory: `$DUTYBELL_STATE_DIR`, else `settings.state_dir` relative to the config
    /// file, else systemd's `$STATE_DIRECTORY`, else `state/` beside the config file. Resolved here, once, because it
    /// reads the environment.
    pub state_dir: PathBuf,
    /// True when a problem that explains an empty `plans` was already reported: the main file
    /// or its `settings:` did not parse (defaults stand in), or a `settings.plan` entry is
    /// missing or unreadable. The catalog then does not add "no plan files" on top of it.
    pub plans_explained: bool,
}

/// Read the main config at `path` and the plan files it names. Problems go into `diags`; the
/// returned value holds whatever parsed.
pub fn load(path: &Path, diags: &mut Diagnostics) -> RawConfig {
    let Some(root) = read_tree(path, diags) else {
        return RawConfig {
            main_file: path.to_path_buf(),
            base_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            plans_explained: true,
            ..RawConfig::default()
        };
    };
    let mut raw = main_from_tree(path, &root, diags);
    let before = diags.error_count();
    for file in plan_files(&raw, diags) {
        raw.plans.push(load_plan(&file, diags));
    }
    raw.plans_explained |= diags.error_count() > before;
    raw
}

/// The main config from its parsed tree (`path` names it in diagnostics and anchors relative
/// paths), without reading any plan file: `dutybell import` takes units, groups and settings
/// from the config in force (or the bundled one) and writes a new plan.
pub fn main_from_tree(path: &Path, root: &Node, diags: &mut Diagnostics) -> RawConfig {
    let mut raw = RawConfig {
        main_file: path.to_path_buf(),
        base_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        ..RawConfig::default()
    };
    let Some(entries) = expect_map(path, root, "", diags) else {
        raw.plans_explained = true;
        return raw;
    };
    for (k, v) in entries {
        match k.name.as_str() {
            // Settings keys are independent: with the bad ones removed, the rest is still
            // validated (an offset error is reported beside a type error), and the missing
            // plan files are not reported on top.
            "settings" => match item_all(path, v, "settings", diags) {
                Ok(s) => raw.settings = s,
                Err(rest) => {
                    raw.settings = rest.unwrap_or_default();
                    raw.plans_explained = true;
                }
            },
            "units" => raw.units = items(path, v, "units", diags),
            "groups" => raw.groups = items(path, v, "groups", diags),
            "channels" => raw.channels = items(path, v, "channels", diags),
            "calendar_overrides" => {
                raw.calendar_overrides = items(path, v, "calendar_overrides", diags)
            }
            "events" => raw.events = events(path, v, diags),
            "web" => {
                raw.web = Some(item(path, v, "web", diags).unwrap_or_default());
            }
            other => diags.push(Diagnostic::error(
                path,
                k.pos,
                other,
                format!(
                    "unknown top-level key `{other}`{}; expected one of: {}",
                    hint(other, MAIN_KEYS.iter().copied()),
                    MAIN_KEYS.join(", ")
                ),
            )),
        }
    }
    // DUTYBELL_STATE_DIR wins over the file, so a demo or a test can run the real config against
    // a throw-away state (README: "run the daemon at another instant").
    raw.state_dir = match (
        std::env::var_os("DUTYBELL_STATE_DIR"),
        &raw.settings.state_dir,
    ) {
        (Some(d), _) if !d.is_empty() => PathBuf::from(d),
        (_, Some(d)) => raw.base_dir.join(&d.value),
        (_, None) => std::env::var_os("STATE_DIRECTORY")
            .map(PathBuf::from)
            .unwrap_or_else(|| raw.base_dir.join("state")),
    };
    raw
}

/// The files directly in `dir` whose extension is one of `exts`, sorted by name.
///
/// # Errors
/// When the directory cannot be read.
pub fn files_in(dir: &Path, exts: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    // Through `source`: a sleeping daemon wakes with the files it had (config::source).
    let found: Vec<PathBuf> = super::source::list(dir)
        .map_err(std::io::Error::other)?
        .into_iter()
        .filter(|f| {
            f.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| exts.contains(&x))
        })
        .collect();
    Ok(found)
}

/// Resolve `settings.plan` into a sorted list of files.
fn plan_files(raw: &RawConfig, diags: &mut Diagnostics) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in &raw.settings.plan {
        let p = raw.base_dir.join(&entry.value);
        let kind = super::source::kind(&p);
        if kind == super::source::Kind::Dir {
            match files_in(&p, &["yaml", "yml"]) {
                Ok(found) => files.extend(found),
                Err(e) => diags.push(Diagnostic::error(
                    &raw.main_file,
                    entry.pos,
                    &entry.path,
                    format!("cannot read directory {}: {e}", p.display()),
                )),
            }
        } else if kind == super::source::Kind::File {
            files.push(p);
        } else {
            diags.push(Diagnostic::error(
                &raw.main_file,
                entry.pos,
                &entry.path,
                format!("plan path {} does not exist", p.display()),
            ));
        }
    }
    files
}

/// Load one plan file.
pub fn load_plan(file: &Path, diags: &mut Diagnostics) -> RawPlan {
    let mut plan = RawPlan {
        file: file.to_path_buf(),
        area: None,
        tasks: Vec::new(),
    };
    let Some(root) = read_tree(file, diags) else {
        return plan;
    };
    let Some(entries) = expect_map(file, &root, "", diags) else {
        return plan;
    };
    for (k, v) in entries {
        match k.name.as_str() {
            "area" => plan.area = item(file, v, "area", diags),
            "tasks" => plan.tasks = tasks(file, v, diags),
            other => diags.push(Diagnostic::error(
                file,
                k.pos,
                other,
                format!(
                    "unknown top-level key `{other}`{}; expected one of: area, tasks",
                    hint(other, PLAN_KEYS.iter().copied())
                ),
            )),
        }
    }
    if plan.area.is_none() && root.get("area").is_none() {
        diags.push(Diagnostic::error(
            file,
            root.pos,
            "area",
            "missing required key `area`",
        ));
    }
    plan
}

/// Read and parse one YAML file (size-bounded) into the located tree; problems go to `diags`.
pub fn read_tree(file: &Path, diags: &mut Diagnostics) -> Option<Node> {
    let bytes = match read_bounded(file) {
        Ok(b) => b,
        Err(msg) => {
            // 1:1 like the other whole-file errors, so every message is `file:line:column`.
            diags.push(Diagnostic::error(file, Pos { line: 1, col: 1 }, "", msg));
            return None;
        }
    };
    match yaml::parse(file, &bytes) {
        Ok((node, traps)) => {
            diags.0.extend(traps);
            Some(node)
        }
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// Reads at most one byte over [`yaml::MAX_FILE_BYTES`] of a regular file. Why not
/// `std::fs::read`: a 50 MB plan was read whole before the size check (memory), a symlink to
/// `/dev/zero` never ended, and opening a FIFO blocked forever; the extra byte lets
/// [`yaml::parse`] still report "over the limit".
fn read_bounded(file: &Path) -> Result<Vec<u8>, String> {
    use super::source::{self, Kind};
    match source::kind(file) {
        Kind::File => {}
        Kind::Dir => return Err("cannot read file: it is a directory".to_string()),
        Kind::Other => {
            return Err(
                "cannot read file: not a regular file (a device, FIFO or socket)".to_string(),
            );
        }
        Kind::Missing => {
            // Let the read say why (not found, permission denied).
            return Err(format!(
                "cannot read file: {}",
                source::read(file, 0)
                    .err()
                    .unwrap_or_else(|| "not found".into())
            ));
        }
    }
    let bytes = source::read(file, yaml::MAX_FILE_BYTES as u64)
        .map_err(|e| format!("cannot read file: {e}"))?;
    Ok(bytes)
}

fn expect_map<'n>(
    file: &Path,
    node: &'n Node,
    path: &str,
    diags: &mut Diagnostics,
) -> Option<&'n [(super::tree::Key, Node)]> {
    match node.as_map() {
        Some(m) => Some(m),
        None if matches!(node.value, super::tree::Value::Null) => Some(&[]),
        None => {
            diags.push(Diagnostic::error(
                file,
                node.pos,
                path,
                format!("expected a mapping, found {}", node.type_name()),
            ));
            None
        }
    }
}

/// Deserialize one node, reporting a failure.
fn item<T: DeserializeOwned>(
    file: &Path,
    node: &Node,
    path: &str,
    diags: &mut Diagnostics,
) -> Option<T> {
    item_all(file, node, path, diags).ok()
}

/// Deserialize `node`, reporting every independent problem in it (see [`super::prune`]). `Err`
/// carries what parsed once the bad keys were removed, for a caller whose keys are independent
/// enough to go on validating with it (`settings:`).
fn item_all<T: DeserializeOwned>(
    file: &Path,
    node: &Node,
    path: &str,
    diags: &mut Diagnostics,
) -> Result<T, Option<T>> {
    match super::prune::from_node_all(node, path) {
        Ok(v) => Ok(v),
        Err((errors, rest)) => {
            for e in errors {
                diags.push(Diagnostic::error(
                    file,
                    e.pos.unwrap_or(node.pos),
                    e.path.unwrap_or_else(|| path.to_string()),
                    e.message,
                ));
            }
            Err(rest)
        }
    }
}

/// Deserialize each element of a list separately, so one bad item does not hide the others.
fn items<T: DeserializeOwned>(
    file: &Path,
    node: &Node,
    path: &str,
    diags: &mut Diagnostics,
) -> Vec<T> {
    match node.as_seq() {
        Some(seq) => seq
            .iter()
            .enumerate()
            .filter_map(|(i, n)| item(file, n, &format!("{path}[{i}]"), diags))
            .collect(),
        None if matches!(node.value, super::tree::Value::Null) => Vec::new(),
        None => {
            diags.push(Diagnostic::error(
                file,
                node.pos,
                path,
                format!("expected a list, found {}", node.type_name()),
            ));
            Vec::new()
        }
    }
}

/// The tasks of a plan file. Each rule is deserialized on its own and the task without its
/// rules, so an unknown key in one rule hides neither the task's other problems nor the
/// validation of its other rules.
fn tasks(file: &Path, node: &Node, diags: &mut Diagnostics) -> Vec<RawTask> {
    let Some(seq) = node.as_seq() else {
        return items(file, node, "tasks", diags);
    };
    let mut out = Vec::new();
    for (i, n) in seq.iter().enumerate() {
        let path = format!("tasks[{i}]");
        let (Some(entries), Some(rules)) = (n.as_map(), n.get("rules")) else {
            out.extend(item::<RawTask>(file, n, &path, diags));
            continue;
        };
        let parsed: Vec<Located<RawRule>> = match rules.as_seq() {
            Some(rs) => rs
                .iter()
                .enumerate()
                .filter_map(|(j, r)| item(file, r, &format!("{path}.rules[{j}]"), diags))
                .collect(),
            None => {
                out.extend(item::<RawTask>(file, n, &path, diags));
                continue;
            }
        };
        let without = Node {
            pos: n.pos,
            value: super::tree::Value::Map(
                entries
                    .iter()
                    .filter(|(k, _)| k.name != "rules")
                    .cloned()
                    .collect(),
            ),
        };
        if let Some(mut t) = item::<RawTask>(file, &without, &path, diags) {
            t.rules = parsed;
            out.push(t);
        }
    }
    out
}

fn events(file: &Path, node: &Node, diags: &mut Diagnostics) -> Vec<(Located<String>, RawEvent)> {
    let Some(entries) = expect_map(file, node, "events", diags) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(k, v)| {
            let path = format!("events.{}", k.name);
            let ev: RawEvent = item(file, v, &path, diags)?;
            Some((
                Located {
                    value: k.name.clone(),
                    pos: k.pos,
                    path,
                },
                ev,
            ))
        })
        .collect()
}
