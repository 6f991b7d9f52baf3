//! Deployment as the process managers run Croft: the Procfile's web command with `PORT` set as
//! Dokku sets it, checked with app.json's healthchecks; the data directory's lock against a
//! second server; systemd's notification protocol.

use std::net::TcpStream;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn root(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Procfile's `web:` command with its `--dir` pointed at `dir`.
fn web_command(dir: &Path) -> String {
    let procfile = root("Procfile");
    let web = procfile.lines().find_map(|l| l.strip_prefix("web:")).expect("a web: line").trim();
    let mut words: Vec<String> = web.split_whitespace().map(str::to_owned).collect();
    let at = words.iter().position(|w| w == "--dir").expect("the web command names its --dir");
    words[at + 1] = dir.display().to_string();
    words.join(" ")
}

/// Runs `command` through the shell, as Dokku's process manager does, with `croft` on PATH.
fn start(command: &str, port: u16, extra_env: &[(&str, &str)]) -> Child {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_croft")).parent().expect("bin dir").to_owned();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!("exec {command}")).env("PATH", path).env("PORT", port.to_string());
    cmd.env("CROFT_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("start croft")
}

fn wait_listening(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(child.try_wait().expect("wait").is_none(), "croft exited before listening");
        assert!(Instant::now() < deadline, "croft did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn status(port: u16, path: &str) -> u16 {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).parse().unwrap_or(0)
}

fn stop(mut child: Child) -> std::process::ExitStatus {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    child.wait().expect("wait")
}

#[test]
fn procfile_web_passes_the_app_json_checks_and_a_second_server_waits_then_refuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("croft_data");
    let command = web_command(&data);
    let port = free_port();
    let mut first = start(&command, port, &[]);
    wait_listening(port, &mut first);

    let app: serde_json::Value = serde_json::from_str(&root("app.json")).expect("app.json is JSON");
    let checks = app["healthchecks"]["web"].as_array().expect("healthchecks.web");
    assert!(!checks.is_empty());
    for check in checks {
        let path = check["path"].as_str().expect("each check has a path");
        assert_eq!(status(port, path), 200, "{check}");
    }

    // A second server on the same data directory (a deploy's new container) waits, then refuses.
    let second_port = free_port();
    let started = Instant::now();
    let second = start(&command, second_port, &[("CROFT_LOCK_TIMEOUT", "2")]);
    let out = second.wait_with_output().expect("second exits");
    assert!(!out.status.success(), "the second server must refuse");
    assert!(started.elapsed() >= Duration::from_secs(2), "it waited for the lock first");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another Croft server") && stderr.contains("--lock-timeout"), "{stderr}");
    assert_eq!(status(port, "/api/health"), 200, "the first keeps serving");

    // Once the first exits, a new one starts on the same directory.
    assert!(stop(first).success());
    let mut third = start(&command, second_port, &[("CROFT_LOCK_TIMEOUT", "5")]);
    wait_listening(second_port, &mut third);
    assert_eq!(status(second_port, "/api/ready"), 200);
    assert!(stop(third).success());
}

#[test]
fn systemd_notifications_ready_watchdog_stopping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind");
    socket.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let port = free_port();
    let data = dir.path().join("data");
    let command = format!("croft serve --http 127.0.0.1:{port} --dir {}", data.display());
    let notify = socket_path.display().to_string();
    let child = start(&command, port, &[("NOTIFY_SOCKET", &notify), ("WATCHDOG_USEC", "400000")]);
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !(seen.iter().any(|m| m == "READY=1") && seen.iter().any(|m| m == "WATCHDOG=1")) {
        let n = socket.recv(&mut buf).expect("a notification");
        seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert_eq!(status(port, "/api/health"), 200, "READY=1 comes once the server accepts");
    let stopped = std::thread::spawn(move || stop(child));
    loop {
        let n = socket.recv(&mut buf).expect("STOPPING=1");
        if &buf[..n] == b"STOPPING=1" {
            break;
        }
    }
    assert!(stopped.join().expect("join").success());
}
