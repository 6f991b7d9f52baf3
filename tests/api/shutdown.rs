//! SIGTERM while requests run: in-flight requests finish, the process exits 0, the WAL is
//! checkpointed into the database file.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn sigterm_during_requests_stops_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_croft"))
        .args(["serve", "--http", "127.0.0.1:0", "--dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines.next().expect("server printed its address").expect("line");
        if let Some(url) = line.strip_prefix("Server started at ") {
            break url.trim().to_owned();
        }
    };
    let client = reqwest::Client::new();
    // Keep requests in flight while the signal arrives.
    let load = (0..4).map(|_| {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let mut ok = 0;
            for _ in 0..200 {
                match client.get(format!("{base}/api/ready")).send().await {
                    Ok(resp) => {
                        assert!(resp.status() == 200 || resp.status() == 503, "{}", resp.status());
                        ok += 1;
                    }
                    Err(_) => break, // the listener closed
                }
            }
            ok
        })
    });
    let load: Vec<_> = load.collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let mut served = 0;
    for task in load {
        served += task.await.expect("load task");
    }
    assert!(served > 0, "no request was served before the signal");
    let status = tokio::task::spawn_blocking(move || {
        for _ in 0..200 {
            if let Some(status) = child.try_wait().expect("wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        None
    })
    .await
    .expect("join")
    .expect("croft did not exit within 10 s of SIGTERM");
    assert!(status.success(), "exit status {status}");
    let wal = dir.path().join("data.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the WAL was not checkpointed");
}
