use std::time::Duration;

use serde_json::Value;

use crate::helpers::{assert_pb_error, spawn_app};

#[tokio::test]
async fn crons_list_and_run_for_superusers() {
    let app = spawn_app().await;
    assert_pb_error(app.get("/api/crons").send().await.expect("send"), 401).await;
    let token = app.superuser_token().await;

    let crons: Value = app.get_json("/api/crons", &token).await;
    let ids: Vec<&str> = crons.as_array().expect("array").iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&"db_maintenance"), "{crons}");
    assert!(crons[0]["expression"].as_str().is_some_and(|e| e.split(' ').count() == 5));

    let resp = app.post("/api/crons/db_maintenance").header("Authorization", &token).send().await.expect("send");
    assert_eq!(resp.status(), 204);
    assert_pb_error(app.post("/api/crons/nope").header("Authorization", &token).send().await.expect("send"), 404).await;

    // The background run shows up in the history (bounded wait, the run takes milliseconds).
    let mut last = Value::Null;
    for _ in 0..100 {
        let jobs: Value = app.get_json("/api/jobs", &token).await;
        last = jobs.as_array().expect("array").iter().find(|j| j["name"] == "db_maintenance").expect("job")["lastRun"]
            .clone();
        if !last.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(last["ok"], true, "{last}");
    assert_eq!(last["trigger"], "manual");
    app.stop().await;
}

#[tokio::test]
async fn a_tick_is_claimed_once() {
    let app = spawn_app().await;
    let tick = chrono::Utc::now();
    let store = app.state.store.clone();
    let claims = futures_util::future::join_all((0..8).map(|_| {
        let store = store.clone();
        async move { store.claim_job_tick("db_maintenance", tick).await.expect("claim") }
    }))
    .await;
    assert_eq!(claims.iter().filter(|c| **c).count(), 1);
    assert!(store.claim_job_tick("history_retention", tick).await.expect("claim"), "ticks are per job");
    app.stop().await;
}

#[tokio::test]
async fn history_retention_prunes_old_runs() {
    let app = spawn_app().await;
    let store = app.state.store.clone();
    let old = croft::jobs::JobRun {
        job: "db_maintenance".into(),
        trigger: croft::jobs::Trigger::Schedule,
        started: chrono::Utc::now() - chrono::Duration::days(30),
        duration_ms: 1,
        ok: true,
        error: String::new(),
    };
    store.insert_job_run(&old).await.expect("insert");
    let run = croft::jobs::run_now(&app.state, "history_retention").await.expect("known job");
    assert!(run.ok, "{}", run.error);
    let left = store.job_runs(Some("db_maintenance"), 10).await.expect("runs");
    assert!(left.is_empty(), "old run survived: {left:?}");
    assert_eq!(store.job_runs(Some("history_retention"), 10).await.expect("runs").len(), 1);
    app.stop().await;
}
