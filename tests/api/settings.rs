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

/// With SMTP off no mail can go out: the test email says so (PocketBase answers 400 too, from its
/// sendmail fallback), instead of a 204 for a mail never sent.
#[tokio::test]
async fn test_email_without_smtp_is_an_error() {
    let app = crate::helpers::spawn_app().await;
    let token = app.superuser_token().await;
    let body = serde_json::json!({"email": "ops@example.com", "template": "verification"});
    let resp = app.post_json("/api/settings/test/email", &token, &body).await;
    let err = crate::helpers::assert_pb_error(resp, 400).await;
    assert_eq!(err["message"], "Failed to send the test email.");
    assert!(err["data"]["message"].as_str().unwrap_or_default().contains("SMTP is not enabled"), "{err}");
    app.stop().await;
}

/// `POST /api/settings/test/s3` answers as PocketBase 0.40.6 does for each `filesystem`.
#[tokio::test]
async fn test_s3_answers_as_pocketbase() {
    let app = crate::helpers::spawn_app().await;
    let token = app.superuser_token().await;
    let cases = [
        (serde_json::json!({}), "Failed to test the S3 filesystem.", Some("validation_required")),
        (serde_json::json!({"filesystem": "x"}), "Failed to test the S3 filesystem.", Some("validation_in_invalid")),
        (
            serde_json::json!({"filesystem": "storage"}),
            "Failed to test the S3 filesystem. Raw error: \nS3 storage filesystem is not enabled.",
            None,
        ),
        (
            serde_json::json!({"filesystem": "backups"}),
            "Failed to test the S3 filesystem. Raw error: \nS3 storage filesystem is not enabled.",
            None,
        ),
    ];
    for (body, message, code) in cases {
        let resp = app.post_json("/api/settings/test/s3", &token, &body).await;
        let err = crate::helpers::assert_pb_error(resp, 400).await;
        assert_eq!(err["message"], message, "{body}");
        assert_eq!(err["data"]["filesystem"]["code"].as_str(), code, "{body}");
    }
    // A sort error is reported under `sort`, not `filter`.
    let resp = app.get("/api/collections/users/records?sort=nope").header("Authorization", &token).send().await;
    let err = crate::helpers::assert_pb_error(resp.expect("list"), 400).await;
    assert!(err["data"].get("sort").is_some() && err["data"].get("filter").is_none(), "{err}");
    app.stop().await;
}
