//! `dutybell store copy` with the real binary, on real SQLite files and the real PostgreSQL:
//! SQLite → PostgreSQL → SQLite loses nothing (every table's count and checksum equal, the same
//! checksums on both backends), a second run copies nothing, a run after the source changed
//! copies exactly the change, a source written during the copy is copied from one consistent
//! snapshot, and the refusals (schema versions, foreign rows, a target in use) exit 2 or 1
//! without writing anything.
//!
//! May touch: temporary directories, databases named `dutybell_t_*` on the test server.

use std::path::Path;
use std::process::Output;

use dutybell::notify::MessageKind;
use dutybell::store::*;

use crate::helpers::bin;
use crate::pg;

mod fixture;
mod refusals;
use fixture::{populate, t};

fn store_cmd(args: &[&str]) -> Output {
    std::process::Command::new(bin())
        .arg("store")
        .args(args)
        .env_remove("DUTYBELL_CONFIG")
        .output()
        .unwrap()
}

fn sqlite_url(p: &Path) -> String {
    format!("sqlite://{}", p.display())
}

/// One table line of the report, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    table: String,
    source: u64,
    target: u64,
    copied: u64,
    updated: u64,
    sum: String,
    check: String,
}

/// Runs `store copy` and parses its report (panics with the output when it fails).
fn copy(from: &str, to: &str) -> Vec<Line> {
    let out = store_cmd(&["copy", "--from", from, "--to", to]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "store copy failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Line> = stdout
        .lines()
        .skip(2)
        .filter(|l| !l.starts_with("total"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 7, "report line {l:?}");
            Line {
                table: f[0].into(),
                source: f[1].parse().unwrap(),
                target: f[2].parse().unwrap(),
                copied: f[3].parse().unwrap(),
                updated: f[4].parse().unwrap(),
                sum: f[5].into(),
                check: f[6].into(),
            }
        })
        .collect();
    assert_eq!(lines.len(), 12, "{stdout}");
    assert!(
        stdout.lines().last().unwrap().contains("every table equal"),
        "{stdout}"
    );
    lines
}

fn line<'a>(report: &'a [Line], table: &str) -> &'a Line {
    report.iter().find(|l| l.table == table).unwrap()
}

/// `store checksum` output minus its header: `table rows sha256` lines.
fn checksums(url: &str) -> String {
    let out = store_cmd(&["checksum", url]);
    crate::helpers::succeeded(&out);
    String::from_utf8(out.stdout).unwrap()
}

fn counts(s: &dyn Store) -> (usize, usize) {
    let outbox = s.list_outbox(None, 1_000_000).unwrap().len();
    let occurrences = s.occurrences(&OccurrenceFilter::default()).unwrap().len();
    (outbox, occurrences)
}

#[test]
fn sqlite_to_postgres_and_back_loses_nothing_and_a_second_run_copies_nothing() {
    let Some(db) = pg::temp_db("store_copy_round_trip") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let units = 230; // 2,301 outbox rows: more than one page of 2,000
    {
        let mut s = dutybell::store::open(&StoreUrl::Sqlite(a.clone())).unwrap();
        populate(s.as_mut(), units);
    }
    let pg_url = db.url.display();
    let first = copy(&sqlite_url(&a), &pg_url);
    assert!(
        first
            .iter()
            .all(|l| l.check == "equal" && l.source == l.target)
    );
    assert!(first.iter().all(|l| l.copied == l.source && l.updated == 0));
    assert_eq!(line(&first, "outbox").source, units as u64 * 10 + 1);
    assert_eq!(line(&first, "occurrences").source, units as u64);
    for table in [
        "plan_versions",
        "deliveries",
        "progress",
        "digest_runs",
        "meta",
        "ticks",
        "requests",
        "due_overrides",
        "audit",
        "event_windows",
    ] {
        assert!(line(&first, table).source > 0, "{table} is empty");
    }

    // PostgreSQL back to a new SQLite file: the same checksums as the original, everywhere.
    let b = dir.path().join("b.db");
    let back = copy(&pg_url, &sqlite_url(&b));
    for (x, y) in first.iter().zip(&back) {
        assert_eq!(
            x.sum, y.sum,
            "{}: the same rows have the same checksum",
            x.table
        );
        assert_eq!(x.source, y.target, "{}", x.table);
    }
    assert_eq!(checksums(&sqlite_url(&a)), checksums(&sqlite_url(&b)));

    // The copy is a working store: same rows, the `sending` row without its lease (recovered at
    // the next start), and new rows get fresh ids after the copied ones.
    let src = dutybell::store::open(&StoreUrl::Sqlite(a.clone())).unwrap();
    let mut dst = dutybell::store::open(&StoreUrl::Postgres(db.url.clone())).unwrap();
    assert_eq!(counts(&*src), counts(&*dst));
    let sending = dst.list_outbox(Some(OutboxState::Sending), 10).unwrap();
    assert_eq!(sending.len(), 1);
    assert_eq!(sending[0].lease_owner, None, "leases are not copied");
    assert_eq!(
        src.outbox_item(sending[0].id)
            .unwrap()
            .lease_owner
            .as_deref(),
        Some("host-a:41:1")
    );
    assert_eq!(
        dst.recover_in_flight(t("2027-03-01T10:00"), false).unwrap(),
        1,
        "a copied in-flight row is retried on the target"
    );
    assert_eq!(dst.due_overrides().unwrap(), src.due_overrides().unwrap());
    assert_eq!(dst.event_windows().unwrap(), src.event_windows().unwrap());
    assert_eq!(dst.audit_log(10).unwrap(), src.audit_log(10).unwrap());
    assert_eq!(
        dst.progress_for_task("4.1").unwrap(),
        src.progress_for_task("4.1").unwrap()
    );
    assert_eq!(
        dst.meta("note").unwrap().as_deref(),
        Some("含 \"引号\" 与\t制表符")
    );
    let max_id = dst
        .list_outbox(None, 1_000_000)
        .unwrap()
        .iter()
        .map(|i| i.id)
        .max();
    let added = dst
        .enqueue(
            &NewReminder {
                dedupe_key: "after-copy".into(),
                occurrence_key: String::new(),
                task_id: String::new(),
                stage: "alert".into(),
                kind: MessageKind::OperatorAlert,
                recipient: "operator".into(),
                channel: "file".into(),
                fire_at: t("2027-03-02T09:00"),
                message: Some("{}".into()),
            },
            t("2027-03-01T10:00"),
        )
        .unwrap();
    assert!(added);
    let new_id = dst
        .list_outbox(None, 1_000_000)
        .unwrap()
        .iter()
        .find(|i| i.dedupe_key == "after-copy")
        .unwrap()
        .id;
    assert!(Some(new_id) > max_id, "identity moved past the copied ids");
    drop(dst);

    // Rows written on PostgreSQL since (the recovery's delivery line, the new alert) are not in
    // the SQLite source: copying over them again is refused.
    let refused = store_cmd(&["copy", "--from", &sqlite_url(&a), "--to", &pg_url]);
    assert_eq!(refused.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&refused.stderr);
    assert!(
        msg.contains("outbox: 1") && msg.contains("deliveries: 1"),
        "{msg}"
    );

    // SQLite → SQLite twice: the second run copies nothing and reports the same checksums.
    let c = dir.path().join("c.db");
    let once = copy(&sqlite_url(&a), &sqlite_url(&c));
    let twice = copy(&sqlite_url(&a), &sqlite_url(&c));
    assert!(twice.iter().all(|l| l.copied == 0 && l.updated == 0));
    assert_eq!(
        once.iter().map(|l| &l.sum).collect::<Vec<_>>(),
        twice.iter().map(|l| &l.sum).collect::<Vec<_>>()
    );
    assert_eq!(checksums(&sqlite_url(&a)), checksums(&sqlite_url(&c)));
    for (x, y) in first.iter().zip(&once) {
        assert_eq!(
            x.sum, y.sum,
            "{}: SQLite and PostgreSQL checksums agree",
            x.table
        );
    }
}

#[test]
fn a_second_run_after_the_source_changed_copies_exactly_the_change() {
    let Some(db) = pg::temp_db("store_copy_delta") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let mut s = dutybell::store::open(&StoreUrl::Sqlite(a.clone())).unwrap();
    populate(s.as_mut(), 20);
    let pg_url = db.url.display();
    copy(&sqlite_url(&a), &pg_url);
    // The daemon goes on: the in-flight row is sent, one more is claimed and sent, a note.
    let at = t("2027-03-02T09:00");
    let owner = "host-a:41:1";
    let sending = s.list_outbox(Some(OutboxState::Sending), 10).unwrap();
    s.record(
        owner,
        &Recorded::Sent {
            id: sending[0].id,
            detail: "ok".into(),
            message: None,
        },
        at,
    )
    .unwrap();
    s.add_progress(
        NewProgress {
            task_id: "4.5".into(),
            occurrence_key: None,
            note: "推进中".into(),
            by_name: "赵六".into(),
            done: false,
            source: ProgressSource::Csv,
        },
        at,
    )
    .unwrap();
    drop(s);
    let second = copy(&sqlite_url(&a), &pg_url);
    let o = line(&second, "outbox");
    assert_eq!((o.copied, o.updated), (0, 1), "{o:?}");
    let d = line(&second, "deliveries");
    assert_eq!((d.copied, d.updated), (1, 0), "{d:?}");
    let p = line(&second, "progress");
    assert_eq!((p.copied, p.updated), (1, 0), "{p:?}");
    let rest: u64 = second
        .iter()
        .filter(|l| !["outbox", "deliveries", "progress"].contains(&l.table.as_str()))
        .map(|l| l.copied + l.updated)
        .sum();
    assert_eq!(rest, 0, "{second:?}");
    let third = copy(&sqlite_url(&a), &pg_url);
    assert!(third.iter().all(|l| l.copied == 0 && l.updated == 0));
}

#[test]
fn a_source_written_during_the_copy_is_copied_from_one_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let c = dir.path().join("c.db");
    {
        let mut s = dutybell::store::open(&StoreUrl::Sqlite(a.clone())).unwrap();
        populate(s.as_mut(), 300);
    }
    // A writer adds notes in atomic batches of three while the binary copies: every copy must
    // hold whole batches only, and its own checksums must match its own snapshot.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (a, stop) = (a.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut s = dutybell::store::open(&StoreUrl::Sqlite(a)).unwrap();
            let mut batches = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || batches < 5 {
                let notes = (0..3)
                    .map(|i| NewProgress {
                        task_id: "4.9".into(),
                        occurrence_key: None,
                        note: format!("batch {batches} note {i}"),
                        by_name: "writer".into(),
                        done: false,
                        source: ProgressSource::Csv,
                    })
                    .collect();
                s.add_progress_batch(notes, t("2027-03-01T09:00")).unwrap();
                batches += 1;
            }
            batches
        })
    };
    let mut seen = Vec::new();
    for _ in 0..3 {
        let report = copy(&sqlite_url(&a), &sqlite_url(&c));
        seen.push(line(&report, "progress").target);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let batches = writer.join().unwrap();
    // One note from populate(), then whole batches.
    for n in &seen {
        assert_eq!((n - 1) % 3, 0, "a copy holds part of a batch: {seen:?}");
    }
    let last = copy(&sqlite_url(&a), &sqlite_url(&c));
    assert_eq!(line(&last, "progress").target, 1 + 3 * batches as u64);
    assert_eq!(checksums(&sqlite_url(&a)), checksums(&sqlite_url(&c)));
}
