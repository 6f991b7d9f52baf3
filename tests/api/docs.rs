//! The OpenAPI document describes every route, and every described route exists.

use poem::Endpoint;
use poem::http::Method;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn document_is_openapi_3_and_docs_page_loads_it() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/openapi.json").send().await.expect("send").json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    assert!(doc["paths"]["/api/health"]["get"].is_object());
    assert!(doc["components"]["securitySchemes"]["TokenAuth"].is_object());
    let page = app.get("/api/docs").send().await.expect("send").text().await.expect("text");
    assert!(page.contains("url: '/api/openapi.json'"), "Swagger UI must load the live document");
    assert!(!page.contains("auth-with-password"), "the spec must not be inlined");
    app.stop().await;
}

/// Every documented operation reaches a handler: the router answers neither "no such route"
/// nor "no such method". Routes outside the document cannot exist: `http::router` registers
/// only the poem-openapi service and `EXTRA_ROUTES`, and both feed the document.
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let (router, _) = croft::http::router(&app.state).expect("router");
    let router = poem::EndpointExt::data(router, app.state.clone());
    let doc = croft::http::openapi_document(&app.state.config);
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let concrete = path.replace("{path}", "").replace(['{', '}'], "");
        for method in item.as_object().expect("item").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let req = poem::Request::builder().method(method.clone()).uri(concrete.parse().expect("uri")).finish();
            if let Err(err) = router.call(req).await {
                assert!(
                    !err.is::<poem::error::NotFoundError>() && !err.is::<poem::error::MethodNotAllowedError>(),
                    "{method} {path} is documented but not routed"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} operations checked");
    for extra in croft::http::openapi::EXTRA_ROUTES {
        assert!(doc["paths"][extra.path].is_object(), "{} missing from the document", extra.path);
    }
    app.stop().await;
}

#[tokio::test]
async fn operation_ids_are_unique_and_documented() {
    let app = spawn_app().await;
    let doc = croft::http::openapi_document(&app.state.config);
    let mut ids = Vec::new();
    for item in doc["paths"].as_object().expect("paths").values() {
        for (method, op) in item.as_object().expect("item") {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} without operationId"));
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{id} has no summary");
            ids.push(id.to_owned());
        }
    }
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate operation ids");
    app.stop().await;
}

#[tokio::test]
async fn collections_appear_in_the_document_as_they_change() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let doc: Value = app.get("/api/openapi.json").send().await.expect("send").json().await.expect("json");
    assert!(doc["paths"]["/api/collections/users/records"]["get"].is_object(), "the default users collection");
    assert!(doc["paths"].get("/api/collections/books/records").is_none());
    let body = serde_json::json!({"name": "books", "listRule": "", "fields": [{"name": "title", "type": "text", "required": true}]});
    let resp = app.post("/api/collections").header("Authorization", &token).json(&body).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    let doc: Value = app.get("/api/openapi.json").send().await.expect("send").json().await.expect("json");
    let list = &doc["paths"]["/api/collections/books/records"];
    assert_eq!(list["get"]["security"], serde_json::json!([{}, {"TokenAuth": []}]));
    assert_eq!(doc["components"]["schemas"]["BooksCreate"]["required"], serde_json::json!(["title"]));
    // The concrete paths are served by the generic record routes.
    let (router, _) = croft::http::router(&app.state).expect("router");
    let router = poem::EndpointExt::data(router, app.state.clone());
    for (method, path) in
        [(Method::GET, "/api/collections/books/records"), (Method::DELETE, "/api/collections/books/records/x")]
    {
        let req = poem::Request::builder().method(method).uri(path.parse().expect("uri")).finish();
        if let Err(err) = router.call(req).await {
            assert!(
                !err.is::<poem::error::NotFoundError>() && !err.is::<poem::error::MethodNotAllowedError>(),
                "{path}"
            );
        }
    }
    app.stop().await;
}
