//! From a committed record change to SSE messages, per client and per subscription: the topic
//! matches, the collection's listRule (`coll/*`) or viewRule (`coll/id`) passes for the client's
//! own auth, the subscription's `filter` passes, then its `expand` and `fields` shape the record.
//! One message per matching subscription, named by the subscription string.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use super::Records;
use crate::filter::RequestInfo;
use crate::realtime::{Client, Message, Prepared, RecordEvent, Subscription};
use crate::records::{self, MAIN};
use crate::schema::Collection;
use crate::sql::{SqlBuilder, SqlQuery, SqlValue, ident};

/// Hands a committed create or update to the broker; subscribers get it off the request's path.
pub fn publish(state: &Records, event: RecordEvent) {
    state.realtime.stats.published.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if state.realtime.client_count() > 0 {
        state.broker.publish(event);
    }
}

/// Delivers one event to this replica's subscribers (the broker's fan-out loop calls it).
pub async fn fan_out(state: &Records, event: &RecordEvent) {
    for (client, message) in messages(state, event).await {
        state.realtime.deliver(&client, message);
    }
}

/// Builds the delete messages while the record still exists; send them after the commit.
pub async fn prepare_delete(state: &Records, collection: &Arc<Collection>, id: &str) -> Prepared {
    if state.realtime.client_count() == 0 {
        return Vec::new();
    }
    let event = RecordEvent { collection: collection.clone(), id: id.to_owned(), action: "delete" };
    messages(state, &event).await
}

/// Sends prepared messages (delete events after their commit).
pub fn send_prepared(state: &Records, prepared: Prepared) {
    state.realtime.stats.published.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    for (client, message) in prepared {
        state.realtime.deliver(&client, message);
    }
}

async fn messages(state: &Records, event: &RecordEvent) -> Vec<(Arc<Client>, Message)> {
    let c = &event.collection;
    let mut out = Vec::new();
    // Clients with the same identity and subscription options get the same payload.
    let mut rendered: HashMap<String, Option<Arc<str>>> = HashMap::new();
    for client in state.realtime.clients() {
        let auth = client.auth();
        for sub in client.subscriptions().iter().filter(|s| s.matches(&c.id, &c.name, &event.id)) {
            let key = format!(
                "{:?}\u{0}{}\u{0}{:?}\u{0}{:?}",
                auth.as_ref().map(|a| &a.id),
                sub.record.is_some(),
                sub.query,
                sub.headers
            );
            let data = match rendered.get(&key) {
                Some(d) => d.clone(),
                None => {
                    let d = render(state, event, sub, auth.clone()).await.map(Arc::from);
                    rendered.insert(key, d.clone());
                    d
                }
            };
            if let Some(data) = data {
                out.push((client.clone(), Message { event: sub.raw.clone(), data }));
            }
        }
    }
    out
}

/// The message data for one subscriber, or `None` when its rules or filter hide the record.
async fn render(
    state: &Records,
    event: &RecordEvent,
    sub: &Subscription,
    auth: Option<crate::filter::AuthInfo>,
) -> Option<String> {
    let c = &event.collection;
    let req = RequestInfo {
        context: "realtime".into(),
        method: "GET".into(),
        headers: sub.headers.clone(),
        query: sub.query.clone(),
        body: serde_json::Map::new(),
        auth,
    };
    let rule = if sub.record.is_some() { c.rules.view_rule.as_deref() } else { c.rules.list_rule.as_deref() };
    if rule.is_none() && !req.is_superuser() {
        return None;
    }
    if !req.key_allows(&c.name, &c.id, if sub.record.is_some() { "view" } else { "list" }) {
        return None;
    }
    let schema = state.schema.snapshot();
    let mut sql = SqlBuilder::new(state.store.dialect());
    // The subscription's filter is a client filter: @request/@collection only for superusers.
    let filter = sub.query.get("filter").map(String::as_str).filter(|f| !f.trim().is_empty());
    let q = crate::filter::compile_query(&mut sql, &schema, c, MAIN, filter, None, &req).ok()?;
    let check = crate::filter::rule_check(&mut sql, &schema, c, &format!("{MAIN}.\"id\""), rule, &req).ok()?;
    let id = sql.param(SqlValue::Text(event.id.clone()));
    let mut conditions = vec![format!("{MAIN}.\"id\" = {id}"), check];
    conditions.extend(q.where_sql);
    let select = format!(
        "SELECT {} FROM {} {MAIN} {} WHERE {} LIMIT 1",
        records::columns(c, MAIN),
        ident(&c.name),
        q.joins,
        conditions.join(" AND ")
    );
    let rows = state.store.query(SqlQuery { sql: select, params: sql.params }).await.ok()?;
    let mut record = records::export(c, rows.first()?, &req);
    if let Some(expand) = sub.query.get("expand").filter(|e| !e.is_empty()) {
        records::expand_records(state, &schema, c, std::slice::from_mut(&mut record), expand, &req).await.ok()?;
    }
    if let Some(fields) = sub.query.get("fields").filter(|f| !f.is_empty()) {
        crate::picker::apply(&mut record, fields);
    }
    Some(json!({"action": event.action, "record": record}).to_string())
}
