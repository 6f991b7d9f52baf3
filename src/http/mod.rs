//! HTTP: the router, one file per resource. Handlers are thin: they parse, call the domain,
//! and shape the answer; errors map through `error.rs`.

mod apikeys;
mod assets;
mod auth;
mod backups;
mod batch;
mod body;
mod collections;
mod crons;
pub mod edge;
pub mod error;
mod fields;
mod files;
mod frontends;
mod frontends_file;
mod frontends_site;
mod health;
pub mod limits;
mod logs;
pub mod metrics;
mod middleware;
mod negotiate;
pub mod openapi;
mod openapi_collections;
mod realtime;
mod records;
mod records_auth;
mod records_auth_email;
mod request;
mod settings;
mod sql;
mod static_files;

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
    /// Records of collections.
    Records,
    /// Collection administration.
    Collections,
    /// Application settings.
    Settings,
    /// Live record changes over server-sent events.
    Realtime,
    /// Scheduled jobs.
    Jobs,
    /// API keys for machines.
    Keys,
    /// Backups and restores.
    Backups,
    /// Request logs.
    Logs,
    /// This document and Swagger UI.
    Docs,
}

type Apis = (
    (
        health::HealthApi,
        records_auth::RecordAuthApi,
        records_auth::OAuth2RedirectApi,
        records_auth::InstallerApi,
        records_auth_email::RecordAuthEmailApi,
        records::RecordsApi,
        batch::BatchApi,
        files::FilesApi,
        collections::CollectionsApi,
        settings::SettingsApi,
        realtime::RealtimeApi,
        crons::CronsApi,
    ),
    (apikeys::KeysApi, sql::SqlApi, backups::BackupsApi, logs::LogsApi, DocsApi),
);

/// The poem-openapi service with every declared route, and the cell its docs go into.
fn api_service() -> (OpenApiService<Apis, ()>, DocsCell) {
    let docs: DocsCell = Arc::new(OnceLock::new());
    let apis = (
        (
            health::HealthApi,
            records_auth::RecordAuthApi,
            records_auth::OAuth2RedirectApi,
            records_auth::InstallerApi,
            records_auth_email::RecordAuthEmailApi,
            records::RecordsApi,
            batch::BatchApi,
            files::FilesApi,
            collections::CollectionsApi,
            settings::SettingsApi,
            realtime::RealtimeApi,
            crons::CronsApi,
        ),
        (apikeys::KeysApi, sql::SqlApi, backups::BackupsApi, logs::LogsApi, DocsApi { docs: docs.clone() }),
    );
    let service = OpenApiService::new(apis, "Croft", env!("CARGO_PKG_VERSION")).description(
        "A PocketBase-compatible backend. Authenticate with `Authorization: <token>` (or `Bearer <token>`).",
    );
    let built = openapi::build(&service);
    let _ = docs.set(built);
    (service, docs)
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi_document(_config: &Config) -> Value {
    let (_, docs) = api_service();
    docs.get().map(|d: &Docs| d.document.clone()).unwrap_or_default()
}

/// Adds the typed paths of `schema`'s collections to a document.
pub fn merge_collections(document: &mut Value, schema: &crate::schema::Schema) {
    openapi_collections::merge(document, schema);
}

/// The bare router: the poem-openapi service plus [`openapi::EXTRA_ROUTES`], no middleware.
/// Every route it serves is in the returned document's route table.
pub fn router(state: &AppState) -> anyhow::Result<(Route, Arc<RouteTable>)> {
    let (service, docs) = api_service();
    let table = Arc::new(RouteTable::from_document(docs.get().map(|d| &d.document).unwrap_or(&Value::Null)));
    let mut route = Route::new().nest_no_strip("/api", service);
    for extra in openapi::EXTRA_ROUTES {
        route = route.nest_no_strip(extra.mount, extra_endpoint(extra.operation, state)?);
    }
    Ok((route, table))
}

fn extra_endpoint(operation: &str, state: &AppState) -> anyhow::Result<poem::endpoint::BoxEndpoint<'static>> {
    Ok(match operation {
        "dashboard_file" => get(assets::dashboard).head(assets::dashboard).boxed(),
        "public_file" => frontends::Frontends::new(&state.config)?.boxed(),
        "metrics" => get(metrics::guarded).boxed(),
        "acme_challenge" => get(edge::acme_challenge).boxed(),
        other => anyhow::bail!("no endpoint for the extra route {other}"),
    })
}

/// Every route of the server, with its middleware, as `listener` serves them: over HTTPS with
/// HSTS and the `www.` redirect when TLS is on, without the admin surface on a public listener.
pub fn routes(state: &AppState, listener: edge::Listener) -> anyhow::Result<poem::endpoint::BoxEndpoint<'static>> {
    let endpoint = all_routes(state)?;
    let endpoint = match listener {
        edge::Listener::Public => endpoint.around(edge::public_only).boxed(),
        edge::Listener::All | edge::Listener::Admin => endpoint.boxed(),
    };
    let config = Arc::new(state.config.clone());
    Ok(if state.tls.is_some() && listener != edge::Listener::Admin {
        endpoint.around(move |ep, req| edge::https_extras(ep, req, config.clone())).boxed()
    } else {
        endpoint
    })
}

/// The plain HTTP listener while TLS is on: ACME challenges and `/api/health`, redirects for
/// everything else.
/// `https_port` is the HTTPS listener's actual port.
pub fn redirect_routes(state: &AppState, https_port: u16) -> anyhow::Result<poem::endpoint::BoxEndpoint<'static>> {
    let config = Arc::new(state.config.clone());
    Ok(all_routes(state)?.around(move |ep, req| edge::to_https(ep, req, config.clone(), https_port)).boxed())
}

fn all_routes(state: &AppState) -> anyhow::Result<impl Endpoint<Output = Response> + 'static> {
    let (route, table) = router(state)?;
    let limits = state.clone();
    // Innermost first. Errors are shaped inside CORS so browsers can read them, and once more
    // outside it for CORS's own refusals.
    let inner = route
        .around(middleware::empty_body_is_json)
        .around(limits::rate_limit)
        .around(move |ep, req| {
            let limit = body_limit_for(&limits, &req);
            middleware::body_limit(ep, req, limit)
        })
        .with(CatchPanic::new().with_handler(middleware::panic_response))
        // Boxed so that the nested middleware types stay within the compiler's depth limit.
        .boxed();
    let shaped = middleware::errors(inner, table.clone())
        .around(fields::pick_fields)
        .around(middleware::gzip)
        .with(cors(&state.config.origins))
        .boxed();
    let endpoint = middleware::errors(shaped, table.clone())
        .around(move |ep, req| middleware::observe(ep, req, table.clone()))
        .data(state.clone());
    Ok(endpoint)
}

/// The server's body limit, plus room for the files a record write (or batch) may carry:
/// `maxSize × maxSelect` of every file field it can reach, as PocketBase computes it.
fn body_limit_for(state: &AppState, req: &poem::Request) -> u64 {
    let base = state.config.body_limit;
    if !matches!(*req.method(), poem::http::Method::POST | poem::http::Method::PATCH) {
        return base;
    }
    let parts: Vec<&str> = req.uri().path().trim_matches('/').split('/').collect();
    let schema = state.schema.snapshot();
    let files = |c: &crate::schema::Collection| -> u64 {
        c.fields
            .iter()
            .filter_map(|f| match &f.kind {
                crate::schema::FieldKind::File(o) => {
                    Some(crate::records::files::max_size(o).saturating_mul(o.max_select.max(1) as u64))
                }
                _ => None,
            })
            .fold(0u64, u64::saturating_add)
    };
    let extra = match parts.as_slice() {
        ["api", "collections", c, "records", ..] => schema.get(c).map_or(0, |c| files(c)),
        ["api", "batch"] => schema.all().iter().map(|c| files(c)).fold(0u64, u64::saturating_add),
        // Backups are as large as the data (PocketBase sets no limit either).
        ["api", "backups", "upload"] => u64::MAX,
        _ => 0,
    };
    base.saturating_add(extra)
}

fn cors(origins: &[String]) -> Cors {
    let cors = Cors::new().allow_credentials(false).max_age(86400);
    if origins.iter().any(|o| o == "*") { cors } else { cors.allow_origins(origins.iter().map(String::as_str)) }
}
