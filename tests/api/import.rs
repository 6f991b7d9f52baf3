//! Importing a schema is all or nothing, and leaves auth token secrets alone.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_failing_import_changes_nothing() {
    let app = spawn_app().await;
    let collections = serde_json::from_value(json!([
        {"name": "fine", "fields": [{"name": "a", "type": "text"}]},
        {"name": "broken", "fields": [{"name": "b", "type": "text"}], "indexes": ["CREATE INDEX idx_broken ON no_such_table (b)"]}
    ]))
    .expect("collections");
    let err = croft::collections::import(&app.state.records, collections, false)
        .await
        .expect_err("the index cannot be built");
    assert!(matches!(err, croft::schema::SchemaError::Invalid(_)), "{err:?}");
    assert!(app.state.schema.snapshot().get("fine").is_none(), "the valid collection was rolled back too");
    let tables = app
        .state
        .store
        .query(croft::sql::SqlQuery {
            sql: "SELECT name FROM sqlite_master WHERE name IN ('fine', 'broken')".into(),
            params: vec![],
        })
        .await
        .expect("query");
    assert!(tables.is_empty(), "{tables:?}");
    app.stop().await;
}

#[tokio::test]
async fn importing_an_auth_collection_keeps_sessions_valid() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let exported: serde_json::Value = app.get_json("/api/collections/users", &token).await;
    assert!(exported["authToken"].get("secret").is_none(), "secrets are not exported");
    let before = app.state.schema.snapshot().get("users").expect("users").options["authToken"]["secret"].clone();
    let mut changed = exported.clone();
    changed["listRule"] = json!("");
    croft::collections::import(&app.state.records, vec![serde_json::from_value(changed).expect("collection")], false)
        .await
        .expect("import");
    let users = app.state.schema.snapshot().get("users").expect("users").clone();
    assert_eq!(users.rules.list_rule.as_deref(), Some(""));
    assert_eq!(users.options["authToken"]["secret"], before, "the token secret survived the import");
    app.stop().await;
}
