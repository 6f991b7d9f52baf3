//! Compiles filters against a small schema and runs them on an in-memory SQLite database.
