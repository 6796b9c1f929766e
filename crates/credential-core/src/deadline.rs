//! Request deadlines without a `tokio` timer per request.
//!
//! `tokio` keeps every timer of a runtime in one wheel behind one mutex. A
//! request that arms a timer takes that mutex twice (to insert the timer on
//! its first poll, to remove it when it is dropped), so with two or more
//! worker threads the mutex's cache line moves between cores on every
//! request: this module gained `get_secret` 2 to 6 points of throughput
//! against a plain `reqwest` loop at 16 and 64 tasks (`BENCHMARKS.md`). Here each thread slot keeps its own list of waiting
//! requests, which only requests polled on that thread lock, and one
//! background thread, parked until the earliest deadline, wakes the
//! requests whose time is up.
//!
//! The sweeper is a thread of its own rather than a task, so deadlines fire
//! whatever runtime the request runs on, and after that runtime is gone. If
//! the thread cannot be started, [`within`] falls back to
//! `tokio::time::sleep_until`.

// A deadline is real time by nature, as tokio's timers are: the injectable
// `Clock` is for token lifetimes, which tests move by hand.
#![allow(clippy::disallowed_methods)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crate::per_thread::{PerThread, thread_slot};

pin_project_lite::pin_project! {
    /// `future`'s output, or `on_timeout()`'s once the deadline has passed
    /// (`future` is then dropped unfinished). A plain struct rather than
    /// an `async fn`, which would hold `future` twice.
    pub(crate) struct Within<F, T> {
        #[pin]
        future: F,
        wait: Wait,
        on_timeout: Option<T>,
    }
}

/// Runs `future` for at most `timeout`.
#[cfg(test)]
pub(crate) fn within<F, T>(timeout: Duration, future: F, on_timeout: T) -> Within<F, T>
where
    F: Future,
    T: FnOnce() -> F::Output,
{
    within_using(Timer::Sweeper, timeout, future, on_timeout)
}

/// What keeps a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The process's `http-deadlines` thread (started on first use).
    Sweeper,
    /// A `tokio` timer on the runtime that polls the request.
    Tokio,
}

/// Runs `future` for at most `timeout`, its deadline kept by `timer`.
pub(crate) fn within_using<F, T>(
    timer: Timer,
    timeout: Duration,
    future: F,
    on_timeout: T,
) -> Within<F, T>
where
    F: Future,
    T: FnOnce() -> F::Output,
{
    Within {
        future,
        wait: Wait {
            deadlines: match timer {
                Timer::Sweeper => Deadlines::global(),
                Timer::Tokio => None,
            },
            // A timeout too large to add (`Duration::MAX`) never fires.
            at: Instant::now().checked_add(timeout),
            entry: None,
            fallback: None,
        },
        on_timeout: Some(on_timeout),
    }
}

impl<F, T> Future for Within<F, T>
where
    F: Future,
    T: FnOnce() -> F::Output,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(output);
        }
        match this.wait.poll_expired(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => match this.on_timeout.take() {
                Some(on_timeout) => Poll::Ready(on_timeout()),
                // Polled again after the timeout's answer: stay pending
                // rather than panic.
                None => Poll::Pending,
            },
        }
    }
}

/// One future's place in a slot's list while it waits.
struct Wait {
    /// `None` if the sweeper thread could not be started.
    deadlines: Option<&'static Deadlines>,
    /// `None`: no deadline at all.
    at: Option<Instant>,
    /// Slot and index of the entry, once registered.
    entry: Option<(usize, usize)>,
    /// A tokio timer, only without a sweeper.
    fallback: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Wait {
    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(at) = self.at else {
            return Poll::Pending;
        };
        if Instant::now() >= at {
            return Poll::Ready(());
        }
        let Some(deadlines) = self.deadlines else {
            return self
                .fallback
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at.into())))
                .as_mut()
                .poll(cx);
        };
        match self.entry {
            Some((slot, index)) => {
                let mut waits = deadlines.lock(slot);
                if let Some(Some(entry)) = waits.entries.get_mut(index)
                    && !entry.waker.will_wake(cx.waker())
                {
                    entry.waker = cx.waker().clone();
                }
            }
            None => {
                let slot = thread_slot();
                let index = deadlines.lock(slot).insert(Entry {
                    at,
                    waker: cx.waker().clone(),
                    woken: false,
                });
                self.entry = Some((slot, index));
                deadlines.registered(at);
            }
        }
        Poll::Pending
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        if let (Some(deadlines), Some((slot, index))) = (self.deadlines, self.entry) {
            deadlines.lock(slot).remove(index);
        }
    }
}

struct Entry {
    at: Instant,
    waker: Waker,
    /// Woken once after its deadline; the next poll ends it.
    woken: bool,
}

/// A slot's waiting futures: a slab, so an entry keeps its index.
#[derive(Default)]
struct Waits {
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
}

impl Waits {
    fn insert(&mut self, entry: Entry) -> usize {
        match self.free.pop() {
            Some(index) => {
                self.entries[index] = Some(entry);
                index
            }
            None => {
                self.entries.push(Some(entry));
                self.entries.len() - 1
            }
        }
    }

    fn remove(&mut self, index: usize) {
        if let Some(place) = self.entries.get_mut(index)
            && place.take().is_some()
        {
            self.free.push(index);
        }
    }

    #[cfg(test)]
    fn live(&self) -> usize {
        self.entries.len() - self.free.len()
    }
}

/// The lists and the sweeper thread that serves them.
struct Deadlines {
    slots: PerThread<Mutex<Waits>>,
    /// Instants are kept as nanoseconds after this one.
    base: Instant,
    /// When the sweeper will next look, or `u64::MAX` if it waits for a
    /// registration. A future registering an earlier deadline unparks it.
    next_look: AtomicU64,
    sweeper: OnceLock<Thread>,
}

impl Deadlines {
    /// The process's lists and sweeper; `None` if the thread could not start.
    fn global() -> Option<&'static Deadlines> {
        static GLOBAL: OnceLock<Option<&'static Deadlines>> = OnceLock::new();
        *GLOBAL.get_or_init(Self::start)
    }

    /// New lists with a sweeper thread of their own (leaked: the thread
    /// lives as long as the process).
    fn start() -> Option<&'static Deadlines> {
        let deadlines: &'static Deadlines = Box::leak(Box::new(Deadlines {
            slots: PerThread::from_fn(|_| Mutex::new(Waits::default())),
            base: Instant::now(),
            next_look: AtomicU64::new(u64::MAX),
            sweeper: OnceLock::new(),
        }));
        let handle = std::thread::Builder::new()
            .name("http-deadlines".into())
            .spawn(move || deadlines.sweep());
        match handle {
            Ok(handle) => {
                let _ = deadlines.sweeper.set(handle.thread().clone());
                Some(deadlines)
            }
            Err(error) => {
                tracing::debug!(%error, "could not start the deadline thread; using tokio timers");
                None
            }
        }
    }

    fn lock(&self, slot: usize) -> MutexGuard<'_, Waits> {
        // Nothing panics while a list is locked (wakers are called after
        // the lock is released), so a poisoned list is still whole.
        self.slots
            .at(slot)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX - 1)
    }

    /// After a registration: wake the sweeper if it would look too late.
    fn registered(&self, at: Instant) {
        if self.nanos(at) < self.next_look.load(Ordering::SeqCst)
            && let Some(thread) = self.sweeper.get()
        {
            thread.unpark();
        }
    }

    /// Wakes the entries whose deadline has passed (once each) and returns
    /// the earliest deadline still to come.
    fn wake_expired(&self, now: Instant) -> Option<Instant> {
        let mut earliest: Option<Instant> = None;
        let mut due = Vec::new();
        for slot in self.slots.iter() {
            let mut waits = slot.lock().unwrap_or_else(|p| p.into_inner());
            for entry in waits.entries.iter_mut().flatten() {
                if entry.woken {
                    continue;
                }
                if entry.at <= now {
                    entry.woken = true;
                    due.push(entry.waker.clone());
                } else if earliest.is_none_or(|e| entry.at < e) {
                    earliest = Some(entry.at);
                }
            }
        }
        for waker in due {
            waker.wake();
        }
        earliest
    }

    /// The earliest deadline not yet woken.
    fn earliest(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|slot| {
                let waits = slot.lock().unwrap_or_else(|p| p.into_inner());
                waits
                    .entries
                    .iter()
                    .flatten()
                    .filter(|e| !e.woken)
                    .map(|e| e.at)
                    .min()
            })
            .min()
    }

    fn sweep(&self) {
        // Ordering: a registration inserts under its slot's lock, then
        // reads `next_look`. The sweeper stores `next_look`, then reads
        // every slot under its lock. Either the second scan sees the new
        // entry, or the registration sees the stored value and unparks.
        loop {
            let planned = self.wake_expired(Instant::now());
            let planned_nanos = planned.map_or(u64::MAX, |at| self.nanos(at));
            self.next_look.store(planned_nanos, Ordering::SeqCst);
            if self
                .earliest()
                .is_some_and(|at| self.nanos(at) < planned_nanos)
            {
                continue;
            }
            match planned {
                Some(at) => std::thread::park_timeout(at.saturating_duration_since(Instant::now())),
                None => std::thread::park(),
            }
        }
    }

    #[cfg(test)]
    fn live(&self) -> usize {
        self.slots
            .iter()
            .map(|slot| slot.lock().unwrap_or_else(|p| p.into_inner()).live())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deadlines() -> &'static Deadlines {
        Deadlines::start().expect("a thread starts")
    }

    /// `future` under `d`'s deadlines: `Some(output)`, or `None` on timeout.
    /// A deadline that does not fire fails the test after 10 s (a tokio
    /// timer) rather than hanging it.
    async fn within_on<F: Future>(
        d: &'static Deadlines,
        timeout: Duration,
        future: F,
    ) -> Option<F::Output> {
        let mut within = within(timeout, async move { Some(future.await) }, || None);
        within.wait.deadlines = Some(d);
        tokio::time::timeout(Duration::from_secs(10), within)
            .await
            .expect("the deadline fired within 10 s")
    }

    #[tokio::test]
    async fn without_a_sweeper_a_tokio_timer_ends_the_wait() {
        let mut w = within(
            Duration::from_millis(20),
            std::future::pending::<u8>(),
            || 9,
        );
        w.wait.deadlines = None;
        assert_eq!(w.await, 9);
        let finished = within(Duration::from_secs(30), async { 3 }, || 9);
        assert_eq!(finished.await, 3);
    }

    #[test]
    fn a_timeout_too_large_to_add_never_fires() {
        let d = deadlines();
        let mut w = within(Duration::MAX, std::future::pending::<u8>(), || 9);
        w.wait.deadlines = Some(d);
        let mut w = std::pin::pin!(w);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(w.as_mut().poll(&mut cx).is_pending());
        assert!(w.as_mut().poll(&mut cx).is_pending());
        assert_eq!(
            d.live(),
            0,
            "nothing registered (and no panic adding to now)"
        );
    }

    #[tokio::test]
    async fn a_future_that_finishes_in_time_gives_its_output_and_leaves_no_entry() {
        let d = deadlines();
        let out = within_on(d, Duration::from_secs(30), async {
            tokio::task::yield_now().await; // pending once: registers
            7
        })
        .await;
        assert_eq!(out, Some(7));
        assert_eq!(d.live(), 0);
    }

    #[tokio::test]
    async fn a_future_that_never_finishes_ends_at_its_deadline() {
        let d = deadlines();
        let start = Instant::now();
        let out = within_on(d, Duration::from_millis(50), std::future::pending::<()>()).await;
        assert_eq!(out, None);
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert_eq!(d.live(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_earlier_deadline_registered_later_wakes_the_sweeper() {
        let d = deadlines();
        let long = tokio::spawn(within_on(
            d,
            Duration::from_secs(8),
            std::future::pending::<()>(),
        ));
        // Let the long wait register and the sweeper park until it.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(d.live(), 1);
        let start = Instant::now();
        let out = within_on(d, Duration::from_millis(30), std::future::pending::<()>()).await;
        assert_eq!(out, None);
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "the short wait ended only with the long one: {:?}",
            start.elapsed()
        );
        assert!(!long.is_finished());
        long.abort();
        let _ = long.await;
        assert_eq!(d.live(), 0, "an aborted wait leaves no entry");
    }

    #[test]
    fn deadlines_fire_on_any_runtime_and_after_one_is_gone() {
        let d = deadlines();
        for _ in 0..2 {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            let out = runtime.block_on(within_on(
                d,
                Duration::from_millis(20),
                std::future::pending::<()>(),
            ));
            assert_eq!(out, None);
            drop(runtime);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_waits_each_end_at_or_after_their_deadline() {
        let d = deadlines();
        let mut tasks = Vec::new();
        for i in 0..40u64 {
            let timeout = Duration::from_millis(10 + 5 * (i % 8));
            tasks.push(tokio::spawn(async move {
                let begun = Instant::now();
                let out = within_on(d, timeout, std::future::pending::<()>()).await;
                (out, begun.elapsed(), timeout)
            }));
        }
        for task in tasks {
            let (out, waited, timeout) = task.await.unwrap();
            assert_eq!(out, None);
            assert!(
                waited >= timeout,
                "ended after {waited:?}, before {timeout:?}"
            );
        }
        assert_eq!(d.live(), 0);
    }

    #[test]
    fn the_slab_reuses_indices_and_ignores_unknown_ones() {
        let waker = Waker::noop().clone();
        let entry = |ms| Entry {
            at: Instant::now() + Duration::from_millis(ms),
            waker: waker.clone(),
            woken: false,
        };
        let mut waits = Waits::default();
        let a = waits.insert(entry(1));
        let b = waits.insert(entry(2));
        waits.remove(a);
        waits.remove(a);
        waits.remove(99);
        assert_eq!(waits.live(), 1);
        assert_eq!(waits.insert(entry(3)), a);
        assert_ne!(a, b);
        assert_eq!(waits.live(), 2);
    }
}
