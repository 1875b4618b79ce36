//! Wake-up hints between replicas: a replica that makes rows due (enqueue, plan sync, recovery,
//! an operator retry, a released lease) sends `NOTIFY dutybell_due`; every replica keeps one
//! connection that `LISTEN`s and wakes its loop to look for due rows at once instead of at its
//! next planned wake.
//!
//! A hint, never the only trigger: notifications sent while a listener is disconnected are lost,
//! and PgBouncer in transaction pooling mode cannot carry LISTEN at all (point the listener at the
//! server directly, or do without: the loop still sleeps until the next due row and looks for
//! expired leases at every heartbeat). After every (re)connect the listener wakes its loop once,
//! to cover what it may have missed.
//!
//! May touch: the database named by the URL (one extra connection per replica), the caller's
//! tokio runtime (the listener is a task on it, not on the adapter's private runtime: it must be
//! polled all the time, not only during store calls).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, mpsc};
use tokio_postgres::{AsyncMessage, Client, Connection, GenericClient};

use super::connect;
use crate::store::{PgUrl, SslMode, StoreError};

/// The notification channel.
pub const CHANNEL: &str = "dutybell_due";

/// Longest pause between reconnect attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Sends the hint (delivered when the caller's transaction commits, at once outside one).
pub(super) async fn notify(c: &impl GenericClient) -> Result<(), StoreError> {
    c.execute("SELECT pg_notify($1, '')", &[&CHANNEL]).await?;
    Ok(())
}

/// The running listener; stopped when dropped.
#[derive(Debug)]
pub struct Listener(tokio::task::JoinHandle<()>);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts listening on `url` on the current tokio runtime: `wake.notify_one()` for every
/// notification and after every (re)connect. Connection failures are logged and retried with a
/// growing pause (1 s doubling to 30 s).
pub fn spawn(url: PgUrl, wake: Arc<Notify>) -> Listener {
    Listener(tokio::spawn(async move {
        let mut pause = Duration::from_secs(1);
        loop {
            match listen(&url, &wake).await {
                Ok(()) => tracing::warn!("the LISTEN connection closed; reconnecting"),
                Err(e) => tracing::warn!(
                    error = %format!("{:#}", anyhow::Error::new(e)),
                    retry_in_s = pause.as_secs(),
                    "wake-up hints (LISTEN) unavailable; due rows are still found on schedule"
                ),
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_BACKOFF);
        }
    }))
}

/// One connection's life: connect, LISTEN, forward notifications until it ends.
async fn listen(url: &PgUrl, wake: &Notify) -> Result<(), StoreError> {
    let cfg = connect::pg_config(url)?;
    let failed = |e: tokio_postgres::Error| StoreError::Connect {
        url: url.display(),
        source: Box::new(e),
    };
    match url.sslmode {
        SslMode::Disable => {
            let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.map_err(failed)?;
            forward(client, conn, wake).await
        }
        SslMode::Prefer | SslMode::Require => {
            let (client, conn) = cfg.connect(connect::tls(url)?).await.map_err(failed)?;
            forward(client, conn, wake).await
        }
    }
}

async fn forward<S, T>(
    client: Client,
    mut conn: Connection<S, T>,
    wake: &Notify,
) -> Result<(), StoreError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel();
    // The connection must be polled for the LISTEN to be sent and notifications to arrive.
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(_))) => {
                    let _ = tx.send(());
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    tracing::debug!("listening for wake-up hints");
    wake.notify_one();
    while rx.recv().await.is_some() {
        wake.notify_one();
    }
    drop(client);
    match driver.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(StoreError::Database(Box::new(e))),
    }
}
