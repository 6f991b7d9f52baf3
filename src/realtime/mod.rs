//! Realtime subscriptions over SSE, as PocketBase speaks them.
//!
//! A [`Hub`] keeps the connected clients. Each client has a bounded queue; a client that does
//! not keep up is disconnected (the SDKs reconnect and resubscribe) so it never slows writers or
//! other clients. Record changes arrive through a [`Broker`]: the in-process one now, a
//! PostgreSQL LISTEN/NOTIFY one for several replicas later.

mod broker;
mod topic;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use tokio::sync::mpsc;

pub use broker::{Broker, Deliver, LocalBroker};
pub use topic::Subscription;

/// Messages built ahead of a commit (deletes), each for one client.
pub type Prepared = Vec<(Arc<Client>, Message)>;

use crate::error::{FieldErrors, code};
use crate::filter::AuthInfo;

/// Messages a client may have waiting before it counts as stuck.
pub const QUEUE: usize = 1024;
/// PocketBase's limits.
pub const MAX_SUBSCRIPTIONS: usize = 1000;
pub const MAX_TOPIC_LEN: usize = 2500;

/// One SSE message: `event:` name and one-line JSON `data:`.
#[derive(Debug, Clone)]
pub struct Message {
    pub event: String,
    /// Shared by every client the same payload goes to.
    pub data: Arc<str>,
}

/// A connected client.
pub struct Client {
    pub id: String,
    pub ip: IpAddr,
    pub connected: Instant,
    sender: mpsc::Sender<Message>,
    state: RwLock<ClientState>,
}

#[derive(Clone)]
struct ClientState {
    /// Bound at the first subscription POST that carried a token.
    auth: Option<AuthInfo>,
    /// Replaced whole on each POST, so readers share it without copying.
    subscriptions: Arc<[Subscription]>,
}

impl Default for ClientState {
    fn default() -> Self {
        Self { auth: None, subscriptions: Arc::from(Vec::new()) }
    }
}

impl Client {
    pub fn auth(&self) -> Option<AuthInfo> {
        self.state.read().ok().and_then(|s| s.auth.clone())
    }

    pub fn subscriptions(&self) -> Arc<[Subscription]> {
        self.state.read().map(|s| s.subscriptions.clone()).unwrap_or_else(|_| Arc::from(Vec::new()))
    }

    /// Queues a message; `false` when the client is gone or stuck (then it is dropped).
    pub fn send(&self, message: Message) -> bool {
        let sent = self.sender.try_send(message).is_ok();
        crate::telemetry::realtime_event(sent);
        sent
    }
}

/// Counters for observability.
#[derive(Default)]
pub struct Stats {
    pub published: AtomicU64,
    pub delivered: AtomicU64,
    pub dropped: AtomicU64,
}

/// A committed change.
#[derive(Debug, Clone)]
pub struct RecordEvent {
    pub collection: Arc<crate::schema::Collection>,
    pub id: String,
    /// `create`, `update` or `delete`.
    pub action: &'static str,
}

/// The connected clients.
#[derive(Default)]
pub struct Hub {
    clients: RwLock<HashMap<String, Arc<Client>>>,
    pub stats: Stats,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SubscribeError {
    #[error("Missing or invalid client id.")]
    UnknownClient,
    #[error("The current and the previous request authorization don't match.")]
    AuthChanged,
    #[error("invalid subscriptions")]
    Invalid(FieldErrors),
}

impl Hub {
    /// Registers a new client and returns it with the receiving end of its queue.
    pub fn connect(&self, ip: IpAddr) -> (Arc<Client>, mpsc::Receiver<Message>) {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let id = crate::ids::random_from(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 40);
        let client =
            Arc::new(Client { id: id.clone(), ip, connected: Instant::now(), sender, state: RwLock::default() });
        if let Ok(mut clients) = self.clients.write() {
            clients.insert(id, client.clone());
        }
        (client, receiver)
    }

    pub fn disconnect(&self, id: &str) {
        if let Ok(mut clients) = self.clients.write() {
            clients.remove(id);
        }
    }

    pub fn client(&self, id: &str) -> Option<Arc<Client>> {
        self.clients.read().ok().and_then(|c| c.get(id).cloned())
    }

    pub fn clients(&self) -> Vec<Arc<Client>> {
        self.clients.read().map(|c| c.values().cloned().collect()).unwrap_or_default()
    }

    pub fn client_count(&self) -> usize {
        self.clients.read().map(|c| c.len()).unwrap_or(0)
    }

    pub fn subscription_count(&self) -> usize {
        self.clients().iter().map(|c| c.subscriptions().len()).sum()
    }

    /// Replaces a client's subscriptions (PocketBase's POST /api/realtime).
    pub fn set_subscriptions(
        &self,
        client_id: &str,
        ip: IpAddr,
        auth: Option<AuthInfo>,
        topics: &[String],
    ) -> Result<(), SubscribeError> {
        let client = self.client(client_id).ok_or(SubscribeError::UnknownClient)?;
        if client.ip != ip {
            return Err(SubscribeError::UnknownClient);
        }
        if topics.len() > MAX_SUBSCRIPTIONS {
            let message = format!("The length must be no more than {MAX_SUBSCRIPTIONS}.");
            return Err(SubscribeError::Invalid(FieldErrors::single("subscriptions", code::LENGTH_TOO_LONG, message)));
        }
        let mut parsed = Vec::with_capacity(topics.len());
        for (i, t) in topics.iter().enumerate() {
            if t.len() > MAX_TOPIC_LEN {
                let message = format!("The length must be no more than {MAX_TOPIC_LEN}.");
                let at = FieldErrors::single(&i.to_string(), code::LENGTH_TOO_LONG, message);
                return Err(SubscribeError::Invalid(FieldErrors::nested("subscriptions", at)));
            }
            parsed.push(Subscription::parse(t));
        }
        let mut state = client.state.write().map_err(|_| SubscribeError::UnknownClient)?;
        match (&state.auth, &auth) {
            (Some(old), Some(new)) if old.id != new.id || old.collection_id != new.collection_id => {
                return Err(SubscribeError::AuthChanged);
            }
            (Some(_), None) => return Err(SubscribeError::AuthChanged),
            _ => {}
        }
        if auth.is_some() {
            state.auth = auth;
        }
        state.subscriptions = parsed.into();
        Ok(())
    }

    /// Sends `message` to `client`; a stuck client is disconnected.
    pub fn deliver(&self, client: &Client, message: Message) {
        if client.send(message) {
            self.stats.delivered.fetch_add(1, Ordering::Relaxed);
        } else {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::info!(client = %client.id, "realtime client is not keeping up; disconnecting it");
            self.disconnect(&client.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip() -> IpAddr {
        IpAddr::from([127, 0, 0, 1])
    }

    fn auth(id: &str) -> AuthInfo {
        AuthInfo {
            collection_id: "users".into(),
            collection_name: "users".into(),
            id: id.into(),
            superuser: false,
            key: None,
        }
    }

    #[test]
    fn subscriptions_bind_auth_and_replace() {
        let hub = Hub::default();
        let (client, _rx) = hub.connect(ip());
        assert_eq!(hub.set_subscriptions("nope", ip(), None, &[]), Err(SubscribeError::UnknownClient));
        assert_eq!(
            hub.set_subscriptions(&client.id, IpAddr::from([10, 0, 0, 1]), None, &[]),
            Err(SubscribeError::UnknownClient)
        );
        hub.set_subscriptions(&client.id, ip(), None, &["posts/*".into()]).expect("guest");
        hub.set_subscriptions(&client.id, ip(), Some(auth("a")), &["posts/*".into(), "posts/x".into()])
            .expect("upgrade");
        assert_eq!(client.subscriptions().len(), 2);
        assert_eq!(hub.set_subscriptions(&client.id, ip(), Some(auth("b")), &[]), Err(SubscribeError::AuthChanged));
        assert_eq!(hub.set_subscriptions(&client.id, ip(), None, &[]), Err(SubscribeError::AuthChanged));
        let too_many: Vec<String> = (0..=MAX_SUBSCRIPTIONS).map(|i| format!("t{i}")).collect();
        assert!(matches!(
            hub.set_subscriptions(&client.id, ip(), Some(auth("a")), &too_many),
            Err(SubscribeError::Invalid(_))
        ));
    }

    #[test]
    fn stuck_clients_are_disconnected() {
        let hub = Hub::default();
        let (client, _rx) = hub.connect(ip());
        for _ in 0..QUEUE {
            hub.deliver(&client, Message { event: "e".into(), data: "{}".into() });
        }
        assert_eq!(hub.client_count(), 1);
        hub.deliver(&client, Message { event: "e".into(), data: "{}".into() });
        assert_eq!(hub.client_count(), 0, "the queue was full");
        assert_eq!(hub.stats.dropped.load(Ordering::Relaxed), 1);
    }
}
