//! .doc through LibreOffice: the python-docx seed converted to .doc by `soffice` (as a clerk's
//! old Word would hold it) must import like the .docx; the .docx LibreOffice writes back is
//! compared cell by cell with python-docx; a damaged .doc and a conversion that runs out of time
//! fail clearly. Without `soffice` the test says why and passes locally; under `CI=true` it
//! fails (.ci/setup installs libreoffice-writer-nogui). LibreOffice also serves as a second
//! renderer of automatic numbering, checked against ours.

use std::path::{Path, PathBuf};
use std::process::Command;

use dutybell::import::read::{Limits, ReadError, read_document, read_plan};
use dutybell::import::source::{Column, DocFormat, SourcePlan};

use crate::import_fixtures::{
    assert_seed_plan, compare_with_oracle, fixtures, skip_or_fail, squeeze,
};

fn soffice() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("soffice"))
        .find(|p| p.is_file())
}

/// Converts `file` to `to` (doc or docx) with LibreOffice into `out`, with a private profile.
fn convert(file: &Path, to: &str, out: &Path) -> PathBuf {
    let profile = out.join("profile");
    let status = Command::new("timeout")
        .args(["120", "soffice"])
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--norestore", "--convert-to", to, "--outdir"])
        .arg(out)
        .arg(file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "soffice --convert-to {to} {}",
        file.display()
    );
    let ext = to.split(':').next().unwrap();
    out.join(file.with_extension(ext).file_name().unwrap())
}

/// Every task's number is the one LibreOffice's own text export shows before the task's text.
fn assert_numbers_as_libreoffice_shows_them(plan: &SourcePlan, file: &Path, dir: &Path) {
    let out = dir.join("txt");
    std::fs::create_dir_all(&out).unwrap();
    let txt = std::fs::read_to_string(convert(file, "txt:Text", &out)).unwrap();
    for task in plan.areas.iter().flat_map(|a| &a.tasks) {
        let marker = &task.marker.as_ref().unwrap().text;
        let text = &task
            .fields
            .iter()
            .find(|(c, _)| *c == Column::Task)
            .unwrap()
            .1
            .text;
        let head: String = text.chars().take(12).collect();
        let line = txt
            .lines()
            .find(|l| l.contains(&head))
            .unwrap_or_else(|| panic!("{head} not in the export"));
        let want = format!("{marker}{}", squeeze(&head));
        assert!(
            squeeze(line).contains(&want),
            "{want}: LibreOffice shows {line:?}"
        );
    }
}

#[test]
fn doc_files_through_libreoffice() {
    let Some(fixtures) = fixtures() else { return };
    if soffice().is_none() {
        skip_or_fail("soffice is not installed (.ci/setup installs libreoffice-writer-nogui)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let doc = convert(&fixtures.join("seed.docx"), "doc", dir.path());
    let plan = read_plan(&doc, &Limits::default()).unwrap();
    assert_eq!(plan.doc.format, DocFormat::Doc);
    // LibreOffice's .doc round trip renumbers the automatic lists of areas 4 and 9 (its own
    // text export of the file shows 1., 1., 2., …): check our numbers against that export
    assert_seed_plan(&plan, false);
    assert_numbers_as_libreoffice_shows_them(&plan, &doc, dir.path());
    // the .docx LibreOffice writes back, read as a .docx and checked against python-docx
    let back_dir = dir.path().join("back");
    std::fs::create_dir(&back_dir).unwrap();
    let lo = convert(&doc, "docx", &back_dir);
    let plan = read_plan(&lo, &Limits::default()).unwrap();
    assert_eq!(plan.doc.format, DocFormat::Docx);
    assert_seed_plan(&plan, false);
    assert_numbers_as_libreoffice_shows_them(&plan, &lo, &back_dir);
    let compared = compare_with_oracle(&lo, &plan.doc);
    assert!(compared > 200, "{compared} cells compared");
    // a damaged .doc, and a conversion that runs out of time (its process group is killed)
    let junk = dir.path().join("junk.doc");
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.extend(std::iter::repeat_n(0x5Au8, 4096));
    std::fs::write(&junk, bytes).unwrap();
    // LibreOffice opens nearly anything as text: the plan then has no table, and says so
    let err = read_plan(&junk, &Limits::default()).unwrap_err();
    assert!(matches!(err, ReadError::NoTables { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}: no table found", junk.display())),
        "{err}"
    );
    assert_eq!(err.exit_code(), 2);
    let hurried = Limits {
        convert_timeout_secs: 0,
        ..Limits::default()
    };
    let err = read_document(&doc, &hurried).unwrap_err().to_string();
    assert!(
        err.contains("LibreOffice could not convert it") && err.contains("killed"),
        "{err}"
    );
    // the whole process group died with it: nothing is left to write into the scratch folder
    let ours = format!("dutybell-import-{}-", std::process::id());
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&ours))
        .collect();
    assert!(left.is_empty(), "scratch folders left: {left:?}");
}

/// LibreOffice as a second, independent renderer of automatic numbering: its text export of the
/// python-docx fixtures shows the same numbers we render, for every format both know. Two
/// documented differences: LibreOffice prints decimalFullWidth with ASCII digits (Word and we
/// print １．), and it invents decimal numbers for a format it does not know, where we print none.
#[test]
fn numbering_agrees_with_libreoffice() {
    let Some(fixtures) = fixtures() else { return };
    if soffice().is_none() {
        skip_or_fail("soffice is not installed (.ci/setup installs libreoffice-writer-nogui)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let seed = fixtures.join("seed.docx");
    let plan = read_plan(&seed, &Limits::default()).unwrap();
    assert_numbers_as_libreoffice_shows_them(&plan, &seed, dir.path());

    let file = fixtures.join("edge-numfmt.docx");
    let txt = std::fs::read_to_string(convert(&file, "txt:Text", dir.path())).unwrap();
    let theirs: Vec<String> = txt
        .trim_start_matches('\u{feff}')
        .lines()
        .map(squeeze)
        .filter(|l| !l.is_empty())
        .collect();
    // ours in the same order: each row's format name, then its numbered lines
    let doc = read_document(&file, &Limits::default()).unwrap();
    let mut ours: Vec<(String, String)> = Vec::new();
    for row in &doc.tables[0].rows {
        ours.push((String::new(), squeeze(&row[0].text)));
        for line in row[1].text.lines() {
            ours.push((row[0].text.clone(), squeeze(line)));
        }
    }
    assert_eq!(ours.len(), theirs.len(), "{theirs:?}");
    let mut compared = 0;
    for ((format, mine), lo) in ours.iter().zip(&theirs) {
        match format.as_str() {
            "decimalFullWidth" => {
                let ascii: String = mine
                    .chars()
                    .map(|c| match c {
                        '１'..='９' => {
                            char::from_u32(c as u32 - '１' as u32 + '1' as u32).unwrap()
                        }
                        c => c,
                    })
                    .collect();
                assert_eq!(&ascii, lo);
            }
            "klingonCounting" => {
                assert!(
                    mine.starts_with("klingonCounting"),
                    "no number invented: {mine}"
                );
                assert!(lo.ends_with(mine.as_str()) && lo.len() > mine.len(), "{lo}");
            }
            _ => assert_eq!(mine, lo, "{format}"),
        }
        compared += 1;
    }
    assert_eq!(compared, 47, "rows and numbered lines compared");
}
