//! The key → entry map: read without locking, written copy-on-write, with
//! least-recently-used eviction beyond a size limit.
//!
//! Keys are the name for the latest version and `name/version` for a given
//! version (`/` cannot occur in a secret name). Writes (a new key, an
//! eviction, an invalidation) copy the map under a mutex; they happen only
//! on the miss path, which waits for the network anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::{ArcSwap, Guard};

use crate::entry::Entry;

type Map = HashMap<Arc<str>, Arc<Entry>, foldhash::fast::RandomState>;

pub(crate) struct Table {
    map: ArcSwap<Map>,
    write: Mutex<()>,
    capacity: usize,
}

/// The key of `name` at `version` (latest when `None`).
pub(crate) fn key(name: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("{name}/{v}"),
        None => name.to_owned(),
    }
}

impl Table {
    pub fn new(capacity: usize) -> Self {
        Self {
            map: ArcSwap::from_pointee(Map::default()),
            write: Mutex::new(()),
            capacity,
        }
    }

    /// The current map, for a lock-free lookup.
    #[inline]
    pub fn load(&self) -> Guard<Arc<Map>> {
        self.map.load()
    }

    pub fn len(&self) -> usize {
        self.map.load().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for `key`, inserted if absent. Returns it and how many
    /// entries were evicted to make room (the least recently used).
    pub fn get_or_insert(&self, key: &str, make: impl FnOnce() -> Entry) -> (Arc<Entry>, usize) {
        if let Some(entry) = self.map.load().get(key) {
            return (Arc::clone(entry), 0);
        }
        let _write = self.lock();
        let current = self.map.load_full();
        if let Some(entry) = current.get(key) {
            return (Arc::clone(entry), 0);
        }
        let mut next: Map = (*current).clone();
        let entry = Arc::new(make());
        next.insert(Arc::from(key), Arc::clone(&entry));
        let mut evicted = 0;
        while next.len() > self.capacity {
            let oldest = next
                .iter()
                .filter(|(_, e)| !Arc::ptr_eq(e, &entry))
                .min_by_key(|(_, e)| e.last_used())
                .map(|(k, _)| Arc::clone(k));
            match oldest {
                Some(k) => {
                    next.remove(&k);
                    evicted += 1;
                }
                None => break,
            }
        }
        self.map.store(Arc::new(next));
        (entry, evicted)
    }

    /// Removes `name`'s latest-version key and all its version keys.
    pub fn remove_name(&self, name: &str) -> usize {
        let _write = self.lock();
        let current = self.map.load_full();
        let matches = |k: &str| {
            k == name
                || k.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if !current.keys().any(|k| matches(k)) {
            return 0;
        }
        let mut next: Map = (*current).clone();
        next.retain(|k, _| !matches(k));
        let removed = current.len() - next.len();
        self.map.store(Arc::new(next));
        removed
    }

    /// Removes every entry.
    pub fn clear(&self) {
        let _write = self.lock();
        let hasher = self.map.load().hasher().clone();
        self.map.store(Arc::new(Map::with_hasher(hasher)));
    }
}
