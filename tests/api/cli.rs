//! The `croft` binary's admin commands, run as a user would.

use std::process::{Command, Output};

fn croft(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_croft"))
        .args(args)
        .arg("--dir")
        .arg(dir)
        .env_remove("CROFT_ENCRYPTION_KEY")
        .output()
        .expect("run croft")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_command_describes_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["migrate"],
        &["migrate", "up"],
        &["migrate", "status"],
        &["superuser"],
        &["superuser", "upsert"],
        &["superuser", "create"],
        &["superuser", "update"],
        &["superuser", "delete"],
        &["collections"],
        &["collections", "export"],
        &["collections", "import"],
        &["jobs"],
        &["jobs", "list"],
        &["jobs", "run"],
        &["config"],
        &["config", "show"],
        &["config", "check"],
        &["openapi"],
        &["backup"],
        &["backup", "create"],
        &["backup", "list"],
        &["backup", "restore"],
        &["backup", "download"],
        &["backup", "delete"],
        &["logs"],
        &["healthcheck"],
        &["doctor"],
        &["completions"],
        &["man"],
        &["apikey"],
        &["storage", "migrate"],
    ];
    for args in commands {
        let mut full = args.to_vec();
        full.push("--help");
        let out = croft(dir.path(), &full);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("Usage:"), "{args:?}: {text}");
        assert!(text.lines().next().is_some_and(|l| !l.trim().is_empty()), "{args:?} has no description");
    }
}

#[test]
fn superuser_jobs_migrate_and_config_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();

    let status = croft(d, &["migrate", "status"]);
    assert!(stdout(&status).contains("pending"), "{}", stdout(&status));
    assert!(croft(d, &["migrate", "up"]).status.success());
    let status = croft(d, &["migrate", "status"]);
    assert!(stdout(&status).contains("applied") && !stdout(&status).contains("pending"), "{}", stdout(&status));

    let out = croft(d, &["superuser", "upsert", "root@example.com", "password123"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("created"));
    assert!(stdout(&croft(d, &["superuser", "upsert", "root@example.com", "password456"])).contains("updated"));
    let dup = croft(d, &["superuser", "create", "root@example.com", "password789"]);
    assert!(!dup.status.success());
    assert!(stderr(&dup).contains("email"), "{}", stderr(&dup));
    let short = croft(d, &["superuser", "create", "x@example.com", "short"]);
    assert!(!short.status.success() && stderr(&short).contains("password"), "{}", stderr(&short));
    assert!(croft(d, &["superuser", "delete", "root@example.com"]).status.success());
    let gone = croft(d, &["superuser", "delete", "root@example.com"]);
    assert!(!gone.status.success() && stderr(&gone).contains("no superuser"), "{}", stderr(&gone));

    let run = croft(d, &["jobs", "run", "db_maintenance"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let list = stdout(&croft(d, &["jobs", "list"]));
    assert!(list.contains("db_maintenance") && list.contains("ok"), "{list}");
    let unknown = croft(d, &["jobs", "run", "nope"]);
    assert!(!unknown.status.success() && stderr(&unknown).contains("jobs list"), "{}", stderr(&unknown));
}

#[test]
fn config_show_redacts_secrets_and_reports_bad_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_croft"))
        .args(["config", "show", "--dir"])
        .arg(dir.path())
        .env("CROFT_ENCRYPTION_KEY", "top-secret-value")
        .env("CROFT_BODY_LIMIT", "1234")
        .output()
        .expect("run");
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("body_limit = 1234"), "{text}");
    assert!(!text.contains("top-secret-value") && text.contains("<redacted>"), "{text}");

    std::fs::write(dir.path().join("croft.toml"), "body_limit = \"lots\"\n").expect("write");
    let bad = croft(dir.path(), &["config", "show"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("croft.toml"), "{}", stderr(&bad));
}

#[test]
fn openapi_command_prints_the_served_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = croft(dir.path(), &["openapi"]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(doc["paths"]["/api/health"].is_object());
    assert!(!dir.path().join("data.db").exists(), "openapi must not create a database");
    // With a data directory, the document includes its collections.
    assert!(croft(dir.path(), &["migrate", "up"]).status.success());
    let out = croft(dir.path(), &["openapi"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(doc["paths"]["/api/collections/users/records"].is_object(), "collections are included");
}

#[test]
fn serve_reports_a_port_in_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = croft(dir.path(), &["serve", "--http", &addr]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("in use") && stderr(&out).contains("--http"), "{}", stderr(&out));
    let bad = croft(dir.path(), &["serve", "--http", "not-an-address"]);
    assert!(!bad.status.success() && stderr(&bad).contains("--http"), "{}", stderr(&bad));
}

#[test]
fn collections_export_and_import_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("schema.json");
    // `comments` relates to `posts`, which comes later in the file.
    let schema = serde_json::json!([
        {"name": "comments", "fields": [{"name": "post", "type": "relation", "collectionId": "pbc_1125843985", "maxSelect": 1}]},
        {"name": "posts", "listRule": "", "fields": [{"name": "title", "type": "text"}]}
    ]);
    std::fs::write(&file, schema.to_string()).expect("write");
    let data = dir.path().join("data");
    let out = croft(&data, &["collections", "import", file.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again = croft(&data, &["collections", "import", file.to_str().expect("utf8")]);
    assert!(again.status.success(), "import is repeatable: {}", stderr(&again));
    let exported = croft(&data, &["collections", "export", "-"]);
    let list: serde_json::Value = serde_json::from_slice(&exported.stdout).expect("json");
    let names: Vec<&str> = list.as_array().expect("array").iter().filter_map(|c| c["name"].as_str()).collect();
    assert!(names.contains(&"posts") && names.contains(&"comments") && names.contains(&"users"), "{names:?}");
    assert!(!String::from_utf8_lossy(&exported.stdout).contains("\"secret\""), "token secrets are not exported");
    std::fs::write(&file, "[{\"name\": \"bad name\"}]").expect("write");
    let bad = croft(&data, &["collections", "import", file.to_str().expect("utf8")]);
    assert!(!bad.status.success() && stderr(&bad).contains("invalid"), "{}", stderr(&bad));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

#[test]
fn backup_commands_round_trip_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    assert!(croft(d, &["migrate", "up"]).status.success());
    let out = croft(d, &["backup", "create", "first.zip", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let created: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(created["key"], "first.zip");
    let out = croft(d, &["backup", "create", "Bad Name.zip"]);
    assert!(!out.status.success() && stderr(&out).contains("name"), "{}", stderr(&out));
    let out = croft(d, &["backup", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(list[0]["key"], "first.zip", "{list}");
    let copy = d.join("copy.zip");
    let out = croft(d, &["backup", "download", "first.zip", copy.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&copy).expect("copy").len(), created["size"].as_u64().expect("size"));
    // A superuser created after the backup is gone once it is restored.
    assert!(croft(d, &["superuser", "upsert", "late@example.com", "password123"]).status.success());
    let out = croft(d, &["backup", "restore", "first.zip", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("restored first.zip"), "{}", stdout(&out));
    let out = croft(d, &["superuser", "delete", "late@example.com"]);
    assert!(!out.status.success(), "the superuser made after the backup is gone");
    assert!(croft(d, &["backup", "delete", "first.zip"]).status.success());
    let out = croft(d, &["backup", "delete", "first.zip"]);
    assert!(!out.status.success() && stderr(&out).contains("no backup named"), "{}", stderr(&out));
}

#[test]
fn healthcheck_logs_and_doctor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let out = croft(d, &["healthcheck", "--url", &url]);
    assert!(!out.status.success(), "nothing listens yet");
    let mut server = Command::new(env!("CARGO_BIN_EXE_croft"))
        .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"])
        .arg(d)
        .env("CROFT_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    let mut healthy = false;
    for _ in 0..100 {
        if croft(d, &["healthcheck", "--url", &url]).status.success() {
            healthy = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // A request to show up in the logs; then a clean stop (SIGTERM) writes the last entries.
    let _ = Command::new("curl").args(["-s", "-o", "/dev/null", &format!("{url}/api/nope")]).status();
    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let _ = server.wait();
    assert!(healthy, "the server never became healthy");
    let out = croft(d, &["healthcheck", "--url", &url]);
    assert!(!out.status.success(), "the server is down");
    let out = croft(d, &["logs", "--json", "--filter", "data.status = 404"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out).lines().next().unwrap_or_default().to_owned();
    let entry: serde_json::Value = serde_json::from_str(&line).expect("a json log line");
    assert_eq!(entry["message"], "GET /api/nope");

    let out = croft(d, &["doctor", "--json"]);
    let report: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    let failed: Vec<&serde_json::Value> =
        report["checks"].as_array().expect("checks").iter().filter(|c| c["ok"] == false).collect();
    // Only the environment may fail here (disk space, permissions of a temp dir).
    assert!(failed.iter().all(|c| c["check"] == "disk space" || c["check"] == "permissions"), "{report}");
    // A damaged database file is reported and makes the command fail.
    let db = d.join("data.db");
    let mut bytes = std::fs::read(&db).expect("db");
    for b in &mut bytes[4096..12288] {
        *b = 0xa5;
    }
    std::fs::write(&db, bytes).expect("write");
    let _ = std::fs::remove_file(d.join("data.db-wal"));
    let out = croft(d, &["doctor"]);
    assert!(!out.status.success());
    assert!(stdout(&out).lines().any(|l| l.starts_with("FAIL") && l.contains("data.db")), "{}", stdout(&out));
}

#[test]
fn completions_man_and_config_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    for shell in ["bash", "zsh", "fish"] {
        let out = croft(dir.path(), &["completions", shell]);
        assert!(out.status.success() && stdout(&out).contains("backup"), "{shell}");
    }
    let out = croft(dir.path(), &["man"]);
    assert!(out.status.success() && stdout(&out).contains(".TH"), "{}", stdout(&out));
    let out = croft(dir.path(), &["config", "check"]);
    assert!(out.status.success() && stdout(&out).contains("valid"), "{}", stderr(&out));
    std::fs::write(dir.path().join("croft.toml"), "[jobs.schedules]\nblob_cleanup = \"every day\"\n").expect("write");
    let out = croft(dir.path(), &["config", "check"]);
    assert!(!out.status.success() && stderr(&out).contains("blob_cleanup"), "{}", stderr(&out));
}
