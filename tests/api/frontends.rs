//! The team's frontends: the root site of `--public-dir` and `--mount PREFIX=DIR` sites.

use std::path::Path;

use croft::config::{Config, Mount};
use reqwest::header::HeaderMap;

use crate::helpers::{TestApp, assert_pb_error, spawn_with};

const HASHED_JS: &str = "assets/app-3f9a2b1c.js";

/// A directory holding `files` (path, content).
fn site_for_test(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    dir
}

fn mount(prefix: &str, dir: &Path) -> Mount {
    Mount { prefix: prefix.to_owned(), dir: dir.to_owned() }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn get_text(app: &TestApp, path: &str) -> (u16, String) {
    let resp = app.get(path).send().await.expect("send");
    (resp.status().as_u16(), resp.text().await.expect("text"))
}

/// The root site, `/it` and `/it/admin` (a longer prefix inside `/it`), and `/team`.
struct Sites {
    root: tempfile::TempDir,
    it: tempfile::TempDir,
    admin: tempfile::TempDir,
    team: tempfile::TempDir,
}

fn sites_for_test() -> Sites {
    Sites {
        root: site_for_test(&[
            ("index.html", b"root site"),
            ("api/health", b"shadowed health"),
            ("_/index.html", b"shadowed dashboard"),
        ]),
        it: site_for_test(&[("index.html", b"it app"), (HASHED_JS, b"console.log('it')"), ("robots.txt", b"none")]),
        admin: site_for_test(&[("index.html", b"it admin")]),
        team: site_for_test(&[("index.html", b"team app")]),
    }
}

async fn spawn_sites(sites: &Sites, csp: Option<&str>) -> TestApp {
    let (root, csp) = (sites.root.path().to_owned(), csp.map(str::to_owned));
    let mounts =
        vec![mount("/it", sites.it.path()), mount("/team/", sites.team.path()), mount("/it/admin", sites.admin.path())];
    spawn_with(move |c| {
        c.public_dir = Some(root);
        c.mounts = mounts;
        c.csp = csp;
    })
    .await
}

#[tokio::test]
async fn each_site_falls_back_to_its_own_index() {
    let sites = sites_for_test();
    let app = spawn_sites(&sites, None).await;
    for (path, body) in [
        ("/", "root site"),
        ("/some/route", "root site"),
        ("/it/", "it app"),
        ("/it/users/42", "it app"),
        ("/it/users/", "it app"),
        ("/it/admin/", "it admin"),
        ("/it/admin/settings", "it admin"),
        ("/team/", "team app"),
        ("/team/board/7", "team app"),
        ("/items", "root site"),
        ("/it/robots.txt", "none"),
    ] {
        assert_eq!(get_text(&app, path).await, (200, body.to_owned()), "{path}");
    }
    // A missing file with an extension is a broken link, not a route.
    for path in ["/it/missing.js", "/team/assets/x.css", "/missing.css", "/it/.env"] {
        assert_pb_error(app.get(path).send().await.expect("send"), 404).await;
    }
    for (path, location) in [("/it", "/it/"), ("/team?x=1", "/team/?x=1"), ("/it/admin", "/it/admin/")] {
        let resp = app.get(path).send().await.expect("send");
        assert_eq!(resp.status(), 301, "{path}");
        assert_eq!(header(resp.headers(), "location"), location, "{path}");
    }
    let post = app.post("/it/users").send().await.expect("send");
    assert_eq!(post.status(), 405);
    assert_eq!(header(post.headers(), "allow"), "GET, HEAD");
    app.stop().await;
}

#[tokio::test]
async fn croft_routes_are_never_shadowed() {
    let sites = sites_for_test();
    let app = spawn_sites(&sites, None).await;
    let health = app.get("/api/health").send().await.expect("send");
    assert_eq!(health.status(), 200);
    assert!(header(health.headers(), "content-type").starts_with("application/json"));
    assert!(!health.headers().contains_key("x-content-type-options"), "no frontend headers on the API");
    assert_pb_error(app.get("/api/collections").send().await.expect("send"), 401).await;
    assert_pb_error(app.get("/api/no/such/route").send().await.expect("send"), 404).await;
    // Inside a mount, the same paths are the mount's own routes.
    assert_eq!(get_text(&app, "/it/api/health").await, (200, "it app".to_owned()));
    let (status, dashboard) = get_text(&app, "/_/").await;
    assert_eq!(status, 200);
    assert!(dashboard.contains("Croft") && !dashboard.contains("shadowed"), "{dashboard}");
    app.stop().await;
}

#[tokio::test]
async fn without_public_dir_the_root_stays_the_dashboards() {
    let it = site_for_test(&[("index.html", b"it app")]);
    let dir = it.path().to_owned();
    let app = spawn_with(move |c| c.mounts = vec![mount("/it", &dir)]).await;
    let root = app.get("/").send().await.expect("send");
    assert_eq!(root.status(), 302);
    assert_eq!(header(root.headers(), "location"), "/_/");
    assert_pb_error(app.get("/elsewhere").send().await.expect("send"), 404).await;
    assert_eq!(get_text(&app, "/it/deep/link").await, (200, "it app".to_owned()));
    app.stop().await;
}

#[tokio::test]
async fn caching_headers_and_conditional_requests() {
    let sites = sites_for_test();
    let app = spawn_sites(&sites, None).await;
    let hashed = app.get(&format!("/it/{HASHED_JS}")).send().await.expect("send");
    assert_eq!(hashed.status(), 200);
    assert_eq!(header(hashed.headers(), "cache-control"), "public, max-age=31536000, immutable");
    assert!(header(hashed.headers(), "content-type").contains("javascript"));

    let index = app.get("/it/users/1").send().await.expect("send");
    assert_eq!(header(index.headers(), "cache-control"), "no-cache");
    assert!(header(index.headers(), "content-type").starts_with("text/html"));
    let etag = header(index.headers(), "etag").to_owned();
    let modified = header(index.headers(), "last-modified").to_owned();
    assert!(etag.starts_with('"'), "a strong ETag: {etag}");
    assert!(!modified.is_empty());

    // Not modified, by ETag (on any route of the SPA) and by date.
    for (name, value) in [("if-none-match", etag.as_str()), ("if-modified-since", modified.as_str())] {
        let resp = app.get("/it/other/route").header(name, value).send().await.expect("send");
        assert_eq!(resp.status(), 304, "{name}");
        assert_eq!(header(resp.headers(), "etag"), etag);
        assert_eq!(header(resp.headers(), "cache-control"), "no-cache");
        assert!(resp.bytes().await.expect("body").is_empty());
    }
    let changed = app.get("/it/").header("if-none-match", "\"other\"").send().await.expect("send");
    assert_eq!(changed.status(), 200);
    let old = app.get("/it/").header("if-modified-since", "Sat, 01 Jan 2000 00:00:00 GMT").send().await;
    assert_eq!(old.expect("send").status(), 200);

    let head = app.client.head(app.url("/it/robots.txt")).send().await.expect("send");
    assert_eq!(head.status(), 200);
    assert_eq!(header(head.headers(), "content-length"), "4");
    assert!(head.bytes().await.expect("body").is_empty());
    app.stop().await;
}

#[tokio::test]
async fn precompressed_files_follow_accept_encoding() {
    let plain = "console.log('precompressed');\n".repeat(100);
    let big_css = "body { color: red; }\n".repeat(200);
    let site = site_for_test(&[
        ("index.html", b"app"),
        (HASHED_JS, plain.as_bytes()),
        (&format!("{HASHED_JS}.br"), b"BROTLI BYTES"),
        (&format!("{HASHED_JS}.gz"), b"GZIP BYTES"),
        ("style.css", big_css.as_bytes()),
    ]);
    let dir = site.path().to_owned();
    let app = spawn_with(move |c| c.mounts = vec![mount("/app", &dir)]).await;
    let path = format!("/app/{HASHED_JS}");
    let mut etags = Vec::new();
    for (accept, encoding, body) in [
        ("gzip, deflate, br", "br", "BROTLI BYTES"),
        ("gzip;q=1, br;q=0.5", "gzip", "GZIP BYTES"),
        ("br;q=0, gzip", "gzip", "GZIP BYTES"),
        ("identity", "", plain.as_str()),
    ] {
        let resp = app.get(&path).header("accept-encoding", accept).send().await.expect("send");
        assert_eq!(resp.status(), 200, "{accept}");
        assert_eq!(header(resp.headers(), "content-encoding"), encoding, "{accept}");
        assert!(header(resp.headers(), "content-type").contains("javascript"), "{accept}");
        assert_eq!(header(resp.headers(), "vary").to_ascii_lowercase(), "accept-encoding", "{accept}");
        etags.push(header(resp.headers(), "etag").to_owned());
        assert_eq!(resp.text().await.expect("text"), body, "{accept}: not compressed twice");
    }
    assert_ne!(etags[0], etags[1], "one ETag per encoding");
    assert_ne!(etags[1], etags[3], "one ETag per encoding");
    let again = app.get(&path).header("accept-encoding", "br").header("if-none-match", &etags[0]).send().await;
    assert_eq!(again.expect("send").status(), 304);

    // Without a sibling, the server gzips on the fly and the ETag turns weak.
    let css = app.get("/app/style.css").header("accept-encoding", "gzip").send().await.expect("send");
    assert_eq!(header(css.headers(), "content-encoding"), "gzip");
    let weak = header(css.headers(), "etag").to_owned();
    assert!(weak.starts_with("W/\""), "{weak}");
    let revalidated = app.get("/app/style.css").header("accept-encoding", "gzip").header("if-none-match", &weak).send();
    let revalidated = revalidated.await.expect("send");
    assert_eq!(revalidated.status(), 304);
    assert!(!revalidated.headers().contains_key("content-encoding"));
    assert!(revalidated.bytes().await.expect("body").is_empty());
    app.stop().await;
}

#[tokio::test]
async fn languages_pick_index_variants_and_directories() {
    let variants =
        site_for_test(&[("index.html", b"default"), ("index.de.html", b"deutsch"), ("index.en.html", b"english")]);
    let dirs = site_for_test(&[("de/index.html", b"de app"), ("en/index.html", b"en app"), ("fr/app.js", b"")]);
    let (v, d) = (variants.path().to_owned(), dirs.path().to_owned());
    let app = spawn_with(move |c| c.mounts = vec![mount("/site", &v), mount("/intl", &d)]).await;
    let ask = |path: &'static str, language: &'static str| app.get(path).header("accept-language", language).send();

    // index.<lang>.html by q-values and primary subtag; index.html by default.
    for (path, language, body, content_language) in [
        ("/site/", "de-CH, en;q=0.5", "deutsch", "de"),
        ("/site/deep/link", "fr, en;q=0.8, de;q=0.2", "english", "en"),
        ("/site/", "fr", "default", ""),
    ] {
        let resp = ask(path, language).await.expect("send");
        assert_eq!(header(resp.headers(), "vary").to_ascii_lowercase(), "accept-language", "{language}");
        assert_eq!(header(resp.headers(), "content-language"), content_language, "{language}");
        assert_eq!(resp.text().await.expect("text"), body, "{language}");
    }
    // /<lang>/ directories: the site root redirects to the best one, the first by default.
    for (language, location) in [("en-US, de;q=0.5", "/intl/en/"), ("it", "/intl/de/")] {
        let resp = ask("/intl/", language).await.expect("send");
        assert_eq!(resp.status(), 302, "{language}");
        assert_eq!(header(resp.headers(), "location"), location, "{language}");
        assert_eq!(header(resp.headers(), "vary").to_ascii_lowercase(), "accept-language");
    }
    assert_eq!(get_text(&app, "/intl/en/").await, (200, "en app".to_owned()));
    assert_eq!(get_text(&app, "/intl/de/orders/3").await, (200, "de app".to_owned()));
    let bare = app.get("/intl/en").send().await.expect("send");
    assert_eq!((bare.status().as_u16(), header(bare.headers(), "location")), (301, "/intl/en/"));
    app.stop().await;
}

#[tokio::test]
async fn security_headers_on_every_frontend_answer() {
    let sites = sites_for_test();
    let csp = "default-src 'self'";
    let app = spawn_sites(&sites, Some(csp)).await;
    for (path, status) in [("/", 200), ("/it/", 200), ("/it/users/1", 200), ("/it", 301), ("/it/missing.js", 404)] {
        let resp = app.get(path).send().await.expect("send");
        assert_eq!(resp.status(), status, "{path}");
        assert_eq!(header(resp.headers(), "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(resp.headers(), "referrer-policy"), "strict-origin-when-cross-origin", "{path}");
        assert_eq!(header(resp.headers(), "content-security-policy"), csp, "{path}");
    }
    for path in ["/api/health", "/_/"] {
        let resp = app.get(path).send().await.expect("send");
        assert!(!resp.headers().contains_key("content-security-policy"), "{path}");
    }
    app.stop().await;

    let app = spawn_sites(&sites, None).await;
    let resp = app.get("/team/").send().await.expect("send");
    assert_eq!(header(resp.headers(), "x-content-type-options"), "nosniff");
    assert!(!resp.headers().contains_key("content-security-policy"), "no CSP unless configured");
    app.stop().await;
}

/// The error `croft serve` stops with for `configure`.
async fn start_error(configure: impl FnOnce(&mut Config)) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config { http: "127.0.0.1:0".parse().expect("addr"), ..Config::default() };
    configure(&mut config);
    let state = croft::app::AppState::build(config, dir.path().join("data")).await.expect("build state");
    match croft::server::start(state).await {
        Ok(running) => {
            running.stop().await.expect("stop");
            String::new()
        }
        Err(err) => format!("{err:#}"),
    }
}

#[tokio::test]
async fn bad_mounts_stop_the_start() {
    let site = site_for_test(&[("index.html", b"x")]);
    let dir = site.path().to_owned();
    for (mounts, expected) in [
        (vec![mount("/api", &dir)], "--mount /api="),
        (vec![mount("/api/v2", &dir)], "/api belongs to Croft"),
        (vec![mount("/_", &dir)], "/_ belongs to Croft"),
        (vec![mount("/metrics", &dir)], "/metrics belongs to Croft"),
        (vec![mount("/.well-known/x", &dir)], "/.well-known belongs to Croft"),
        (vec![mount("/it", &dir), mount("/it/", &dir)], "another mount already uses the prefix /it"),
        (vec![mount("/it", &dir.join("missing"))], "is not a directory"),
    ] {
        let err = start_error(|c| c.mounts = mounts).await;
        assert!(err.contains(expected), "{expected}: {err}");
    }
    let err = start_error(|c| c.public_dir = Some(dir.join("missing"))).await;
    assert!(err.contains("--public-dir"), "{err}");
    assert!(start_error(|c| c.mounts = vec![mount("/apidocs", &dir)]).await.is_empty(), "only whole segments");
}
