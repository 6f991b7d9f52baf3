//! HTTP: the router, one file per resource. Handlers are thin: they parse, call the domain,
//! and shape the answer; errors map through `error.rs`.

mod assets;
mod auth;
mod crons;
pub mod error;
mod health;
mod middleware;
pub mod openapi;
mod records_auth;

use std::sync::{Arc, OnceLock};

use poem::endpoint::EndpointExt;
use poem::middleware::{CatchPanic, Cors};
use poem::{Endpoint, Response, Route, get};
use poem_openapi::{OpenApiService, Tags};
use serde_json::Value;

use crate::app::AppState;
use crate::config::Config;
use openapi::{Docs, DocsApi, DocsCell, RouteTable};

#[derive(Tags)]
pub enum ApiTags {
    /// Liveness and readiness.
    Health,
    /// Signing in to auth collections.
    Auth,
    /// Scheduled jobs.
    Jobs,
    /// This document and Swagger UI.
    Docs,
}

type Apis = (
    health::HealthApi,
    records_auth::RecordAuthApi,
    crons::CronsApi,
    DocsApi,
);

/// The poem-openapi service with every declared route, and the cell its docs go into.
fn api_service() -> (OpenApiService<Apis, ()>, DocsCell) {
    let docs: DocsCell = Arc::new(OnceLock::new());
    let apis = (
        health::HealthApi,
        records_auth::RecordAuthApi,
        crons::CronsApi,
        DocsApi { docs: docs.clone() },
    );
    let service = OpenApiService::new(apis, "Croft", env!("CARGO_PKG_VERSION"))
        .description("A PocketBase-compatible backend. Authenticate with `Authorization: <token>` (or `Bearer <token>`).");
    let built = openapi::build(&service);
    let _ = docs.set(built);
    (service, docs)
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi_document(_config: &Config) -> Value {
    let (_, docs) = api_service();
    docs.get()
        .map(|d: &Docs| d.document.clone())
        .unwrap_or_default()
}

/// Every route of the server, with its middleware.
pub fn routes(state: &AppState) -> anyhow::Result<impl Endpoint<Output = Response> + 'static> {
    let (service, docs) = api_service();
    let table = Arc::new(RouteTable::from_document(
        docs.get().map(|d| &d.document).unwrap_or(&Value::Null),
    ));
    let mut route = Route::new()
        .nest_no_strip("/api", service)
        .nest_no_strip("/_", get(assets::dashboard).head(assets::dashboard));
    route = match &state.config.public_dir {
        Some(dir) => {
            if !dir.is_dir() {
                anyhow::bail!(
                    "--public-dir {} is not a directory; create it or drop the flag",
                    dir.display()
                );
            }
            route.nest_no_strip("/", assets::PublicDir { root: dir.clone() })
        }
        None => route.at("/", get(assets::root_redirect).head(assets::root_redirect)),
    };
    let limit = state.config.body_limit;
    // Innermost first. Errors are shaped inside CORS so browsers can read them, and once more
    // outside it for CORS's own refusals.
    let inner = route
        .around(move |ep, req| middleware::body_limit(ep, req, limit))
        .with(CatchPanic::new().with_handler(middleware::panic_response));
    let shaped = middleware::errors(inner, table.clone())
        .around(middleware::gzip)
        .with(cors(&state.config.origins));
    let endpoint = middleware::errors(shaped, table)
        .around(middleware::request_id)
        .data(state.clone());
    Ok(endpoint)
}

fn cors(origins: &[String]) -> Cors {
    let cors = Cors::new().allow_credentials(false).max_age(86400);
    if origins.iter().any(|o| o == "*") {
        cors
    } else {
        cors.allow_origins(origins.iter().map(String::as_str))
    }
}
