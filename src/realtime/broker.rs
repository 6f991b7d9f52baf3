//! Where committed changes go before they reach subscribers. The in-process broker hands them
//! to this replica's fan-out loop, in publish order; a PostgreSQL LISTEN/NOTIFY broker will hand
//! them to the loop of every replica, with nothing above this interface changing.

use std::sync::Mutex;

use tokio::sync::mpsc;

use super::RecordEvent;
use crate::app::AppState;

pub trait Broker: Send + Sync {
    /// Queues a committed change for delivery; never blocks the writer.
    fn publish(&self, event: RecordEvent);
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
}

impl LocalBroker {
    /// Starts the fan-out loop (once); it ends with the server.
    pub fn start(&self, state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
        let mut receiver = self.receiver.lock().ok()?.take()?;
        let state = state.clone();
        Some(tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = state.shutdown.cancelled() => return,
                    event = receiver.recv() => match event {
                        Some(event) => super::deliver::fan_out(&state, &event).await,
                        None => return,
                    },
                }
            }
        }))
    }
}
