//! The `todo` marker of an imported draft (`deadline: { todo: "按上级要求" }`): a 完成时限 phrase
//! the importer did not understand. `check` warns about every one, naming the task and the
//! phrase; the task gets no reminders until someone writes its rules and removes the marker.

use super::build::Ctx;
use crate::config::Located;
use crate::config::raw::RawTask;

/// The marker's phrase, with its warning pushed; `None` when the task has none.
pub(super) fn marker(ctx: &mut Ctx, t: &RawTask) -> Option<String> {
    let d = t.deadline.as_ref()?;
    let phrase = d.value.todo.as_ref()?.trim().to_string();
    let at = Located {
        value: (),
        pos: d.pos,
        path: format!("{}.todo", d.path),
    };
    let ignored = match t.rules.len() {
        0 => String::new(),
        n => format!("; its {n} rule(s) are ignored while the marker stays"),
    };
    ctx.warning(
        &at,
        format!(
            "task {}: TODO 完成时限 `{phrase}` is not understood yet, so the task gets no \
             reminders; write its rules (docs/CONFIG.md \"Recurrence rules\") or `deadline: \
             ongoing`, then remove the `todo` marker{ignored}",
            t.id.value
        ),
    );
    Some(phrase)
}
