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
        &["openapi"],
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
