//! Hostile clients against the listeners: slow request heads and more idle connections than
//! the process has descriptors for.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::spawn_with;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dribbled_request_head_is_cut_off() {
    let app = spawn_with(|c| c.header_timeout_secs = 1).await;
    let addr = app.addr;
    let outcome = tokio::task::spawn_blocking(move || {
        let mut conn = TcpStream::connect(addr).expect("connect");
        conn.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
        let started = Instant::now();
        conn.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n").expect("write");
        // One header line every 200 ms, never the blank line that ends the head.
        while started.elapsed() < Duration::from_secs(10) {
            if conn.write_all(b"X-Slow: 1\r\n").is_err() {
                return started.elapsed();
            }
            let mut buf = [0u8; 64];
            match conn.read(&mut buf) {
                Ok(0) => return started.elapsed(),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return started.elapsed(),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        started.elapsed()
    })
    .await
    .expect("join");
    assert!(outcome < Duration::from_secs(3), "the connection stayed open for {outcome:?}");
    // A prompt client on a new connection is unaffected.
    assert_eq!(app.get("/api/health").send().await.expect("health").status(), 200);
    app.stop().await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// GET /api/health on a new connection; the time it took.
fn timed_health(port: u16) -> Result<Duration, String> {
    let started = Instant::now();
    let mut conn = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    conn.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    conn.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").map_err(|e| e.to_string())?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    if !answer.starts_with("HTTP/1.1 200") {
        return Err(answer);
    }
    Ok(started.elapsed())
}

#[test]
fn more_idle_connections_than_descriptors_do_not_lock_others_out() {
    // This process needs more descriptors than the server gets.
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let hard = limit.maximum.unwrap_or(u64::MAX);
    let _ = setrlimit(Resource::Nofile, Rlimit { current: Some(hard), maximum: limit.maximum });
    assert!(getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX) >= 1300, "the test needs 1,300 descriptors");

    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    // The common default: 1,024 descriptors, soft and hard, so Croft cannot raise it.
    let mut server = Command::new("prlimit")
        .args(["--nofile=1024:1024", "--"])
        .arg(env!("CARGO_BIN_EXE_croft"))
        .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"])
        .arg(dir.path())
        .env("CROFT_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start croft under prlimit");
    let deadline = Instant::now() + Duration::from_secs(30);
    while timed_health(port).is_err() {
        assert!(Instant::now() < deadline, "croft did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    let idle: Vec<TcpStream> = (0..1100).map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect")).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        let took =
            timed_health(port).unwrap_or_else(|e| panic!("a normal request failed beside 1,100 idle connections: {e}"));
        worst = worst.max(took);
    }
    assert!(worst < Duration::from_secs(1), "a normal request took {worst:?}");
    drop(idle);
    let _ = Command::new("kill").arg("-TERM").arg(server.id().to_string()).status();
    assert!(server.wait().expect("wait").success());
}
