//! Loads everything a command needs: the config, the plan, and the working-day calendar.
//!
//! May touch: the config, plan and calendar files. Used by every CLI command and by the daemon's
//! reload, so a bad config is refused before anything is applied.

use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::calendar::WorkCalendar;
use crate::catalog::Catalog;
use crate::config::{Diagnostic, Diagnostics, Pos};

/// A loaded, validated configuration.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The catalog.
    pub catalog: Catalog,
    /// The calendar (embedded data + configured files + overrides).
    pub calendar: WorkCalendar,
    /// Warnings to show the admin.
    pub warnings: Diagnostics,
    /// A hash of the catalog and calendar: what a plan sync depends on besides the window.
    /// Computed once per load, so the 6-hourly re-check compares a string, not the whole plan.
    pub fingerprint: String,
    /// The instant the load was evaluated at (`--now` resolved in the plan's zone, or the
    /// wall clock): what a one-shot command treats as now.
    pub now: jiff::Timestamp,
}

/// The config path to use: the given one, else `config/dutybell.yaml` when it exists, else
/// `/etc/dutybell/dutybell.yaml`.
pub fn default_config_path(given: Option<&Path>) -> PathBuf {
    if let Some(p) = given {
        return p.to_path_buf();
    }
    let local = PathBuf::from("config/dutybell.yaml");
    if local.exists() {
        local
    } else {
        PathBuf::from("/etc/dutybell/dutybell.yaml")
    }
}

/// Load and validate the config at `path`; `at` (read in the plan's own time zone) decides which
/// calendar years must be covered.
///
/// # Errors
/// Every problem found, located (the caller exits with code 2).
pub fn load(path: &Path, at: crate::clock::StartAt) -> Result<Loaded, Diagnostics> {
    let mut diags = Diagnostics::default();
    let raw = crate::config::load(path, &mut diags);
    from_raw(path, raw, diags, at)
}

/// [`load`] with the plan files of `plan_dir` instead of the config's own `settings.plan`
/// (`dutybell plan-diff` on a bare plan directory: the units come from the config).
///
/// # Errors
/// Every problem found, located.
pub fn load_with_plan_dir(
    path: &Path,
    plan_dir: &Path,
    at: crate::clock::StartAt,
) -> Result<Loaded, Diagnostics> {
    let mut diags = Diagnostics::default();
    let Some(root) = crate::config::load::read_tree(path, &mut diags) else {
        return Err(diags);
    };
    let mut raw = crate::config::load::main_from_tree(path, &root, &mut diags);
    match crate::config::load::files_in(plan_dir, &["yaml", "yml"]) {
        Ok(files) => {
            for f in files {
                raw.plans
                    .push(crate::config::load::load_plan(&f, &mut diags));
            }
        }
        Err(e) => diags.push(Diagnostic::error(
            plan_dir,
            Pos { line: 1, col: 1 },
            "",
            format!("cannot read the plan directory: {e}"),
        )),
    }
    from_raw(path, raw, diags, at)
}

fn from_raw(
    path: &Path,
    raw: crate::config::RawConfig,
    mut diags: Diagnostics,
    at: crate::clock::StartAt,
) -> Result<Loaded, Diagnostics> {
    // Where the fix for missing holiday data goes: the first `settings.calendar` entry.
    let calendar_pos = raw
        .settings
        .calendar
        .first()
        .map_or(Pos { line: 1, col: 1 }, |c| c.pos);
    let built = crate::catalog::build(&raw);
    let (catalog, warnings) = match built {
        Ok((c, w)) if !diags.has_errors() => {
            diags.0.extend(w.0);
            (c, diags)
        }
        Ok(_) => {
            diags.sort();
            return Err(diags);
        }
        Err(mut e) => {
            e.0.extend(diags.0);
            e.sort();
            return Err(e);
        }
    };
    let mut warnings = warnings;
    let now = at.resolve(catalog.settings.tz.tz());
    let today: Date = now
        .to_zoned_datetime(catalog.settings.tz.tz().clone())
        .date();
    let calendar = calendar(&catalog, path, &mut warnings)?;
    let missing = calendar.years_to_warn(today);
    if !missing.is_empty() {
        // Point at the `calendar:` setting, where the fix goes; 1:1 when the config has none.
        warnings.push(Diagnostic::warning(
            path,
            calendar_pos,
            "settings.calendar",
            calendar.uncovered_warning(&missing),
        ));
    }
    let fingerprint = fingerprint(&catalog, &calendar);
    Ok(Loaded {
        catalog,
        calendar,
        warnings,
        fingerprint,
        now,
    })
}

/// SHA-256 (first 12 bytes, hex) of the catalog and calendar. Debug output is deterministic here:
/// both hold only vectors and B-tree maps.
fn fingerprint(catalog: &Catalog, calendar: &WorkCalendar) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(format!("{catalog:?}").as_bytes());
    h.update(format!("{calendar:?}").as_bytes());
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn calendar(
    catalog: &Catalog,
    config: &Path,
    diags: &mut Diagnostics,
) -> Result<WorkCalendar, Diagnostics> {
    let mut cal = WorkCalendar::embedded_for(&catalog.settings.calendar_regions);
    let mut errors = Diagnostics::default();
    for p in &catalog.settings.calendar {
        let kind = crate::config::source::kind(p);
        let files: Vec<PathBuf> = if kind == crate::config::source::Kind::Dir {
            match crate::config::load::files_in(p, &["json"]) {
                Ok(f) => f,
                Err(e) => {
                    // An unreadable directory must not silently drop next year's holidays.
                    errors.push(Diagnostic::error(
                        config,
                        Pos { line: 1, col: 1 },
                        "settings.calendar",
                        format!("calendar directory {} cannot be read: {e}", p.display()),
                    ));
                    continue;
                }
            }
        } else if kind == crate::config::source::Kind::File {
            vec![p.clone()]
        } else {
            diags.push(Diagnostic::warning(
                config,
                Pos { line: 1, col: 1 },
                "settings.calendar",
                format!(
                    "calendar path {} does not exist; using the embedded calendar only",
                    p.display()
                ),
            ));
            continue;
        };
        for f in files {
            let text = crate::config::source::read_to_string(&f);
            let r = text.and_then(|t| {
                cal.load_file(&f.display().to_string(), &t)
                    .map_err(|e| e.to_string())
            });
            if let Err(e) = r {
                errors.push(Diagnostic::error(&f, Pos { line: 1, col: 1 }, "", e));
            }
        }
    }
    for o in &catalog.calendar_overrides {
        cal.add_override(o.date, o.off, &o.name, &config.display().to_string());
    }
    if errors.has_errors() {
        Err(errors)
    } else {
        Ok(cal)
    }
}
