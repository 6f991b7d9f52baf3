//! The current schema: an immutable [`Schema`] snapshot, replaced as a whole after every
//! change, and the guard that keeps record operations from running SQL built from a schema
//! that is being replaced. It is also the cache of auth collections (see
//! [`Schema::auth_collection`]); [`Registry::replace`] is its invalidation hook.

use std::sync::{Arc, PoisonError, RwLock};

use tokio::sync::{RwLock as AsyncRwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{Collection, Schema};

pub struct Registry {
    current: RwLock<Arc<Schema>>,
    guard: AsyncRwLock<()>,
}

impl Registry {
    pub fn new(collections: Vec<Collection>) -> Self {
        Self { current: RwLock::new(Arc::new(Schema::new(collections))), guard: AsyncRwLock::new(()) }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Schema> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Publishes a new snapshot (after a change, or when another process changed the schema).
    pub fn replace(&self, collections: Vec<Collection>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(Schema::new(collections));
    }

    /// Held shared by record operations.
    pub async fn reading(&self) -> RwLockReadGuard<'_, ()> {
        self.guard.read().await
    }

    /// Held exclusively by schema changes.
    pub async fn writing(&self) -> RwLockWriteGuard<'_, ()> {
        self.guard.write().await
    }
}
