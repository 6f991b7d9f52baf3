//! Golden tests: the SQL text and parameters each filter, rule and sort compiles to, per
//! dialect, against a small schema. Every SQLite case is also run on an in-memory database.

use std::sync::LazyLock;

use chrono::{Datelike, Utc};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use serde_json::json;

use super::*;
use crate::schema::{Collection, Schema};
use crate::sql::{Dialect, POSTGRES, SQLITE, SqlBuilder, SqlValue};

/// `crate::records::MAIN`.
const MAIN: &str = "\"__r\"";
const MAIN_ID: &str = "\"__r\".\"id\"";

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let id = json!({"name": "id", "type": "text", "primaryKey": true, "system": true});
    let users = json!({"id": "_pb_users_auth_", "name": "users", "type": "auth", "listRule": "", "fields": [
        id, {"name": "password", "type": "password", "hidden": true, "system": true},
        {"name": "tokenKey", "type": "text", "hidden": true, "system": true},
        {"name": "email", "type": "email", "system": true}, {"name": "emailVisibility", "type": "bool", "system": true},
        {"name": "verified", "type": "bool", "system": true}, {"name": "name", "type": "text"},
        {"name": "org", "type": "relation", "collectionId": "pbc_orgs", "maxSelect": 1}]});
    let orgs = json!({"id": "pbc_orgs", "name": "orgs", "listRule": "name != ''", "fields": [
        id, {"name": "name", "type": "text"}]});
    let posts = json!({"id": "pbc_posts", "name": "posts", "listRule": "", "fields": [
        id, {"name": "title", "type": "text"}, {"name": "views", "type": "number"},
        {"name": "published", "type": "bool"}, {"name": "meta", "type": "json"},
        {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
        {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
        {"name": "editors", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 5},
        {"name": "secret", "type": "text", "hidden": true}, {"name": "loc", "type": "geoPoint"},
        {"name": "created", "type": "autodate", "onCreate": true}]});
    let comments = json!({"id": "pbc_comments", "name": "comments", "listRule": "", "fields": [
        id, {"name": "body", "type": "text"},
        {"name": "post", "type": "relation", "collectionId": "pbc_posts", "maxSelect": 1},
        {"name": "refs", "type": "relation", "collectionId": "pbc_posts", "maxSelect": 9}]});
    let stats = json!({"id": "pbc_stats", "name": "stats", "type": "view", "fields": [id]});
    let parse = |v| serde_json::from_value::<Collection>(v).expect("collection");
    Schema::new([users, orgs, posts, comments, stats].into_iter().map(parse).collect())
});

/// The tables of [`SCHEMA`] as the SQLite store declares them, with a few rows.
const DDL: &str = r#"
CREATE TABLE users (id TEXT PRIMARY KEY, password TEXT, tokenKey TEXT, email TEXT, emailVisibility BOOLEAN,
    verified BOOLEAN, name TEXT, org TEXT);
CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT);
CREATE TABLE posts (id TEXT PRIMARY KEY, title TEXT DEFAULT '', views NUMERIC DEFAULT 0, published BOOLEAN DEFAULT 0,
    meta JSON, tags JSON DEFAULT '[]', author TEXT DEFAULT '', editors JSON DEFAULT '[]', secret TEXT DEFAULT '',
    loc JSON DEFAULT '{"lon":0,"lat":0}', created TEXT DEFAULT '');
CREATE TABLE comments (id TEXT PRIMARY KEY, body TEXT, post TEXT, refs JSON DEFAULT '[]');
INSERT INTO orgs VALUES ('o1', 'acme');
INSERT INTO users VALUES ('u1', '', '', 'bob@x.io', 0, 1, 'bob', 'o1'), ('u2', '', '', 'amy@x.io', 1, 0, 'amy', '');
INSERT INTO posts (id, title, views, published, meta, tags, author, editors, created) VALUES
    ('p1', 'Alpha', 1, 1, '{"a":"x"}', '["a","b"]', 'u1', '["u1","u2"]', '2024-05-01 10:00:00.000Z'),
    ('p2', '', 0, 0, NULL, '[]', '', '[]', '2025-01-01 00:00:00.000Z'),
    ('p3', 'beta_1', 5, 0, '{"a":1}', '["a"]', 'u2', '["u2"]', '2025-06-01 00:00:00.000Z');
INSERT INTO comments VALUES ('c1', 'hi', 'p1', '["p1","p3"]'), ('c2', 'yo', 'p1', '[]');
"#;

fn anon() -> RequestInfo {
    RequestInfo::default()
}

fn user() -> RequestInfo {
    let auth = AuthInfo {
        collection_id: "_pb_users_auth_".into(),
        collection_name: "users".into(),
        id: "u1".into(),
        superuser: false,
        key: None,
    };
    RequestInfo { auth: Some(auth), ..RequestInfo::default() }
}

fn su() -> RequestInfo {
    RequestInfo::superuser()
}

/// A signed-in user's PATCH with a body, a query and a header.
fn rich() -> RequestInfo {
    let mut r = user();
    r.context = "default".into();
    r.method = "PATCH".into();
    r.headers.insert("x_token".into(), "tok".into());
    r.query.insert("page".into(), "2".into());
    let body = json!({"title": "New", "tags": ["a", "b"], "views": 5, "meta": {"k": ["v"]}, "published": false,
        "nothing": null});
    r.body = body.as_object().cloned().expect("object");
    r
}

fn t(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

fn n(f: f64) -> SqlValue {
    SqlValue::Real(f)
}

fn posts() -> &'static Collection {
    SCHEMA.get("posts").expect("posts")
}

/// The SQLite `json_each` over `col`, a non-JSON value counting as a one-element array.
fn je(col: &str, alias: &str) -> String {
    format!("json_each(CASE WHEN json_valid({col}) THEN {col} ELSE json_array({col}) END) {alias}")
}

/// `filter` compiled on `posts` as `<joins> WHERE <condition>` (the condition alone without joins).
fn compile_on(
    d: &'static dyn Dialect,
    filter: &str,
    req: &RequestInfo,
) -> Result<(String, Vec<SqlValue>), FilterError> {
    let mut sql = SqlBuilder::new(d);
    let c = compile(&mut sql, &SCHEMA, posts(), MAIN, filter, req)?;
    let text = if c.joins.is_empty() { c.where_sql } else { format!("{} WHERE {}", c.joins, c.where_sql) };
    Ok((text, sql.params))
}

/// Runs `SELECT DISTINCT id FROM posts … <tail>` on the test database; the sorted ids.
fn run_sqlite(tail: &str, params: &[SqlValue]) -> Vec<String> {
    thread_local!(static DB: Connection = {
        let db = Connection::open_in_memory().expect("open");
        db.execute_batch(DDL).expect("ddl");
        // The math functions the store adds for geoDistance().
        let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
        type Unary = (&'static str, fn(f64) -> f64);
        let unary: [Unary; 4] =
            [("acos", f64::acos), ("cos", f64::cos), ("sin", f64::sin), ("radians", f64::to_radians)];
        for (name, f) in unary {
            db.create_scalar_function(name, 1, flags, move |ctx| {
                Ok(ctx.get::<Option<f64>>(0)?.map(f).filter(|v| v.is_finite()))
            })
            .expect("function");
        }
        db
    });
    let sql = format!("SELECT DISTINCT {MAIN_ID} FROM \"posts\" {MAIN} {tail}");
    DB.with(|db| {
        let mut stmt = db.prepare(&sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
        // As the store binds: by number, a trailing unused value left out.
        for (i, p) in params.iter().enumerate().take(stmt.parameter_count()) {
            stmt.raw_bind_parameter(i + 1, p).expect("bind");
        }
        let mut rows = stmt.raw_query();
        let mut ids = Vec::new();
        while let Some(row) = rows.next().unwrap_or_else(|e| panic!("{e}: {sql}")) {
            ids.push(row.get::<_, String>(0).expect("id"));
        }
        ids.sort();
        ids
    })
}

/// The SQLite golden case; the SQL must also run.
#[track_caller]
fn check(req: &RequestInfo, filter: &str, sql: impl AsRef<str>, params: &[SqlValue]) {
    let (actual, values) = compile_on(&SQLITE, filter, req).unwrap_or_else(|e| panic!("{filter}: {e}"));
    assert_eq!(actual, sql.as_ref(), "{filter}\n  actual: {actual}");
    assert_eq!(values, params, "{filter}");
    let tail = if actual.starts_with("LEFT JOIN") { actual } else { format!("WHERE {actual}") };
    run_sqlite(&tail, &values);
}

/// The PostgreSQL golden case; its parameters are those of SQLite.
#[track_caller]
fn check_pg(req: &RequestInfo, filter: &str, sql: impl AsRef<str>, params: &[SqlValue]) {
    let (actual, values) = compile_on(&POSTGRES, filter, req).unwrap_or_else(|e| panic!("{filter}: {e}"));
    assert_eq!(actual, sql.as_ref(), "{filter}\n  actual: {actual}");
    assert_eq!(values, params, "{filter}");
    let (_, sqlite) = compile_on(&SQLITE, filter, req).expect("sqlite");
    assert_eq!(values, sqlite, "{filter}: parameters differ between dialects");
}

#[track_caller]
fn check_err(req: &RequestInfo, filter: &str, message: &str) {
    match compile_on(&SQLITE, filter, req) {
        Ok((sql, _)) => panic!("{filter}: compiled to {sql}"),
        Err(e) => assert_eq!(e.to_string(), message, "{filter}"),
    }
}

#[test]
fn comparison_operators() {
    for (filter, sql, params) in [
        ("title = 'x'", r#"("__r"."title" = ?1)"#, vec![t("x")]),
        ("title != 'x'", r#"("__r"."title" IS NOT ?1)"#, vec![t("x")]),
        ("views > 1", r#"("__r"."views" > ?1)"#, vec![n(1.0)]),
        ("views >= 1.5", r#"("__r"."views" >= ?1)"#, vec![n(1.5)]),
        ("views < -2", r#"("__r"."views" < ?1)"#, vec![n(-2.0)]),
        ("views <= 0", r#"("__r"."views" <= ?1)"#, vec![n(0.0)]),
        // `~` is "contains": the value is escaped and wrapped in `%…%`, unless it has its own `%`.
        ("title ~ 'x'", r#"("__r"."title" LIKE ?1 ESCAPE '\')"#, vec![t("%x%")]),
        ("title !~ 'x'", r#"("__r"."title" NOT LIKE ?1 ESCAPE '\')"#, vec![t("%x%")]),
        ("title ~ 'a%c'", r#"("__r"."title" LIKE ?1 ESCAPE '\')"#, vec![t("a%c")]),
        (r"title ~ 'a_b\%'", r#"("__r"."title" LIKE ?1 ESCAPE '\')"#, vec![t(r"%a\_b\%%")]),
        ("title ~ id", r#"("__r"."title" LIKE ('%' || "__r"."id" || '%') ESCAPE '\')"#, vec![]),
        // On single values the `?` forms are the plain ones.
        ("title ?= 'x'", r#"("__r"."title" = ?1)"#, vec![t("x")]),
        ("views ?> 1", r#"("__r"."views" > ?1)"#, vec![n(1.0)]),
        ("title = \"it's\"", r#"("__r"."title" = ?1)"#, vec![t("it's")]),
    ] {
        check(&anon(), filter, sql, &params);
    }
}

#[test]
fn any_of_and_all_of_multi_values() {
    let each = format!(r#"LEFT JOIN {} WHERE "#, je(r#""__r"."tags""#, r#""__r_tags_each""#));
    for (filter, cond, params) in [
        ("tags:each ?= 'a'", r#"("__r_tags_each"."value" = ?1)"#, vec![t("a")]),
        ("tags:each ?!= 'a'", r#"("__r_tags_each"."value" IS NOT ?1)"#, vec![t("a")]),
        ("tags:each ?> 'a'", r#"("__r_tags_each"."value" > ?1)"#, vec![t("a")]),
        ("tags:each ?>= 'a'", r#"("__r_tags_each"."value" >= ?1)"#, vec![t("a")]),
        ("tags:each ?< 'a'", r#"("__r_tags_each"."value" < ?1)"#, vec![t("a")]),
        ("tags:each ?<= 'a'", r#"("__r_tags_each"."value" <= ?1)"#, vec![t("a")]),
        ("tags:each ?~ 'a'", r#"("__r_tags_each"."value" LIKE ?1 ESCAPE '\')"#, vec![t("%a%")]),
        ("tags:each ?!~ 'a'", r#"("__r_tags_each"."value" NOT LIKE ?1 ESCAPE '\')"#, vec![t("%a%")]),
    ] {
        check(&anon(), filter, format!("{each}{cond}"), &params);
    }
    // The plain operators also require that no value fails: a NOT EXISTS over every value.
    let all = |cmp: &str, not: &str| {
        format!(
            r#"{each}(("__r_tags_each"."value" {cmp} AND NOT EXISTS (SELECT 1 FROM (SELECT "__mmj2"."value" AS "multiMatchValue" FROM "posts" "__mm1" LEFT JOIN {} WHERE "__mm1"."id" = "__r"."id") "__mml3" WHERE NOT ("__mml3"."multiMatchValue" {not}))))"#,
            je(r#""__mm1"."tags""#, r#""__mmj2""#)
        )
    };
    check(&anon(), "tags:each = 'a'", all("= ?1", "= ?1"), &[t("a")]);
    check(&anon(), "tags:each != 'a'", all("IS NOT ?1", "IS NOT ?1"), &[t("a")]);
    check(&anon(), "tags:each > 'a'", all("> ?1", "> ?1"), &[t("a")]);
    check(&anon(), "tags:each !~ 'a'", all("NOT LIKE ?1 ESCAPE '\\'", "NOT LIKE ?1 ESCAPE '\\'"), &[t("%a%")]);
}

#[test]
fn modifiers() {
    for (filter, sql, params) in [
        ("tags:length > 1", r#"(json_array_length("__r"."tags") > ?1)"#, vec![n(1.0)]),
        ("editors:length = 0", r#"(json_array_length("__r"."editors") = ?1)"#, vec![n(0.0)]),
        ("title:lower = 'x'", r#"(LOWER("__r"."title") = ?1)"#, vec![t("x")]),
        ("title:lower ~ 'x'", r#"(LOWER("__r"."title") LIKE ?1 ESCAPE '\')"#, vec![t("%x%")]),
        // `:each` and `:length` on a single value leave it as it is.
        ("title:each = 'x'", r#"("__r"."title" = ?1)"#, vec![t("x")]),
        ("title:length = 1", r#"("__r"."title" = ?1)"#, vec![n(1.0)]),
        ("@request.body.title:isset = true", "(0 = 1)", vec![]),
        ("@request.body.title:changed = true", "(0 = 1)", vec![]),
    ] {
        check(&anon(), filter, sql, &params);
    }
    let r = rich();
    check(&r, "@request.body.title:isset = true", "(1 = 1)", &[]);
    check(&r, "@request.body.nothing:isset = true", "(1 = 1)", &[]);
    check(
        &r,
        "@request.body.title:changed = true",
        r#"((CASE WHEN ?1 IS NOT "__r"."title" THEN 1 ELSE 0 END) = 1)"#,
        &[t("New")],
    );
    check(
        &r,
        "@request.body.tags:changed = false",
        r#"((CASE WHEN ?1 IS NOT "__r"."tags" THEN 1 ELSE 0 END) = 0)"#,
        &[t(r#"["a","b"]"#)],
    );
    check(&r, "@request.body.title:lower = 'new'", "(LOWER(?1) = ?2)", &[t("New"), t("new")]);
    check(&r, "@request.body.tags:length > 1", "(?1 > ?2)", &[SqlValue::Int(2), n(1.0)]);
    check(&r, "@request.body.title:length = 1", "(?1 = ?2)", &[SqlValue::Int(1), n(1.0)]);
    check(&r, "@request.body.nothing:length = 0", "(?1 = ?2)", &[SqlValue::Int(0), n(0.0)]);
    let body = t(r#"["a","b"]"#);
    let join = format!("LEFT JOIN {} WHERE ", je("?1", r#""__je1""#));
    check(
        &r,
        "@request.body.tags:each ?= 'a'",
        format!(r#"{join}("__je1"."value" = ?3)"#),
        &[body.clone(), body.clone(), t("a")],
    );
    let all = format!(
        r#"{join}(("__je1"."value" = ?3 AND NOT EXISTS (SELECT 1 FROM (SELECT "__je2"."value" AS "multiMatchValue" FROM {}) "__mml3" WHERE NOT ("__mml3"."multiMatchValue" = ?3))))"#,
        je("?2", r#""__je2""#)
    );
    check(&r, "@request.body.tags:each = 'a'", all, &[body.clone(), body, t("a")]);
}

#[test]
fn literals_null_and_empty() {
    for (filter, sql, params) in [
        // PocketBase's null/empty rules: '' and NULL are equal, and `!=` is null-safe.
        ("title = ''", r#"(("__r"."title" = '' OR "__r"."title" IS NULL))"#, vec![t("")]),
        ("title = null", r#"(("__r"."title" = '' OR "__r"."title" IS NULL))"#, vec![]),
        ("NULL = title", r#"(('' = "__r"."title" OR "__r"."title" IS NULL))"#, vec![]),
        ("title != null", r#"(("__r"."title" IS NOT '' AND "__r"."title" IS NOT NULL))"#, vec![]),
        ("'' = ''", "('' = '')", vec![t(""), t("")]),
        ("title = id", r#"(COALESCE("__r"."title", '') = COALESCE("__r"."id", ''))"#, vec![]),
        ("published = true", r#"("__r"."published" = 1)"#, vec![]),
        ("published = false", r#"("__r"."published" = 0)"#, vec![]),
        ("TRUE = true", "(1 = 1)", vec![]),
        ("title = TRUE", r#"("__r"."title" = 1)"#, vec![]),
        // JSON values compare with IS, without the COALESCE fallback.
        ("meta = null", r#"("__r"."meta" IS NULL)"#, vec![]),
        ("meta.a.0.b = 'x'", r#"(json_extract("__r"."meta", ?1) IS ?2)"#, vec![t(r#"$."a"[0]."b""#), t("x")]),
    ] {
        check(&anon(), filter, sql, &params);
    }
}

#[test]
fn joins_and_groups() {
    for (filter, sql, params) in [
        (
            "title = 'a' && views > 1 || published = true",
            r#"("__r"."title" = ?1 AND "__r"."views" > ?2 OR "__r"."published" = 1)"#,
            vec![t("a"), n(1.0)],
        ),
        (
            "(title = 'a' || title = 'b') && views > 1",
            r#"(("__r"."title" = ?1 OR "__r"."title" = ?2) AND "__r"."views" > ?3)"#,
            vec![t("a"), t("b"), n(1.0)],
        ),
        (
            "id = 'x' || id = 'y' && (views > 1 || (views < 0 && published = false)) // why not",
            r#"("__r"."id" = ?1 OR "__r"."id" = ?2 AND ("__r"."views" > ?3 OR ("__r"."views" < ?4 AND "__r"."published" = 0)))"#,
            vec![t("x"), t("y"), n(1.0), n(0.0)],
        ),
    ] {
        check(&anon(), filter, sql, &params);
    }
}

#[test]
fn relations() {
    let author = r#"LEFT JOIN "users" "__r_author" ON "__r_author"."id" = "__r"."author""#;
    let editors = format!(
        r#"LEFT JOIN {} LEFT JOIN "users" "__r_editors" ON "__r_editors"."id" = "__r_editors_je"."value""#,
        je(r#""__r"."editors""#, r#""__r_editors_je""#)
    );
    let org_rule = r#" AND EXISTS (SELECT 1 FROM "orgs" "__rule1"  WHERE "__rule1"."id" = "__r_author_org"."id" AND ((("__rule1"."name" IS NOT '' AND "__rule1"."name" IS NOT NULL))))"#;
    let org = r#"LEFT JOIN "orgs" "__r_author_org" ON "__r_author_org"."id" = "__r_author"."org""#;
    let a = anon();
    check(&a, "author = 'u1'", r#"("__r"."author" = ?1)"#, &[t("u1")]);
    // `rel.id` is the column itself: no join.
    check(&a, "author.id = 'u1'", r#"("__r"."author" = ?1)"#, &[t("u1")]);
    check(&a, "author.name = 'bob'", format!(r#"{author} WHERE ("__r_author"."name" = ?1)"#), &[t("bob")]);
    check(
        &a,
        "author.name = 'a' && author.verified = true",
        format!(r#"{author} WHERE ("__r_author"."name" = ?1 AND "__r_author"."verified" = 1)"#),
        &[t("a")],
    );
    // Emails only where the owner made them visible, except for superusers.
    check(
        &a,
        "author.email = 'a@b.c'",
        format!(r#"{author} WHERE (("__r_author"."email" = ?1 AND ("__r_author"."emailVisibility" = 1)))"#),
        &[t("a@b.c")],
    );
    check(&su(), "author.email = 'a@b.c'", format!(r#"{author} WHERE ("__r_author"."email" = ?1)"#), &[t("a@b.c")]);
    check(&a, "author.org.id = 'o1'", format!(r#"{author} WHERE ("__r_author"."org" = ?1)"#), &[t("o1")]);
    // A nested relation; the related collection's listRule joins in for non-superusers.
    check(
        &a,
        "author.org.name = 'acme'",
        format!(r#"{author} {org}{org_rule} WHERE ("__r_author_org"."name" = ?2)"#),
        &[t(""), t("acme")],
    );
    check(
        &su(),
        "author.org.name = 'acme'",
        format!(r#"{author} {org} WHERE ("__r_author_org"."name" = ?1)"#),
        &[t("acme")],
    );
    let editors_je = format!("LEFT JOIN {}", je(r#""__r"."editors""#, r#""__r_editors_je""#));
    check(&a, "editors.id ?= 'u1'", format!(r#"{editors_je} WHERE ("__r_editors_je"."value" = ?1)"#), &[t("u1")]);
    check(&a, "editors.name ?= 'bob'", format!(r#"{editors} WHERE ("__r_editors"."name" = ?1)"#), &[t("bob")]);
    check(
        &a,
        "editors.name:lower ?= 'bob'",
        format!(r#"{editors} WHERE (LOWER("__r_editors"."name") = ?1)"#),
        &[t("bob")],
    );
    let all = format!(
        r#"{editors} WHERE (("__r_editors"."name" = ?1 AND NOT EXISTS (SELECT 1 FROM (SELECT "__mmj2"."name" AS "multiMatchValue" FROM "posts" "__mm1" LEFT JOIN {} LEFT JOIN "users" "__mmj2" ON "__mmj2"."id" = "__mmj3"."value" WHERE "__mm1"."id" = "__r"."id") "__mml4" WHERE NOT ("__mml4"."multiMatchValue" = ?1))))"#,
        je(r#""__mm1"."editors""#, r#""__mmj3""#)
    );
    check(&a, "editors.name = 'bob'", all, &[t("bob")]);
}

#[test]
fn back_relations() {
    let via_post = r#"LEFT JOIN "comments" "__r_comments_via_post" ON "__r_comments_via_post"."post" = "__r"."id""#;
    let a = anon();
    check(
        &a,
        "comments_via_post.body ?~ 'hi'",
        format!(r#"{via_post} WHERE ("__r_comments_via_post"."body" LIKE ?1 ESCAPE '\')"#),
        &[t("%hi%")],
    );
    // Through a multiple relation: the post is one of the comment's `refs`.
    let refs = je(r#""__r_comments_via_refs"."refs""#, r#""__via1""#);
    check(
        &a,
        "comments_via_refs.id ?= 'c1'",
        format!(
            r#"LEFT JOIN "comments" "__r_comments_via_refs" ON EXISTS (SELECT 1 FROM {refs} WHERE "__via1"."value" = "__r"."id") WHERE ("__r_comments_via_refs"."id" = ?1)"#
        ),
        &[t("c1")],
    );
    let nested = format!(
        r#"{via_post} LEFT JOIN "posts" "__r_comments_via_post_post" ON "__r_comments_via_post_post"."id" = "__r_comments_via_post"."post" WHERE (("__r_comments_via_post_post"."title" = ?1 AND NOT EXISTS (SELECT 1 FROM (SELECT "__mmj3"."title" AS "multiMatchValue" FROM "posts" "__mm1" LEFT JOIN "comments" "__mmj2" ON "__mmj2"."post" = "__mm1"."id" LEFT JOIN "posts" "__mmj3" ON "__mmj3"."id" = "__mmj2"."post" WHERE "__mm1"."id" = "__r"."id") "__mml4" WHERE NOT ("__mml4"."multiMatchValue" = ?1))))"#
    );
    check(&a, "comments_via_post.post.title = 'x'", nested, &[t("x")]);
    check_err(&a, "comments_via_post:each = 1", "invalid filter: modifiers cannot be applied to comments_via_post");
}

#[test]
fn request_fields() {
    let (a, u, r) = (anon(), user(), rich());
    // Without auth every @request.auth field is NULL, which equals ''.
    check(&a, "@request.auth.id = ''", "('' = '')", &[t("")]);
    check(&a, "@request.auth.name = 'x'", "('' = ?1)", &[t("x")]);
    check(&u, "@request.auth.id = author", r#"(?1 = "__r"."author")"#, &[t("u1")]);
    check(&u, "@request.auth.collectionName = 'users'", "(?1 = ?2)", &[t("users"), t("users")]);
    check(&u, "@request.auth.nope = 'x'", "('' = ?1)", &[t("x")]);
    // Other auth fields join the auth record.
    let auth = r#"LEFT JOIN "users" "__auth" ON "__auth"."id" = ?1"#;
    check(&u, "@request.auth.name = 'x'", format!(r#"{auth} WHERE ("__auth"."name" = ?2)"#), &[t("u1"), t("x")]);
    check(&u, "@request.auth.verified = true", format!(r#"{auth} WHERE ("__auth"."verified" = 1)"#), &[t("u1")]);
    check(
        &u,
        "@request.auth.org.name = 'x'",
        format!(
            r#"{auth} LEFT JOIN "orgs" "__auth_org" ON "__auth_org"."id" = "__auth"."org" AND EXISTS (SELECT 1 FROM "orgs" "__rule1"  WHERE "__rule1"."id" = "__auth_org"."id" AND ((("__rule1"."name" IS NOT '' AND "__rule1"."name" IS NOT NULL)))) WHERE ("__auth_org"."name" = ?3)"#
        ),
        &[t("u1"), t(""), t("x")],
    );
    check(&a, "@request.body.title = 'x'", "('' = ?1)", &[t("x")]);
    check(&a, "@request.query.page = '1'", "('' = ?1)", &[t("1")]);
    check(&a, "@request.method = 'GET'", "('' = ?2)", &[t(""), t("GET")]);
    check(&r, "@request.body.title = title", r#"(?1 = "__r"."title")"#, &[t("New")]);
    check(&r, "@request.body.meta.k.0 = 'v'", "(?1 = ?2)", &[t("v"), t("v")]);
    check(&r, "@request.body.meta = 'x'", "(?1 = ?2)", &[t(r#"{"k":["v"]}"#), t("x")]);
    check(&r, "@request.body.views > 4", "(?1 > ?2)", &[SqlValue::Int(5), n(4.0)]);
    check(&r, "@request.body.published = false", "(0 = 0)", &[]);
    check(&r, "@request.body.nothing = null", "('' = '')", &[]);
    check(&r, "@request.query.page = '2'", "(?1 = ?2)", &[t("2"), t("2")]);
    check(&r, "@request.headers.x_token = 'tok'", "(?1 = ?2)", &[t("tok"), t("tok")]);
    check(&r, "@request.method = 'PATCH'", "(?1 = ?2)", &[t("PATCH"), t("PATCH")]);
    check(&r, "@request.context != 'oauth2'", "(?1 IS NOT ?2)", &[t("default"), t("oauth2")]);
}

#[test]
fn collection_joins() {
    let a = anon();
    check(
        &a,
        "@collection.users.name ?= title",
        r#"LEFT JOIN "users" "__collection_users" WHERE (COALESCE("__collection_users"."name", '') = COALESCE("__r"."title", ''))"#,
        &[],
    );
    // Plain operators: every row of the (uncorrelated) collection must match.
    check(
        &a,
        "@collection.users:u.name = 'x'",
        r#"LEFT JOIN "users" "__collection_u" WHERE (("__collection_u"."name" = ?1 AND NOT EXISTS (SELECT 1 FROM (SELECT "__mm1"."name" AS "multiMatchValue" FROM "users" "__mm1"  ) "__mml2" WHERE NOT ("__mml2"."multiMatchValue" = ?1))))"#,
        &[t("x")],
    );
    check(
        &a,
        "@collection.users.name ?= title && @collection.users.verified ?= true",
        r#"LEFT JOIN "users" "__collection_users" WHERE (COALESCE("__collection_users"."name", '') = COALESCE("__r"."title", '') AND "__collection_users"."verified" = 1)"#,
        &[],
    );
    check_err(&a, "@collection.nope.x = 1", "invalid filter: unknown collection nope in @collection.nope.x");
    check_err(&a, "@collection.users = 1", "invalid filter: @collection.users names no field");
}

#[test]
fn macros_have_the_current_time() {
    let now = Utc::now();
    let date = |macro_name: &str| -> String {
        let (sql, params) = compile_on(&SQLITE, &format!("{macro_name} > created"), &anon()).expect(macro_name);
        assert_eq!(sql, r#"(?1 > "__r"."created")"#, "{macro_name}");
        let [SqlValue::Text(value)] = params.as_slice() else { panic!("{macro_name}: {params:?}") };
        let parsed = crate::dates::parse(value).unwrap_or_else(|| panic!("{macro_name}: {value}"));
        assert_eq!(crate::dates::format(parsed), *value, "{macro_name}: PocketBase's format");
        value.clone()
    };
    let near = |macro_name: &str, offset: chrono::Duration| {
        let at = crate::dates::parse(&date(macro_name)).expect("date");
        assert!((at - (now + offset)).num_seconds().abs() < 60, "{macro_name}: {at}");
    };
    near("@now", chrono::Duration::zero());
    near("@yesterday", chrono::Duration::days(-1));
    near("@tomorrow", chrono::Duration::days(1));
    for (macro_name, suffix) in [
        ("@todayStart", " 00:00:00.000Z"),
        ("@todayEnd", " 23:59:59.999Z"),
        ("@monthStart", "-01 00:00:00.000Z"),
        ("@monthEnd", " 23:59:59.999Z"),
        ("@yearStart", "-01-01 00:00:00.000Z"),
        ("@yearEnd", "-12-31 23:59:59.999Z"),
    ] {
        assert!(date(macro_name).ends_with(suffix), "{macro_name}");
    }
    for (macro_name, range) in [
        ("@second", 0..=59),
        ("@minute", 0..=59),
        ("@hour", 0..=23),
        ("@day", 1..=31),
        ("@month", 1..=12),
        ("@weekday", 0..=6),
        ("@year", now.year() - 1..=now.year() + 1),
    ] {
        let (sql, params) = compile_on(&SQLITE, &format!("{macro_name} >= 0"), &anon()).expect(macro_name);
        assert_eq!(sql, "(?1 >= ?2)", "{macro_name}");
        let [SqlValue::Int(v), zero] = &params[..] else { panic!("{macro_name}: {params:?}") };
        assert!(range.contains(&i32::try_from(*v).expect("small")) && *zero == n(0.0), "{macro_name}: {v}");
    }
    check_err(&anon(), "@madeup = 1", "invalid filter: unknown macro @madeup");
}

#[test]
fn functions() {
    let a = anon();
    check(&a, "strftime('%Y', created) = '2024'", r#"(strftime(?1, "__r"."created") = ?2)"#, &[t("%Y"), t("2024")]);
    check(
        &a,
        "strftime('%Y-%m', created, 'start of month') > ''",
        r#"(strftime(?1, "__r"."created", ?2) > ?3)"#,
        &[t("%Y-%m"), t("start of month"), t("")],
    );
    let geo = r#"((6371 * acos(cos(radians(json_extract("__r"."loc", ?2))) * cos(radians(?4)) * cos(radians(?3) - radians(json_extract("__r"."loc", ?1))) + sin(radians(json_extract("__r"."loc", ?2))) * sin(radians(?4)))) < ?5)"#;
    check(
        &a,
        "geoDistance(loc.lon, loc.lat, 1, 2) < 10",
        geo,
        &[t(r#"$."lon""#), t(r#"$."lat""#), n(1.0), n(2.0), n(10.0)],
    );
    check_err(&a, "strftime() = 1", "invalid filter: strftime() takes 1 to 10 arguments");
    check_err(&a, "geoDistance(1, 2, 3) = 1", "invalid filter: geoDistance() takes 4 arguments");
    check_err(&a, "nope(1) = 1", "invalid filter: unknown function nope()");
    check_err(&a, "strftime('%Y', tags:each) = 1", "invalid filter: strftime() does not take multi-valued arguments");
}

#[test]
fn errors() {
    let a = anon();
    check_err(&a, "nope = 1", "invalid filter: unknown field nope in posts");
    check_err(&a, "author.nope = 1", "invalid filter: unknown field author.nope in users");
    check_err(&a, "other_via_x = 1", "invalid filter: unknown field other_via_x in posts");
    check_err(&a, "title:upper = 1", "invalid filter: unknown modifier in title:upper");
    assert!(matches!(compile_on(&SQLITE, "title = ", &a), Err(FilterError::Parse(e)) if e.position == 8));
    // Hidden fields are for superusers only, on the collection and on related ones.
    check_err(&a, "secret = 'x'", "invalid filter: the field secret cannot be filtered");
    check_err(&user(), "author.password = 'x'", "invalid filter: the field password cannot be filtered");
    check(&su(), "secret = 'x'", r#"("__r"."secret" = ?1)"#, &[t("x")]);
}

#[test]
fn compiled_flags() {
    let compiled = |filter: &str, req: &RequestInfo| {
        compile(&mut SqlBuilder::new(&SQLITE), &SCHEMA, posts(), MAIN, filter, req).expect(filter)
    };
    let c = compiled("@request.auth.id != ''", &user());
    assert!(c.constant && !c.distinct && c.joins.is_empty());
    let c = compiled("title = 'x'", &user());
    assert!(!c.constant && !c.distinct);
    assert!(!compiled("author.name = 'x'", &anon()).distinct, "single relations do not multiply rows");
    assert!(compiled("editors.name ?= 'x'", &anon()).distinct);
    assert!(compiled("comments_via_post.body ?= 'x'", &anon()).distinct);
    assert!(compiled("@collection.users.name ?= 'x'", &anon()).distinct);
}

/// `compile_query` for `posts` with SQLite: (where, order by, joins, distinct) and the parameters.
fn query(filter: Option<&str>, sort: Option<&str>, req: &RequestInfo) -> Result<(Query, Vec<SqlValue>), QueryError> {
    let mut sql = SqlBuilder::new(&SQLITE);
    let q = compile_query(&mut sql, &SCHEMA, posts(), MAIN, filter, sort, req)?;
    Ok((q, sql.params))
}

#[test]
fn sorts() {
    let order = |sort: &str| query(None, Some(sort), &anon()).expect(sort).0.order_by;
    assert_eq!(order("title,-views"), [r#""__r"."title" ASC"#, r#""__r"."views" DESC"#]);
    assert_eq!(order(" +title , "), [r#""__r"."title" ASC"#]);
    assert_eq!(order("@random,-@rowid"), ["RANDOM() ASC", r#""__r"."_rowid_" DESC"#]);
    assert_eq!(order("tags:length"), [r#"json_array_length("__r"."tags") ASC"#]);
    let (q, params) = query(None, Some("-meta.a"), &anon()).expect("json sort");
    assert_eq!((q.order_by, params), (vec![r#"json_extract("__r"."meta", ?1) DESC"#.to_owned()], vec![t(r#"$."a""#)]));
    let (q, _) = query(Some("title ~ 'a'"), Some("-author.name"), &anon()).expect("relation sort");
    assert_eq!(q.order_by, [r#""__r_author"."name" DESC"#]);
    assert_eq!(q.joins, r#"LEFT JOIN "users" "__r_author" ON "__r_author"."id" = "__r"."author""#);
    assert_eq!(q.where_sql.as_deref(), Some(r#"("__r"."title" LIKE ?1 ESCAPE '\')"#));
    let ids = run_sqlite(
        &format!("{} WHERE {} ORDER BY {}", q.joins, q.where_sql.expect("where"), q.order_by[0]),
        &[t("%a%")],
    );
    assert_eq!(ids, ["p1", "p3"]);
    let pg = |sort: &str| {
        let mut sql = SqlBuilder::new(&POSTGRES);
        compile_query(&mut sql, &SCHEMA, posts(), MAIN, None, Some(sort), &anon()).expect(sort).order_by
    };
    assert_eq!(pg("@random,-@rowid,title"), ["RANDOM() ASC", r#""__r"."_rowid_" DESC"#, r#""__r"."title" ASC"#]);
    for (sort, message) in [
        ("title;drop", r#"invalid sort: invalid sort field "title;drop""#),
        ("-", r#"invalid sort: invalid sort field "-""#),
        ("true", "invalid sort: cannot sort by true"),
        ("nope", "invalid filter: unknown field nope in posts"),
        ("secret", "invalid filter: the field secret cannot be filtered"),
        ("id,id,id,id,id,id,id,id,id", "invalid sort: at most 8 sort fields"),
    ] {
        let err = query(None, Some(sort), &anon()).expect_err(sort);
        assert_eq!(err.to_string(), message, "{sort}");
    }
    let mut sql = SqlBuilder::new(&SQLITE);
    let stats = SCHEMA.get("stats").expect("view");
    let err = compile_query(&mut sql, &SCHEMA, stats, MAIN, None, Some("@rowid"), &su()).expect_err("view rowid");
    assert_eq!(err.to_string(), "invalid sort: views have no @rowid");
}

#[test]
fn client_queries_may_not_read_request_or_collections() {
    for req in [anon(), user()] {
        for (filter, sort) in [
            (Some("@request.auth.id != ''"), None),
            (Some("@collection.users.name = 'x'"), None),
            (None, Some("@request.auth.id")),
        ] {
            let err = query(filter, sort, &req).expect_err("forbidden");
            assert!(matches!(err, QueryError::Filter(FilterError::Forbidden)), "{filter:?} {sort:?}: {err}");
        }
    }
    // API keys are superusers of their scopes only.
    let mut keyed = su();
    let key = json!({"id": "k", "name": "k", "scopes": [], "expires": "", "created": ""});
    keyed.auth.as_mut().expect("auth").key = Some(std::sync::Arc::new(serde_json::from_value(key).expect("key")));
    assert!(matches!(
        query(Some("@request.auth.id = ''"), None, &keyed),
        Err(QueryError::Filter(FilterError::Forbidden))
    ));
    let (q, params) = query(Some("@request.auth.id != ''"), Some("-created"), &su()).expect("superuser");
    assert_eq!(q.where_sql.as_deref(), Some("('' IS NOT '')"));
    assert_eq!(
        (q.order_by, q.joins, q.distinct, params),
        (vec![r#""__r"."created" DESC"#.to_owned()], String::new(), false, vec![t(""), t("")])
    );
    let (q, _) = query(Some("@collection.users.name = 'x'"), None, &su()).expect("superuser");
    assert_eq!((q.joins.as_str(), q.distinct), (r#"LEFT JOIN "users" "__collection_users""#, true));
    let (q, params) = query(Some(""), None, &anon()).expect("empty filter");
    assert_eq!((q.where_sql, q.order_by.len(), params.len()), (None, 0, 0));
}

#[test]
fn rule_checks() {
    let rule = |d: &'static dyn Dialect, rule: Option<&str>, req: &RequestInfo| {
        let mut sql = SqlBuilder::new(d);
        let out = rule_check(&mut sql, &SCHEMA, posts(), MAIN_ID, rule, req).expect("rule");
        (out, sql.params)
    };
    for (d, yes, no) in [(&SQLITE as &'static dyn Dialect, "1", "0"), (&POSTGRES, "TRUE", "FALSE")] {
        assert_eq!(rule(d, None, &user()).0, no, "locked: superusers only");
        assert_eq!(rule(d, Some(""), &anon()).0, yes, "empty: everyone");
        assert_eq!(rule(d, Some("  "), &anon()).0, yes, "blank: everyone");
        assert_eq!(rule(d, None, &su()).0, yes, "superusers pass locked rules");
        assert_eq!(rule(d, Some("nope = 1"), &su()), (yes.to_owned(), vec![]), "superusers skip the rule");
    }
    let own = r#"EXISTS (SELECT 1 FROM "posts" "__rule1"  WHERE "__rule1"."id" = "__r"."id" AND (("__rule1"."author" = ?1)))"#;
    assert_eq!(rule(&SQLITE, Some("author = @request.auth.id"), &user()), (own.to_owned(), vec![t("u1")]));
    let signed_out = r#"EXISTS (SELECT 1 FROM "posts" "__rule1"  WHERE "__rule1"."id" = "__r"."id" AND ((("__rule1"."author" = '' OR "__rule1"."author" IS NULL))))"#;
    assert_eq!(rule(&SQLITE, Some("author = @request.auth.id"), &anon()), (signed_out.to_owned(), vec![]));
    let joined = r#"EXISTS (SELECT 1 FROM "posts" "__rule1" LEFT JOIN "users" "__rule1_author" ON "__rule1_author"."id" = "__rule1"."author" WHERE "__rule1"."id" = "__r"."id" AND (("__rule1_author"."name" = $1)))"#;
    assert_eq!(rule(&POSTGRES, Some("author.name = 'x'"), &user()), (joined.to_owned(), vec![t("x")]));
    let mut sql = SqlBuilder::new(&SQLITE);
    let err = rule_check(&mut sql, &SCHEMA, posts(), MAIN_ID, Some("nope = 1"), &user()).expect_err("bad rule");
    assert_eq!(err.to_string(), "invalid filter: unknown field nope in posts");
    // The checks run as conditions on the outer row.
    let (own, params) = rule(&SQLITE, Some("author = @request.auth.id"), &user());
    assert_eq!(run_sqlite(&format!("WHERE {own}"), &params), ["p1"]);
    assert_eq!(run_sqlite(&format!("WHERE {}", rule(&SQLITE, None, &user()).0), &[]), Vec::<String>::new());
}

#[test]
fn postgres_spelling() {
    let (a, r) = (anon(), rich());
    check_pg(&a, "title = 'x' && views > 1", r#"("__r"."title" = $1 AND "__r"."views" > $2)"#, &[t("x"), n(1.0)]);
    check_pg(
        &a,
        "published = true || published = false",
        r#"("__r"."published" = TRUE OR "__r"."published" = FALSE)"#,
        &[],
    );
    check_pg(&a, "title ~ 'x'", r#"(("__r"."title")::text ILIKE $1 ESCAPE '\')"#, &[t("%x%")]);
    check_pg(&a, "title:lower !~ 'x'", r#"((LOWER("__r"."title"))::text NOT ILIKE $1 ESCAPE '\')"#, &[t("%x%")]);
    check_pg(&a, "title = ''", r#"(("__r"."title" = '' OR "__r"."title" IS NULL))"#, &[t("")]);
    check_pg(&a, "tags:length > 1", r#"(jsonb_array_length(to_jsonb("__r"."tags")) > $1)"#, &[n(1.0)]);
    check_pg(
        &a,
        "strftime('%Y', created) = '2024'",
        r#"(croft_strftime($1, "__r"."created") = $2)"#,
        &[t("%Y"), t("2024")],
    );
    check_pg(&r, "@request.body.title:isset = true", "(TRUE = TRUE)", &[]);
    check_pg(&r, "@request.body.title:lower = 'new'", "(LOWER($1) = $2)", &[t("New"), t("new")]);
    check_pg(
        &su(),
        "author.org.name = 'acme'",
        r#"LEFT JOIN "users" "__r_author" ON "__r_author"."id" = "__r"."author" LEFT JOIN "orgs" "__r_author_org" ON "__r_author_org"."id" = "__r_author"."org" WHERE ("__r_author_org"."name" = $1)"#,
        &[t("acme")],
    );
    let refs = r#"jsonb_array_elements_text(CASE WHEN jsonb_typeof(to_jsonb("__r_comments_via_refs"."refs")) = 'array' THEN to_jsonb("__r_comments_via_refs"."refs") ELSE jsonb_build_array("__r_comments_via_refs"."refs") END) AS "__via1"("value")"#;
    check_pg(
        &a,
        "comments_via_refs.id ?= 'c1'",
        format!(
            r#"LEFT JOIN "comments" "__r_comments_via_refs" ON EXISTS (SELECT 1 FROM {refs} WHERE "__via1"."value" = "__r"."id") WHERE ("__r_comments_via_refs"."id" = $1)"#
        ),
        &[t("c1")],
    );
    // The null-safe comparison is IS [NOT] DISTINCT FROM, and joins without a condition of
    // their own say ON TRUE; geoDistance reads its JSON values as numbers.
    check_pg(&a, "title != 'x'", r#"("__r"."title" IS DISTINCT FROM $1)"#, &[t("x")]);
    check_pg(
        &a,
        "meta.a = 'x'",
        r#"(jsonb_path_query_first(to_jsonb("__r"."meta"), $1::jsonpath) #>> '{}' IS NOT DISTINCT FROM $2)"#,
        &[t(r#"$."a""#), t("x")],
    );
    check_pg(
        &r,
        "@request.body.title:changed = true",
        r#"((CASE WHEN $1 IS DISTINCT FROM "__r"."title" THEN TRUE ELSE FALSE END) = TRUE)"#,
        &[t("New")],
    );
    check_pg(
        &a,
        "tags:each ?= 'a'",
        r#"LEFT JOIN jsonb_array_elements_text(CASE WHEN jsonb_typeof(to_jsonb("__r"."tags")) = 'array' THEN to_jsonb("__r"."tags") ELSE jsonb_build_array("__r"."tags") END) AS "__r_tags_each"("value") ON TRUE WHERE ("__r_tags_each"."value" = $1)"#,
        &[t("a")],
    );
    check_pg(
        &a,
        "@collection.users.name ?= title",
        r#"LEFT JOIN "users" "__collection_users" ON TRUE WHERE (COALESCE("__collection_users"."name", '') = COALESCE("__r"."title", ''))"#,
        &[],
    );
    let (geo, _) = compile_on(&POSTGRES, "geoDistance(loc.lon, loc.lat, 1, 2) < 10", &a).expect("geo");
    assert!(
        geo.contains(r#"radians((jsonb_path_query_first(to_jsonb("__r"."loc"), $2::jsonpath) #>> '{}')::float8)"#),
        "{geo}"
    );
}

/// What the compiled SQL selects, on the rows of [`DDL`].
#[test]
fn sqlite_results() {
    let (a, u) = (anon(), user());
    for (req, filter, ids) in [
        (&a, "title = ''", &["p2"][..]),
        (&a, "title != ''", &["p1", "p3"]),
        (&a, "title ~ 'ALP'", &["p1"]),
        (&a, "title ~ 'a_1'", &["p3"]),
        (&a, "title ~ 'a%'", &["p1"]),
        (&a, "views > 0 && published = false", &["p3"]),
        (&a, "tags:each = 'a'", &["p3"]),
        (&a, "tags:each ?= 'b'", &["p1"]),
        // No value is 'b': true of an empty list too (the LEFT JOIN gives one NULL value).
        (&a, "tags:each != 'b'", &["p2", "p3"]),
        (&a, "tags:length = 0", &["p2"]),
        (&a, "editors.name ?= 'amy'", &["p1", "p3"]),
        (&a, "editors.name = 'amy'", &["p3"]),
        (&a, "author.email = 'bob@x.io'", &[]),
        (&su(), "author.email = 'bob@x.io'", &["p1"]),
        (&a, "author.org.name = 'acme'", &["p1"]),
        (&a, "comments_via_post.body ?= 'yo'", &["p1"]),
        (&a, "comments_via_post.body = 'yo'", &[]),
        (&a, "comments_via_refs.id ?= 'c1'", &["p1", "p3"]),
        (&a, "meta.a = 'x'", &["p1"]),
        (&a, "meta.a = 1", &["p3"]),
        (&a, "meta = null", &["p2"]),
        (&a, "strftime('%Y', created) = '2025'", &["p2", "p3"]),
        (&a, "created < @now && created > '2025-02-01'", &["p3"]),
        (&u, "@request.auth.id = author", &["p1"]),
        (&u, "@request.auth.name = 'bob' && views >= 1", &["p1", "p3"]),
        (&a, "@request.auth.id = author", &["p2"]),
        (&a, "@collection.users.name ?= 'amy' && id = 'p2'", &["p2"]),
        (&a, "geoDistance(loc.lon, loc.lat, 0, 0) < 1", &["p1", "p2", "p3"]),
    ] {
        let (sql, params) = compile_on(&SQLITE, filter, req).unwrap_or_else(|e| panic!("{filter}: {e}"));
        let tail = if sql.starts_with("LEFT JOIN") { sql } else { format!("WHERE {sql}") };
        assert_eq!(run_sqlite(&tail, &params), ids, "{filter}");
    }
}
