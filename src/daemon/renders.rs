//! The render pool: a claim's groups are rendered on blocking threads, a few at a time.
//!
//! Why bounded: a claim takes up to a thousand rows at once (a morning, or every row a killed
//! replica held), which is a hundred groups. Each send task used to hand its render to
//! `spawn_blocking` at once, so a hundred CPU-bound threads ran side by side. The loop's own
//! thread, the store thread and PostgreSQL then waited behind all of them for the CPU, and on a
//! loaded machine the loop renewed the leases of the sends in flight too late: in CI a live
//! replica lost its leases to the others (2-second test leases), and reproduced under CPU load
//! its loop slept 1.75 s past the renewal and lost 870 rows. Rendering faster in parallel than
//! the cores allow buys nothing; the bound keeps the loop's turn prompt.
//!
//! May touch: the blocking thread pool.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// Runs renders on blocking threads, at most [`Renders::slots`] at once, in the order asked.
#[derive(Debug, Clone)]
pub struct Renders {
    slots: Arc<Semaphore>,
    size: usize,
}

impl Renders {
    /// A pool for `cores` CPUs: in real time every core but one (at least one), which is left to
    /// the loop, the store thread and the sends on the wire; in a simulation every core (its
    /// leases are on the manual clock, which waits for the renders).
    #[must_use]
    pub fn new(cores: usize, real_time: bool) -> Self {
        let size = match real_time {
            true => cores.saturating_sub(1),
            false => cores,
        }
        .max(1);
        Self {
            slots: Arc::new(Semaphore::new(size)),
            size,
        }
    }

    /// A pool sized for this machine ([`std::thread::available_parallelism`]).
    #[must_use]
    pub fn for_machine(real_time: bool) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self::new(cores, real_time)
    }

    /// How many renders may run at once.
    #[must_use]
    pub fn slots(&self) -> usize {
        self.size
    }

    /// Runs `f` on a blocking thread once a slot is free, and returns its result; a panic in `f`
    /// is resumed here. The slot stays taken until `f` returns, even if the caller is cancelled
    /// meanwhile: the thread still uses the CPU.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        // The semaphore is never closed, so the permit always comes.
        let permit = self.slots.clone().acquire_owned().await.ok();
        tokio::task::spawn_blocking(move || {
            let _slot = permit;
            f()
        })
        .await
        .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn real_time_leaves_a_core_to_the_loop_and_a_simulation_uses_them_all() {
        // (cores, real time) -> slots, by hand.
        let table = [
            (1, true, 1),
            (2, true, 1),
            (4, true, 3),
            (16, true, 15),
            (0, false, 1),
            (1, false, 1),
            (2, false, 2),
            (8, false, 8),
        ];
        for (cores, real, slots) in table {
            assert_eq!(Renders::new(cores, real).slots(), slots, "{cores} {real}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_renders_never_runs_more_than_its_slots_at_once() {
        let pool = Renders::new(3, true);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut set = tokio::task::JoinSet::new();
        for i in 0..48_usize {
            let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
            set.spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    // Long enough for the others to start beside it if nothing held them back
                    // (a sleep, not a spin: on a loaded machine a spin of yields took minutes).
                    // Nothing is asserted about time: the bound holds however long this is.
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    running.fetch_sub(1, Ordering::SeqCst);
                    i
                })
                .await
            });
        }
        let mut done: Vec<usize> = set.join_all().await;
        done.sort_unstable();
        assert_eq!(done, (0..48).collect::<Vec<_>>(), "every render ran once");
        assert!(most.load(Ordering::SeqCst) <= 2, "{most:?} at once");
        assert!(most.load(Ordering::SeqCst) >= 1);
    }

    #[tokio::test]
    async fn a_panicking_render_panics_its_caller_and_frees_its_slot() {
        let pool = Renders::new(2, true);
        let p = pool.clone();
        let failed = tokio::spawn(async move { p.run(|| panic!("render failed")).await }).await;
        assert!(failed.unwrap_err().is_panic());
        assert_eq!(pool.run(|| 7).await, 7, "the one slot is free again");
    }
}
