//! `dutybell digest --unit ID [--week DATE] [--digest ID] [--html] [--send]`: previews one unit
//! head's weekly digest (or, for a `scope: bureau` digest, the bureau digest as that unit reads it) (plain text, or HTML with `--html`), or with `--send` enqueues it into the
//! outbox for the running daemon to deliver (its retries, catch-up and records apply; the daemon
//! then does not send that week's digest to that head again, the rows share their dedupe keys).

use clap::Args;
use jiff::Timestamp;
use jiff::civil::Date;

use super::CliError;
use crate::digest::{self, DigestView};
use crate::loader::Loaded;
use crate::render::Renderer;

/// Arguments of `digest`.
#[derive(Debug, Args)]
pub struct DigestArgs {
    /// Unit id whose head's digest to show, e.g. `catering`.
    #[arg(long)]
    pub unit: String,
    /// Any day of the week to show (default: this week).
    #[arg(long)]
    pub week: Option<Date>,
    /// Digest id from `settings.digest` (default: the first).
    #[arg(long)]
    pub digest: Option<String>,
    /// Print the HTML body instead of the plain text.
    #[arg(long)]
    pub html: bool,
    /// Enqueue the digest (email and chat rows) for the daemon instead of printing it.
    #[arg(long)]
    pub send: bool,
}

fn runtime(e: impl Into<anyhow::Error>) -> CliError {
    CliError::Runtime(e.into())
}

pub(super) fn run(l: &Loaded, a: &DigestArgs, today: Date, now: Timestamp) -> Result<(), CliError> {
    let cat = &l.catalog;
    if cat.unit(&a.unit).is_none() {
        let hint = crate::config::diag::hint(&a.unit, cat.units.iter().map(|u| u.id.as_str()));
        return Err(CliError::Usage(format!("unknown unit `{}`{hint}", a.unit)));
    }
    let spec = match &a.digest {
        Some(id) => cat.settings.digests.iter().find(|d| &d.id == id),
        None => cat.settings.digests.first(),
    }
    .ok_or_else(|| CliError::Usage("no such digest in settings.digest".into()))?;
    let renderer = Renderer::new(cat.settings.templates.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let monday = digest::week_monday(a.week.unwrap_or(today));
    if a.send {
        return send(l, &renderer, spec, &a.unit, monday, now);
    }
    let plan = digest::plan_for_week(cat, &l.calendar, monday);
    let view = read_view(l)?;
    let tz = cat.settings.tz.tz().clone();
    let due = digest::due_instant(spec, &l.calendar, &tz, monday);
    // As the digest reads (or will read) at its due instant.
    let at = match due {
        Some(t) => t,
        None => {
            eprintln!(
                "note: digest `{}` is not due in the week of {monday}",
                spec.id
            );
            monday_start(monday, &tz)?
        }
    };
    // The unit's reader of this digest (a head, or for a bureau digest the unit itself).
    let reader = digest::digest_readers(cat, spec)
        .into_iter()
        .find(|r| r.unit == a.unit)
        .unwrap_or_else(|| digest::Reader {
            recipient: match spec.scope {
                crate::catalog::DigestScope::Unit => format!("{}#head", a.unit),
                crate::catalog::DigestScope::Bureau => a.unit.clone(),
            },
            unit: a.unit.clone(),
        });
    let preview = crate::catalog::DigestSpec {
        send_empty: true,
        ..spec.clone()
    };
    let mut composer = digest::Composer::new(
        cat,
        &l.calendar,
        &renderer,
        &view,
        &plan,
        &preview,
        monday,
        at,
    );
    let n = composer
        .compose(&reader)
        .map_err(|e| CliError::Usage(e.to_string()))?
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Usage(format!("`{}` has no channel", a.unit)))?;
    println!("Subject: {}\n", n.subject);
    match (a.html, &n.html) {
        (true, Some(h)) => println!("{h}"),
        _ => print!("{}", n.text),
    }
    Ok(())
}

fn monday_start(monday: Date, tz: &jiff::tz::TimeZone) -> Result<Timestamp, CliError> {
    tz.to_timestamp(monday.to_datetime(jiff::civil::Time::midnight()))
        .map_err(runtime)
}

/// The store's data, or an empty view when no database exists yet (a preview before the
/// daemon ever ran shows the plan alone).
fn read_view(l: &Loaded) -> Result<DigestView, CliError> {
    let db = &l.catalog.settings.database;
    if !db.exists() {
        eprintln!(
            "note: no database at {}; previewing without stored progress",
            db.display()
        );
        return Ok(DigestView::default());
    }
    let store = super::open_store(l)?;
    digest::load_view(&l.catalog, store.as_ref()).map_err(runtime)
}

fn send(
    l: &Loaded,
    renderer: &Renderer,
    spec: &crate::catalog::DigestSpec,
    unit: &str,
    monday: Date,
    now: Timestamp,
) -> Result<(), CliError> {
    let cat = &l.catalog;
    let mut store = super::open_store(l)?;
    let view = digest::load_view(cat, store.as_ref()).map_err(runtime)?;
    let plan = digest::plan_for_week(cat, &l.calendar, monday);
    let one = crate::catalog::DigestSpec {
        to: Some(vec![unit.to_owned()]),
        send_empty: true,
        ..spec.clone()
    };
    let rows = digest::digest_rows(
        cat,
        &l.calendar,
        renderer,
        &view,
        &plan,
        &one,
        monday,
        now,
        None,
    )
    .map_err(runtime)?;
    if rows.is_empty() {
        return Err(CliError::Usage(format!(
            "no digest for `{unit}` in the week of {monday} (no head, or the digest is not due that week)"
        )));
    }
    for row in rows {
        let added = store.enqueue(&row, now).map_err(runtime)?;
        let what = if added {
            "enqueued"
        } else {
            "already in the outbox"
        };
        println!("{what}: {} (fires {})", row.dedupe_key, row.fire_at);
    }
    Ok(())
}
