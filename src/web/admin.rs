//! `/healthz` (liveness and readiness as JSON: the store answers, a plan has been synced) and
//! `/metrics` (Prometheus text format via `prometheus-client`): outbox rows by state, dead rows,
//! sends by channel and outcome with latency, last plan sync, calendar days left, and web
//! requests by route and status.
//!
//! May touch: the store (reads only).

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::St;
use crate::service::plan::SYNCED_AT_KEY;

type Labels = Vec<(String, String)>;

/// The web's own counters.
#[derive(Clone)]
pub struct WebMetrics {
    requests: Family<Labels, Counter>,
    seconds: Family<Labels, Histogram>,
}

impl Default for WebMetrics {
    fn default() -> Self {
        WebMetrics {
            requests: Family::default(),
            seconds: Family::new_with_constructor(|| {
                Histogram::new([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0])
            }),
        }
    }
}

impl WebMetrics {
    /// Counts one answered request.
    pub fn observe_request(&self, route: &str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&vec![
                ("route".into(), route.into()),
                ("status".into(), status.to_string()),
            ])
            .inc();
        self.seconds
            .get_or_create(&vec![("route".into(), route.into())])
            .observe(took.as_secs_f64());
    }
}

/// What the store says about readiness and the gauges.
struct Snapshot {
    schema: i64,
    counts: Vec<(String, u64)>,
    synced_at: Option<i64>,
}

async fn snapshot(st: &St) -> Option<Snapshot> {
    let now = st.clock.now();
    st.store(move |s, _| -> Result<Snapshot, crate::store::StoreError> {
        let status = s.status(now)?;
        Ok(Snapshot {
            schema: s.schema_version()?,
            counts: status
                .counts
                .iter()
                .map(|(k, n)| (k.as_str().to_owned(), *n))
                .collect(),
            synced_at: s.meta(SYNCED_AT_KEY)?.and_then(|v| v.parse().ok()),
        })
    })
    .await
    .ok()
    .and_then(Result::ok)
}

/// `GET /healthz`.
pub async fn healthz(State(st): State<St>) -> Response {
    let snap = snapshot(&st).await;
    let plan = snap.as_ref().is_some_and(|s| s.synced_at.is_some());
    let ready = snap.is_some() && plan;
    let body = serde_json::json!({
        "status": if ready { "ok" } else { "not ready" },
        "live": true,
        "store": snap.is_some(),
        "plan_loaded": plan,
        "tasks": st.engine().loaded.catalog.tasks.len(),
        "schema_version": snap.as_ref().map(|s| s.schema),
    });
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /metrics`.
pub async fn metrics(State(st): State<St>) -> Response {
    let mut reg = Registry::default();
    crate::metrics::register(&mut reg);
    reg.register(
        "dutybell_web_requests",
        "Web requests by route and status",
        st.metrics.requests.clone(),
    );
    reg.register(
        "dutybell_web_request_duration_seconds",
        "Web request latency by route",
        st.metrics.seconds.clone(),
    );
    let snap = snapshot(&st).await;
    let rows: Family<Labels, Gauge> = Family::default();
    let dead: Gauge = Gauge::default();
    let synced: Gauge = Gauge::default();
    let up: Gauge = Gauge::default();
    if let Some(s) = &snap {
        up.set(1);
        for (state, n) in &s.counts {
            rows.get_or_create(&vec![("state".into(), state.clone())])
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
            if state == "dead" {
                dead.set(i64::try_from(*n).unwrap_or(i64::MAX));
            }
        }
        synced.set(s.synced_at.unwrap_or(0));
    }
    let today = st.today();
    let cal_left: Gauge = Gauge::default();
    if let Some(last) = st.engine().loaded.calendar.covered_years().last()
        && let Ok(end) = jiff::civil::Date::new(*last, 12, 31)
    {
        cal_left.set(i64::from((end - today).get_days()));
    }
    reg.register(
        "dutybell_store_up",
        "1 when the store answered this scrape",
        up,
    );
    reg.register("dutybell_outbox_rows", "Outbox rows by state", rows);
    reg.register(
        "dutybell_outbox_dead_rows",
        "Dead outbox rows (need an operator)",
        dead,
    );
    reg.register(
        "dutybell_plan_last_sync_timestamp_seconds",
        "Unix time of the last plan sync",
        synced,
    );
    reg.register(
        "dutybell_calendar_days_left",
        "Days until the end of the last year with holiday data",
        cal_left,
    );
    let mut out = String::new();
    if encode(&mut out, &reg).is_err() {
        return super::plain(StatusCode::INTERNAL_SERVER_ERROR, "metrics");
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
