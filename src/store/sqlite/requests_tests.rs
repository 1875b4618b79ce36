//! Contract tests of the web loop's store methods (requests, holds, decisions, due overrides,
//! audit), written against the `Store` trait so the PostgreSQL adapter can run them too.
//!
//! May touch: an in-memory database.

use jiff::Timestamp;
use jiff::civil::date;

use crate::notify::{Colour, MessageKind};
use crate::store::*;

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn plan() -> PlanSet {
    let rem = |stage: &str, at: i64| NewReminder {
        dedupe_key: format!("4.2|4.2@x|{stage}|food|file"),
        occurrence_key: "4.2@x".into(),
        task_id: "4.2".into(),
        stage: stage.into(),
        kind: MessageKind::Lead,
        recipient: "food".into(),
        channel: "file".into(),
        fire_at: t(at),
        message: None,
    };
    PlanSet {
        version_hash: "h".into(),
        horizon_start: None,
        horizon_end: t(1_000_000),
        occurrences: vec![NewOccurrence {
            key: "4.2@x".into(),
            task_id: "4.2".into(),
            rule_index: 0,
            period_label: "x".into(),
            window_start: date(2027, 1, 1),
            window_end: date(2027, 3, 31),
            due_date: Some(date(2027, 3, 31)),
            colour: Colour::Blue,
        }],
        reminders: vec![rem("lead-14d", 1000), rem("due", 2000)],
    }
}

fn request(kind: RequestKind) -> NewRequest {
    NewRequest {
        kind,
        task_id: "4.2".into(),
        occurrence_key: "4.2@x".into(),
        unit: "food".into(),
        note: "n".into(),
        new_due: (kind == RequestKind::Extend).then(|| date(2027, 4, 30)),
        by_name: "食品室".into(),
    }
}

fn decision(id: i64, state: RequestState, effect: DecisionEffect) -> RequestDecision {
    RequestDecision {
        id,
        state,
        by: "duchaban".into(),
        note: None,
        effect,
        audit: NewAudit {
            actor: "duchaban".into(),
            address: "127.0.0.1".into(),
            action: format!("request.{state}"),
            subject: format!("request {id}"),
            before: "pending".into(),
            after: state.to_string(),
        },
        messages: Vec::new(),
    }
}

fn pending(s: &dyn Store) -> usize {
    s.outbox_for_occurrence("4.2@x")
        .unwrap()
        .iter()
        .filter(|i| i.state == OutboxState::Pending)
        .count()
}

#[test]
fn hold_release_close_and_move_due() {
    let mut s = open_in_memory().unwrap();
    s.sync_plan(&plan(), t(0)).unwrap();
    assert_eq!(pending(s.as_ref()), 2);
    // A 办结 request holds: rows cancelled, and a re-sync does not bring them back.
    let id = s
        .add_request(&request(RequestKind::Done), true, t(10))
        .unwrap();
    assert_eq!(pending(s.as_ref()), 0);
    s.sync_plan(&plan(), t(20)).unwrap();
    assert_eq!(pending(s.as_ref()), 0, "sync revived held rows");
    // 退办 releases the rows still ahead; the row whose time passed stays cancelled.
    s.decide_request(
        &decision(id, RequestState::Refused, DecisionEffect::Release),
        t(1500),
    )
    .unwrap();
    assert_eq!(pending(s.as_ref()), 1);
    // Deciding twice is refused.
    let again = s.decide_request(
        &decision(id, RequestState::Refused, DecisionEffect::Release),
        t(1600),
    );
    assert!(matches!(again, Err(StoreError::RequestDecided { .. })));
    // 延期 granted: the override is stored and the occurrence's due date moves.
    let ext = s
        .add_request(&request(RequestKind::Extend), false, t(1600))
        .unwrap();
    assert_eq!(pending(s.as_ref()), 1, "an extension request holds nothing");
    s.decide_request(
        &decision(
            ext,
            RequestState::Granted,
            DecisionEffect::MoveDue(date(2027, 4, 30)),
        ),
        t(1700),
    )
    .unwrap();
    assert_eq!(
        s.due_overrides().unwrap(),
        vec![("4.2@x".to_owned(), date(2027, 4, 30))]
    );
    let occ = s.occurrence("4.2@x").unwrap().unwrap();
    assert_eq!(occ.due_date, Some(date(2027, 4, 30)));
    // 办结 confirmed: done, nothing left pending.
    let done = s
        .add_request(&request(RequestKind::Done), true, t(1800))
        .unwrap();
    s.decide_request(
        &decision(
            done,
            RequestState::Confirmed,
            DecisionEffect::CloseOccurrence,
        ),
        t(1900),
    )
    .unwrap();
    assert_eq!(
        s.occurrence("4.2@x").unwrap().unwrap().status,
        OccurrenceStatus::Done
    );
    assert_eq!(pending(s.as_ref()), 0);
    // Requests and audit read back.
    let all = s.requests(&RequestFilter::default()).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].state, RequestState::Confirmed);
    let open = s
        .requests(&RequestFilter {
            state: Some(RequestState::Pending),
            ..RequestFilter::default()
        })
        .unwrap();
    assert!(open.is_empty());
    let audit = s.audit_log(10).unwrap();
    assert_eq!(audit.len(), 3);
    assert_eq!(audit[0].action, "request.confirmed");
    assert!(matches!(
        s.request(999),
        Err(StoreError::NoSuchRequest(999))
    ));
    let missing = NewRequest {
        occurrence_key: "nope".into(),
        ..request(RequestKind::Done)
    };
    assert!(matches!(
        s.add_request(&missing, true, t(0)),
        Err(StoreError::NoSuchOccurrence(_))
    ));
}
