//! The SQL that differs between databases. The filter compiler writes everything else in
//! portable SQL and asks the dialect for placeholders, JSON access, row ids and randomness.
//! SQLite is implemented; PostgreSQL (jsonb_array_elements, `$N`, ctid-free ordering) comes
//! with the PostgreSQL store.

pub trait Dialect: Send + Sync + std::fmt::Debug {
    /// The placeholder of the n-th (1-based) bound parameter.
    fn placeholder(&self, n: usize) -> String;
    /// A table expression with one `value` column per element of the JSON array `json`;
    /// a non-JSON scalar counts as a one-element array (PocketBase's lenient reading).
    fn json_elements(&self, json: &str) -> String;
    /// The value at `path` (a bound `$.a.b[0]` path parameter) inside `json`.
    fn json_extract(&self, json: &str, path: &str) -> String;
    fn json_array_length(&self, json: &str) -> String;
    /// The physical insertion order of `alias` (PocketBase's `@rowid` sort).
    fn rowid(&self, alias: &str) -> String;
    fn random(&self) -> &'static str;
    /// SQLite's `strftime(format, time, modifiers…)` semantics.
    fn strftime(&self, args: &[String]) -> String;
}

#[derive(Debug)]
pub struct Sqlite;

pub static SQLITE: Sqlite = Sqlite;

impl Dialect for Sqlite {
    fn placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }

    fn json_elements(&self, json: &str) -> String {
        format!("json_each(CASE WHEN json_valid({json}) THEN {json} ELSE json_array({json}) END)")
    }

    fn json_extract(&self, json: &str, path: &str) -> String {
        format!("json_extract({json}, {path})")
    }

    fn json_array_length(&self, json: &str) -> String {
        format!("json_array_length({json})")
    }

    fn rowid(&self, alias: &str) -> String {
        format!("{alias}.`_rowid_`")
    }

    fn random(&self) -> &'static str {
        "RANDOM()"
    }

    fn strftime(&self, args: &[String]) -> String {
        format!("strftime({})", args.join(", "))
    }
}
