//! `import-report.md`: the report as Markdown, review items first (TODO phrases, new units,
//! assumed years, vague lists, added events), then the full accounting of the document.

use std::fmt::Write as _;

use super::phrase::Kind;
use super::report::{Cell, Placed, Report};

fn cell(c: &Option<Cell>) -> String {
    c.map(|c| c.to_string())
        .unwrap_or_else(|| "outside tables".into())
}

/// Table cells cannot hold `|` or line breaks.
fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

fn placed(out: &mut String, title: &str, rows: &[Placed]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {title} ({})\n", rows.len());
    let _ = writeln!(out, "| task | text | cell | note |\n|---|---|---|---|");
    for p in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            p.task.as_deref().unwrap_or(""),
            esc(&p.text),
            cell(&p.cell),
            esc(p.why.as_deref().unwrap_or(""))
        );
    }
}

/// Render the report.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Import report\n");
    let _ = writeln!(out, "- source: `{}`", r.source);
    let _ = writeln!(out, "- base config: {}", r.base_config);
    let _ = writeln!(out, "- plan year: {} ({})", r.year, r.year_from);
    let _ = writeln!(out, "- {}", r.summary());
    for c in &r.config_changes {
        let _ = writeln!(out, "- config: {c}");
    }
    let todo: Vec<_> = r.phrases_of(Kind::Todo).collect();
    if !todo.is_empty() {
        let _ = writeln!(
            out,
            "\n## TODO: 完成时限 not understood ({})\n\nThese tasks get no reminders until their \
             rules are written (`deadline: {{ todo: … }}` in the plan file).\n",
            todo.len()
        );
        let _ = writeln!(out, "| task | phrase | cell |\n|---|---|---|");
        for p in todo {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                p.task,
                esc(&p.phrase),
                cell(&p.cell)
            );
        }
    }
    let new: Vec<_> = r.new_units().collect();
    if !new.is_empty() {
        let _ = writeln!(
            out,
            "\n## New units ({})\n\nNot in the base config: added to the draft's `units:` with the kind \
             their name suggests. Check the kind, add heads and channels, or fix the spelling.\n",
            new.len()
        );
        let _ = writeln!(
            out,
            "| name | kind | did you mean | tasks |\n|---|---|---|---|"
        );
        for u in new {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                esc(&u.written),
                u.kind.as_deref().unwrap_or(""),
                esc(u.hint.as_deref().unwrap_or("")),
                u.tasks.join(", ")
            );
        }
    }
    let assumed: Vec<_> = r
        .phrases
        .iter()
        .filter(|p| p.assumed_year.is_some())
        .collect();
    if !assumed.is_empty() {
        let _ = writeln!(out, "\n## Years assumed ({})\n", assumed.len());
        let _ = writeln!(out, "| task | phrase | year | cell |\n|---|---|---|---|");
        for p in assumed {
            let y = p.assumed_year.map(|y| y.to_string()).unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {y} | {} |",
                p.task,
                esc(&p.phrase),
                cell(&p.cell)
            );
        }
    }
    placed(&mut out, "Vague unit lists (units_text)", &r.vague_units);
    if !r.events_added.is_empty() {
        let _ = writeln!(
            out,
            "\n## Events added to the config ({})\n",
            r.events_added.len()
        );
        let _ = writeln!(
            out,
            "Confirm each default date for your region, or enter each year's date under `dates:`.\n"
        );
        for e in &r.events_added {
            let _ = writeln!(out, "- `{}` {} (default {})", e.id, e.name, e.default);
        }
    }
    placed(&mut out, "Cells not placed", &r.unplaced);
    placed(
        &mut out,
        "Ids not from the document's numbering",
        &r.renumbered,
    );
    placed(&mut out, "Cells in unrecognised columns", &r.other_cells);
    placed(&mut out, "Notes kept (title, notice, note rows)", &r.notes);
    let _ = writeln!(out, "\n## Every 完成时限 ({})\n", r.phrases.len());
    let _ = writeln!(
        out,
        "| task | phrase | reading | rules | cell |\n|---|---|---|---|---|"
    );
    for p in &r.phrases {
        let kind = serde_json::to_value(p.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {kind} | {} | {} |",
            p.task,
            esc(&p.phrase),
            esc(&p.rules.join("; ")),
            cell(&p.cell)
        );
    }
    let _ = writeln!(out, "\n## Units matched\n");
    let _ = writeln!(out, "| as written | id | tasks |\n|---|---|---|");
    for u in r.units.iter().filter(|u| u.id.is_some()) {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            esc(&u.written),
            u.id.as_deref().unwrap_or(""),
            u.tasks.join(", ")
        );
    }
    let _ = writeln!(out, "\n## Header rows\n");
    for h in &r.header_rows {
        let _ = writeln!(
            out,
            "- table {} row {}: {}",
            h.table,
            h.row,
            esc(&h.texts.join(" | "))
        );
    }
    out
}
