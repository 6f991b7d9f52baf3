//! `GET /api/realtime` (the SSE stream) and `POST /api/realtime` (set subscriptions), as
//! PocketBase and its SDKs speak them; plus Croft's `GET /api/realtime/stats`.

use std::net::IpAddr;
use std::time::Duration;

use futures_util::stream::{self, BoxStream, StreamExt};
use poem::Request;
use poem::web::Data;
use poem::web::sse::Event;
use poem_openapi::payload::{EventStream, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::json;
use tokio::sync::mpsc;

use super::ApiTags;
use super::auth::{MaybeAuth, TokenAuth};
use super::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::realtime::{Message, SubscribeError};

/// PocketBase closes streams that stay silent this long…
const IDLE: Duration = Duration::from_secs(5 * 60);
/// …and every stream after this long; the SDKs reconnect and resubscribe.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Comment lines that keep proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(25);

pub struct RealtimeApi;

/// One SSE message (`event:` is the subscription, `data:` one line of JSON).
#[derive(Debug, Object)]
pub struct SseMessage {
    pub event: String,
    pub data: String,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SubscribeBody {
    #[oai(default)]
    pub client_id: String,
    #[oai(default)]
    pub subscriptions: Vec<String>,
}

#[derive(Debug, Object)]
pub struct RealtimeStats {
    pub clients: u64,
    pub subscriptions: u64,
    pub published: u64,
    pub delivered: u64,
    pub dropped: u64,
}

#[derive(ApiResponse)]
pub enum Subscribed {
    /// The subscriptions were replaced.
    #[oai(status = 204)]
    Done,
}

fn client_ip(req: &Request) -> IpAddr {
    req.remote_addr().as_socket_addr().map_or(IpAddr::from([0, 0, 0, 0]), std::net::SocketAddr::ip)
}

/// Removes the client when its stream is dropped (the connection closed).
struct Connection {
    state: AppState,
    id: String,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.state.realtime.disconnect(&self.id);
    }
}

struct Stream {
    conn: Connection,
    receiver: mpsc::Receiver<Message>,
    first: Option<Message>,
    deadline: tokio::time::Instant,
}

fn messages(state: AppState, ip: IpAddr) -> (String, BoxStream<'static, SseMessage>) {
    let (client, receiver) = state.realtime.connect(ip);
    let id = client.id.clone();
    let first = Message { event: "PB_CONNECT".into(), data: json!({"clientId": id}).to_string().into() };
    let start = Stream {
        conn: Connection { state, id: id.clone() },
        receiver,
        first: Some(first),
        deadline: tokio::time::Instant::now() + MAX_LIFETIME,
    };
    let stream = stream::unfold(start, |mut s| async move {
        if let Some(first) = s.first.take() {
            return Some((SseMessage { event: first.event, data: first.data.to_string() }, s));
        }
        let shutdown = s.conn.state.shutdown.clone();
        tokio::select! {
            () = shutdown.cancelled() => None,
            () = tokio::time::sleep_until(s.deadline) => None,
            () = tokio::time::sleep(IDLE) => None,
            next = s.receiver.recv() => next.map(|m| (SseMessage { event: m.event, data: m.data.to_string() }, s)),
        }
    });
    (id, stream.boxed())
}

#[OpenApi(prefix_path = "/api/realtime", tag = ApiTags::Realtime)]
impl RealtimeApi {
    /// Open the realtime stream.
    ///
    /// Server-sent events. The first is `PB_CONNECT` with `{"clientId"}`; every message carries
    /// the client id as its `id:`, the subscription string as its `event:` and one line of JSON.
    #[oai(path = "/", method = "get", operation_id = "realtime_connect")]
    async fn realtime_connect(
        &self,
        state: Data<&AppState>,
        req: &Request,
    ) -> EventStream<BoxStream<'static, SseMessage>> {
        let (id, stream) = messages(state.0.clone(), client_ip(req));
        EventStream::new(stream)
            .keep_alive(KEEP_ALIVE)
            .to_event(move |m| Event::message(m.data).event_type(m.event).id(id.clone()))
    }

    /// Set the subscriptions of a realtime client.
    ///
    /// Replaces the whole set. The token of the first authenticated request is bound to the
    /// client; later requests may not change it (a guest may sign in).
    #[oai(path = "/", method = "post", operation_id = "realtime_subscribe")]
    async fn realtime_subscribe(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        req: &Request,
        body: Json<SubscribeBody>,
    ) -> ApiResult<Subscribed> {
        if body.client_id.is_empty() {
            let blank = crate::error::FieldErrors::single("clientId", crate::error::code::REQUIRED, "Cannot be blank.");
            return Err(ApiError::invalid("Something went wrong while processing your request.", &blank));
        }
        let who = auth.principal().map(crate::auth::Principal::auth_info);
        state.realtime.set_subscriptions(&body.client_id, client_ip(req), who, &body.subscriptions).map_err(
            |e| match e {
                SubscribeError::UnknownClient => ApiError::not_found("Missing or invalid client id."),
                SubscribeError::AuthChanged => {
                    ApiError::forbidden("The current and the previous request authorization don't match.")
                }
                SubscribeError::Invalid(data) => ApiError::invalid("Failed to validate the submitted data.", &data),
            },
        )?;
        Ok(Subscribed::Done)
    }

    /// Realtime statistics.
    ///
    /// Connected clients, subscriptions, and events published, delivered and dropped (slow
    /// clients are disconnected). Superusers only.
    #[oai(path = "/stats", method = "get", operation_id = "realtime_stats")]
    async fn realtime_stats(&self, state: Data<&AppState>, auth: TokenAuth) -> ApiResult<Json<RealtimeStats>> {
        auth.require_superuser()?;
        let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        let s = &state.realtime.stats;
        Ok(Json(RealtimeStats {
            clients: state.realtime.client_count() as u64,
            subscriptions: state.realtime.subscription_count() as u64,
            published: load(&s.published),
            delivered: load(&s.delivered),
            dropped: load(&s.dropped),
        }))
    }
}
