//! What differs between the SQL of SQLite and of PostgreSQL. Everything above the store builds
//! its SQL with these methods; the rest of the text it writes (SELECT, JOIN, EXISTS, COALESCE,
//! CASE, `||`) is spelled the same in both.
//!
//! SQLite is the backend today. [`Postgres`] is the skeleton the PostgreSQL store will use:
//! its spelling is pinned by golden tests (`sql/tests.rs`) so it can be reviewed before the
//! store exists.

/// The table expression that [`Dialect::json_elements`] yields has this one column.
pub const ELEMENT: &str = "value";

pub trait Dialect: Send + Sync + std::fmt::Debug {
    /// A quoted identifier (table, column or alias).
    fn ident(&self, name: &str) -> String {
        super::ident(name)
    }
    /// The placeholder of the n-th (1-based) bound parameter.
    fn placeholder(&self, n: usize) -> String;
    /// The parameter number of a placeholder this dialect wrote.
    fn placeholder_index(&self, placeholder: &str) -> Option<usize>;
    /// The literal of a boolean value, as a condition and as a stored bool.
    fn bool_literal(&self, value: bool) -> &'static str;
    /// `expr LIKE pattern` with `\` as the escape character; ASCII case-insensitive as
    /// PocketBase's `~` is.
    fn like(&self, expr: &str, pattern: &str, negate: bool) -> String;
    /// Folds the case of a text value (`:lower`).
    fn lower(&self, expr: &str) -> String {
        format!("LOWER({expr})")
    }
    /// A table expression named `alias` with one column, [`ELEMENT`], per element of the JSON
    /// array `json`; a non-JSON scalar counts as a one-element array (PocketBase's reading).
    fn json_elements(&self, json: &str, alias: &str) -> String;
    /// Like [`Dialect::json_elements`], but anything that is not a JSON array has no elements.
    fn json_array_elements(&self, json: &str, alias: &str) -> String;
    /// The value at `path` (a bound `$.a.b[0]` path parameter) inside `json`.
    fn json_extract(&self, json: &str, path: &str) -> String;
    fn json_array_length(&self, json: &str) -> String;
    /// The JSON array of `expr` over the rows of a group (`[]` for none).
    fn json_array_agg(&self, expr: &str) -> String;
    /// The physical insertion order of `alias` (PocketBase's `@rowid` sort).
    fn rowid(&self, alias: &str) -> String;
    fn random(&self) -> &'static str {
        "RANDOM()"
    }
    /// SQLite's `strftime(format, time, modifiers…)` semantics.
    fn strftime(&self, args: &[String]) -> String;
    /// `INSERT … ON CONFLICT (conflict) DO UPDATE SET` every column of `update` to its new
    /// value; `DO NOTHING` when `update` is empty. Values are the placeholders `values`.
    fn upsert(&self, table: &str, columns: &[&str], values: &[String], conflict: &[&str], update: &[&str]) -> String {
        let list = |names: &[&str]| names.iter().map(|n| self.ident(n)).collect::<Vec<_>>().join(", ");
        let action = if update.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            let sets: Vec<String> = update.iter().map(|c| format!("{c} = excluded.{c}", c = self.ident(c))).collect();
            format!("DO UPDATE SET {}", sets.join(", "))
        };
        format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) {action}",
            self.ident(table),
            list(columns),
            values.join(", "),
            list(conflict)
        )
    }
}

#[derive(Debug)]
pub struct Sqlite;

pub static SQLITE: Sqlite = Sqlite;

impl Dialect for Sqlite {
    fn placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }

    fn placeholder_index(&self, placeholder: &str) -> Option<usize> {
        placeholder.strip_prefix('?')?.parse().ok()
    }

    fn bool_literal(&self, value: bool) -> &'static str {
        if value { "1" } else { "0" }
    }

    fn like(&self, expr: &str, pattern: &str, negate: bool) -> String {
        let not = if negate { "NOT " } else { "" };
        format!("{expr} {not}LIKE {pattern} ESCAPE '\\'")
    }

    fn json_elements(&self, json: &str, alias: &str) -> String {
        format!("json_each(CASE WHEN json_valid({json}) THEN {json} ELSE json_array({json}) END) {alias}")
    }

    fn json_array_elements(&self, json: &str, alias: &str) -> String {
        format!("json_each(CASE WHEN json_valid({json}) THEN {json} ELSE '[]' END) {alias}")
    }

    fn json_extract(&self, json: &str, path: &str) -> String {
        format!("json_extract({json}, {path})")
    }

    fn json_array_length(&self, json: &str) -> String {
        format!("json_array_length({json})")
    }

    fn json_array_agg(&self, expr: &str) -> String {
        format!("json_group_array({expr})")
    }

    fn rowid(&self, alias: &str) -> String {
        format!("{alias}.\"_rowid_\"")
    }

    fn strftime(&self, args: &[String]) -> String {
        format!("strftime({})", args.join(", "))
    }
}

/// PostgreSQL's spelling, for the store that is still to come. JSON columns are `jsonb`. Two
/// things the PostgreSQL schema must provide: a `_rowid_ bigserial` column on record tables
/// (insertion order), and a SQL function `croft_strftime` with SQLite's format letters.
#[derive(Debug)]
pub struct Postgres;

pub static POSTGRES: Postgres = Postgres;

impl Dialect for Postgres {
    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    fn placeholder_index(&self, placeholder: &str) -> Option<usize> {
        placeholder.strip_prefix('$')?.parse().ok()
    }

    fn bool_literal(&self, value: bool) -> &'static str {
        if value { "TRUE" } else { "FALSE" }
    }

    fn like(&self, expr: &str, pattern: &str, negate: bool) -> String {
        let not = if negate { "NOT " } else { "" };
        format!("({expr})::text {not}ILIKE {pattern} ESCAPE '\\'")
    }

    fn json_elements(&self, json: &str, alias: &str) -> String {
        format!(
            "jsonb_array_elements_text(CASE WHEN jsonb_typeof(to_jsonb({json})) = 'array' THEN to_jsonb({json}) ELSE jsonb_build_array({json}) END) AS {alias}(\"{ELEMENT}\")"
        )
    }

    fn json_array_elements(&self, json: &str, alias: &str) -> String {
        format!(
            "jsonb_array_elements_text(CASE WHEN jsonb_typeof(to_jsonb({json})) = 'array' THEN to_jsonb({json}) ELSE '[]'::jsonb END) AS {alias}(\"{ELEMENT}\")"
        )
    }

    fn json_extract(&self, json: &str, path: &str) -> String {
        format!("jsonb_path_query_first(to_jsonb({json}), {path}::jsonpath) #>> '{{}}'")
    }

    fn json_array_length(&self, json: &str) -> String {
        format!("jsonb_array_length(to_jsonb({json}))")
    }

    fn json_array_agg(&self, expr: &str) -> String {
        format!("COALESCE(jsonb_agg({expr}), '[]'::jsonb)")
    }

    fn rowid(&self, alias: &str) -> String {
        format!("{alias}.\"_rowid_\"")
    }

    fn strftime(&self, args: &[String]) -> String {
        format!("croft_strftime({})", args.join(", "))
    }
}
