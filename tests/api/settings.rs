use serde_json::{Value, json};

use crate::helpers::{assert_pb_error, spawn_app};

#[tokio::test]
async fn settings_read_patch_and_validate() {
    let app = spawn_app().await;
    assert_pb_error(app.get("/api/settings").send().await.expect("send"), 401).await;
    let token = app.superuser_token().await;
    let s: Value = app.get_json("/api/settings", &token).await;
    assert_eq!(s["meta"]["appName"], "Acme");
    assert_eq!(s["batch"], json!({"enabled": false, "maxRequests": 50, "timeout": 3, "maxBodySize": 0}));

    let patch = json!({"meta": {"appName": "Shop"}, "batch": {"enabled": true}});
    let resp = app.patch_settings(&token, &patch).await;
    assert_eq!(resp.status(), 200);
    let s: Value = app.get_json("/api/settings", &token).await;
    assert_eq!(
        (s["meta"]["appName"].clone(), s["batch"]["enabled"].clone(), s["batch"]["maxRequests"].clone()),
        (json!("Shop"), json!(true), json!(50))
    );

    for bad in [
        json!({"meta": {"appURL": "nope"}}),
        json!({"meta": {"appName": ""}}),
        json!({"nope": 1}),
        json!({"batch": {"maxRequests": -1}}),
    ] {
        let resp = app.patch_settings(&token, &bad).await;
        assert_pb_error(resp, 400).await;
    }
    let s: Value = app.get_json("/api/settings", &token).await;
    assert_eq!(s["meta"]["appName"], "Shop", "a refused patch changes nothing");
    app.stop().await;
}
