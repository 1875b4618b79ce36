//! Sample contexts for [`super::Renderer::check`]: every variable filled, and the optional
//! branches (late, supporting, head, empty lists) exercised. Pure.

use minijinja::Value;
use minijinja::value::Serde;

use super::context::{
    OccurrenceCtx, OfficeCtx, OperatorCtx, ProgressCtx, RecipientCtx, ReminderContext, StageCtx,
    StatusCtx, TaskCtx, TestCtx, UnitRef, UnitsCtx,
};

fn unit(id: &str, name: &str) -> UnitRef {
    UnitRef {
        id: id.into(),
        name: name.into(),
    }
}

/// A reminder about plan task 4.2, three days before its window closes.
pub fn reminder(stage: &str) -> ReminderContext {
    ReminderContext {
        task: TaskCtx {
            id: "4.2".into(),
            title: "每年开展春秋季校园食品安全专项整治，全面排查风险隐患。".into(),
            short_title: "春季开学校园食品安全专项整治".into(),
            measures: "联合行业主管部门每年春秋两季开学之季开展校园食品风险隐患排查。".into(),
            measures_short: "联合行业主管部门每年春秋两季开学之季开展校园食品风险隐患排查。".into(),
            area: "4. 校园食品安全".into(),
            deadline: "长期坚持".into(),
            notes: "<注意> & 备注".into(),
        },
        occurrence: OccurrenceCtx {
            key: "4.2@2027-spring_term_start".into(),
            kind: "campaign".into(),
            period_label: "2027年春季开学校园食品安全专项整治".into(),
            period: "2027年春季开学".into(),
            activity: "专项整治".into(),
            heading: "2027年春季开学校园食品安全专项整治".into(),
            window_start: "2027年2月15日（周一）".into(),
            window_end: "2027年3月31日（周三）".into(),
            due: "2027年3月31日（周三）".into(),
            due_iso: "2027-03-31".into(),
            event_name: "春季开学".into(),
            event_date: "2027年3月1日（周一）".into(),
        },
        stage: StageCtx {
            name: stage.into(),
            kind: stage.into(),
            colour: "yellow".into(),
            colour_zh: "黄".into(),
            late: false,
            supporting: false,
            headline: "本项工作还有3天截止，请抓紧落实，并按时报送工作进展。".into(),
        },
        status: StatusCtx {
            short: "还有3天截止".into(),
            long: "2027年3月31日（周三）截止，还有 3 天（3 个工作日）".into(),
            event: "春季开学（2027年3月1日（周一））已过 27 天".into(),
            days_left: 3,
            workdays_overdue: 0,
        },
        recipient: RecipientCtx {
            id: "catering".into(),
            name: "餐饮室".into(),
            is_head: false,
            kind: "unit".into(),
            role: "lead".into(),
        },
        units: UnitsCtx {
            lead: vec![unit("catering", "餐饮室")],
            cooperating: vec![unit("office_taole", "陶乐市场监管所")],
            lead_names: "餐饮室".into(),
            cooperating_names: "陶乐市场监管所".into(),
        },
        progress: ProgressCtx {
            command: "dutybell progress 4.2 --note \"…\"".into(),
            command_done: "dutybell progress 4.2 --note \"…\" --done".into(),
            url: "https://oa.example.org/progress".into(),
        },
        today: "2027年3月28日（周日）".into(),
        office: OfficeCtx {
            contact: "局督查办 王五 0952-1234567".into(),
            reply_to: "duban@example.org".into(),
        },
    }
}

/// The contexts `check` renders `stage` with.
pub fn contexts(stage: &str) -> Vec<Value> {
    match stage {
        "operator_alert" => vec![Value::from(Serde(OperatorCtx {
            subject_detail: "1 条提醒无法投递".into(),
            body: "channel smtp: permanent: 550 <x@example.org> rejected".into(),
        }))],
        "digest" => digest(),
        "digest_bureau" => vec![
            Value::from(Serde(bureau_sample(false))),
            Value::from(Serde(bureau_sample(true))),
        ],
        "group" => vec![
            Value::from(Serde(super::group::sample(false))),
            Value::from(Serde(super::group::sample(true))),
        ],
        "test" => vec![Value::from(Serde(TestCtx {
            channel: "smtp".into(),
            sent_at: "2027-02-26 09:00:00 (Asia/Shanghai)".into(),
        }))],
        _ => {
            let plain = reminder(stage);
            let mut variant = reminder(stage);
            variant.stage.late = true;
            variant.stage.supporting = true;
            variant.recipient.is_head = true;
            variant.recipient.role = String::new();
            variant.units.cooperating.clear();
            variant.units.cooperating_names.clear();
            variant.progress.url.clear();
            variant.task.notes.clear();
            variant.occurrence.event_name.clear();
            variant.occurrence.event_date.clear();
            variant.status.event.clear();
            variant.office = OfficeCtx::default();
            variant.recipient.kind = "leaders".into();
            vec![Value::from(Serde(plain)), Value::from(Serde(variant))]
        }
    }
}

/// A digest item (the shape of `crate::digest::DigestItem`; a test there keeps them in step).
fn digest_item(role: &str, more: usize) -> serde_json::Value {
    serde_json::json!({
        "task_id": "4.2", "title": "春季开学校园食品安全专项整治", "role": role,
        "role_zh": if role == "lead" { "牵头" } else { "配合" }, "lead_names": "餐饮室",
        "occurrence": "4.2@2027-spring_term_start", "period_label": "2027年春季开学",
        "due": "2027年3月31日（周三）", "status": "已逾期 3 个工作日（2027年3月31日（周三）截止）",
        "more": more,
        "others": (0..more).map(|i| format!("2026年第{}季度进展报送：进展报送已逾期", i + 1)).collect::<Vec<_>>(),
        "unreported": more.is_multiple_of(2),
        "last_progress": if !more.is_multiple_of(2) { "3月2日 张三：已完成检查。" } else { "" },
    })
}

/// Digest contexts (the shape of `crate::digest::DigestContent`): every list filled, with lead
/// and supporting items, and an all-clear one with empty lists.
pub fn digest_sample(all_clear: bool) -> serde_json::Value {
    let items = |n: usize| -> Vec<serde_json::Value> {
        if all_clear {
            Vec::new()
        } else {
            (0..n)
                .map(|i| digest_item(if i % 2 == 0 { "lead" } else { "cooperating" }, i))
                .collect()
        }
    };
    let notes: Vec<serde_json::Value> = if all_clear {
        Vec::new()
    } else {
        vec![serde_json::json!({
            "task_id": "4.2", "title": "春季开学校园食品安全专项整治", "role_zh": "牵头",
            "date": "3月24日", "by": "餐饮室张三", "note": "已完成 <12> 所学校食堂检查 & 整改", "done": true,
        })]
    };
    serde_json::json!({
        "week": "2027-W13", "week_label": "2027年第13周", "week_start": "2027年3月29日（周一）",
        "week_end": "2027年4月4日（周日）", "as_of": "2027年3月29日（周一）",
        "last_week": "3月22日至3月28日",
        "unit": { "id": "catering", "name": "餐饮室", "head_name": if all_clear { "" } else { "张三" } },
        "counts": { "red": items(7).len(), "yellow": items(2).len(), "opening": items(1).len(),
                    "silent": items(1).len(), "unreported": items(7).len(), "progress": notes.len() },
        "red": items(7), "yellow": items(2), "opening": items(1), "silent": items(1),
        "progress": notes, "all_clear": all_clear,
        "focus": if all_clear { Vec::new() } else { vec!["【红】4.2 春季开学校园食品安全专项整治：已逾期 3 个工作日"] },
        "progress_url": if all_clear { "" } else { "https://oa.example.org/progress" },
    })
}

fn digest() -> Vec<Value> {
    vec![
        Value::from(Serde(digest_sample(false))),
        Value::from(Serde(digest_sample(true))),
    ]
}

/// Bureau digest contexts (the shape of `crate::digest::BureauContent`; a test there keeps them
/// in step): every list filled, and an all-clear one.
pub fn bureau_sample(all_clear: bool) -> serde_json::Value {
    let n = |k: usize| if all_clear { 0 } else { k };
    let items = |k: usize| -> Vec<serde_json::Value> {
        (0..n(k)).map(|i| digest_item("lead", i)).collect()
    };
    let line = |name: &str, red: usize, yellow: usize| serde_json::json!({ "name": name, "red": red, "yellow": yellow });
    let lines = |v: Vec<serde_json::Value>| if all_clear { Vec::new() } else { v };
    serde_json::json!({
        "week": "2027-W13", "week_label": "2027年第13周", "week_start": "2027年3月29日（周一）",
        "week_end": "2027年4月4日（周日）", "as_of": "2027年3月29日（周一）",
        "last_week": "3月22日至3月28日",
        "unit": { "id": "bureau_leaders", "name": "局领导", "head_name": "" },
        "counts": { "red": n(3), "yellow": n(2), "opening": n(1), "unreported": n(2),
                    "progress": n(4), "coordination": n(1) },
        "focus": lines(vec![serde_json::json!("【红】4.2 春季开学校园食品安全专项整治（餐饮室）：已逾期 3 个工作日")]),
        "areas": lines(vec![line("四、加强校园食品安全监管", 2, 1), line("五、加强餐饮服务食品安全监管", 1, 1)]),
        "units": lines(vec![line("餐饮室", 2, 1), line("食品室", 1, 1)]),
        "red": items(3), "coordination": items(1), "all_clear": all_clear,
        "progress_url": if all_clear { "" } else { "https://oa.example.org/progress" },
    })
}
