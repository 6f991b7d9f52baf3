//! One integration-test binary: each module drives a real server started in-process on port 0.

mod helpers;

mod admin_listener;
mod assets;
mod auth;
mod backups;
mod cascade;
mod cli;
mod deploy;
mod docs;
mod errors;
mod expand;
mod files;
mod filters;
mod frontends;
mod health;
mod hostile;
mod import;
mod jobs;
mod logs;
mod planner;
mod schema_changes;
mod settings;
mod shutdown;
mod store_contract;
mod tls;
