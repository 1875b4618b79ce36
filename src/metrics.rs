//! Process-wide counters that the web's `/metrics` exposes in Prometheus text format
//! (`prometheus-client`): sends by channel and outcome, and send latency. Gauges read from the
//! store (outbox rows by state, dead rows, last plan sync, calendar days left) are computed at
//! scrape time by `web::admin`.
//!
//! May touch: nothing but these in-memory counters.

use std::sync::LazyLock;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// `dutybell_sends_total{channel, outcome}`.
pub static SENDS: LazyLock<Family<Labels, Counter>> = LazyLock::new(Family::default);

/// `dutybell_send_duration_seconds{channel}`.
pub static SEND_SECONDS: LazyLock<Family<Labels, Histogram>> = LazyLock::new(|| {
    Family::new_with_constructor(|| {
        Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0])
    })
});

/// Counts one send outcome (`sent`, `retry`, `dead`, `skipped`) and its duration.
pub fn record_send(channel: &str, outcome: &str, seconds: f64) {
    SENDS
        .get_or_create(&vec![
            ("channel".into(), channel.into()),
            ("outcome".into(), outcome.into()),
        ])
        .inc();
    SEND_SECONDS
        .get_or_create(&vec![("channel".into(), channel.into())])
        .observe(seconds);
}

/// Registers the process-wide families in `reg` (they share state with the statics).
pub fn register(reg: &mut Registry) {
    reg.register(
        "dutybell_sends",
        "Sends by channel and outcome",
        SENDS.clone(),
    );
    reg.register(
        "dutybell_send_duration_seconds",
        "Time one send took, by channel",
        SEND_SECONDS.clone(),
    );
}
