//! The office (督查办/办公室): login with the users of `web.users` (Argon2 hashes), the queue of
//! pending requests, and the decisions (确认办结, 退办, 同意/不同意延期) through
//! [`crate::service::decide`]. Every decision is audited by the service with who and from where.
//!
//! May touch: the store through the service; in-memory sessions.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use super::pages::FromSerde;
use super::security::{
    LOGIN_COOKIE, SESSION_COOKIE, Session, client_address, cookie, random_token, same, set_cookie,
    too_many,
};
use super::{St, plain};
use crate::service::decide::{Verdict, decide as decide_request};
use crate::service::desk::DeskError;
use crate::store::{RequestFilter, RequestKind, RequestState};

fn redirect(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// The session of the request, or a redirect to the login page.
pub(super) fn session(st: &St, h: &HeaderMap) -> Result<Session, Response> {
    st.sessions
        .get(h, st.clock.now())
        .ok_or_else(|| redirect(format!("{}/login", st.base())))
}

/// `GET /`.
pub async fn home(State(st): State<St>, h: HeaderMap) -> Response {
    match session(&st, &h) {
        Ok(_) => redirect(format!("{}/office", st.base())),
        Err(r) => r,
    }
}

/// `GET /login`.
pub async fn login_page(State(st): State<St>) -> Response {
    login_form(&st, None, StatusCode::OK)
}

fn login_form(st: &St, error: Option<&str>, status: StatusCode) -> Response {
    let token = random_token();
    let mut r = st.pages.render_status(
        status,
        "login.html",
        context! { title => "督查办登录", base => st.base(), csrf => token.clone(), error => error },
    );
    if let Ok(v) = set_cookie(st, LOGIN_COOKIE, &token, 1800).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    csrf: String,
}

/// `POST /login`.
pub async fn login(
    State(st): State<St>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    h: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let address = client_address(&h, peer.as_ref().map(|e| &e.0));
    if !st
        .limiter
        .allow(&format!("login:{address}"), st.clock.now())
    {
        return too_many();
    }
    if !cookie(&h, LOGIN_COOKIE).is_some_and(|c| same(&c, &f.csrf)) {
        return login_form(&st, Some("页面已过期，请重新登录。"), StatusCode::FORBIDDEN);
    }
    let user = st
        .engine()
        .loaded
        .catalog
        .web
        .users
        .iter()
        .find(|u| u.name == f.name)
        .cloned();
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    // Argon2 is deliberately slow: verify on a blocking thread.
    let ok = tokio::task::spawn_blocking(move || {
        use argon2::{Argon2, PasswordHash, PasswordVerifier};
        hash.as_deref()
            .and_then(|h| PasswordHash::new(h).ok())
            .is_some_and(|p| {
                Argon2::default()
                    .verify_password(f.password.as_bytes(), &p)
                    .is_ok()
            })
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        tracing::warn!(address = %address, "office login refused");
        return login_form(&st, Some("用户名或密码错误。"), StatusCode::UNAUTHORIZED);
    };
    let now = st.clock.now();
    let id = st.sessions.start(&user.name, &user.display, now);
    st.activity.session(
        now.saturating_add(super::security::SESSION_TTL)
            .unwrap_or(now),
    );
    let mut r = redirect(format!("{}/office", st.base()));
    let ttl = super::security::SESSION_TTL.as_secs();
    for c in [
        set_cookie(&st, SESSION_COOKIE, &id, ttl),
        set_cookie(&st, LOGIN_COOKIE, "", 0),
    ] {
        if let Ok(v) = c.parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// A form that only carries its token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(State(st): State<St>, h: HeaderMap, Form(f): Form<TokenForm>) -> Response {
    if let Ok(s) = session(&st, &h)
        && same(&s.csrf, &f.csrf)
    {
        st.sessions.end(&h);
    }
    let mut r = redirect(format!("{}/login", st.base()));
    if let Ok(v) = set_cookie(&st, SESSION_COOKIE, "", 0).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `?done=…` after a decision.
#[derive(Debug, Deserialize)]
pub struct Flash {
    done: Option<String>,
    error: Option<String>,
}

/// `GET /office`: the pending requests.
pub async fn queue(State(st): State<St>, h: HeaderMap, q: Query<Flash>) -> Response {
    let s = match session(&st, &h) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let rows = st
        .store(|store, st| -> Result<Vec<serde_json::Value>, crate::store::StoreError> {
            let cat = &st.engine().loaded.catalog;
            let tz = st.engine().tz().clone();
            let latest = store.latest_progress()?;
            let reqs = store.requests(&RequestFilter {
                state: Some(RequestState::Pending),
                ..RequestFilter::default()
            })?;
            let mut out = Vec::new();
            for r in reqs {
                let occ = store.occurrence(&r.occurrence_key)?;
                out.push(serde_json::json!({
                    "id": r.id,
                    "kind": r.kind.as_str(),
                    "kind_zh": match r.kind { RequestKind::Done => "申请办结", RequestKind::Extend => "申请延期" },
                    "task_id": r.task_id,
                    "title": cat.task(&r.task_id).map(|t| crate::render::context::short_title(t, None)).unwrap_or_default(),
                    "unit": cat.name_of(&r.unit),
                    "key": r.occurrence_key,
                    "period": occ.as_ref().map(|o| o.period_label.clone()).unwrap_or_default(),
                    "due": occ.and_then(|o| o.due_date).map(|d| d.to_string()).unwrap_or_default(),
                    "new_due": r.new_due.map(|d| d.to_string()),
                    "note": r.note,
                    "at": r.created_at.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string(),
                    "last_progress": latest.iter().find(|n| n.task_id == r.task_id).map(|n| n.note.clone()),
                }));
            }
            Ok(out)
        })
        .await;
    let rows = match rows {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "office queue: store");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "暂时无法读取，请稍后再试。",
            );
        }
        Err(r) => return r,
    };
    let flash = q.done.as_deref().map(|d| match d {
        "confirmed" => "已确认办结，该事项的提醒已停止。",
        "granted" => "已同意延期，提醒已按新的截止日期重新安排。",
        _ => "已退回，理由已发送给责任单位。",
    });
    st.pages.render(
        "office.html",
        context! {
            title => "待审核申请", base => st.base(), user => s.display, csrf => s.csrf,
            requests => minijinja::Value::from_serde(&rows), flash => flash, error => q.error.clone(),
        },
    )
}

/// A decision form.
#[derive(Debug, Deserialize)]
pub struct DecideForm {
    csrf: String,
    verdict: String,
    #[serde(default)]
    reason: String,
}

/// `POST /office/requests/{id}`.
pub async fn decide(
    State(st): State<St>,
    Path(id): Path<i64>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    h: HeaderMap,
    Form(f): Form<DecideForm>,
) -> Response {
    let s = match session(&st, &h) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !same(&s.csrf, &f.csrf) {
        return plain(StatusCode::FORBIDDEN, "页面已过期，请刷新后重试。");
    }
    if !st.limiter.allow(&format!("s:{}", s.user), st.clock.now()) {
        return too_many();
    }
    let verdict = match f.verdict.as_str() {
        "confirm" => Verdict::Confirm,
        "grant" => Verdict::Grant,
        "refuse" => Verdict::Refuse { reason: f.reason },
        _ => return plain(StatusCode::BAD_REQUEST, "请求无效。"),
    };
    let address = client_address(&h, peer.as_ref().map(|e| &e.0));
    let actor = format!("{} ({})", s.user, s.display);
    let now = st.clock.now();
    let r = st
        .store(move |store, st| {
            decide_request(store, &st.engine(), id, &verdict, &actor, &address, now)
        })
        .await;
    let base = st.base();
    match r {
        Ok(Ok(req)) => {
            // Keep the daemon's view of granted 延期 fresh when it shares this engine.
            if let Ok(Ok(list)) = st.store(|s, _| s.due_overrides()).await
                && let Ok(mut o) = st.engine().due_overrides.write()
            {
                *o = list.into_iter().collect();
            }
            redirect(format!("{base}/office?done={}", req.state.as_str()))
        }
        Ok(Err(DeskError::Invalid(m))) => {
            let q = super::pages::percent(&m);
            redirect(format!("{base}/office?error={q}"))
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "office decision failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "处理失败，请稍后再试。")
        }
        Err(r) => r,
    }
}
