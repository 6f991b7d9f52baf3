//! Croft: a PocketBase-compatible backend in one binary.
//!
//! The binary (`main.rs`) only parses the command line; everything lives here so that the
//! integration tests can start a server in-process.

pub mod app;
pub mod auth;
pub mod backups;
pub mod blob;
pub mod cli;
pub mod collections;
pub mod config;
pub mod dates;
pub mod error;
pub mod files;
pub mod filter;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod limits;
pub mod logs;
pub mod mail;
pub mod password;
pub mod picker;
pub mod query_string;
pub mod realtime;
pub mod records;
pub mod schema;
pub mod server;
pub mod settings;
pub mod sql;
pub mod store;
pub mod telemetry;
pub mod tls;
