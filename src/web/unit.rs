//! A unit's page behind its signed link: `GET /u/{token}` lists its open items, `POST` records a
//! report (and an optional 申请办结/申请延期) through [`crate::service::desk`], then redirects
//! back (post/redirect/get, so a reload never submits twice).
//!
//! May touch: the store through the service.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use super::pages::FromSerde;
use super::security::{client_address, too_many};
use super::{St, pages, plain};
use crate::catalog::Role;
use crate::service::desk::{self, Ask, DeskError, Submission};
use crate::service::links::{Access, Claims};

/// The one answer to every bad link: no detail on why (tampered, expired, revoked, wrong key).
pub const BAD_LINK: &str = "链接无效或已过期，请使用最新一条督办提醒中的链接。";

/// Checks a link token for `access`.
pub(super) fn claims(st: &St, token: &str, access: Access) -> Result<Claims, Response> {
    let Some(signer) = &st.engine().links else {
        return Err(plain(StatusCode::NOT_FOUND, BAD_LINK));
    };
    match signer.verify(token, st.clock.now()) {
        Ok(c) if c.access == access => Ok(c),
        Ok(_) | Err(_) => Err(plain(StatusCode::FORBIDDEN, BAD_LINK)),
    }
}

/// `?ok=1` after a successful submission.
#[derive(Debug, Deserialize)]
pub struct Flash {
    ok: Option<String>,
}

/// `GET /u/{token}`.
pub async fn page(State(st): State<St>, Path(token): Path<String>, q: Query<Flash>) -> Response {
    let c = match claims(&st, &token, Access::Unit) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let flash =
        q.ok.as_ref()
            .map(|_| "已提交，感谢报送。办结或延期申请将由督查办审核。");
    render(&st, &c, flash, None, StatusCode::OK).await
}

async fn render(
    st: &St,
    c: &Claims,
    flash: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let unit = c.unit.clone();
    let linked = c.occurrence.clone();
    let today = st.today();
    let items = st
        .store(move |s, st| {
            desk::unit_items(s, &st.engine().loaded, &unit, linked.as_deref(), today)
        })
        .await;
    let items = match items {
        Ok(Ok(i)) => i,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "unit page: store");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "暂时无法读取，请稍后再试。",
            );
        }
        Err(r) => return r,
    };
    let cat = &st.engine().loaded.catalog;
    let tz = st.engine().tz().clone();
    let rows: Vec<minijinja::Value> = items
        .iter()
        .map(|it| {
            let o = &it.occurrence;
            let title = cat
                .task(&o.task_id)
                .map(|t| crate::render::context::short_title(t, None))
                .unwrap_or_default();
            let state = super::board::colour_state(it.colour);
            let pending: Vec<String> = it
                .pending
                .iter()
                .map(|r| match r.kind {
                    crate::store::RequestKind::Done => "已申请办结，督查办审核中，期间暂停提醒。".to_owned(),
                    crate::store::RequestKind::Extend => format!(
                        "已申请延期至 {}，督查办审核中。",
                        r.new_due.map(|d| d.to_string()).unwrap_or_default()
                    ),
                })
                .collect();
            let state = if it.pending.iter().any(|r| r.kind == crate::store::RequestKind::Done) {
                "held"
            } else {
                state
            };
            minijinja::Value::from_serde(serde_json::json!({
                "key": o.key,
                "linked": c.occurrence.as_deref() == Some(o.key.as_str()),
                "task_id": o.task_id,
                "title": title,
                "state": state,
                "state_zh": pages::state_zh(state),
                "period": o.period_label,
                "due": o.due_date.map(|d| d.to_string()).unwrap_or_else(|| "长期坚持".into()),
                "role": match it.role { Some(Role::Lead) => "牵头", _ => "配合" },
                "lead": it.role == Some(Role::Lead),
                "last_progress": it.last_progress.as_ref().map(|n| n.note.clone()),
                "last_at": it.last_progress.as_ref().map(|n| n.at.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string()),
                "pending": pending,
            }))
        })
        .collect();
    st.pages.render_status(
        status,
        "unit.html",
        context! {
            title => format!("{} · 督办事项", cat.name_of(&c.unit)),
            base => st.base(),
            unit => cat.name_of(&c.unit),
            today => today.to_string(),
            counts => context! {
                red => items.iter().filter(|i| i.colour == crate::notify::Colour::Red).count(),
                yellow => items.iter().filter(|i| i.colour == crate::notify::Colour::Yellow).count(),
                blue => items.iter().filter(|i| i.colour == crate::notify::Colour::Blue).count(),
            },
            items => rows,
            flash => flash,
            error => error,
        },
    )
}

/// The unit's form.
#[derive(Debug, Deserialize)]
pub struct SubmitForm {
    occurrence: String,
    #[serde(default)]
    progress: String,
    #[serde(default)]
    problems: String,
    #[serde(default)]
    next_steps: String,
    #[serde(default)]
    ask: String,
    #[serde(default)]
    ask_note: String,
    #[serde(default)]
    new_due: String,
}

/// `POST /u/{token}`.
pub async fn submit(
    State(st): State<St>,
    Path(token): Path<String>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<SubmitForm>,
) -> Response {
    let c = match claims(&st, &token, Access::Unit) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !st.limiter.allow(&format!("u:{token}"), st.clock.now()) {
        return too_many();
    }
    let ask = match f.ask.as_str() {
        "" => None,
        "done" => Some(Ask::Done {
            note: f.ask_note.clone(),
        }),
        "extend" => match f.new_due.parse() {
            Ok(date) => Some(Ask::Extend {
                date,
                reason: f.ask_note.clone(),
            }),
            Err(_) => {
                let e = Some("请填写延期至的日期".to_owned());
                return render(&st, &c, None, e, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
        _ => return plain(StatusCode::BAD_REQUEST, "请求无效。"),
    };
    let sub = Submission {
        occurrence: f.occurrence,
        progress: f.progress,
        problems: f.problems,
        next_steps: f.next_steps,
        ask,
    };
    let address = client_address(&headers, peer.as_ref().map(|e| &e.0));
    let unit = c.unit.clone();
    let now = st.clock.now();
    let r = st
        .store(move |s, st| desk::submit(s, &st.engine().loaded, &unit, &sub, &address, now))
        .await;
    match r {
        Ok(Ok(_)) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("{}/u/{token}?ok=1", st.base()))],
        )
            .into_response(),
        Ok(Err(DeskError::Invalid(m))) => {
            render(&st, &c, None, Some(m), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "unit submission failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "提交失败，请稍后再试。")
        }
        Err(r) => r,
    }
}
