//! A store on a thread of its own: the executor boundary between async callers (the daemon's
//! loop, the web server, the shared rate limits) and the synchronous [`Store`].
//!
//! Why a thread and not `spawn_blocking` per call: every call ran on whichever blocking-pool
//! thread was free, and SQLite, which is C, allocates with glibc's `malloc`, which gives each
//! thread an arena of its own and keeps what it got back. One thread per store keeps SQLite's
//! memory in one arena (docs/BENCHMARKS.md, "Idle after a burst"). Calls on one store were already
//! one at a time (the store sat behind a mutex); now they queue in order instead of holding
//! blocking threads while they wait for the lock.
//!
//! May touch: one OS thread per handle opened here. Must not touch: anything but the store.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::Store;

type Job = Box<dyn FnOnce(&mut Option<Box<dyn Store>>) + Send>;

/// A handle to a store running on its own thread. Clones share the thread. The store is dropped
/// at [`StoreThread::close`] or when the last handle is dropped; the thread ends with the last
/// handle.
#[derive(Clone, Debug)]
pub struct StoreThread {
    jobs: mpsc::Sender<Job>,
}

/// Why a call did not run to the end.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The closure panicked; the store stays usable (the panic hook printed the panic).
    #[error("store call panicked")]
    Panicked,
    /// The store was closed, or its thread is gone.
    #[error("the store is closed")]
    Closed,
}

impl StoreThread {
    /// Moves `store` onto a new thread named `name` (shown by `top -H` and in panics).
    ///
    /// # Errors
    /// The OS refused a thread.
    pub fn spawn(store: Box<dyn Store>, name: &str) -> std::io::Result<StoreThread> {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || serve(store, &rx))?;
        Ok(StoreThread { jobs })
    }

    /// Opens a store with `open` on a new thread named `name` and keeps it there, so that even
    /// the connection's own allocations live in that thread's arena (and PostgreSQL's blocking
    /// open does not hold up the caller's runtime).
    ///
    /// # Errors
    /// What `open` returned, or that it panicked, or that the OS refused a thread.
    pub async fn open(
        name: &str,
        open: impl FnOnce() -> anyhow::Result<Box<dyn Store>> + Send + 'static,
    ) -> anyhow::Result<StoreThread> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready, opened) = oneshot::channel::<anyhow::Result<()>>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(
                move || match std::panic::catch_unwind(AssertUnwindSafe(open)) {
                    Ok(Ok(store)) => {
                        let _ = ready.send(Ok(()));
                        serve(store, &rx);
                    }
                    Ok(Err(e)) => {
                        let _ = ready.send(Err(e));
                    }
                    Err(_) => {
                        let _ = ready.send(Err(anyhow::anyhow!("opening the store panicked")));
                    }
                },
            )?;
        opened
            .await
            .map_err(|_| anyhow::anyhow!("the store thread ended while opening"))??;
        Ok(StoreThread { jobs })
    }

    /// Runs `f` on the store's thread, after the calls queued before it.
    ///
    /// # Errors
    /// [`CallError::Panicked`] if `f` panicked, [`CallError::Closed`] after [`Self::close`].
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Store) -> T + Send + 'static,
    ) -> Result<T, CallError> {
        self.submit(false, f).await
    }

    /// Runs `f` on the store's thread, then drops the store there (closing its connections;
    /// SQLite checkpoints the WAL when a file's last connection closes) before returning; later
    /// calls fail with
    /// [`CallError::Closed`]. Used at shutdown, where the store must be closed before the process
    /// goes on (another handle, such as a finished send's, may still exist).
    ///
    /// # Errors
    /// As [`Self::call`].
    pub async fn close<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Store) -> T + Send + 'static,
    ) -> Result<T, CallError> {
        self.submit(true, f).await
    }

    async fn submit<T: Send + 'static>(
        &self,
        close: bool,
        f: impl FnOnce(&mut dyn Store) -> T + Send + 'static,
    ) -> Result<T, CallError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |slot| {
            let r = match slot.as_mut() {
                None => Err(CallError::Closed),
                // A panic is the caller's failure, not the store's: the thread and the store
                // go on.
                Some(s) => std::panic::catch_unwind(AssertUnwindSafe(|| f(s.as_mut())))
                    .map_err(|_| CallError::Panicked),
            };
            if close {
                *slot = None;
            }
            let _ = tx.send(r);
        });
        self.jobs.send(job).map_err(|_| CallError::Closed)?;
        rx.await.map_err(|_| CallError::Closed)?
    }
}

/// The thread's loop: runs jobs in order until every handle is gone (queued jobs run first).
fn serve(store: Box<dyn Store>, jobs: &mpsc::Receiver<Job>) {
    let mut store = Some(store);
    for job in jobs {
        job(&mut store);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> StoreThread {
        StoreThread::spawn(super::super::open_in_memory().unwrap(), "test-store").unwrap()
    }

    #[tokio::test]
    async fn calls_run_on_the_store_thread() {
        let st = store();
        let mut names = Vec::new();
        for _ in 0..3 {
            let n = st
                .call(|_| std::thread::current().name().map(str::to_owned))
                .await
                .unwrap();
            names.push(n);
        }
        assert_eq!(names, vec![Some("test-store".to_owned()); 3]);
        assert!(st.call(|s| s.next_wakeup().is_ok()).await.unwrap());
    }

    #[tokio::test]
    async fn a_panicking_call_fails_alone_and_the_store_goes_on() {
        let st = store();
        let r = st.call(|_| -> u32 { panic!("boom") }).await;
        assert!(matches!(r, Err(CallError::Panicked)), "{r:?}");
        assert!(st.call(|s| s.next_wakeup().is_ok()).await.unwrap());
    }

    #[tokio::test]
    async fn open_runs_the_opener_on_the_store_thread_and_passes_its_error_on() {
        let st = StoreThread::open("opened", || {
            assert_eq!(std::thread::current().name(), Some("opened"));
            Ok(super::super::open_in_memory()?)
        })
        .await
        .unwrap();
        assert!(st.call(|s| s.next_wakeup().is_ok()).await.unwrap());
        let e = StoreThread::open("failing", || anyhow::bail!("no such file"))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "no such file");
    }

    #[tokio::test]
    async fn after_close_every_call_says_closed() {
        let st = store();
        let other = st.clone();
        assert_eq!(st.close(|_| 7).await.unwrap(), 7);
        assert!(matches!(other.call(|_| ()).await, Err(CallError::Closed)));
        assert!(matches!(st.close(|_| ()).await, Err(CallError::Closed)));
    }
}
