//! A small cache of list counts, valid for one write generation of the store.

use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept before the cache starts over (keys are whole SQL texts with their values).
const CAPACITY: usize = 512;

#[derive(Default)]
pub struct CountCache {
    entries: Mutex<HashMap<String, (u64, i64)>>,
    /// One computation per key at a time: concurrent requests for a cold count wait for it.
    inflight: Mutex<HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

impl CountCache {
    /// The cached count for `key`, if it was computed at `generation`.
    pub fn get(&self, key: &str, generation: u64) -> Option<i64> {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(g, _)| *g == generation).map(|(_, n)| *n)
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
        let n = compute().await?;
        self.put(key.to_owned(), generation, n);
        Ok(n)
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
}
