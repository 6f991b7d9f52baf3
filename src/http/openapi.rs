//! The OpenAPI document: the compile-time spec of the fixed API (poem-openapi), plus the routes
//! poem-openapi cannot declare (static files), merged into one JSON value. User collections
//! will be merged into the same value at runtime. Served at `/api/openapi.json`, shown by
//! Swagger UI at `/api/docs`, printed by `croft openapi`.

use std::sync::{Arc, OnceLock};

use poem_openapi::payload::{Html, Json};
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::{Value, json};

use super::ApiTags;

/// Routes outside poem-openapi, registered by `http::routes` from this same table.
pub struct ExtraRoute {
    /// The documented path template.
    pub path: &'static str,
    /// Where the router mounts it (everything below this prefix).
    pub mount: &'static str,
    pub methods: &'static [&'static str],
    pub operation: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
}

pub const EXTRA_ROUTES: &[ExtraRoute] = &[
    ExtraRoute {
        path: "/_/{path}",
        mount: "/_",
        methods: &["get", "head"],
        operation: "dashboard_file",
        tag: "Dashboard",
        summary: "The admin dashboard",
        description: "Static files of the embedded dashboard; unknown paths without an extension fall back to index.html.",
    },
    ExtraRoute {
        path: "/metrics",
        mount: "/metrics",
        methods: &["get"],
        operation: "metrics",
        tag: "Metrics",
        summary: "Prometheus metrics",
        description: "Metrics in the Prometheus text format. Off on this listener unless `metrics_token` is set (then send `Authorization: Bearer <token>`); `--metrics-http ADDR` serves them on a listener of their own without a token.",
    },
    ExtraRoute {
        path: "/.well-known/acme-challenge/{path}",
        mount: "/.well-known/acme-challenge",
        methods: &["get"],
        operation: "acme_challenge",
        tag: "TLS",
        summary: "ACME HTTP-01 challenge",
        description: "The key authorization of a pending HTTP-01 challenge while Croft obtains a certificate over ACME (`croft serve DOMAIN`); 404 otherwise. Answered on the plain HTTP listener, which redirects everything else to HTTPS.",
    },
    ExtraRoute {
        path: "/{path}",
        mount: "/",
        methods: &["get", "head"],
        operation: "public_file",
        tag: "Public site",
        summary: "The team's frontends",
        description: "Static sites: the root site of --public-dir and one site per --mount PREFIX=DIR (the longest matching prefix wins; /api, /_, /metrics and /.well-known are never a mount's). Per site: SPA fallback to its index.html for paths without an extension, 404 for missing files with one; `/PREFIX` redirects to `/PREFIX/`; strong ETag and Last-Modified with 304; a year of immutable caching for content-hashed names, no-cache otherwise; precompressed `.br`/`.gz` siblings by Accept-Encoding; `index.<lang>.html` or `/<lang>/` directories chosen by Accept-Language; nosniff, Referrer-Policy and the configured Content-Security-Policy. Without --public-dir, `/` redirects to the dashboard and other paths outside the mounts are 404.",
    },
];

/// The finished document and the Swagger UI page, built once the service exists.
pub struct Docs {
    pub html: String,
    pub document: Value,
}

pub type DocsCell = Arc<OnceLock<Docs>>;

/// Builds the merged document from poem-openapi's spec.
pub fn build<T: OpenApi, W: poem_openapi::Webhook>(service: &poem_openapi::OpenApiService<T, W>) -> Docs {
    let spec = service.spec();
    let mut document: Value = serde_json::from_str(&spec).unwrap_or_else(|_| json!({}));
    add_extra_routes(&mut document);
    describe_shapes(&mut document);
    Docs { html: swagger_html(service, &spec), document }
}

/// What poem-openapi cannot say from the types: the field errors inside PocketBase's error body
/// and the messages of the realtime stream.
fn describe_shapes(document: &mut Value) {
    let Some(schemas) = document.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    schemas.insert(
        "FieldError".into(),
        json!({"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "example": "validation_required"},
            "message": {"type": "string", "example": "Cannot be blank."}}}),
    );
    if let Some(data) = schemas.get_mut("ErrorBody").and_then(|e| e.pointer_mut("/properties/data")) {
        *data = json!({"type": "object", "description": "Field errors keyed by field name (`{field: {code, message}}`), or other details; `{}` when there are none.",
            "additionalProperties": {"anyOf": [{"$ref": "#/components/schemas/FieldError"}, {}]}});
    }
    schemas.insert(
        "Record".into(),
        json!({"type": "object", "required": ["id", "collectionId", "collectionName"], "additionalProperties": true,
            "description": "A record of any collection: its fields besides these keys (each collection's own `<Name>Record` schema lists them).",
            "properties": {"id": {"type": "string"}, "collectionId": {"type": "string"}, "collectionName": {"type": "string"},
                "expand": {"type": "object", "additionalProperties": true}}}),
    );
    // The envelope is shared with other lists; the records' own has records in it.
    if let Some(mut page) = schemas.get("RecordList").cloned() {
        page["properties"]["items"]["items"] = json!({"$ref": "#/components/schemas/Record"});
        page["title"] = json!("RecordPage");
        schemas.insert("RecordPage".into(), page);
    }
    for (path, method, schema) in [
        ("records", "get", "RecordPage"),
        ("records", "post", "Record"),
        ("records~1{id}", "get", "Record"),
        ("records~1{id}", "patch", "Record"),
    ] {
        let pointer = format!("/paths/~1api~1collections~1{{collection}}~1{path}/{method}/responses/200/content");
        if let Some(content) = document.pointer_mut(&pointer).and_then(Value::as_object_mut) {
            for media in content.values_mut() {
                media["schema"] = json!({"$ref": format!("#/components/schemas/{schema}")});
            }
        }
    }
    let Some(schemas) = document.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    schemas.insert(
        "RealtimeConnect".into(),
        json!({"type": "object", "required": ["clientId"], "description": "The data of the stream's first message, `PB_CONNECT`.",
            "properties": {"clientId": {"type": "string"}}}),
    );
    if let Some(get) = document.pointer_mut("/paths/~1api~1realtime/get") {
        get["x-croft-events"] = json!({
            "PB_CONNECT": {"$ref": "#/components/schemas/RealtimeConnect"},
            "<collection>/<topic>": {"description": "A record change: `{Collection}Event` of that collection (`action` and `record`)."}});
    }
}

fn add_extra_routes(document: &mut Value) {
    let paths = document.as_object_mut().and_then(|d| d.get_mut("paths")).and_then(Value::as_object_mut);
    let Some(paths) = paths else { return };
    for route in EXTRA_ROUTES {
        let mut item = serde_json::Map::new();
        for method in route.methods {
            item.insert(
                (*method).to_owned(),
                json!({
                    "tags": [route.tag],
                    "summary": route.summary,
                    "description": route.description,
                    "operationId": format!("{method}_{}", route.operation),
                    "parameters": parameters(route),
                    "responses": responses(route),
                }),
            );
        }
        paths.insert(route.path.to_owned(), Value::Object(item));
    }
}

fn parameters(route: &ExtraRoute) -> Value {
    if !route.path.contains("{path}") {
        return json!([]);
    }
    json!([{"name": "path", "in": "path", "required": true, "schema": {"type": "string"},
            "description": "File path; may contain slashes."}])
}

fn responses(route: &ExtraRoute) -> Value {
    let error = json!({"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}});
    if !route.path.contains("{path}") {
        return json!({
            "200": {"description": "The metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}},
            "401": {"description": "A token is configured and the request did not send it.", "content": error},
            "404": {"description": "No token is configured for this listener.", "content": error}
        });
    }
    let mut answers = json!({
        "200": {"description": "The file.", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
        "304": {"description": "Not modified (ETag matched)."},
        "404": {"description": "No such file.", "content": error}
    });
    if route.operation == "public_file" {
        answers["301"] = json!({"description": "A mount or directory without its trailing slash: `/it` to `/it/`."});
        answers["302"] = json!({"description": "To the dashboard (no --public-dir), or to the `/<lang>/` directory Accept-Language chose."});
        answers["206"] = json!({"description": "The requested byte range."});
    }
    answers
}

/// poem-openapi's Swagger UI page inlines the spec it was built with; make it load
/// `/api/openapi.json` instead, so it always shows the current document.
fn swagger_html<T: OpenApi, W: poem_openapi::Webhook>(
    service: &poem_openapi::OpenApiService<T, W>,
    spec: &str,
) -> String {
    service
        .swagger_ui_html()
        .replacen(spec, "null", 1)
        .replacen("spec: spec,", "url: '/api/openapi.json',", 1)
        .replacen("<title>Swagger UI</title>", "<title>Croft API</title>", 1)
}

/// Methods allowed per path template, for `Allow` headers on 405 and route labels of metrics.
pub struct RouteTable(Vec<(Vec<String>, Vec<String>, String)>);

impl RouteTable {
    pub fn from_document(document: &Value) -> Self {
        let paths = document.get("paths").and_then(Value::as_object);
        let routes = paths
            .into_iter()
            .flatten()
            .map(|(path, item)| {
                let segments = path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
                let methods =
                    item.as_object().map(|m| m.keys().map(|k| k.to_uppercase()).collect()).unwrap_or_default();
                (segments, methods, path.clone())
            })
            .collect();
        Self(routes)
    }

    /// The API templates `path` matches.
    fn matching<'a>(&'a self, path: &str) -> impl Iterator<Item = &'a (Vec<String>, Vec<String>, String)> {
        let segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        self.0.iter().filter(move |(template, _, _)| {
            template.len() == segments.len()
                && template.first().is_some_and(|t| t == "api")
                && template.iter().zip(&segments).all(|(t, s)| (t.starts_with('{') && t.ends_with('}')) || t == s)
        })
    }

    /// The template of the route `path` belongs to (the most literal match), for metrics:
    /// `/api/collections/{collection}/records/{id}`; `other` outside the API.
    pub fn template(&self, path: &str) -> &str {
        let literal = |t: &Vec<String>| t.iter().filter(|s| !s.starts_with('{')).count();
        match self.matching(path).max_by_key(|(t, _, _)| literal(t)) {
            Some((_, _, template)) => template,
            None if path.starts_with("/_/") || path == "/_" => "/_/{path}",
            None if path == "/metrics" => "/metrics",
            None if path.starts_with("/api/") => "/api/{unknown}",
            None => "/{path}",
        }
    }

    /// `GET, HEAD` for a path that matches a template, without wildcard templates.
    pub fn allow(&self, path: &str) -> Option<String> {
        let mut methods: Vec<&str> = self.matching(path).flat_map(|(_, m, _)| m.iter().map(String::as_str)).collect();
        methods.sort_unstable();
        methods.dedup();
        (!methods.is_empty()).then(|| methods.join(", "))
    }
}

pub struct DocsApi {
    pub docs: DocsCell,
}

#[derive(ApiResponse)]
pub enum DocsPage {
    /// The Swagger UI page.
    #[oai(status = 200)]
    Page(Html<String>),
}

#[OpenApi(prefix_path = "/api", tag = ApiTags::Docs)]
impl DocsApi {
    /// The OpenAPI document.
    ///
    /// Every route of this server, including the static-file routes, plus typed paths for every
    /// collection as it is right now.
    #[oai(path = "/openapi.json", method = "get", operation_id = "get_openapi")]
    async fn get_openapi(&self, state: poem::web::Data<&crate::app::AppState>) -> Json<Value> {
        let mut document = self.docs.get().map(|d| d.document.clone()).unwrap_or_default();
        super::openapi_collections::merge(&mut document, &state.schema.snapshot());
        Json(document)
    }

    /// Swagger UI.
    ///
    /// An interactive view of `/api/openapi.json`.
    #[oai(path = "/docs", method = "get", operation_id = "get_docs")]
    async fn get_docs(&self) -> DocsPage {
        DocsPage::Page(Html(self.docs.get().map(|d| d.html.clone()).unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_matches_templates() {
        let doc = json!({"paths": {
            "/api/health": {"get": {}, "head": {}},
            "/api/crons/{id}": {"post": {}},
            "/{path}": {"get": {}}
        }});
        let table = RouteTable::from_document(&doc);
        assert_eq!(table.allow("/api/health").as_deref(), Some("GET, HEAD"));
        assert_eq!(table.allow("/api/crons/x").as_deref(), Some("POST"));
        assert_eq!(table.allow("/api/crons/x/y"), None);
        assert_eq!(table.allow("/index.html"), None);
    }
}
