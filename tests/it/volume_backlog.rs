//! The first start (issue 12) with the real binary on a manual clock: `dutybell simulate` starting
//! on 2026-03-02 with an empty database. Work already overdue then (2025's and early 2026's) is
//! neither flushed one reminder at a time nor dropped: each recipient gets ONE summary per channel,
//! 截至今日仍未办结的N项, listing every open overdue occurrence whose reminders fell before the start.

use std::collections::BTreeMap;

use crate::helpers::simulate_bundled;

#[test]
fn first_start_summarises_the_overdue_backlog_once_per_recipient() {
    let (_dir, out_dir) = simulate_bundled("2026-03-02", "2026-03-03");
    let mut per_day: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut backlog: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for entry in std::fs::read_dir(out_dir.join("file")).unwrap() {
        let n: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let id = n["id"].as_str().unwrap().to_owned();
        if n["kind"] == "digest" {
            continue;
        }
        if let Some(rest) = id.strip_prefix("backlog|") {
            // backlog|RECIPIENT|CHANNEL|DAY
            let parts: Vec<&str> = rest.split('|').collect();
            assert_eq!(parts[2], "2026-03-02", "{id}");
            let key = format!("{}|{}", parts[0], parts[1]);
            assert!(
                backlog.insert(key, n.clone()).is_none(),
                "two summaries for {id}"
            );
            *per_day
                .entry((parts[0].to_owned(), "2026-03-02".into()))
                .or_default() += 1;
        } else {
            // Anything else is a reminder of the simulated days themselves, never one of
            // before the start sent late.
            assert!(!n["subject"].as_str().unwrap().contains("补发"), "{id}");
        }
    }
    assert!(backlog.len() >= 20, "{} summaries", backlog.len());
    for (who, n) in &backlog {
        let subject = n["subject"].as_str().unwrap();
        let count = n["data"]["count"].as_u64().unwrap();
        assert!(
            subject.contains(&format!("截至今日仍未办结的{count}项")),
            "{who}: {subject}"
        );
        let items = n["data"]["items"].as_array().unwrap();
        assert_eq!(items.len() as u64, count);
        // Every item is overdue as of the start and listed once.
        let mut seen = std::collections::BTreeSet::new();
        for it in items {
            assert!(it["due"].as_str().unwrap() < "2026-03-02", "{who}: {it}");
            assert!(seen.insert(it["occurrence"].as_str().unwrap().to_owned()));
        }
    }
    // 食品室's summary holds its 2025 items too (overdue since November): not dropped.
    let food = &backlog["food|file"];
    let text = food["text"].as_str().unwrap();
    assert!(text.contains("9.4 2025年度食品安全研判"), "{text}");
    assert!(food["data"]["count"].as_u64().unwrap() >= 10);
    assert!(per_day.values().all(|&c| c == 1), "{per_day:?}");
}
