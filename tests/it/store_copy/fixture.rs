//! The source state of the `store copy` tests: a row in every table, every outbox state, and
//! text that needs escaping in the canonical form.

use dutybell::notify::{Colour, MessageKind};
use dutybell::store::*;
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};

/// A local instant in the plan's zone (`2027-03-01T09:00`).
pub fn t(s: &str) -> Timestamp {
    format!("{s}:00+08:00").parse().unwrap()
}

/// A state with a row in every table, in every outbox state, with text that needs escaping:
/// `units` occurrences of 10 reminders each (paged when over 2,000 rows).
pub fn populate(s: &mut dyn Store, units: usize) {
    let now = t("2027-02-01T09:00");
    let mut occurrences = Vec::new();
    let mut reminders = Vec::new();
    for u in 0..units {
        let key = format!("4.{u}@2027-spring");
        occurrences.push(NewOccurrence {
            key: key.clone(),
            task_id: format!("4.{u}"),
            rule_index: 0,
            period_label: "2027年春季".into(),
            window_start: date(2027, 3, 1),
            window_end: date(2027, 5, 31),
            due_date: (u % 7 != 0).then_some(date(2027, 5, 31)),
            colour: Colour::Blue,
        });
        for r in 0..10 {
            reminders.push(NewReminder {
                dedupe_key: format!("4.{u}|{key}|s{r}|unit{u}|file"),
                occurrence_key: key.clone(),
                task_id: format!("4.{u}"),
                stage: format!("s{r}"),
                kind: MessageKind::Lead,
                recipient: format!("unit{u}"),
                channel: "file".into(),
                fire_at: t("2027-03-01T09:00") + SignedDuration::from_hours(24 * r),
                message: None,
            });
        }
    }
    s.sync_plan(
        &PlanSet {
            version_hash: "h1".into(),
            horizon_start: None,
            horizon_end: t("2027-12-31T00:00"),
            occurrences,
            reminders,
        },
        now,
    )
    .unwrap();
    s.enqueue(
        &NewReminder {
            dedupe_key: "alert|calendar-2028".into(),
            occurrence_key: String::new(),
            task_id: String::new(),
            stage: "alert".into(),
            kind: MessageKind::OperatorAlert,
            recipient: "operator".into(),
            channel: "file".into(),
            fire_at: now,
            message: Some("{\"subject\":\"日历缺失 \\\"2028\\\"\\n请导入\"}".into()),
        },
        now,
    )
    .unwrap();
    // Outcomes: sent, retry, dead, skipped, and one left `sending` under a live lease.
    let at = t("2027-03-03T09:05");
    let lease = Lease {
        owner: "host-a:41:1".into(),
        ttl: SignedDuration::from_secs(3600),
    };
    let claimed = s.claim(&lease, at, 5).unwrap();
    assert_eq!(claimed.len(), 5);
    let outcomes = [
        Recorded::Sent {
            id: claimed[0].id,
            detail: "errcode 0 ok".into(),
            message: Some("{\"text\":\"请于5月31日前报送\"}".into()),
        },
        Recorded::Retry {
            id: claimed[1].id,
            next_at: at + SignedDuration::from_mins(5),
            error: "transient: 502".into(),
        },
        Recorded::Dead {
            id: claimed[2].id,
            error: "permanent: bad key".into(),
        },
        Recorded::Skipped {
            id: claimed[3].id,
            reason: "task 4.3 is no longer in the plan".into(),
        },
    ];
    for o in &outcomes {
        s.record(&lease.owner, o, at).unwrap();
    }
    s.add_progress(
        NewProgress {
            task_id: "4.1".into(),
            occurrence_key: Some("4.1@2027-spring".into()),
            note: "已完成自查，\n报告见附件".into(),
            by_name: "张三".into(),
            done: true,
            source: ProgressSource::Cli,
        },
        at,
    )
    .unwrap();
    let req = s
        .add_request(
            &NewRequest {
                kind: RequestKind::Extend,
                task_id: "4.2".into(),
                occurrence_key: "4.2@2027-spring".into(),
                unit: "unit2".into(),
                note: "等待省局文件".into(),
                new_due: Some(date(2027, 6, 30)),
                by_name: "李四".into(),
            },
            false,
            at,
        )
        .unwrap();
    s.decide_request(
        &RequestDecision {
            id: req,
            state: RequestState::Granted,
            by: "office".into(),
            note: None,
            effect: DecisionEffect::MoveDue(date(2027, 6, 30)),
            audit: NewAudit {
                actor: "office".into(),
                address: "127.0.0.1".into(),
                action: "request.grant".into(),
                subject: format!("request {req}"),
                before: "pending".into(),
                after: "granted".into(),
            },
            messages: Vec::new(),
        },
        at,
    )
    .unwrap();
    s.add_request(
        &NewRequest {
            kind: RequestKind::Done,
            task_id: "4.0".into(),
            occurrence_key: "4.0@2027-spring".into(),
            unit: "unit3".into(),
            note: "已办结".into(),
            new_due: None,
            by_name: "王五".into(),
        },
        true,
        at,
    )
    .unwrap();
    s.record_tick("plan_recheck", at, at).unwrap();
    assert!(s.digest_claim_week("head-weekly", "2027-W09").unwrap());
    s.set_meta("note", "含 \"引号\" 与\t制表符").unwrap();
}
