//! HTTPS: certificates from Pebble (a real ACME server) with renewals and an outage, from files
//! with reloads, HTTP/2, the HTTP → HTTPS redirect, HSTS and `www.` redirects.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::client::TlsStream;

use crate::helpers::spawn_with;

const DOMAIN: &str = "app.test";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn spawn(cmd: &mut Command, log: &Path) -> Child {
    let out = std::fs::File::create(log).expect("log");
    let err = out.try_clone().expect("log");
    cmd.stdout(Stdio::from(out)).stderr(Stdio::from(err)).spawn().unwrap_or_else(|e| {
        panic!("cannot start {:?} ({e}); install Debian's pebble package (tests/run does)", cmd.get_program())
    })
}

/// Pebble and its DNS server (pebble-challtestsrv, answering 127.0.0.1 for every name).
struct Pebble {
    dir: PathBuf,
    port: u16,
    management: u16,
    dns_port: u16,
    dns: Child,
    pebble: Option<Child>,
}

impl Pebble {
    /// Pebble validating HTTP-01 on `http_port` and TLS-ALPN-01 on `tls_port`, issuing
    /// certificates valid for `validity` seconds.
    fn start(dir: &Path, http_port: u16, tls_port: u16, validity: u64) -> Self {
        let (port, management, dns_port) = (free_port(), free_port(), free_port());
        write_ca_and_leaf(dir, "pebble", &["localhost", "127.0.0.1"]);
        let config = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{port}"),
            "managementListenAddress": format!("127.0.0.1:{management}"),
            "certificate": dir.join("pebble-cert.pem"), "privateKey": dir.join("pebble-key.pem"),
            "httpPort": http_port, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": false,
            "certificateValidityPeriod": validity,
        }});
        std::fs::write(dir.join("pebble.json"), config.to_string()).expect("write");
        let dns = spawn(
            Command::new("pebble-challtestsrv").args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""]).args([
                "-dns01",
                &format!("127.0.0.1:{dns_port}"),
                "-http01",
                "",
                "-https01",
                "",
                "-tlsalpn01",
                "",
                "-management",
                &format!("127.0.0.1:{}", free_port()),
            ]),
            &dir.join("dns.log"),
        );
        let mut pebble = Self { dir: dir.to_owned(), port, management, dns_port, dns, pebble: None };
        pebble.resume();
        pebble
    }

    /// Starts Pebble (again: a new Pebble forgets accounts and makes a new root).
    fn resume(&mut self) {
        let child = spawn(
            Command::new("pebble")
                .env("PEBBLE_VA_NOSLEEP", "1")
                .arg("-config")
                .arg(self.dir.join("pebble.json"))
                .args(["-dnsserver", &format!("127.0.0.1:{}", self.dns_port)]),
            &self.dir.join("pebble.log"),
        );
        self.pebble = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.management)).is_err() {
            assert!(Instant::now() < deadline, "pebble did not start: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.pebble.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn directory(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pebble.log")).unwrap_or_default()
    }

    /// The root that signs the certificates this Pebble issues.
    fn issuing_root(&self) -> Vec<u8> {
        curl(&[
            "--cacert",
            &self.dir.join("pebble-ca.pem").to_string_lossy(),
            &format!("https://127.0.0.1:{}/roots/0", self.management),
        ])
        .into_bytes()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        self.stop();
        let _ = self.dns.kill();
        let _ = self.dns.wait();
    }
}

/// `<name>-ca.pem`, `<name>-cert.pem` and `<name>-key.pem`: a CA and a leaf it signed.
fn write_ca_and_leaf(dir: &Path, name: &str, names: &[&str]) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, format!("test CA {name}"));
    let ca_cert = ca.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().expect("key");
    let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    let leaf = rcgen::CertificateParams::new(names).expect("params").signed_by(&key, &issuer).expect("leaf");
    std::fs::write(dir.join(format!("{name}-ca.pem")), ca_cert.pem()).expect("write");
    std::fs::write(dir.join(format!("{name}-cert.pem")), leaf.pem()).expect("write");
    std::fs::write(dir.join(format!("{name}-key.pem")), key.serialize_pem()).expect("write");
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl").args(["-sS", "--max-time", "10"]).args(args).output().expect("curl");
    assert!(out.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A TLS connection to `addr` as `name`, verified against `root`.
async fn connect(addr: SocketAddr, name: &str, root: &[u8]) -> std::io::Result<TlsStream<tokio::net::TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(root) {
        roots.add(cert.expect("pem")).expect("root");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = ServerName::try_from(name.to_owned()).expect("name");
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await
}

/// The expiry of the certificate served to a new connection.
fn expiry(stream: &TlsStream<tokio::net::TcpStream>) -> DateTime<Utc> {
    let certs = stream.get_ref().1.peer_certificates().expect("peer certificates");
    croft::tls::certs::validity(&certs[0]).expect("validity").1
}

/// GET `path` on an open HTTP/1.1 connection; the status line and the body.
async fn get(stream: &mut TlsStream<tokio::net::TcpStream>, path: &str) -> (String, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed: {}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return (head.lines().next().unwrap_or_default().to_owned(), body.to_owned());
            }
        }
    }
}

/// Waits until a new connection is served a certificate that expires after `after`.
async fn wait_for_certificate(addr: SocketAddr, root: &[u8], after: DateTime<Utc>, within: Duration) -> DateTime<Utc> {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(stream) = connect(addr, DOMAIN, root).await {
            let expires = expiry(&stream);
            if expires > after {
                return expires;
            }
        }
        assert!(Instant::now() < deadline, "no certificate expiring after {after} within {within:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_certificate_from_pebble_is_renewed_and_survives_an_outage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (http_port, https_port) = (free_port(), free_port());
    // 30 s certificates: renewed 20 s after issuance, when a third of the lifetime is left.
    let mut pebble = Pebble::start(dir.path(), http_port, free_port(), 30);
    let ca = dir.path().join("pebble-ca.pem");
    let app = spawn_with(|c| {
        c.http = SocketAddr::from(([127, 0, 0, 1], http_port));
        c.tls.domains = vec![DOMAIN.to_owned()];
        c.tls.https = Some(SocketAddr::from(([127, 0, 0, 1], https_port)));
        c.tls.acme_directory = pebble.directory();
        c.tls.acme_ca = Some(ca.clone());
        c.tls.acme_retry_secs = 1;
        c.metrics_token = Some("m".to_owned().into());
    })
    .await;
    let https = app.running().https_addr.expect("https listener");
    let root = pebble.issuing_root();
    let first = wait_for_certificate(https, &root, Utc::now(), Duration::from_secs(30)).await;

    // https://app.test verified against Pebble's root, over HTTP/2 as well.
    let root_file = dir.path().join("root.pem");
    std::fs::write(&root_file, &root).expect("write");
    let resolve = format!("{DOMAIN}:{https_port}:127.0.0.1");
    let url = format!("https://{DOMAIN}:{https_port}/api/health");
    let root_arg = root_file.to_string_lossy().into_owned();
    let version = curl(&[
        "--http2",
        "--cacert",
        &root_arg,
        "--resolve",
        &resolve,
        "-o",
        "/dev/null",
        "-w",
        "%{http_version} %{http_code}",
        &url,
    ]);
    assert_eq!(version, "2 200");

    // Plain HTTP redirects to HTTPS (the health probe stays answered).
    let resp = app
        .client
        .get(format!("http://127.0.0.1:{http_port}/api/collections/posts/records?page=2"))
        .header("Host", DOMAIN)
        .send()
        .await
        .expect("http");
    assert_eq!(resp.status(), 301);
    assert_eq!(
        resp.headers()["location"],
        format!("https://{DOMAIN}:{https_port}/api/collections/posts/records?page=2").as_str()
    );
    let resp = app.client.post(format!("http://127.0.0.1:{http_port}/api/batch")).header("Host", DOMAIN).send().await;
    assert_eq!(resp.expect("post").status(), 308, "non-GET requests keep their method");
    let resp = app.client.get(format!("http://127.0.0.1:{http_port}/api/health")).send().await.expect("health");
    assert_eq!(resp.status(), 200);

    // A keep-alive connection opened before the renewal goes on working after it.
    let mut open = connect(https, DOMAIN, &root).await.expect("connect");
    assert_eq!(get(&mut open, "/api/health").await.0, "HTTP/1.1 200 OK");
    let second = wait_for_certificate(https, &root, first, Duration::from_secs(40)).await;
    assert_eq!(get(&mut open, "/api/health").await.0, "HTTP/1.1 200 OK", "the old connection survived");

    // Pebble goes away before the next renewal: the attempts fail, the site stays up.
    pebble.stop();
    let renew_at = second - chrono::Duration::seconds(10);
    tokio::time::sleep((renew_at - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(3)).await;
    let stream = connect(https, DOMAIN, &root).await.expect("still served");
    assert_eq!(expiry(&stream), second, "the old certificate stays");
    let run = croft::jobs::run_now(&app.state, "certificate_renewal").await.expect("job");
    assert!(!run.ok && run.error.contains("next attempt"), "the job reports the failure: {}", run.error);
    let metrics = curl(&[
        "--cacert",
        &root_arg,
        "--resolve",
        &resolve,
        "-H",
        "Authorization: Bearer m",
        &format!("https://{DOMAIN}:{https_port}/metrics"),
    ]);
    assert!(metrics.contains("croft_tls_renewals_total{result=\"error\"}"), "{metrics}");
    assert!(metrics.contains("croft_tls_certificate_expiry_timestamp_seconds"), "{metrics}");

    // Pebble comes back (a new instance: new root, the account forgotten); a retry succeeds.
    pebble.resume();
    let root = pebble.issuing_root();
    let third = wait_for_certificate(https, &root, second, Duration::from_secs(15)).await;
    assert!(third > second);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_tls_alpn_01_needs_only_the_https_port() {
    let dir = tempfile::tempdir().expect("tempdir");
    let https_port = free_port();
    // Pebble validates HTTP-01 on a port nobody listens on: only TLS-ALPN-01 can succeed.
    let pebble = Pebble::start(dir.path(), free_port(), https_port, 300);
    let ca = dir.path().join("pebble-ca.pem");
    let app = spawn_with(|c| {
        c.tls.domains = vec![DOMAIN.to_owned()];
        c.tls.https = Some(SocketAddr::from(([127, 0, 0, 1], https_port)));
        c.tls.acme_directory = pebble.directory();
        c.tls.acme_ca = Some(ca.clone());
        c.tls.acme_challenge = "tls-alpn-01".to_owned();
    })
    .await;
    let https = app.running().https_addr.expect("https listener");
    let root = pebble.issuing_root();
    wait_for_certificate(https, &root, Utc::now(), Duration::from_secs(30)).await;
    let mut stream = connect(https, DOMAIN, &root).await.expect("connect");
    assert_eq!(get(&mut stream, "/api/health").await.0, "HTTP/1.1 200 OK");
    app.stop().await;
}

/// A self-signed certificate for `names` valid until `not_after` (year, month, day).
fn write_self_signed(cert: &Path, key: &Path, names: &[&str], not_after: (i32, u8, u8)) -> Vec<u8> {
    let pair = rcgen::KeyPair::generate().expect("key");
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).expect("params");
    params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
    let pem = params.self_signed(&pair).expect("cert").pem();
    std::fs::write(key, pair.serialize_pem()).expect("write");
    std::fs::write(cert, &pem).expect("write");
    pem.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_files_are_reloaded_when_they_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let names = [DOMAIN, "www.app.test"];
    let first = write_self_signed(&cert, &key, &names, (2031, 1, 1));
    let app = spawn_with(|c| {
        c.tls.cert = Some(cert.clone());
        c.tls.key = Some(key.clone());
        c.tls.https = Some("127.0.0.1:0".parse().expect("addr"));
        c.tls.hsts = true;
        c.tls.www_redirect = "apex".to_owned();
    })
    .await;
    let https = app.running().https_addr.expect("https listener");
    let mut stream = connect(https, DOMAIN, &first).await.expect("connect");
    assert_eq!(expiry(&stream).to_rfc3339(), "2031-01-01T00:00:00+00:00");
    let (status, _) = get(&mut stream, "/api/health").await;
    assert_eq!(status, "HTTP/1.1 200 OK");

    // HSTS over HTTPS; www. redirects to the apex.
    let root_file = dir.path().join("root.pem");
    std::fs::write(&root_file, &first).expect("write");
    let root_arg = root_file.to_string_lossy().into_owned();
    let port = https.port();
    let head = |host: &str| {
        curl(&[
            "-I",
            "--cacert",
            &root_arg,
            "--resolve",
            &format!("{host}:{port}:127.0.0.1"),
            &format!("https://{host}:{port}/api/health"),
        ])
        .to_ascii_lowercase()
    };
    let apex = head(DOMAIN);
    assert!(apex.contains("strict-transport-security: max-age=31536000"), "{apex}");
    let www = head("www.app.test");
    assert!(www.starts_with("http/2 301"), "{www}");
    assert!(www.contains(&format!("location: https://{DOMAIN}:{port}/api/health")), "{www}");

    // A broken pair keeps the old certificate.
    std::fs::write(&key, "not a key").expect("write");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stream = connect(https, DOMAIN, &first).await.expect("old certificate still served");
    assert_eq!(expiry(&stream).to_rfc3339(), "2031-01-01T00:00:00+00:00");

    // A new pair (as cert-manager writes it) goes live within the polling interval.
    let second = write_self_signed(&cert, &key, &names, (2032, 2, 2));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(stream) = connect(https, DOMAIN, &second).await {
            assert_eq!(expiry(&stream).to_rfc3339(), "2032-02-02T00:00:00+00:00");
            break;
        }
        assert!(Instant::now() < deadline, "the new certificate was not picked up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_tls_configuration_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = croft::config::Config::default();
    config.tls.cert = Some(dir.path().join("missing.crt"));
    config.tls.key = Some(dir.path().join("missing.key"));
    config.tls.https = Some("127.0.0.1:0".parse().expect("addr"));
    config.http = "127.0.0.1:0".parse().expect("addr");
    let state = croft::app::AppState::build(config.clone(), dir.path().join("data")).await.expect("state");
    let err = croft::server::start(state).await.err().expect("missing files are refused");
    assert!(format!("{err:#}").contains("missing.crt"), "{err:#}");

    config.tls.domains = vec!["app.test".to_owned()];
    let err = croft::app::AppState::build(config.clone(), dir.path().join("data2")).await.err().expect("both");
    assert!(err.to_string().contains("not both"), "{err}");
    config.tls.cert = None;
    config.tls.key = None;
    config.tls.domains = vec!["not a domain".to_owned()];
    let err = croft::app::AppState::build(config, dir.path().join("data3")).await.err().expect("bad domain");
    assert!(err.to_string().contains("not a domain name"), "{err}");
}

/// Pads `path` with trailing newlines (outside the PEM markers) to `len` bytes.
fn pad_to(path: &Path, len: u64) {
    let mut data = std::fs::read(path).expect("read");
    assert!(data.len() as u64 <= len, "the new file is longer than the old one");
    data.resize(usize::try_from(len).expect("len"), b'\n');
    std::fs::write(path, data).expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_certificate_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let first = write_self_signed(&cert, &key, &[DOMAIN], (2031, 1, 1));
    // Room to make the next pair the same size.
    pad_to(&cert, std::fs::metadata(&cert).expect("meta").len() + 64);
    pad_to(&key, std::fs::metadata(&key).expect("meta").len() + 64);
    let app = spawn_with(|c| {
        c.tls.cert = Some(cert.clone());
        c.tls.key = Some(key.clone());
        c.tls.https = Some("127.0.0.1:0".parse().expect("addr"));
    })
    .await;
    let https = app.running().https_addr.expect("https listener");
    assert_eq!(
        expiry(&connect(https, DOMAIN, &first).await.expect("connect")).to_rfc3339(),
        "2031-01-01T00:00:00+00:00"
    );

    // A new pair with the old sizes and modification times: polling cannot see it.
    let stamp = |p: &Path| {
        (std::fs::metadata(p).expect("meta").len(), std::fs::metadata(p).expect("meta").modified().expect("mtime"))
    };
    let (old_cert, old_key) = (stamp(&cert), stamp(&key));
    let second = write_self_signed(&cert, &key, &[DOMAIN], (2032, 2, 2));
    for (path, (len, mtime)) in [(&cert, old_cert), (&key, old_key)] {
        pad_to(path, len);
        std::fs::File::options().write(true).open(path).expect("open").set_modified(mtime).expect("mtime");
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let served = expiry(&connect(https, DOMAIN, &first).await.expect("still the old one"));
    assert_eq!(served.to_rfc3339(), "2031-01-01T00:00:00+00:00", "unchanged stamps: no reload by polling");

    let status = Command::new("kill").arg("-HUP").arg(std::process::id().to_string()).status().expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(stream) = connect(https, DOMAIN, &second).await {
            assert_eq!(expiry(&stream).to_rfc3339(), "2032-02-02T00:00:00+00:00");
            break;
        }
        assert!(Instant::now() < deadline, "SIGHUP did not reload the certificate");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
}
