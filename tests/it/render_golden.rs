//! Golden messages (issue 12): every message kind rendered from the bundled plan for every
//! channel (email as parsed back by mailparse, WeCom, DingTalk, Feishu, generic JSON), compared
//! with `tests/golden/messages/`; each chat body is validated against the vendor's documented
//! schema and limits (`webhook_formats`); `render_wording` reads all of them for wording defects.
//! The examples
//! section of docs/TEMPLATES.md is generated from these files and must match them.
//!
//! `UPDATE_GOLDEN=1 cargo test --test it render_golden::` rewrites the files and the docs
//! section; review the diff.

use std::fmt::Write as _;
use std::path::PathBuf;

use dutybell::digest::{self, DigestView};
use dutybell::loader::{self, Loaded};
use dutybell::notify::webhook::{dingtalk, feishu, generic, wecom};
use dutybell::notify::{Mailbox, MessageKind, Notification};
use dutybell::render::{self, Renderer, group};
use dutybell::schedule::{self, Plan, Reminder};
use jiff::civil::date;
use mailparse::MailHeaderMap;

use crate::helpers::repo;
use crate::webhook_formats::{check_dingtalk, check_feishu, check_wecom};

/// Sending instant of the chat bodies and emails: 2026-06-01T01:00:00Z.
const AT: i64 = 1_780_275_600;

pub fn loaded() -> Loaded {
    let mut l = loader::load(
        &repo().join("config/dutybell.yaml"),
        date(2026, 1, 1).into(),
    )
    .expect("bundled config");
    // What a bureau fills in (commented out in the bundled config): every message shows it.
    let s = &mut l.catalog.settings;
    s.contact = Some("局督查办 张三 0952-0000000".into());
    s.reply_to = Some("duchaban@example.org".into());
    s.progress_url = Some("https://duban.example.gov.cn/progress".into());
    l
}

fn year(l: &Loaded) -> Plan {
    schedule::plan(
        &l.catalog,
        &l.calendar,
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
}

fn single(r: &Renderer, l: &Loaded, p: &Plan, rem: &Reminder, late: bool) -> Notification {
    let occ = p
        .occurrences
        .iter()
        .find(|o| o.key == rem.occurrence_key)
        .unwrap();
    render::notification(r, &l.catalog, &l.calendar, occ, rem, late, rem.date).unwrap()
}

fn member(r: &Renderer, l: &Loaded, p: &Plan, rem: &Reminder, late: bool) -> group::Member {
    let occ = p
        .occurrences
        .iter()
        .find(|o| o.key == rem.occurrence_key)
        .unwrap();
    let link = l.catalog.settings.progress_url.as_deref();
    let (ctx, _) =
        render::reminder_context(&l.catalog, &l.calendar, occ, rem, late, rem.date, link).unwrap();
    group::Member {
        ctx,
        single: single(r, l, p, rem, late),
    }
}

fn first(p: &Plan, f: impl Fn(&Reminder) -> bool) -> &Reminder {
    p.reminders
        .iter()
        .find(|r| f(r))
        .expect("such a reminder in 2026")
}

/// The reminders of the fullest (recipient, channel, instant) of 2026 whose recipient satisfies
/// `who`, with at least `min` items: what one claim groups into one message.
fn busiest(p: &Plan, who: impl Fn(&str) -> bool, min: usize) -> Vec<&Reminder> {
    let mut best: Vec<&Reminder> = Vec::new();
    for r in &p.reminders {
        if !who(&r.recipient) {
            continue;
        }
        let same: Vec<&Reminder> = p
            .reminders
            .iter()
            .filter(|o| o.recipient == r.recipient && o.channel == r.channel && o.at == r.at)
            .collect();
        if same.len() > best.len() {
            best = same;
        }
        if best.len() >= min {
            break;
        }
    }
    assert!(best.len() >= 2, "no group in 2026");
    best
}

/// The grouped message `recipient` gets on its first channel at the first reminder time of
/// `day` in 2026 (every reminder of that morning, as one claim groups them).
pub fn group_on(recipient: &str, day: jiff::civil::Date) -> Notification {
    let l = loaded();
    let p = year(&l);
    let r = Renderer::new(None).unwrap();
    let first = first(&p, |x| x.recipient == recipient && x.date == day);
    let members = p
        .reminders
        .iter()
        .filter(|x| x.recipient == recipient && x.channel == first.channel && x.at == first.at)
        .map(|x| member(&r, &l, &p, x, false))
        .collect();
    group::grouped(&r, members).unwrap()
}

/// A grouped message of `n` items (the same reminders repeated under other ids when the plan
/// has fewer), for the splitting tests.
pub fn long_group(n: usize) -> Notification {
    let l = loaded();
    let p = year(&l);
    let r = Renderer::new(None).unwrap();
    let food: Vec<&Reminder> = p
        .reminders
        .iter()
        .filter(|x| x.recipient == "food")
        .collect();
    let members = (0..n)
        .map(|i| {
            let mut m = member(&r, &l, &p, food[i % food.len()], false);
            m.single.id = format!("{}#{i}", m.single.id);
            m
        })
        .collect();
    group::grouped(&r, members).unwrap()
}

/// Every case: a name, what it shows, and the notification.
pub fn cases() -> Vec<(&'static str, &'static str, Notification)> {
    let l = loaded();
    let p = year(&l);
    let r = Renderer::new(None).unwrap();
    let one = |f: &dyn Fn(&Reminder) -> bool| single(&r, &l, &p, first(&p, f), false);
    let mut out = vec![
        (
            "campaign_opening",
            "专项整治启动（4.2 秋季开学）",
            one(&|x| x.task_id == "4.2" && x.stage == "open" && x.date.month() > 6),
        ),
        (
            "lead",
            "提前提醒（4.2，启动前14天）",
            one(&|x| x.task_id == "4.2" && x.stage.starts_with("lead") && x.date.month() > 6),
        ),
        (
            "due_today",
            "今天截止",
            one(&|x| x.kind == MessageKind::DueToday && !x.supporting),
        ),
        (
            "overdue",
            "逾期提醒",
            one(&|x| x.kind == MessageKind::Overdue && !x.supporting),
        ),
        (
            "supporting",
            "配合单位收到的简短提醒（说明由谁牵头）",
            one(&|x| x.supporting && x.kind == MessageKind::DueToday),
        ),
        (
            "escalation_head",
            "升级至承办单位负责人",
            one(&|x| x.kind == MessageKind::Escalation && x.recipient.ends_with("#head")),
        ),
        (
            "escalation_leaders",
            "报局领导知悉并督促",
            one(&|x| x.kind == MessageKind::Escalation && x.recipient == "bureau_leaders"),
        ),
        (
            "checkin",
            "长期任务报送进展",
            one(&|x| x.kind == MessageKind::Checkin && !x.supporting),
        ),
    ];
    let grouped = busiest(&p, |who| who == "food", 3);
    let members = |late: bool| {
        grouped
            .iter()
            .map(|rem| member(&r, &l, &p, rem, late))
            .collect::<Vec<_>>()
    };
    out.push((
        "group",
        "同一上午的多项提醒合并为一条（今日督办提醒（N项））",
        group::grouped(&r, members(false)).unwrap(),
    ));
    out.push((
        "backlog",
        "首次启动或长时间停机后的汇总（截至今日仍未办结的N项）",
        group::grouped(&r, members(true)).unwrap(),
    ));
    let monday = date(2026, 9, 7);
    let dplan = digest::plan_for_week(&l.catalog, &l.calendar, monday);
    let at = date(2026, 9, 7)
        .at(8, 30, 0, 0)
        .in_tz("Asia/Shanghai")
        .unwrap()
        .timestamp();
    let content = digest::build_digest(
        &l.catalog,
        &l.calendar,
        &dplan,
        &DigestView::default(),
        "catering",
        monday,
        at,
    );
    out.push((
        "digest",
        "督办周报（餐饮室，2026年第37周）",
        digest::render_digest(&r, &l.catalog, &content, "weekly", "smtp").unwrap(),
    ));
    let bureau = digest::build_bureau(
        &l.catalog,
        &l.calendar,
        &dplan,
        &DigestView::default(),
        "bureau_leaders",
        monday,
        at,
    );
    let leaders = digest::Reader {
        recipient: "bureau_leaders".into(),
        unit: "bureau_leaders".into(),
    };
    out.push((
        "digest_bureau",
        "全局督办周报（局领导，2026年第37周；其他部门牵头的事项列为需协调事项）",
        digest::render_bureau(&r, &l.catalog, &bureau, "bureau", &leaders, "smtp").unwrap(),
    ));
    out.push((
        "operator_alert",
        "系统告警（发给管理员）",
        render::operator_alert(
            &r,
            "1 条提醒无法送达",
            "4.2 overdue-1 → 餐饮室 via smtp: 550 mailbox unavailable",
        ),
    ));
    out.push((
        "test",
        "`dutybell send-test`",
        render::test_message(
            &r,
            "wecom-food",
            AT,
            &jiff::tz::TimeZone::get("Asia/Shanghai").unwrap(),
        )
        .unwrap(),
    ));
    for (_, _, n) in &mut out {
        n.attempt_at = AT;
    }
    out
}

/// The email as a reader sees it: the headers that matter, decoded, then both parts.
fn email(n: &Notification) -> String {
    let mut n = n.clone();
    if n.recipients.to.is_empty() {
        n.recipients.to.push(Mailbox {
            name: Some("管理员".into()),
            email: "admin@example.org".into(),
        });
    }
    let from = Mailbox {
        name: Some("督办提醒".into()),
        email: "dutybell@example.org".into(),
    };
    let raw = dutybell::notify::email::render_rfc5322(&n, &from, "example.org").unwrap();
    let mail = mailparse::parse_mail(&raw).unwrap();
    let mut s = String::new();
    for h in [
        "Subject",
        "From",
        "To",
        "Cc",
        "Reply-To",
        "Message-ID",
        "In-Reply-To",
        "References",
    ] {
        if let Some(v) = mail.headers.get_first_value(h) {
            writeln!(s, "{h}: {v}").unwrap();
        }
    }
    assert_eq!(mail.subparts.len(), 2, "text and html");
    for part in &mail.subparts {
        writeln!(s, "\n--- {} ---", part.ctype.mimetype).unwrap();
        s.push_str(part.get_body().unwrap().trim_end());
        s.push('\n');
    }
    s
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

/// `(file name, contents)` of every golden file, validated on the way.
fn rendered() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for (name, _, n) in cases() {
        files.push((format!("{name}.email.txt"), email(&n)));
        let w = wecom::bodies(&n, true);
        check_wecom(&n, &w);
        files.push((
            format!("{name}.wecom.json"),
            pretty(&serde_json::Value::from(w)),
        ));
        let d = dingtalk::body(&n, Some("督办提醒"), true);
        check_dingtalk(&n, &d);
        files.push((format!("{name}.dingtalk.json"), pretty(&d)));
        let f = feishu::bodies(&n, None, None, AT);
        check_feishu(&n, &f);
        let cards: Vec<serde_json::Value> = f
            .iter()
            .map(|b| serde_json::from_slice(b).unwrap())
            .collect();
        files.push((
            format!("{name}.feishu.json"),
            pretty(&serde_json::Value::from(cards)),
        ));
        files.push((
            format!("{name}.generic.json"),
            pretty(&generic::body(&n, AT).unwrap()),
        ));
    }
    files
}

fn dir() -> PathBuf {
    repo().join("tests/golden/messages")
}

fn update() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some()
}

#[test]
fn every_kind_and_channel_matches_its_golden_file() {
    let files = rendered();
    if update() {
        let _ = std::fs::remove_dir_all(dir());
        std::fs::create_dir_all(dir()).unwrap();
        for (name, text) in &files {
            std::fs::write(dir().join(name), text).unwrap();
        }
    }
    let mut stale = Vec::new();
    for (name, text) in &files {
        let want = std::fs::read_to_string(dir().join(name)).unwrap_or_default();
        if &want != text {
            stale.push(name.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "golden messages differ (UPDATE_GOLDEN=1 to rewrite, then review): {stale:?}"
    );
    let on_disk = std::fs::read_dir(dir()).unwrap().count();
    assert_eq!(on_disk, files.len(), "stray files in tests/golden/messages");
}

/// docs/TEMPLATES.md's examples section, generated from the golden files.
fn examples_section() -> String {
    let mut s = String::from(
        "<!-- examples:start (generated by tests/it/render_golden.rs from tests/golden/messages; UPDATE_GOLDEN=1 rewrites it) -->\n",
    );
    for (name, what, _) in cases() {
        let read =
            |ext: &str| std::fs::read_to_string(dir().join(format!("{name}.{ext}"))).unwrap();
        writeln!(s, "\n### `{name}`: {what}\n").unwrap();
        writeln!(
            s,
            "Email (headers decoded, both parts):\n\n```text\n{}```\n",
            read("email.txt")
        )
        .unwrap();
        let wecom: serde_json::Value = serde_json::from_str(&read("wecom.json")).unwrap();
        let md = wecom[0]["markdown"]["content"].as_str().unwrap_or_default();
        writeln!(
            s,
            "Chat markdown (WeCom `markdown.content`, first part):\n\n```markdown\n{md}\n```\n"
        )
        .unwrap();
        writeln!(
            s,
            "Exact bodies: [WeCom](../tests/golden/messages/{name}.wecom.json), \
             [DingTalk](../tests/golden/messages/{name}.dingtalk.json), \
             [Feishu](../tests/golden/messages/{name}.feishu.json), \
             [generic](../tests/golden/messages/{name}.generic.json)."
        )
        .unwrap();
    }
    s.push_str("\n<!-- examples:end -->\n");
    s
}

#[test]
fn templates_doc_examples_are_the_golden_files() {
    let path = repo().join("docs/TEMPLATES.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc
        .find("<!-- examples:start")
        .expect("examples:start marker");
    let end = doc
        .find("<!-- examples:end -->")
        .expect("examples:end marker")
        + "<!-- examples:end -->\n".len();
    let want = examples_section();
    if update() {
        let new = format!("{}{want}{}", &doc[..start], &doc[end.min(doc.len())..]);
        std::fs::write(&path, new).unwrap();
        return;
    }
    assert!(
        doc[start..end.min(doc.len())] == want,
        "docs/TEMPLATES.md examples are stale (UPDATE_GOLDEN=1)"
    );
}
