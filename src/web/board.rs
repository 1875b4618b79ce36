//! The leaders' board (督办看板) and an item's history, for office users (session) and for a
//! read-only signed board link (`/b/{token}`). Computed by [`crate::service::board`].
//!
//! May touch: the store through the service.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::office::session;
use super::pages::FromSerde;
use super::unit::claims;
use super::{St, pages, plain};
use crate::notify::Colour;
use crate::service::board::{self, BoardFilter, STATES};
use crate::service::links::Access;
use crate::store::{RequestKind, RequestState};

/// The board's state name for a colour.
pub fn colour_state(c: Colour) -> &'static str {
    match c {
        Colour::Red => "red",
        Colour::Yellow => "yellow",
        Colour::Blue => "blue",
    }
}

/// `?unit=&area=&state=`.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    state: String,
}

/// `GET /board`.
pub async fn office_board(State(st): State<St>, h: HeaderMap, q: Query<Filter>) -> Response {
    let s = match session(&st, &h) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let hb = format!("{}/board/h", st.base());
    render_board(&st, &q, hb, Some((s.display, s.csrf))).await
}

/// `GET /b/{token}`: read-only.
pub async fn link_board(
    State(st): State<St>,
    Path(token): Path<String>,
    q: Query<Filter>,
) -> Response {
    if let Err(r) = claims(&st, &token, Access::Board) {
        return r;
    }
    let hb = format!("{}/b/{token}/h", st.base());
    render_board(&st, &q, hb, None).await
}

async fn render_board(
    st: &St,
    q: &Filter,
    history_base: String,
    user: Option<(String, String)>,
) -> Response {
    let f = BoardFilter {
        unit: Some(q.unit.clone()).filter(|u| !u.is_empty()),
        area: q.area.parse().ok(),
        state: Some(q.state.clone()).filter(|s| STATES.contains(&s.as_str())),
    };
    let today = st.today();
    let f2 = f.clone();
    let b = match st
        .store(move |s, st| board::board(s, &st.engine().loaded, &f2, today))
        .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "board: store");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "暂时无法读取，请稍后再试。",
            );
        }
        Err(r) => return r,
    };
    let cat = &st.engine().loaded.catalog;
    let counts: Vec<serde_json::Value> = b
        .counts
        .iter()
        .map(|(s, n)| {
            serde_json::json!({"state": s, "n": n, "zh": pages::state_zh(s), "legend": pages::state_legend(s)})
        })
        .collect();
    let units: Vec<serde_json::Value> = cat
        .units
        .iter()
        .map(|u| serde_json::json!({"id": u.id, "name": u.name}))
        .collect();
    let all_areas: Vec<serde_json::Value> = cat
        .areas
        .iter()
        .map(|a| serde_json::json!({"number": a.number, "title": a.title}))
        .collect();
    let (user, csrf) = user.unzip();
    st.pages.render(
        "board.html",
        context! {
            title => "督办看板", base => st.base(), user => user, csrf => csrf,
            counts => minijinja::Value::from_serde(&counts),
            pending => b.pending_requests,
            areas => minijinja::Value::from_serde(&b.areas),
            units => minijinja::Value::from_serde(&units),
            all_areas => minijinja::Value::from_serde(&all_areas),
            f => context! { unit => f.unit, area => f.area, state => f.state },
            history_base => history_base,
        },
    )
}

/// `GET /board/h/{key}`.
pub async fn office_history(
    State(st): State<St>,
    Path(key): Path<String>,
    h: HeaderMap,
) -> Response {
    let s = match session(&st, &h) {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_history(&st, key, Some((s.display, s.csrf))).await
}

/// `GET /b/{token}/h/{key}`.
pub async fn link_history(
    State(st): State<St>,
    Path((token, key)): Path<(String, String)>,
) -> Response {
    if let Err(r) = claims(&st, &token, Access::Board) {
        return r;
    }
    render_history(&st, key, None).await
}

async fn render_history(st: &St, key: String, user: Option<(String, String)>) -> Response {
    let today = st.today();
    let h = match st
        .store(move |s, st| board::history(s, &st.engine().loaded, &key, today))
        .await
    {
        Ok(Ok(Some(h))) => h,
        Ok(Ok(None)) => return plain(StatusCode::NOT_FOUND, "该事项不存在。"),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "history: store");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "暂时无法读取，请稍后再试。",
            );
        }
        Err(r) => return r,
    };
    let cat = &st.engine().loaded.catalog;
    let tz = st.engine().tz().clone();
    let fmt = |t: jiff::Timestamp| {
        t.to_zoned_datetime(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let o = &h.occurrence;
    let task = cat.task(&o.task_id);
    let notes: Vec<serde_json::Value> = h
        .notes
        .iter()
        .map(|n| serde_json::json!({"at": fmt(n.at), "by": n.by_name, "note": n.note, "done": n.done}))
        .collect();
    let requests: Vec<serde_json::Value> = h
        .requests
        .iter()
        .map(|r| {
            serde_json::json!({
                "at": fmt(r.created_at), "unit": cat.name_of(&r.unit),
                "kind_zh": match r.kind { RequestKind::Done => "申请办结", RequestKind::Extend => "申请延期" },
                "state_zh": match r.state {
                    RequestState::Pending => "待审核", RequestState::Confirmed => "已确认办结",
                    RequestState::Refused => "已退回", RequestState::Granted => "已同意延期",
                },
                "note": r.note, "decided_by": r.decided_by, "decision_note": r.decision_note,
            })
        })
        .collect();
    let deliveries: Vec<serde_json::Value> = h
        .deliveries
        .iter()
        .map(|(i, d)| {
            let at = d.last().map_or(i.fire_at, |d| d.at);
            serde_json::json!({"at": fmt(at), "stage": i.stage, "to": cat.name_of(i.recipient.trim_end_matches("#head")), "channel": i.channel, "state": i.state.as_str()})
        })
        .collect();
    let (user, csrf) = user.unzip();
    st.pages.render(
        "history.html",
        context! {
            title => "事项全过程", base => st.base(), user => user, csrf => csrf,
            state => h.state.clone(), state_zh => pages::state_zh(&h.state),
            task_id => o.task_id.clone(),
            task_title => task.map(|t| t.title.clone()).unwrap_or_default(),
            lead => task.map(|t| cat.lead_units(t).iter().map(|u| cat.name_of(u).to_owned()).collect::<Vec<_>>().join("、")).unwrap_or_default(),
            period => o.period_label.clone(),
            due => o.due_date.map(|d| d.to_string()).unwrap_or_default(),
            notes => minijinja::Value::from_serde(&notes),
            requests => minijinja::Value::from_serde(&requests),
            deliveries => minijinja::Value::from_serde(&deliveries),
        },
    )
}
