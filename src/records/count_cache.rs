//! A small cache of list counts, valid for one write generation of the store.

use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept before the cache starts over (keys are whole SQL texts with their values).
const CAPACITY: usize = 512;

#[derive(Default)]
pub struct CountCache {
    entries: Mutex<HashMap<String, (u64, i64)>>,
}

impl CountCache {
    /// The cached count for `key`, if it was computed at `generation`.
    pub fn get(&self, key: &str, generation: u64) -> Option<i64> {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(g, _)| *g == generation).map(|(_, n)| *n)
    }

    pub fn put(&self, key: String, generation: u64, count: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.retain(|_, (g, _)| *g == generation);
                if entries.len() >= CAPACITY {
                    entries.clear();
                }
            }
            entries.insert(key, (generation, count));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn entries_expire_with_the_generation() {
        let cache = super::CountCache::default();
        cache.put("q".into(), 1, 42);
        assert_eq!(cache.get("q", 1), Some(42));
        assert_eq!(cache.get("q", 2), None);
        for i in 0..2000 {
            cache.put(format!("k{i}"), 3, i);
        }
        assert!(cache.entries.lock().expect("lock").len() <= super::CAPACITY);
    }
}
