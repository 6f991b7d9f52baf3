//! The floors of the benchmark table: what this machine allows without Croft's work.
//!
//! `cargo bench --bench floor -- serve ADDR` answers `GET /` with a fixed small JSON body (poem,
//! like Croft); `cargo bench --bench floor -- sqlite N` times N single-row insert transactions
//! with Croft's pragmas and prints `{"inserts_per_sec": …}`.

use std::time::Instant;

use poem::listener::TcpListener;
use poem::web::Json;
use poem::{Route, Server, get, handler};

#[handler]
fn fixed() -> Json<serde_json::Value> {
    Json(serde_json::json!({"code": 200, "message": "API is healthy.", "data": {}}))
}

fn sqlite(n: u64) -> rusqlite::Result<f64> {
    let dir = tempfile_dir();
    let conn = rusqlite::Connection::open(dir.join("floor.db"))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;
         CREATE TABLE t (id TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', n NUMERIC NOT NULL DEFAULT 0);",
    )?;
    let started = Instant::now();
    for i in 0..n {
        conn.execute(
            "INSERT INTO t (id, title, n) VALUES (?1, 'floor', ?2)",
            rusqlite::params![format!("{i:015}"), i64::try_from(i).unwrap_or(i64::MAX)],
        )?;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(dir);
    Ok(rate)
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("croft-floor-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            let addr = args.get(1).cloned().unwrap_or_else(|| "127.0.0.1:8099".into());
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let app = Route::new().at("/", get(fixed));
                println!("floor listening on {addr}");
                Server::new(TcpListener::bind(addr)).run(app).await.expect("serve");
            });
        }
        Some("sqlite") => {
            let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(20_000);
            match sqlite(n) {
                Ok(rate) => println!("{{\"inserts_per_sec\": {rate:.0}}}"),
                Err(e) => {
                    eprintln!("sqlite floor failed: {e}");
                    std::process::exit(1);
                }
            }
        }
        _ => {
            eprintln!("usage: floor serve ADDR | floor sqlite N");
            std::process::exit(2);
        }
    }
}
