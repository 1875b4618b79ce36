//! Fuzz template rendering with hostile plan text: the bundled plan with task 1.1's title and
//! measures and its lead unit's name replaced by the input, rendered for every reminder kind the
//! task has in 2026, then built into every channel's body. Rendering must never fail or panic
//! (plan text is data, not template syntax), the email must parse back, every chat body must be
//! JSON within the vendor's limit, and no markup may reach a chat dialect from the plan text: the
//! only `<` left in WeCom/DingTalk markdown and Feishu `lark_md` is the templates' own
//! `<font …>`, and the email HTML never contains a live `<script`.
#![no_main]

use std::cell::RefCell;

use dutybell::loader::{self, Loaded};
use dutybell::notify::webhook::{dingtalk, feishu, generic, wecom};
use dutybell::notify::{Mailbox, MessageKind};
use dutybell::render::{self, Renderer};
use dutybell::schedule::{Occurrence, Reminder};
use libfuzzer_sys::fuzz_target;

struct World {
    loaded: Loaded,
    renderer: Renderer,
    /// One reminder per message kind of task 1.1 in 2026, with its occurrence.
    cases: Vec<(Occurrence, Reminder)>,
    lead: String,
}

thread_local! {
    static WORLD: RefCell<World> = RefCell::new(world());
}

fn world() -> World {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/dutybell.yaml");
    let day = jiff::civil::date(2026, 1, 1);
    let mut loaded = loader::load(config.as_ref(), day.into()).expect("bundled config");
    loaded.catalog.settings.progress_url = Some("https://duban.example.gov.cn/p?a=1&b=(2)".into());
    let p = dutybell::schedule::plan(
        &loaded.catalog,
        &loaded.calendar,
        day,
        jiff::civil::date(2026, 12, 31),
    );
    let mut seen: Vec<MessageKind> = Vec::new();
    let mut cases = Vec::new();
    for r in p.reminders.iter().filter(|r| r.task_id == "1.1") {
        if seen.contains(&r.kind) {
            continue;
        }
        seen.push(r.kind);
        let occ = p
            .occurrences
            .iter()
            .find(|o| o.key == r.occurrence_key)
            .expect("occurrence")
            .clone();
        cases.push((occ, r.clone()));
    }
    let task = loaded.catalog.task("1.1").expect("task 1.1").clone();
    let lead = loaded.catalog.lead_units(&task)[0].clone();
    World {
        loaded,
        renderer: Renderer::new(None).expect("built-in templates"),
        cases,
        lead,
    }
}

/// `s` without the templates' own `<font color=…>` and `</font>`.
fn without_font_tags(s: &str) -> String {
    let mut out = s.replace("</font>", "");
    while let Some(i) = out.find("<font color=\"") {
        let end = out[i..].find('>').map_or(out.len(), |e| i + e + 1);
        out.replace_range(i..end, "");
    }
    out
}

fn assert_no_live_markup(channel: &str, s: &str) {
    assert!(
        !without_font_tags(s).contains('<'),
        "{channel}: `<` from plan text reached the chat markdown:\n{s}"
    );
}

fn lark_md(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("tag").and_then(|t| t.as_str()) == Some("lark_md")
                && let Some(c) = m.get("content").and_then(|c| c.as_str())
            {
                out.push(c.to_owned());
            }
            m.values().for_each(|x| lark_md(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| lark_md(x, out)),
        _ => {}
    }
}

fuzz_target!(|input: (&str, &str, &str)| {
    let (title, measures, unit) = input;
    WORLD.with_borrow_mut(|w| {
        let lead = w.lead.clone();
        let cat = &mut w.loaded.catalog;
        if let Some(t) = cat.tasks.iter_mut().find(|t| t.id == "1.1") {
            t.title = title.to_owned();
            t.measures = measures.to_owned();
        }
        if let Some(u) = cat.units.iter_mut().find(|u| u.id == lead) {
            u.name = unit.to_owned();
        }
        let from = Mailbox {
            name: Some("督办提醒".into()),
            email: "dutybell@example.org".into(),
        };
        for (occ, rem) in &w.cases {
            let n = render::notification(
                &w.renderer,
                &w.loaded.catalog,
                &w.loaded.calendar,
                occ,
                rem,
                false,
                rem.date,
            )
            .expect("hostile plan text must render");
            if let Some(html) = &n.html {
                assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
            }
            let mut mail = n.clone();
            if mail.recipients.to.is_empty() {
                mail.recipients.to.push(from.clone());
            }
            let raw = dutybell::notify::email::render_rfc5322(&mail, &from, "example.org")
                .expect("email renders");
            mailparse::parse_mail(&raw).expect("email parses back");
            for b in wecom::bodies(&n, true) {
                if let Some(c) = b["markdown"]["content"].as_str() {
                    assert!(c.len() <= wecom::MARKDOWN_LIMIT);
                    assert_no_live_markup("wecom", c);
                }
                if let Some(c) = b["text"]["content"].as_str() {
                    assert!(c.len() <= wecom::TEXT_LIMIT);
                    assert!(!c.contains('<'), "wecom text: {c}");
                }
            }
            let d = dingtalk::body(&n, Some("督办提醒"), true);
            assert!(serde_json::to_vec(&d).expect("json").len() <= dingtalk::LIMIT);
            assert_no_live_markup("dingtalk", d["markdown"]["text"].as_str().unwrap_or(""));
            for body in feishu::bodies(&n, None, None, 1_780_275_600) {
                assert!(body.len() <= feishu::LIMIT);
                let card: serde_json::Value = serde_json::from_slice(&body).expect("json");
                let mut md = Vec::new();
                lark_md(&card, &mut md);
                for c in md {
                    assert_no_live_markup("feishu", &c);
                }
            }
            generic::body(&n, 1_780_275_600).expect("generic body");
        }
    });
});
