//! Architecture test: reads the files under `src/` and fails when the layering rules break.
//!
//! Every top-level module (first path component under `src/`: `src/records/write.rs` is
//! `records`, `src/app.rs` is `app`) sits on a layer of [`LAYERS`]. `src/lib.rs` is skipped;
//! `src/main.rs` is the binary (`main`), where `croft::x` counts like `crate::x`.
//!
//! Rules, one `#[test]` each:
//! 1. No upward imports: a module may name (`use crate::x`, grouped `use crate::{x, y}`,
//!    inline `crate::x::f()`) its own layer or lower ones, never a higher one.
//! 2. No cycles between top-level modules (same-layer references included). Each cycle is
//!    shown once per reference that does not go down a layer, since one of those must go.
//! 3. Only `app` (which defines it), `http`, `server` and `cli` name `AppState`.
//! 4. SQL is spelled only in `src/sql/` and `src/store/<backend>/`: string literals of the
//!    [`SQL_FREE`] modules must not hold a backtick or a numbered placeholder (`?1`, `?{}`).
//!
//! Rules 1-3 ignore comments and string/char literals. Test code is skipped by every rule:
//! items under `#[cfg(test)]`, files named `tests.rs`, files under a `tests/` folder.
//! A new top-level module must be added to [`LAYERS`] (and to the layer table in README.md).
//!
//! Known violations: each violation has a key without line numbers, printed by the failing
//! test: `upward records -> http`, `cycle realtime -> records -> realtime` (starting at the
//! smallest name), `appstate src/records/mod.rs`, `sql src/records/write.rs`. A key listed in
//! [`KNOWN`] is reported as a warning instead of a failure while a refactoring is under way;
//! keep the list empty once it is done. Passing tests' output (summary line per rule, warnings)
//! shows with `cargo test --test architecture -- --nocapture`.
//!
//! Without cargo: `rustc --edition 2024 --test tests/architecture.rs -o /tmp/arch &&
//! CARGO_MANIFEST_DIR=. /tmp/arch` (the root falls back to the current directory).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Range;
use std::path::Path;

/// Layers from top to bottom: a module may reference its own layer or any lower one.
const LAYERS: &[(u32, &[&str])] = &[
    (12, &["main"]),
    (11, &["cli"]),
    (10, &["server"]),
    (9, &["http"]),
    (8, &["app"]),
    (7, &["auth"]),
    (6, &["collections"]),
    (5, &["records", "backups"]),
    (4, &["files", "realtime", "settings", "mail", "jobs", "limits", "logs", "tls"]),
    (3, &["filter", "store"]),
    (2, &["sql", "schema", "blob"]),
    (1, &["error", "ids", "dates", "password", "picker", "query_string", "config", "telemetry"]),
];

/// Violation keys reported as warnings instead of failures while a refactoring is under way.
/// Keep it empty otherwise; a key that no longer occurs fails `known_violations_still_occur`.
const KNOWN: &[&str] = &[];

/// Top-level modules allowed to name `AppState`.
const APPSTATE_ALLOWED: &[&str] = &["app", "http", "server", "cli"];

/// Top-level modules whose string literals must not spell SQL.
const SQL_FREE: &[&str] = &["auth", "records", "files", "realtime", "filter", "settings", "collections"];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(_, names)| names.contains(&module)).map(|(layer, _)| *layer)
}

// --- Sources -------------------------------------------------------------------------------

/// One file of `src/`: `code` has comments, literals and test items blanked out (newlines
/// kept, so offsets still give lines); `literals` are the string literals with their lines.
struct Source {
    path: String,
    module: String,
    code: String,
    newlines: Vec<usize>,
    literals: Vec<(usize, String)>,
}

impl Source {
    fn parse(path: &str, text: &str) -> Source {
        let (code, literals) = lex(text);
        let newlines: Vec<usize> = code.match_indices('\n').map(|(at, _)| at).collect();
        let tests = test_item_ranges(&code);
        let in_tests = |at: &usize| tests.iter().any(|r| r.contains(at));
        let literals = literals.into_iter().filter(|(at, _)| !in_tests(at));
        let literals = literals.map(|(at, text)| (newlines.partition_point(|&n| n < at) + 1, text)).collect();
        let code = blank(&code, &tests);
        Source { path: path.to_string(), module: top_module(path), code, newlines, literals }
    }

    /// `path:line` of an offset in `code`.
    fn place(&self, at: usize) -> String {
        format!("{}:{}", self.path, self.newlines.partition_point(|&n| n < at) + 1)
    }
}

/// `src/records/write.rs` -> `records`, `src/app.rs` -> `app`.
fn top_module(path: &str) -> String {
    let first = path.trim_start_matches("src/").split('/').next().unwrap_or_default();
    first.trim_end_matches(".rs").to_string()
}

/// Every `.rs` file under `src/` but `lib.rs` and test files, with `/`-separated paths.
fn load_sources() -> Vec<Source> {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_string());
    let root = Path::new(&root);
    assert!(root.join("src").is_dir(), "no src/ under {}: set CARGO_MANIFEST_DIR", root.display());
    let mut files = Vec::new();
    collect_rs_files(&root.join("src"), "src", &mut files);
    files.sort();
    let keep = |rel: &&String| *rel != "src/lib.rs" && !rel.ends_with("/tests.rs");
    let read = |rel: &String| std::fs::read_to_string(root.join(rel)).expect("readable source file");
    files.iter().filter(keep).map(|rel| Source::parse(rel, &read(rel))).collect()
}

fn collect_rs_files(dir: &Path, rel: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("readable src directory") {
        let entry = entry.expect("readable directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && name != "tests" {
            collect_rs_files(&entry.path(), &format!("{rel}/{name}"), out);
        } else if name.ends_with(".rs") {
            out.push(format!("{rel}/{name}"));
        }
    }
}

// --- Lexer ---------------------------------------------------------------------------------

/// Returns the text with comments, literals and non-ASCII characters turned into spaces (one
/// byte per character, newlines kept), and the string literals by their offset in it.
fn lex(text: &str) -> (String, Vec<(usize, String)>) {
    let chars: Vec<char> = text.chars().collect();
    let (mut code, mut literals) = (String::with_capacity(chars.len()), Vec::new());
    let mut i = 0;
    while i < chars.len() {
        let end = if let Some(end) = comment_end(&chars, i).or_else(|| char_literal_end(&chars, i)) {
            end
        } else if let Some((content, end)) = string_literal(&chars, i) {
            literals.push((code.len(), chars[content].iter().collect()));
            end
        } else {
            code.push(if chars[i].is_ascii() { chars[i] } else { ' ' });
            i += 1;
            continue;
        };
        code.extend(chars[i..end].iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
        i = end;
    }
    (code, literals)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// End of a `//` or (nested) `/* */` comment starting at `i`.
fn comment_end(s: &[char], i: usize) -> Option<usize> {
    match (s.get(i), s.get(i + 1)) {
        (Some('/'), Some('/')) => Some(s[i..].iter().position(|&c| c == '\n').map_or(s.len(), |n| i + n)),
        (Some('/'), Some('*')) => {
            let (mut depth, mut j) = (0, i);
            while j < s.len() {
                match (s[j], s.get(j + 1)) {
                    ('/', Some('*')) => (depth, j) = (depth + 1, j + 2),
                    ('*', Some('/')) if depth == 1 => return Some(j + 2),
                    ('*', Some('/')) => (depth, j) = (depth - 1, j + 2),
                    _ => j += 1,
                }
            }
            Some(s.len())
        }
        _ => None,
    }
}

/// End of a char literal (`'a'`, `'\''`, `'\u{1F600}'`) starting at `i`; `None` for lifetimes.
fn char_literal_end(s: &[char], i: usize) -> Option<usize> {
    if s.get(i) != Some(&'\'') {
        return None;
    }
    if s.get(i + 1) == Some(&'\\') {
        let close = s.get(i + 3..)?.iter().position(|&c| c == '\'')?;
        return Some(i + 3 + close + 1);
    }
    (s.get(i + 2) == Some(&'\'')).then_some(i + 3)
}

/// A string literal (`"…"`, `b"…"`, `c"…"`, `r#"…"#`, `br"…"`) starting at `i`:
/// returns the range of its content and the end of the literal.
fn string_literal(s: &[char], i: usize) -> Option<(Range<usize>, usize)> {
    if i > 0 && is_ident(s[i - 1]) {
        return None;
    }
    let j = if matches!(s.get(i), Some('b' | 'c')) { i + 1 } else { i };
    if s.get(j) == Some(&'r') {
        let hashes = s[j + 1..].iter().take_while(|&&c| c == '#').count();
        return raw_string(s, j + 1 + hashes, hashes);
    }
    if s.get(j) != Some(&'"') {
        return None;
    }
    let mut k = j + 1;
    while k < s.len() && s[k] != '"' {
        k += if s[k] == '\\' { 2 } else { 1 };
    }
    Some((j + 1..k.min(s.len()), (k + 1).min(s.len())))
}

/// A raw string whose opening quote should be at `quote`, closed by `"` and `hashes` `#`s.
fn raw_string(s: &[char], quote: usize, hashes: usize) -> Option<(Range<usize>, usize)> {
    if s.get(quote) != Some(&'"') {
        return None; // a raw identifier such as `r#type`
    }
    let closes = |k: &usize| s[*k] == '"' && k + hashes < s.len() && s[k + 1..=k + hashes].iter().all(|&c| c == '#');
    let close = (quote + 1..s.len()).find(closes).unwrap_or(s.len());
    Some((quote + 1..close, (close + 1 + hashes).min(s.len())))
}

// --- Blanked code: test items, words, references --------------------------------------------

/// Ranges of the items carrying `#[cfg(test)]` (a `mod tests { … }`, a `fn`, a `use`, …), or
/// the whole file when it starts with `#![cfg(test)]`.
fn test_item_ranges(code: &str) -> Vec<Range<usize>> {
    if code.trim_start().starts_with("#![cfg(test)]") {
        return std::iter::once(0..code.len()).collect();
    }
    let attr = "#[cfg(test)]";
    code.match_indices(attr).map(|(at, _)| at..item_end(code.as_bytes(), at + attr.len())).collect()
}

/// End of the item (or group member) at `from`: after its `;` or `,`, or after the brace
/// closing its first `{`; or at the `}` / `)` closing the enclosing group.
fn item_end(code: &[u8], from: usize) -> usize {
    let mut depth = 0;
    for (j, &c) in code.iter().enumerate().skip(from) {
        match c {
            b'(' | b'[' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => return j,
            b')' | b']' => depth -= 1,
            b';' | b',' if depth == 0 => return j + 1,
            b'{' if depth == 0 => return matching_brace(code, j) + 1,
            _ => {}
        }
    }
    code.len()
}

fn matching_brace(code: &[u8], open: usize) -> usize {
    let mut depth = 0;
    for (j, &c) in code.iter().enumerate().skip(open) {
        depth += (c == b'{') as i32 - (c == b'}') as i32;
        if depth == 0 {
            return j;
        }
    }
    code.len() - 1
}

fn blank(code: &str, ranges: &[Range<usize>]) -> String {
    let hidden = |at: usize| ranges.iter().any(|r| r.contains(&at));
    code.char_indices().map(|(at, c)| if c != '\n' && hidden(at) { ' ' } else { c }).collect()
}

/// Identifiers of blanked (ASCII) code with their offsets.
fn words(code: &str) -> impl Iterator<Item = (usize, &str)> {
    let starts_word = move |at: &usize| {
        let (this, prev) = (code.as_bytes()[*at] as char, at.checked_sub(1).map(|p| code.as_bytes()[p] as char));
        is_ident(this) && !prev.is_some_and(is_ident)
    };
    (0..code.len()).filter(starts_word).map(move |at| (at, ident_at(code, at)))
}

fn ident_at(code: &str, at: usize) -> &str {
    let len = code[at..].find(|c| !is_ident(c)).unwrap_or(code.len() - at);
    &code[at..at + len]
}

/// Top-level modules named after `crate::` (or `croft::`), with the offset of each name.
fn references(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (at, word) in words(code).filter(|(_, w)| *w == "crate" || *w == "croft") {
        let rest = code[at + word.len()..].trim_start();
        if rest.starts_with("::") {
            path_heads(code, code.len() - rest.len() + 2, &mut out);
        }
    }
    out
}

/// First names of the path (tree) at `at`: `x::y` gives x; `{a::b, c, d::{e}}` gives a, c, d.
fn path_heads(code: &str, at: usize, out: &mut Vec<(usize, String)>) {
    let at = code.len() - code[at..].trim_start().len();
    if !code[at..].starts_with('{') {
        let name = ident_at(code, at);
        if !name.is_empty() && name != "self" {
            out.push((at, name.to_string()));
        }
        return;
    }
    let (close, mut member) = (matching_brace(code.as_bytes(), at), at + 1);
    while member < close {
        path_heads(code, member, out);
        member = item_end(code.as_bytes(), member).max(member + 1);
    }
}

// --- Rules ---------------------------------------------------------------------------------

/// A broken rule: a line-independent `key` (for [`KNOWN`]) and a `detail` naming file:line.
struct Violation {
    key: String,
    detail: String,
}

fn violation(key: String, detail: String) -> Violation {
    Violation { key, detail }
}

fn upward_violations(sources: &[Source]) -> Vec<Violation> {
    let mut out = Vec::new();
    for src in sources {
        for (at, target) in references(&src.code) {
            let (Some(own), Some(other)) = (layer(&src.module), layer(&target)) else { continue };
            if other > own {
                let detail = format!("{}: {} (layer {own}) uses {target} (layer {other})", src.place(at), src.module);
                out.push(violation(format!("upward {} -> {target}", src.module), detail));
            }
        }
    }
    out
}

/// Module graph: from -> to -> file:line of the first reference seen.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

fn module_graph(sources: &[Source]) -> Graph {
    let mut graph = Graph::new();
    for src in sources {
        for (at, target) in references(&src.code).into_iter().filter(|(_, t)| *t != src.module) {
            let edges = graph.entry(src.module.clone()).or_default();
            edges.entry(target).or_insert_with(|| src.place(at));
        }
    }
    graph
}

/// Shortest path `from` -> … -> `to`, both ends included (breadth-first search).
fn shortest_path(graph: &Graph, from: &str, to: &str) -> Option<Vec<String>> {
    let mut seen = BTreeSet::from([from.to_string()]);
    let mut queue = VecDeque::from([vec![from.to_string()]]);
    while let Some(path) = queue.pop_front() {
        let last = path.last().expect("paths are never empty");
        if last == to {
            return Some(path);
        }
        for next in graph.get(last).into_iter().flat_map(|edges| edges.keys()) {
            if seen.insert(next.clone()) {
                queue.push_back([path.as_slice(), std::slice::from_ref(next)].concat());
            }
        }
    }
    None
}

/// For each edge that does not go down a layer, the shortest cycle through it (if any),
/// rotated to start at its smallest module. Every cycle has at least one such edge.
fn cycles(graph: &Graph) -> BTreeSet<Vec<String>> {
    let downward = |from: &str, to: &str| matches!((layer(from), layer(to)), (Some(a), Some(b)) if a > b);
    let mut found = BTreeSet::new();
    for (from, edges) in graph {
        for to in edges.keys().filter(|to| !downward(from, to)) {
            let Some(mut cycle) = shortest_path(graph, to, from) else { continue };
            let smallest = (0..cycle.len()).min_by_key(|&k| &cycle[k]).unwrap_or(0);
            cycle.rotate_left(smallest);
            found.insert(cycle);
        }
    }
    found
}

fn cycle_violations(sources: &[Source]) -> Vec<Violation> {
    let graph = module_graph(sources);
    let describe = |cycle: &Vec<String>| {
        let closed = [cycle.as_slice(), &cycle[..1]].concat().join(" -> ");
        let edge = |w: &[String]| format!("\n      {} -> {}: {}", w[0], w[1], graph[&w[0]][&w[1]]);
        let witnesses: String = [cycle.as_slice(), &cycle[..1]].concat().windows(2).map(edge).collect();
        violation(format!("cycle {closed}"), format!("{closed}{witnesses}"))
    };
    cycles(&graph).iter().map(describe).collect()
}

fn appstate_violations(sources: &[Source]) -> Vec<Violation> {
    let mut out = Vec::new();
    for src in sources.iter().filter(|s| !APPSTATE_ALLOWED.contains(&s.module.as_str())) {
        for (at, _) in words(&src.code).filter(|(_, w)| *w == "AppState") {
            out.push(violation(format!("appstate {}", src.path), src.place(at)));
        }
    }
    out
}

/// A backtick (quoted identifier) or a numbered SQLite placeholder (`?1`, `?{}`).
fn spells_sql(literal: &str) -> bool {
    let numbered = |(k, _): (usize, &str)| literal[k + 1..].starts_with(|c: char| c.is_ascii_digit() || c == '{');
    literal.contains('`') || literal.match_indices('?').any(numbered)
}

fn sql_violations(sources: &[Source]) -> Vec<Violation> {
    let mut out = Vec::new();
    for src in sources.iter().filter(|s| SQL_FREE.contains(&s.module.as_str())) {
        for (line, text) in src.literals.iter().filter(|(_, text)| spells_sql(text)) {
            let shown = text.chars().take(80).collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ");
            out.push(violation(format!("sql {}", src.path), format!("{}:{line}: \"{shown}\"", src.path)));
        }
    }
    out
}

fn table_violations(sources: &[Source]) -> Vec<Violation> {
    let missing = |module: &str, place: String| {
        violation(format!("table {module}"), format!("{place}: module `{module}` is not in LAYERS"))
    };
    let mut out = Vec::new();
    for src in sources {
        if layer(&src.module).is_none() {
            out.push(missing(&src.module, src.path.clone()));
        }
        for (at, target) in references(&src.code).into_iter().filter(|(_, t)| layer(t).is_none()) {
            out.push(missing(&target, src.place(at)));
        }
    }
    out
}

/// Prints a summary line, warns about [`KNOWN`] violations and panics on the others.
fn report(rule: &str, advice: &str, violations: Vec<Violation>) {
    let (known, new): (Vec<_>, Vec<_>) = violations.into_iter().partition(|v| KNOWN.contains(&v.key.as_str()));
    println!("{rule}: {} violation(s), {} of them allowed by KNOWN", known.len() + new.len(), known.len());
    known.iter().for_each(|v| println!("  warning (KNOWN \"{}\"): {}", v.key, v.detail));
    if new.is_empty() {
        return;
    }
    let details: String = new.iter().map(|v| format!("\n  {}", v.detail)).collect();
    let keys: BTreeSet<String> = new.iter().map(|v| format!("\n  \"{}\",", v.key)).collect();
    let keys: String = keys.into_iter().collect();
    panic!("{rule}: {} violation(s):{details}\n{advice}\nKeys (for KNOWN while refactoring):{keys}", new.len());
}

/// KNOWN shrinks as violations are fixed: a key that matches nothing must be removed.
#[test]
fn known_violations_still_occur() {
    let sources = load_sources();
    let found: BTreeSet<String> =
        [upward_violations(&sources), cycle_violations(&sources), appstate_violations(&sources)]
            .into_iter()
            .flatten()
            .chain(sql_violations(&sources))
            .map(|v| v.key)
            .collect();
    let stale: Vec<&&str> = KNOWN.iter().filter(|k| !found.contains(**k)).collect();
    assert!(stale.is_empty(), "KNOWN lists violations that no longer occur; remove them: {stale:?}");
}

#[test]
fn every_module_is_in_the_layer_table() {
    let advice = "Add the module to LAYERS in tests/architecture.rs (and to the layer table in README.md).";
    report("layer table", advice, table_violations(&load_sources()));
}

#[test]
fn no_upward_imports() {
    let advice = "A module may use its own layer or lower ones: move the code down, or pass it in from above.";
    report("rule 1, no upward imports", advice, upward_violations(&load_sources()));
}

#[test]
fn no_cycles_between_modules() {
    let advice = "Break each cycle: move the shared piece down to the lower module, or invert the dependency.";
    report("rule 2, no cycles between modules", advice, cycle_violations(&load_sources()));
}

#[test]
fn only_http_server_and_cli_name_app_state() {
    let advice = "Take the narrow handles (store, settings, broker, ...) as arguments instead of AppState.";
    report("rule 3, AppState only in app/http/server/cli", advice, appstate_violations(&load_sources()));
}

#[test]
fn sql_is_spelled_only_in_sql_and_store() {
    let advice =
        "Quote with the dialect (`Dialect::ident`), bind with `SqlBuilder::param`, or call a typed store method.";
    report("rule 4, SQL only in src/sql and src/store/<backend>", advice, sql_violations(&load_sources()));
}

/// Unit tests of the checker itself, on in-memory snippets.
mod checker {
    use super::*;

    type Rule = fn(&[Source]) -> Vec<Violation>;

    /// Runs `rule` on one in-memory file; returns the keys and the details found.
    fn run(rule: Rule, path: &str, text: &str) -> (Vec<String>, Vec<String>) {
        rule(&[Source::parse(path, text)]).into_iter().map(|v| (v.key, v.detail)).unzip()
    }

    fn keys(rule: Rule, path: &str, text: &str) -> Vec<String> {
        run(rule, path, text).0
    }

    #[test]
    fn upward_references() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("src/records/write.rs", "use crate::http::x;", &["upward records -> http"]),
            ("src/records/mod.rs", "use crate::store::S; use crate::records::x; fn f() { crate::ids::new() }", &[]),
            ("src/store/mod.rs", "fn f() { let s = crate :: app::build(); }", &["upward store -> app"]),
            ("src/store/mod.rs", "fn g<'a>(x: &'a str) -> &'a str { crate::app::f(x) }", &["upward store -> app"]),
            ("src/main.rs", "use croft::cli;", &[]),
            ("src/app.rs", "use croft::{cli, http::X, self};", &["upward app -> cli", "upward app -> http"]),
            ("src/records/mod.rs", "// use crate::http::x;\n/// crate::http\n/* /* */ crate::http */", &[]),
            ("src/records/mod.rs", "const S: &str = \"crate::http\"; const R: &str = r#\"crate::http\"#;", &[]),
            ("src/records/mod.rs", "fn f(c: char) -> bool { c == '\"' || c == '\\'' } // \"crate::http", &[]),
            (
                "src/records/mod.rs",
                "#[cfg(test)]\nmod tests { use crate::http::X; fn f() { {} } }\nuse crate::ids;",
                &[],
            ),
            ("src/records/helpers.rs", "//! Test helpers.\n#![cfg(test)]\nuse crate::http::X;", &[]),
        ];
        for (path, text, expected) in cases {
            assert_eq!(keys(upward_violations, path, text), *expected, "{path}: {text}");
        }
    }

    #[test]
    fn reports_the_line_of_each_name_in_a_multi_line_group() {
        let text = "\nuse crate::{\n    store::A,\n    http::{B, C},\n};";
        let (keys, details) = run(upward_violations, "src/records/mod.rs", text);
        assert_eq!(keys, ["upward records -> http"]);
        assert!(details[0].starts_with("src/records/mod.rs:4:"), "{}", details[0]);
    }

    #[test]
    fn app_state_outside_the_allowed_modules() {
        let text = "// AppState\nfn f(s: &AppState, t: AppStateLike) {}\n#[cfg(test)]\nmod tests { use crate::app::AppState; }";
        assert_eq!(keys(appstate_violations, "src/records/mod.rs", text), ["appstate src/records/mod.rs"]);
        assert!(keys(appstate_violations, "src/http/mod.rs", text).is_empty());
    }

    #[test]
    fn cycles_but_not_chains() {
        let a = Source::parse("src/records/a.rs", "use crate::realtime::Hub;");
        let b = Source::parse("src/realtime/b.rs", "\n\nuse crate::records::Record; use crate::store::S;");
        let found = cycle_violations(&[a, b]);
        assert_eq!(found.iter().map(|v| &v.key).collect::<Vec<_>>(), ["cycle realtime -> records -> realtime"]);
        assert!(found[0].detail.contains("realtime -> records: src/realtime/b.rs:3"), "{}", found[0].detail);
        let c = Source::parse("src/store/c.rs", "use crate::sql::Q;");
        assert!(cycle_violations(&[c, Source::parse("src/mail.rs", "use crate::store::S;")]).is_empty());
    }

    #[test]
    fn sql_in_string_literals() {
        let cases: &[(&str, &str, usize)] = &[
            ("src/records/write.rs", "const Q: &str = \"SELECT `id` FROM t\";", 1),
            ("src/records/write.rs", "const Q: &str = \"WHERE id = ?1\";", 1),
            ("src/settings.rs", "fn p(n: u32) -> String { format!(\"?{}\", n) }", 1),
            ("src/records/write.rs", "const Q: &str = r#\"SELECT \"a\", `x`\"#;", 1),
            ("src/records/write.rs", "// SELECT `id`\nconst Q: &str = \"what? {x}\"; const C: char = '`';", 0),
            ("src/records/write.rs", "fn f(r#type: u8) -> u8 { r#type } const Q: &str = r\"?\";", 0),
            ("src/records/write.rs", "#[cfg(test)]\nmod tests { const Q: &str = \"?1\"; }", 0),
            ("src/store/sqlite/records.rs", "const Q: &str = \"SELECT `id` WHERE a = ?1\";", 0),
        ];
        for (path, text, expected) in cases {
            assert_eq!(keys(sql_violations, path, text).len(), *expected, "{path}: {text}");
        }
    }

    #[test]
    fn lexer_keeps_lines_and_lengths() {
        let text = "let s = \"a\nb\"; /* c\n */ let l = 'x';\n";
        let (code, literals) = lex(text);
        assert_eq!((code.len(), code.lines().count()), (text.len(), text.lines().count()));
        assert_eq!(literals, [(8, "a\nb".to_string())]);
    }

    #[test]
    fn modules_missing_from_the_table() {
        let found = keys(table_violations, "src/payments.rs", "use crate::nowhere::X;");
        assert_eq!(found, ["table payments", "table nowhere"]);
    }
}
