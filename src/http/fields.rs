//! The `fields` query parameter on every 2xx JSON response (see [`crate::picker`]).

use std::sync::Arc;

use poem::http::header;
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use serde_json::Value;

use super::request::url_pairs;

pub async fn pick_fields<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    // Only the API's answers: a frontend's JSON file is sent as it is (its ETag names those bytes).
    let api = req.uri().path().starts_with("/api/");
    let fields = req
        .uri()
        .query()
        .filter(|_| api)
        .and_then(|q| url_pairs(q).into_iter().rev().find(|(k, _)| k == "fields").map(|(_, v)| v));
    let resp = ep.call(req).await?.into_response();
    let Some(fields) = fields.filter(|f| !f.trim().is_empty()) else { return Ok(resp) };
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !resp.status().is_success() || !is_json {
        return Ok(resp);
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = body.into_bytes().await?;
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(Response::from_parts(parts, Body::from(bytes)));
    };
    crate::picker::apply(&mut value, &fields);
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Response::from_parts(parts, Body::from(serde_json::to_vec(&value).unwrap_or_default())))
}
