//! A small cache of list counts, valid for one write generation of the store and one epoch of
//! its own: [`CountCache::invalidate`] starts a new epoch, the hook for writes this process did
//! not make (another replica's, once the broker tells about them).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Entries kept before the cache starts over (keys are whole SQL texts with their values).
const CAPACITY: usize = 512;

#[derive(Default)]
pub struct CountCache {
    /// Key -> (store generation, epoch, count).
    entries: Mutex<HashMap<String, (u64, u64, i64)>>,
    epoch: AtomicU64,
    /// One computation per key at a time: concurrent requests for a cold count wait for it.
    inflight: Mutex<HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

impl CountCache {
    /// The cached count for `key`, if it was computed at `generation`.
    pub fn get(&self, key: &str, generation: u64) -> Option<i64> {
        let epoch = self.epoch.load(Ordering::Acquire);
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(g, e, _)| *g == generation && *e == epoch).map(|(_, _, n)| *n)
    }

    /// Forgets every count, including those being computed now.
    pub fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    /// The count for `key` at `generation`, computing it at most once at a time.
    pub async fn get_or_compute<E, F, Fut>(&self, key: &str, generation: u64, compute: F) -> Result<i64, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<i64, E>>,
    {
        if let Some(n) = self.get(key, generation) {
            return Ok(n);
        }
        let gate = match self.inflight.lock() {
            Ok(mut inflight) => {
                if inflight.len() > CAPACITY {
                    inflight.retain(|_, g| std::sync::Arc::strong_count(g) > 1);
                }
                inflight.entry(key.to_owned()).or_default().clone()
            }
            Err(_) => std::sync::Arc::default(),
        };
        let _turn = gate.lock().await;
        if let Some(n) = self.get(key, generation) {
            return Ok(n);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let n = compute().await?;
        self.put_at(key.to_owned(), generation, epoch, n);
        Ok(n)
    }

    pub fn put(&self, key: String, generation: u64, count: i64) {
        self.put_at(key, generation, self.epoch.load(Ordering::Acquire), count);
    }

    /// Stores a count computed in `epoch` (an invalidation since then makes it stale at once).
    fn put_at(&self, key: String, generation: u64, epoch: u64, count: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.retain(|_, (g, _, _)| *g == generation);
                if entries.len() >= CAPACITY {
                    entries.clear();
                }
            }
            entries.insert(key, (generation, epoch, count));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_cold_count_is_computed_once() {
        let cache = Arc::new(super::CountCache::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (cache, runs) = (cache.clone(), runs.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_compute("k", 7, || async {
                            runs.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                            Ok::<i64, ()>(5)
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.expect("join"), Ok(5));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

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

    #[tokio::test]
    async fn invalidation_drops_counts_even_while_they_are_computed() {
        let cache = super::CountCache::default();
        cache.put("q".into(), 1, 42);
        cache.invalidate();
        assert_eq!(cache.get("q", 1), None);
        let n = cache
            .get_or_compute("q", 1, || async {
                cache.invalidate(); // a write elsewhere while counting
                Ok::<i64, ()>(7)
            })
            .await;
        assert_eq!(n, Ok(7));
        assert_eq!(cache.get("q", 1), None, "a count from before the invalidation is not kept");
        assert_eq!(cache.get_or_compute("q", 1, || async { Ok::<i64, ()>(8) }).await, Ok(8));
        assert_eq!(cache.get("q", 1), Some(8));
    }
}
