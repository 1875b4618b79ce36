//! `dutybell calendar import-notice FILE|-`: turns the pasted text of a holiday notice (State
//! Council, or `--region ningxia`) into a holiday-cn JSON file in the calendar drop-in directory.
//!
//! May touch: the notice file or stdin, stdout/stderr, the config (only to find the calendar
//! directory, and only without `--out`) and the one output file. Parsing and formatting are the
//! pure `calendar::notice` module; nothing is written before the table is shown and confirmed.
//! Exit codes: 0 written, 1 runtime failure or not confirmed, 2 unparsable notice or usage.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use jiff::civil::Date;

use crate::calendar::WorkCalendar;
use crate::calendar::notice::{Notice, parse_notice};

/// `dutybell calendar …`.
#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// The calendar command.
    #[command(subcommand)]
    pub command: CalendarCommand,
}

/// Calendar subcommands.
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Read a holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) and write YYYY.json.
    ImportNotice(ImportArgs),
}

/// `calendar import-notice` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The notice text as pasted from the government website; `-` reads stdin (needs --yes).
    pub file: PathBuf,
    /// The year, when the text has no title (must agree with the title when it has one).
    #[arg(long)]
    pub year: Option<i16>,
    /// A regional notice: keep only its regional days (开斋节, 古尔邦节) as an overlay.
    #[arg(long, value_enum)]
    pub region: Option<Region>,
    /// Write here instead of the config's calendar directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write without asking (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

/// Regions whose notices can be imported as overlays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Region {
    /// 宁夏回族自治区: writes `cn-nx-YYYY.json`.
    Ningxia,
}

/// Runs `calendar …`; `today` only serves loading the config.
pub fn run(args: &CalendarArgs, config: &Path, today: Date) -> ExitCode {
    let CalendarCommand::ImportNotice(a) = &args.command;
    match import(a, config, today) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, msg)) => {
            if !msg.is_empty() {
                eprintln!("{msg}");
            }
            ExitCode::from(code)
        }
    }
}

/// A failure: exit code and message.
type Fail = (u8, String);

fn import(a: &ImportArgs, config: &Path, today: Date) -> Result<(), Fail> {
    let from_stdin = a.file.as_os_str() == "-";
    let origin = if from_stdin {
        "<stdin>".to_string()
    } else {
        a.file.display().to_string()
    };
    let text = read_text(&a.file, from_stdin).map_err(|e| (1, format!("error: {origin}: {e}")))?;
    let notice = parse_notice(&text, a.year).map_err(|errs| {
        let lines: Vec<String> = errs
            .iter()
            .map(|e| format!("error: {origin}: {e}"))
            .collect();
        (2, lines.join("\n"))
    })?;
    let holidays = match a.region {
        None => notice.all(),
        Some(Region::Ningxia) => notice.regional(),
    };
    if holidays.is_empty() {
        let m = "no regional holiday sections (开斋节, 古尔邦节) found in the notice";
        return Err((2, format!("error: {origin}: {m}")));
    }
    print!("{}", notice.table(&holidays));
    let name = match a.region {
        None => format!("{}.json", notice.year),
        Some(Region::Ningxia) => format!("cn-nx-{}.json", notice.year),
    };
    let path = match &a.out {
        Some(p) => p.clone(),
        None => calendar_dir(config, today)?.join(name),
    };
    let json = notice.holiday_cn_json(&holidays, &papers(&notice, a.region), a.region.is_some());
    // Never write what the loader would refuse.
    WorkCalendar::empty()
        .load_file(&path.display().to_string(), &json)
        .map_err(|e| {
            (
                1,
                format!("error: internal: the generated file does not load: {e}"),
            )
        })?;
    if path.exists() && !a.force {
        let m = format!(
            "error: {} exists; use --force to replace it",
            path.display()
        );
        return Err((1, m));
    }
    if !a.yes {
        if from_stdin {
            let m =
                "error: the notice was read from stdin, so there is no way to confirm; pass --yes";
            return Err((2, m.to_string()));
        }
        eprint!("Write {}? [y/N] ", path.display());
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            // At end of input the prompt has no newline of its own.
            let nl = if answer.ends_with('\n') { "" } else { "\n" };
            return Err((1, format!("{nl}nothing written")));
        }
    }
    write_atomically(&path, &json).map_err(|e| (1, format!("error: {}: {e}", path.display())))?;
    println!(
        "wrote {}; run `dutybell check` to see the covered years",
        path.display()
    );
    Ok(())
}

fn read_text(file: &Path, from_stdin: bool) -> std::io::Result<String> {
    let mut s = String::new();
    if from_stdin {
        std::io::stdin().read_to_string(&mut s)?;
        Ok(s)
    } else {
        std::fs::read_to_string(file)
    }
}

/// The first directory named by the config's `calendar:` setting (where the loader picks up
/// every `*.json`).
fn calendar_dir(config: &Path, today: Date) -> Result<PathBuf, Fail> {
    let loaded = crate::loader::load(config, today.into()).map_err(|d| (2, d.to_string()))?;
    let dirs = &loaded.catalog.settings.calendar;
    dirs.iter().find(|p| p.is_dir()).cloned().ok_or_else(|| {
        let m = format!(
            "error: {}: `calendar:` names no existing directory; create it or pass --out FILE",
            config.display()
        );
        (1, m)
    })
}

/// The `papers` of the written file: the notice and how the file was made.
fn papers(n: &Notice, region: Option<Region>) -> Vec<String> {
    let title = n.title.clone().unwrap_or_else(|| match region {
        None => format!("国务院办公厅关于{}年部分节假日安排的通知", n.year),
        Some(Region::Ningxia) => {
            format!(
                "宁夏回族自治区人民政府办公厅关于{}年部分节假日安排的通知",
                n.year
            )
        }
    });
    let issued = n.issued.map(|d| format!(", dated {d}")).unwrap_or_default();
    let mut out = vec![
        format!("{title}{issued}"),
        "imported from the notice text with `dutybell calendar import-notice`".to_string(),
    ];
    if region.is_some() {
        out.push(
            "scope: all = every employee in the region; hui = Hui staff only (回族职工)".into(),
        );
    }
    out
}

/// Writes via a temporary file in the same directory and a rename, so the daemon's reload never
/// sees half a file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
