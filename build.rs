//! Rebuild when a migration is added or changed: `refinery::embed_migrations!` reads the
//! folders at compile time, and Cargo would not notice a new file on its own.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
