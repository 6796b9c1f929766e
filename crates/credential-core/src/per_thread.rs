//! Copies of a value, one per thread slot, each on its own cache line.
//!
//! A value that many threads clone at once (an `Arc`, a `Bytes`) shares one
//! reference count: every clone and drop writes that count's cache line,
//! and with two or more threads the line moves between cores on each
//! request. Giving each thread a copy with its own count keeps those writes
//! local. [`TokenCache`](crate::TokenCache) does this for tokens;
//! `keyvault-secrets` for its challenge, `Authorization` value and request
//! ids.
//!
//! ```
//! use credential_core::__private::per_thread::PerThread;
//! use std::sync::Arc;
//!
//! let copies = PerThread::from_fn(|_| Arc::new(String::from("scope")));
//! let mine: Arc<String> = copies.get().clone();
//! assert_eq!(*mine, "scope");
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many copies: threads beyond this share slots (round robin).
pub const SLOTS: usize = 8;

/// The calling thread's slot, `0..SLOTS`, assigned on first use.
#[inline]
pub fn thread_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SLOTS;
    }
    SLOT.with(|slot| *slot)
}

/// One value on its own cache line (128 bytes: adjacent-line prefetching
/// pairs lines on x86).
#[derive(Debug, Clone, Default)]
#[repr(align(128))]
pub struct CacheLine<T>(pub T);

/// [`SLOTS`] copies of a value; [`get`](Self::get) returns the calling
/// thread's.
#[derive(Debug, Clone)]
pub struct PerThread<T> {
    copies: [CacheLine<T>; SLOTS],
}

impl<T> PerThread<T> {
    /// Copies made by `make(slot)`, one per slot. For reference-counted
    /// values each call must make a separate value (not a clone of one),
    /// or the copies would share one count again.
    pub fn from_fn(mut make: impl FnMut(usize) -> T) -> Self {
        Self {
            copies: std::array::from_fn(|slot| CacheLine(make(slot))),
        }
    }

    /// The calling thread's copy.
    #[inline]
    pub fn get(&self) -> &T {
        &self.copies[thread_slot()].0
    }

    /// The copy of slot `slot` (taken modulo [`SLOTS`]), for a value
    /// registered on one thread and released on another.
    #[inline]
    pub fn at(&self, slot: usize) -> &T {
        &self.copies[slot % SLOTS].0
    }

    /// Every copy, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.copies.iter().map(|line| &line.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn each_thread_reads_its_own_slot() {
        let copies = Arc::new(PerThread::from_fn(|slot| slot));
        let here = *copies.get();
        assert_eq!(here, thread_slot());
        assert_eq!(*copies.get(), here, "a thread keeps its slot");
        let there = Arc::clone(&copies);
        let (slot, read) = std::thread::spawn(move || (thread_slot(), *there.get()))
            .join()
            .unwrap();
        assert!(slot < SLOTS);
        assert_eq!(read, slot, "another thread reads its own slot's copy");
        assert_eq!(*copies.at(slot), slot);
        assert_eq!(*copies.at(slot + SLOTS), slot, "slots wrap around");
        assert_eq!(
            copies.iter().copied().collect::<Vec<_>>(),
            (0..SLOTS).collect::<Vec<_>>()
        );
    }

    #[test]
    fn copies_are_separate_values_on_separate_lines() {
        let copies = PerThread::from_fn(|_| Arc::new(1u8));
        let all: Vec<_> = copies.iter().collect();
        assert!(!Arc::ptr_eq(all[0], all[1]));
        let a = all[0] as *const _ as usize;
        let b = all[1] as *const _ as usize;
        assert!(b - a >= 128, "slots {a:#x} and {b:#x} share a line");
    }
}
