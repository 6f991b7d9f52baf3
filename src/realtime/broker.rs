//! Where committed changes go before they reach subscribers. The in-process broker hands them
//! to this replica's fan-out loop, in publish order; a PostgreSQL LISTEN/NOTIFY broker will hand
//! them to the loop of every replica, with nothing above this interface changing.

use std::sync::Mutex;

use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::RecordEvent;

/// Hands one event to this replica's subscribers.
pub type Deliver = Box<dyn Fn(RecordEvent) -> BoxFuture<'static, ()> + Send + Sync>;

pub trait Broker: Send + Sync {
    /// Queues a committed change for delivery; never blocks the writer.
    fn publish(&self, event: RecordEvent);
    /// Starts the loop that calls `deliver` for every published event, in order, until
    /// `shutdown`; `None` if it was started already.
    fn start(&self, shutdown: CancellationToken, deliver: Deliver) -> Option<tokio::task::JoinHandle<()>>;
}

/// The single-process broker.
pub struct LocalBroker {
    sender: mpsc::UnboundedSender<RecordEvent>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<RecordEvent>>>,
}

impl Default for LocalBroker {
    fn default() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self { sender, receiver: Mutex::new(Some(receiver)) }
    }
}

impl Broker for LocalBroker {
    fn publish(&self, event: RecordEvent) {
        let _ = self.sender.send(event);
    }

    fn start(&self, shutdown: CancellationToken, deliver: Deliver) -> Option<tokio::task::JoinHandle<()>> {
        let mut receiver = self.receiver.lock().ok()?.take()?;
        Some(tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    event = receiver.recv() => match event {
                        Some(event) => deliver(event).await,
                        None => return,
                    },
                }
            }
        }))
    }
}
