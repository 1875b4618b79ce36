//! Rendering reminders from the bundled config: exact subjects per stage, key phrases in text,
//! HTML and chat markdown, escaping, chat size limits, template overrides and their errors,
//! channel building from secret references.

use dutybell::calendar::WorkCalendar;
use dutybell::catalog::Catalog;
use dutybell::loader::{self, Loaded};
use dutybell::notify::build::build_channels;
use dutybell::notify::secret::MapSecrets;
use dutybell::notify::{Colour, MessageKind, Notification};
use dutybell::render::{self, RenderError, Renderer};
use dutybell::schedule::{Occurrence, OccurrenceKind, Reminder};
use jiff::civil::{Date, date};

use crate::helpers::repo;

fn loaded() -> Loaded {
    loader::load(
        &repo().join("config/dutybell.yaml"),
        date(2026, 3, 1).into(),
    )
    .expect("bundled config")
}

/// Plan task 4.2's spring 2026 campaign window (hand-built; the schedule is not under test).
fn occ_4_2() -> Occurrence {
    Occurrence {
        key: "4.2@2026-spring_term_start".into(),
        task_id: "4.2".into(),
        rule_index: Some(0),
        kind: OccurrenceKind::Campaign,
        period_label: "2026年春季开学".into(),
        window_start: date(2026, 2, 15),
        window_end: date(2026, 3, 31),
        due: date(2026, 3, 31),
        why: vec![],
    }
}

fn rem(occ: &Occurrence, stage: &str, kind: MessageKind, colour: Colour, day: Date) -> Reminder {
    Reminder {
        occurrence_key: occ.key.as_str().into(),
        task_id: occ.task_id.as_str().into(),
        stage: stage.into(),
        kind,
        colour,
        date: day,
        at: day
            .at(9, 0, 0, 0)
            .in_tz("Asia/Shanghai")
            .unwrap()
            .timestamp(),
        recipient: "catering".into(),
        supporting: false,
        channel: "file".into(),
        why: "".into(),
    }
}

fn render_on(l: &Loaded, occ: &Occurrence, r: &Reminder, late: bool, today: Date) -> Notification {
    let renderer = Renderer::new(None).unwrap();
    render::notification(&renderer, &l.catalog, &l.calendar, occ, r, late, today).unwrap()
}

fn assert_all(n: &Notification, needles: &[&str]) {
    let html = n.html.as_deref().unwrap();
    for needle in needles {
        assert!(n.text.contains(needle), "text lacks {needle}:\n{}", n.text);
        assert!(html.contains(needle), "html lacks {needle}:\n{html}");
        assert!(
            n.markdown.contains(needle),
            "md lacks {needle}:\n{}",
            n.markdown
        );
    }
}

#[test]
fn every_stage_renders_with_exact_subjects_and_key_phrases() {
    let l = loaded();
    let o = occ_4_2();
    let cases = [
        (
            "open",
            MessageKind::CampaignOpening,
            Colour::Blue,
            date(2026, 2, 15),
            "【督办提醒·蓝】4.2 2026年春季开学校园食品安全专项整治 今日启动",
            "距春季开学（2026年3月1日（周日））还有14天",
        ),
        (
            "lead-3d",
            MessageKind::Lead,
            Colour::Yellow,
            date(2026, 3, 28),
            "【督办提醒·黄】4.2 2026年春季开学校园食品安全专项整治 还有3天截止",
            "2026年3月31日（周二）截止，还有3天",
        ),
        (
            "due",
            MessageKind::DueToday,
            Colour::Yellow,
            date(2026, 3, 31),
            "【督办提醒·黄】4.2 2026年春季开学校园食品安全专项整治 今天截止",
            "今天（2026年3月31日（周二））截止",
        ),
        (
            "overdue-1",
            MessageKind::Overdue,
            Colour::Red,
            date(2026, 4, 3),
            "【督办提醒·红】4.2 2026年春季开学校园食品安全专项整治 已逾期3个工作日",
            "已逾期3个工作日",
        ),
        (
            "escalate-1",
            MessageKind::Escalation,
            Colour::Red,
            date(2026, 4, 9),
            "【督办提醒·红】【督办升级】4.2 2026年春季开学校园食品安全专项整治 已逾期6个工作日",
            "已逾期6个工作日",
        ),
    ];
    for (stage, kind, colour, day, subject, phrase) in cases {
        let r = rem(&o, stage, kind, colour, day);
        let n = render_on(&l, &o, &r, false, day);
        assert_eq!(n.subject, subject, "{stage}");
        assert_eq!(n.id, r.dedupe_key());
        assert_eq!(n.thread, "4.2|4.2@2026-spring_term_start");
        assert_eq!((n.kind, n.colour), (kind, colour));
        assert_all(&n, &[phrase, "4.2", "餐饮室", "城关南区市场监管所"]);
        // The task itself in email; nobody is told to run a shell command (issue 12).
        assert!(
            n.text
                .contains("每年开展春秋季校园食品安全专项整治，全面排查风险隐患。")
        );
        assert!(!n.text.contains("dutybell") && !n.markdown.contains("dutybell"));
        let colour_zh = colour.zh();
        assert!(
            n.text.contains(&format!("状态：{colour_zh}色")),
            "{}",
            n.text
        );
        // Full measures in email; the chat shows them too (short enough here).
        assert!(
            n.text
                .contains("国家四部委《关于主体责任强化校园食品安全管理的指导意见》")
        );
        assert!(n.text.find("牵头单位").unwrap() < n.text.find("配合单位").unwrap());
        assert_eq!(n.recipients.to[0].email, "catering@example.org");
        assert_eq!(n.recipients.to[0].name.as_deref(), Some("餐饮室"));
        assert_eq!(n.recipients.mobiles, vec!["13800000002".to_owned()]);
        assert_eq!(n.data["task"]["id"], "4.2");
        assert_eq!(n.data["stage"], stage);
        assert_eq!(n.data["due"], "2026-03-31");
        assert_eq!(n.data["units"]["lead"][0]["name"], "餐饮室");
        assert_eq!(
            n.data["units"]["cooperating"][0]["id"],
            "office_chengguan_nan"
        );
    }
}

#[test]
fn checkin_late_supporting_and_head_variants() {
    let l = loaded();
    let o = Occurrence {
        key: "4.4@2026-Q1-checkin".into(),
        task_id: "4.4".into(),
        rule_index: None,
        kind: OccurrenceKind::Checkin,
        period_label: "2026年第1季度".into(),
        window_start: date(2026, 1, 1),
        window_end: date(2026, 3, 31),
        due: date(2026, 4, 10),
        why: vec![],
    };
    let r = rem(
        &o,
        "checkin",
        MessageKind::Checkin,
        Colour::Blue,
        date(2026, 4, 7),
    );
    let n = render_on(&l, &o, &r, false, date(2026, 4, 7));
    assert_eq!(
        n.subject,
        "【督办提醒·蓝】4.4 全面推进“互联网+明厨亮灶”应用（2026年第1季度） 请报送工作进展"
    );
    assert_all(
        &n,
        &["请于2026年4月10日（周五）前报送2026年第1季度工作进展"],
    );

    let o = occ_4_2();
    let mut r = rem(
        &o,
        "lead-3d",
        MessageKind::Lead,
        Colour::Yellow,
        date(2026, 3, 28),
    );
    r.recipient = "office_taole".into();
    r.supporting = true;
    let n = render_on(&l, &o, &r, true, date(2026, 3, 28));
    assert_eq!(
        n.subject,
        "【督办提醒·黄】【补发】【配合】4.2 2026年春季开学校园食品安全专项整治 还有3天截止"
    );
    // 补发 and 配合 are said in the subject; the body of a 配合 message names who leads.
    assert!(n.text.contains("餐饮室"), "{}", n.text);
    assert_eq!(n.data["recipient"]["role"], "cooperating");
    assert_eq!(n.data["late"], true);

    let mut r = rem(
        &o,
        "escalate-1",
        MessageKind::Escalation,
        Colour::Red,
        date(2026, 4, 9),
    );
    r.recipient = "catering#head".into();
    let n = render_on(&l, &o, &r, false, date(2026, 4, 9));
    assert_eq!(n.recipients.to.len(), 1);
    assert_eq!(n.recipients.to[0].email, "head.catering@example.org");
    assert_eq!(n.recipients.to[0].name.as_deref(), Some("餐饮室负责人"));
    // A head is asked to know and to urge, never told to do the work (issue 12).
    assert!(n.text.contains("督促"), "{}", n.text);
    assert!(!n.text.contains("立即办结"), "{}", n.text);

    r.recipient = "nobody".into();
    let renderer = Renderer::new(None).unwrap();
    let e = render::notification(&renderer, &l.catalog, &l.calendar, &o, &r, false, r.date);
    assert!(matches!(e, Err(RenderError::Unknown { .. })), "{e:?}");
}

#[test]
fn html_is_escaped_text_is_not_and_progress_url_appears() {
    let mut l = loaded();
    let t = l.catalog.tasks.iter_mut().find(|t| t.id == "4.2").unwrap();
    t.title.push_str("<script>alert(1)</script>");
    l.catalog.settings.progress_url = Some("https://oa.example.org/p?a=1&b=2".into());
    let o = occ_4_2();
    let r = rem(
        &o,
        "due",
        MessageKind::DueToday,
        Colour::Yellow,
        date(2026, 3, 31),
    );
    let n = render_on(&l, &o, &r, false, date(2026, 3, 31));
    let html = n.html.unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
    assert!(n.text.contains("<script>alert(1)</script>"));
    assert!(n.text.contains("https://oa.example.org/p?a=1&b=2"));
    assert!(
        html.contains("https:&#x2f;&#x2f;oa.example.org&#x2f;p?a=1&amp;b=2"),
        "{html}"
    );
    assert_eq!(
        n.data["links"]["progress_url"],
        "https://oa.example.org/p?a=1&b=2"
    );
}

fn any_occurrence(cat: &Catalog, task: &str) -> Occurrence {
    let t = cat.task(task).unwrap();
    Occurrence {
        key: format!("{task}@2026"),
        task_id: task.into(),
        rule_index: (!t.rules.is_empty()).then_some(0),
        kind: OccurrenceKind::Deadline,
        period_label: "2026年".into(),
        window_start: date(2026, 1, 1),
        window_end: date(2026, 12, 31),
        due: date(2026, 12, 31),
        why: vec![],
    }
}

#[test]
fn chat_markdown_fits_wecom_for_every_task_and_measures_are_shortened() {
    let l = loaded();
    let cal: &WorkCalendar = &l.calendar;
    let renderer = Renderer::new(None).unwrap();
    let mut longest = 0;
    for t in &l.catalog.tasks {
        let o = any_occurrence(&l.catalog, &t.id);
        let mut r = rem(
            &o,
            "lead-14d",
            MessageKind::Lead,
            Colour::Blue,
            date(2026, 12, 17),
        );
        r.recipient = l.catalog.lead_units(t)[0].as_str().into();
        let n = render::notification(&renderer, &l.catalog, cal, &o, &r, true, r.date).unwrap();
        longest = longest.max(n.markdown.len());
        assert!(
            n.markdown.len() < 4096,
            "{}: {} bytes",
            t.id,
            n.markdown.len()
        );
        if t.measures.chars().count() > 120 {
            assert!(n.markdown.contains('…'), "{}", t.id);
            assert!(n.text.contains(t.measures.trim()), "{}", t.id);
        }
    }
    assert!(longest > 300, "{longest}");
}

#[test]
fn override_directory_wins_file_by_file_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lead.subject.txt"),
        "自定义 {{ task.id }} {{ status.short }}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("README.md"), "notes for admins").unwrap();
    let renderer = Renderer::new(Some(dir.path())).unwrap();
    renderer.check().unwrap();
    assert_eq!(renderer.overridden().len(), 1);
    let l = loaded();
    let o = occ_4_2();
    let r = rem(
        &o,
        "lead-3d",
        MessageKind::Lead,
        Colour::Yellow,
        date(2026, 3, 28),
    );
    let n =
        render::notification(&renderer, &l.catalog, &l.calendar, &o, &r, false, r.date).unwrap();
    assert_eq!(n.subject, "自定义 4.2 还有3天截止");
    // Other formats stay built-in.
    assert!(n.text.contains("请抓紧落实"));

    // A syntax error fails at load, naming the override file and line.
    std::fs::write(dir.path().join("lead.html"), "<p>\n{% if %}</p>\n").unwrap();
    let e = Renderer::new(Some(dir.path())).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("lead.html:2"), "{msg}");
    assert!(msg.contains(dir.path().to_str().unwrap()), "{msg}");
    std::fs::remove_file(dir.path().join("lead.html")).unwrap();

    // An unknown variable compiles but fails `check`, again with file and line.
    std::fs::write(
        dir.path().join("due_today.md"),
        "第一行\n{{ task.nosuch }}\n",
    )
    .unwrap();
    let renderer = Renderer::new(Some(dir.path())).unwrap();
    let msg = renderer.check().unwrap_err().to_string();
    assert!(msg.contains("due_today.md:2"), "{msg}");

    // A misspelt file name is refused rather than silently ignored.
    std::fs::remove_file(dir.path().join("due_today.md")).unwrap();
    std::fs::write(dir.path().join("leed.html"), "x").unwrap();
    let msg = Renderer::new(Some(dir.path())).unwrap_err().to_string();
    assert!(msg.contains("leed.html"), "{msg}");
}

#[test]
fn operator_alert_and_test_message_are_marked() {
    let renderer = Renderer::new(None).unwrap();
    let a = render::operator_alert(&renderer, "3 条提醒无法投递", "smtp: 550 rejected <a@b>");
    assert_eq!(a.subject, "【督办提醒·系统告警】3 条提醒无法投递");
    assert!(a.text.contains("smtp: 550 rejected <a@b>"));
    assert!(a.html.unwrap().contains("550 rejected &lt;a@b&gt;"));
    assert_eq!(a.kind, MessageKind::OperatorAlert);
    let t = render::test_message(
        &renderer,
        "wecom-food",
        1_772_326_800,
        &jiff::tz::TimeZone::get("Asia/Shanghai").unwrap(),
    )
    .unwrap();
    assert_eq!(t.subject, "【督办提醒·测试消息】通道 wecom-food 连通性测试");
    assert!(t.text.contains("这是一条测试消息") && t.text.contains("2026-03-01 09:00:00"));
    assert!(t.markdown.contains("测试消息"));
    assert_eq!(t.data["marker"], "测试消息");
    assert_eq!(t.attempt_at, 1_772_326_800);
}

#[tokio::test]
async fn build_channels_reports_every_missing_secret_with_the_channel_id() {
    let mut l = loaded();
    for c in &mut l.catalog.channels {
        c.enabled = matches!(
            c.id.as_str(),
            "file" | "generic-hook" | "wecom-food" | "smtp"
        );
    }
    let e = build_channels(&l.catalog, &MapSecrets::new()).unwrap_err();
    let all = e.join("\n");
    for needle in [
        "channel generic-hook: environment variable DUTYBELL_GENERIC_URL is not set",
        "channel generic-hook: environment variable DUTYBELL_GENERIC_SECRET is not set",
        "channel wecom-food: environment variable DUTYBELL_WECOM_FOOD_KEY is not set",
        "channel smtp: environment variable DUTYBELL_SMTP_PASSWORD is not set",
    ] {
        assert!(all.contains(needle), "missing {needle} in\n{all}");
    }
    let secrets = MapSecrets::new()
        .with_env("DUTYBELL_GENERIC_URL", "http://127.0.0.1:9/hook-t0ken")
        .with_env("DUTYBELL_GENERIC_SECRET", "whsec_!!bad")
        .with_env("DUTYBELL_WECOM_FOOD_KEY", "wecom-k3y")
        .with_env("DUTYBELL_SMTP_PASSWORD", "smtp-pa55");
    let e = build_channels(&l.catalog, &secrets).unwrap_err().join("\n");
    assert!(e.contains("generic-hook") && e.contains("whsec_"), "{e}");
    assert!(!e.contains("hook-t0ken") && !e.contains("!!bad"), "{e}");
    let good = secrets.with_env(
        "DUTYBELL_GENERIC_SECRET",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    );
    let set = build_channels(&l.catalog, &good).unwrap();
    let ids: Vec<&str> = set.ids().collect();
    assert_eq!(ids, ["file", "generic-hook", "smtp", "wecom-food"]);
    assert_eq!(set.get("smtp").unwrap().id(), "smtp");
    assert!(set.get("dingtalk-office").is_none());
    assert!(!format!("{set:?}{good:?}").contains("smtp-pa55"));
    assert!(dutybell::notify::build::check_channels(&l.catalog, &good).is_empty());
}
