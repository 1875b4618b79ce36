//! Golden tests of issue 12's wording defects: one test per defect, on the built-in templates.

use minijinja::value::{Serde, Value};

use super::context::{activity, merge_label, period_label, shorten_at_sentence};
use super::group::{self, Member};
use super::{Renderer, head_name, sample, wording};
use crate::notify::{Colour, MessageKind, Notification, Recipients};

fn render(stage: &str, ctx: &super::context::ReminderContext) -> super::Rendered {
    let r = Renderer::new(None).unwrap();
    r.render(stage, &Value::from(Serde(ctx))).unwrap()
}

/// Nothing internal or a shell command in anything a recipient reads.
fn assert_clean(s: &str) {
    for bad in [
        "dutybell",
        "--note",
        "编号",
        "@20",
        "escalate-",
        "源表",
        "events.",
    ] {
        assert!(!s.contains(bad), "{bad:?} in:\n{s}");
    }
}

#[test]
fn period_and_rule_label_are_not_doubled() {
    assert_eq!(
        period_label("2026年食品安全宣传周 食品安全宣传周"),
        "2026年食品安全宣传周"
    );
    assert_eq!(
        period_label("2026年度 年度“昆仑”专项行动"),
        "2026年度“昆仑”专项行动"
    );
    assert_eq!(
        period_label("2026年秋季开学 秋季开学校园食品安全专项整治"),
        "2026年秋季开学校园食品安全专项整治"
    );
    assert_eq!(merge_label("2026年3月", "月调度"), "2026年3月调度");
    assert_eq!(period_label("2026年第1季度"), "2026年第1季度");
}

#[test]
fn head_placeholder_name_is_not_doubled() {
    assert_eq!(head_name("食品室", "食品室负责人"), "食品室负责人");
    assert_eq!(head_name("餐饮室", "张三"), "餐饮室负责人 张三");
    assert_eq!(
        head_name("平罗县质量监督检验与计量测试站", "测试站负责人"),
        "平罗县质量监督检验与计量测试站负责人"
    );
}

#[test]
fn measures_are_cut_at_a_sentence() {
    let m = "第一句说明工作要求。第二句很长很长很长很长很长很长很长很长很长很长很长很长很长。";
    let cut = shorten_at_sentence(m, 20);
    assert_eq!(cut, "第一句说明工作要求。…");
}

#[test]
fn publicity_week_is_not_a_campaign_crackdown() {
    assert_eq!(activity("2026年食品安全宣传周"), "宣传周");
    assert_eq!(activity("2026年度“昆仑”专项行动"), "专项行动");
    let mut ctx = sample::reminder("campaign_opening");
    ctx.occurrence.activity = "宣传周".into();
    ctx.status.short = "今日启动".into();
    let h = wording::headline(MessageKind::CampaignOpening, &ctx);
    assert!(h.starts_with("宣传周今日启动"), "{h}");
    assert!(!h.contains("专项整治"));
    // The heading beside it names the week already: not again (the year scan's doubled words).
    ctx.occurrence.heading = "2026年食品安全宣传周".into();
    let h = wording::headline(MessageKind::CampaignOpening, &ctx);
    assert!(h.starts_with("本项工作今日启动"), "{h}");
}

#[test]
fn leaders_are_asked_to_know_and_urge_never_to_finish() {
    let mut ctx = sample::reminder("escalation");
    ctx.recipient.kind = "leaders".into();
    ctx.recipient.name = "局领导".into();
    ctx.status.short = "已逾期5个工作日".into();
    ctx.stage.headline = wording::headline(MessageKind::Escalation, &ctx);
    let out = render("escalation", &ctx);
    assert!(
        out.text.contains("请知悉，并请督促承办单位（餐饮室）"),
        "{}",
        out.text
    );
    assert!(!out.text.contains("立即办结"));
    assert!(out.subject.contains("【请知悉】"), "{}", out.subject);
    assert_clean(&out.text);
    assert_clean(&out.markdown);
    assert_clean(&out.html);
}

#[test]
fn coordinator_is_asked_to_coordinate() {
    let mut ctx = sample::reminder("escalation");
    ctx.recipient.kind = "coordinator".into();
    ctx.units.lead_names = "县农业农村局".into();
    let h = wording::headline(MessageKind::Escalation, &ctx);
    assert!(
        h.contains("由县农业农村局牵头") && h.contains("请协调督促"),
        "{h}"
    );
}

#[test]
fn supporting_unit_gets_a_short_message_naming_the_lead() {
    let mut ctx = sample::reminder("lead");
    ctx.stage.supporting = true;
    ctx.stage.headline = wording::headline(MessageKind::Lead, &ctx);
    let out = render("lead", &ctx);
    assert!(
        out.text.contains("本项工作由餐饮室牵头，贵单位为配合单位"),
        "{}",
        out.text
    );
    assert!(!out.text.contains("落实措施"), "{}", out.text);
}

#[test]
fn every_message_says_how_to_answer() {
    let ctx = sample::reminder("overdue");
    let out = render("overdue", &ctx);
    assert!(out.text.contains("请通过以下链接报送进展"), "{}", out.text);
    assert!(out.text.contains("联系人：局督查办 王五 0952-1234567"));
    let mut no_link = sample::reminder("overdue");
    no_link.progress.url.clear();
    let out = render("overdue", &no_link);
    assert!(
        out.text.contains("请直接回复本邮件报送进展情况"),
        "{}",
        out.text
    );
    assert_clean(&out.text);
}

fn member(id: &str, colour: &str, due: &str, late: bool) -> Member {
    let mut ctx = sample::reminder("overdue");
    ctx.task.id = id.into();
    ctx.stage.colour = colour.into();
    ctx.stage.colour_zh = if colour == "red" { "红" } else { "黄" }.into();
    ctx.occurrence.due_iso = due.into();
    ctx.stage.late = late;
    Member {
        ctx,
        single: Notification {
            id: format!("{id}|occ|overdue-1|catering|file"),
            thread: String::new(),
            kind: MessageKind::Overdue,
            colour: if colour == "red" {
                Colour::Red
            } else {
                Colour::Yellow
            },
            subject: String::new(),
            text: String::new(),
            html: None,
            markdown: String::new(),
            recipients: Recipients::default(),
            data: serde_json::Value::Null,
            attempt_at: 0,
        },
    }
}

#[test]
fn a_group_is_one_message_red_first_then_by_due_date() {
    let r = Renderer::new(None).unwrap();
    let n = group::grouped(
        &r,
        vec![
            member("4.10", "yellow", "2026-03-01", false),
            member("1.5", "red", "2026-02-01", false),
            member("1.4", "yellow", "2026-03-01", false),
        ],
    )
    .unwrap();
    assert!(n.subject.contains("今日督办提醒（3项）"), "{}", n.subject);
    assert!(n.subject.contains("红1") && n.subject.contains("黄2"));
    let p = |s: &str| n.text.find(s).unwrap();
    assert!(p("1.【红】1.5") < p("2.【黄】1.4") && p("2.【黄】1.4") < p("3.【黄】4.10"));
    assert_eq!(n.colour, Colour::Red);
    assert!(n.id.starts_with("group|"));
    assert_clean(&n.text);
    // The same members in another order are the same message (Message-ID from member ids).
    let again = group::grouped(
        &r,
        vec![
            member("1.4", "yellow", "2026-03-01", false),
            member("4.10", "yellow", "2026-03-01", false),
            member("1.5", "red", "2026-02-01", false),
        ],
    )
    .unwrap();
    assert_eq!(n.id, again.id);
}

#[test]
fn a_backlog_is_summarised_in_one_message() {
    let r = Renderer::new(None).unwrap();
    let n = group::grouped(
        &r,
        vec![
            member("1.5", "red", "2026-02-01", true),
            member("2.2", "red", "2026-01-01", true),
        ],
    )
    .unwrap();
    assert!(n.subject.contains("截至今日仍未办结的2项"), "{}", n.subject);
}
