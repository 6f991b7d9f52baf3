use crate::helpers::{spawn_app, spawn_with};

#[tokio::test]
async fn dashboard_is_served_with_caching_and_spa_fallback() {
    let app = spawn_app().await;
    let resp = app.get("/_/").send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"));
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    let etag = resp.headers()["etag"].clone();
    assert!(resp.text().await.expect("text").contains("Croft"));

    let resp = app.get("/_/").header("If-None-Match", etag.clone()).send().await.expect("send");
    assert_eq!(resp.status(), 304);

    let js = app.get("/_/app.js").send().await.expect("send");
    assert_eq!(js.status(), 200);
    assert!(js.headers()["content-type"].to_str().unwrap_or("").contains("javascript"));

    // SPA routes fall back to index.html; missing assets do not.
    let spa = app.get("/_/collections/posts").send().await.expect("send");
    assert_eq!(spa.status(), 200);
    assert_eq!(spa.headers()["etag"], etag);
    crate::helpers::assert_pb_error(app.get("/_/missing.js").send().await.expect("send"), 404).await;

    let head = app.client.head(app.url("/_/app.css")).send().await.expect("send");
    assert_eq!(head.status(), 200);
    assert!(head.headers().contains_key("content-length"));

    for path in ["/", "/_"] {
        let resp = app.get(path).send().await.expect("send");
        assert_eq!(resp.status(), 302, "{path}");
        assert_eq!(resp.headers()["location"], "/_/");
    }
    app.stop().await;
}

#[tokio::test]
async fn public_dir_is_served_with_spa_fallback() {
    let site = tempfile::tempdir().expect("tempdir");
    std::fs::write(site.path().join("index.html"), "<h1>team site</h1>").expect("write");
    std::fs::create_dir(site.path().join("assets")).expect("mkdir");
    std::fs::write(site.path().join("assets/app-3f9a2b1c.js"), "console.log(1)").expect("write");
    let root = site.path().to_path_buf();
    let app = spawn_with(|c| c.public_dir = Some(root)).await;

    let home = app.get("/").send().await.expect("send");
    assert_eq!(home.status(), 200);
    assert!(home.text().await.expect("text").contains("team site"));
    let hashed = app.get("/assets/app-3f9a2b1c.js").send().await.expect("send");
    assert_eq!(hashed.headers()["cache-control"], "public, max-age=31536000, immutable");
    let etag = hashed.headers()["etag"].clone();
    let again = app.get("/assets/app-3f9a2b1c.js").header("If-None-Match", etag).send().await.expect("send");
    assert_eq!(again.status(), 304);
    let spa = app.get("/some/client/route").send().await.expect("send");
    assert!(spa.text().await.expect("text").contains("team site"));
    crate::helpers::assert_pb_error(app.get("/missing.css").send().await.expect("send"), 404).await;
    // The API still wins over the site.
    assert_eq!(app.get("/api/health").send().await.expect("send").status(), 200);
    app.stop().await;
}
