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
    /// The null-safe comparison: `l` and `r` are the same value, NULL included (`negate`: differ).
    fn null_safe_eq(&self, l: &str, r: &str, negate: bool) -> String;
    /// `LEFT JOIN <table>` that pairs every row with every row of `table` (a JSON elements
    /// table, or a subquery): no join condition of its own.
    fn join_always(&self, table: &str) -> String;
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
    /// A value read as a number (JSON values come out of [`Dialect::json_extract`] as text in
    /// some dialects).
    fn number(&self, expr: &str) -> String {
        expr.to_owned()
    }
    /// The great-circle distance in km between two (lon, lat) points in degrees
    /// (PocketBase's `geoDistance`).
    fn geo_distance(&self, lon_a: &str, lat_a: &str, lon_b: &str, lat_b: &str) -> String {
        let rad = |x: &str| format!("radians({})", self.number(x));
        let (lon_a, lat_a, lon_b, lat_b) = (rad(lon_a), rad(lat_a), rad(lon_b), rad(lat_b));
        format!("(6371 * acos(cos({lat_a}) * cos({lat_b}) * cos({lon_b} - {lon_a}) + sin({lat_a}) * sin({lat_b})))")
    }
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

    fn null_safe_eq(&self, l: &str, r: &str, negate: bool) -> String {
        if negate { format!("{l} IS NOT {r}") } else { format!("{l} IS {r}") }
    }

    fn join_always(&self, table: &str) -> String {
        format!("LEFT JOIN {table}")
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

    fn null_safe_eq(&self, l: &str, r: &str, negate: bool) -> String {
        if negate { format!("{l} IS DISTINCT FROM {r}") } else { format!("{l} IS NOT DISTINCT FROM {r}") }
    }

    fn join_always(&self, table: &str) -> String {
        format!("LEFT JOIN {table} ON TRUE")
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

    fn number(&self, expr: &str) -> String {
        format!("({expr})::float8")
    }
}
