//! Golden tests: what each dialect spells, so a change in emitted SQL is a visible diff.

use super::*;

#[test]
fn identifiers_are_double_quoted_in_both_dialects() {
    for d in [&SQLITE as &dyn Dialect, &POSTGRES] {
        assert_eq!(d.ident("posts"), r#""posts""#);
        assert_eq!(d.ident("emailVisibility"), r#""emailVisibility""#);
        assert_eq!(d.ident(r#"we"ird"#), r#""we""ird""#);
        assert_eq!(d.ident("`x`"), r#""`x`""#);
    }
}

#[test]
fn placeholders_round_trip() {
    assert_eq!(SQLITE.placeholder(3), "?3");
    assert_eq!(POSTGRES.placeholder(3), "$3");
    assert_eq!(SQLITE.placeholder_index("?12"), Some(12));
    assert_eq!(POSTGRES.placeholder_index("$12"), Some(12));
    assert_eq!(SQLITE.placeholder_index("$1"), None);
    assert_eq!(POSTGRES.placeholder_index("?1"), None);
}

#[test]
fn builder_numbers_parameters_and_aliases() {
    for (d, first, second) in [(&SQLITE as &'static dyn Dialect, "?1", "?2"), (&POSTGRES, "$1", "$2")] {
        let mut b = SqlBuilder::new(d);
        assert_eq!(b.param(SqlValue::Int(1)), first);
        assert_eq!(b.param("x".into()), second);
        assert_eq!(b.params, vec![SqlValue::Int(1), SqlValue::Text("x".into())]);
        assert_eq!(b.alias("rule"), r#""__rule1""#);
        assert_eq!(b.alias("je"), r#""__je2""#);
        assert_eq!(b.column(r#""__r""#, "id"), r#""__r"."id""#);
        *b.param_mut(second).expect("known placeholder") = SqlValue::Null;
        assert_eq!(b.params[1], SqlValue::Null);
        assert!(b.param_mut("?9").is_none() && b.param_mut("$9").is_none());
    }
}

#[test]
fn booleans_and_like() {
    assert_eq!((SQLITE.bool_literal(true), SQLITE.bool_literal(false)), ("1", "0"));
    assert_eq!((POSTGRES.bool_literal(true), POSTGRES.bool_literal(false)), ("TRUE", "FALSE"));
    assert_eq!(SQLITE.like("a", "?1", false), r"a LIKE ?1 ESCAPE '\'");
    assert_eq!(SQLITE.like("a", "?1", true), r"a NOT LIKE ?1 ESCAPE '\'");
    assert_eq!(POSTGRES.like("a", "$1", false), r"(a)::text ILIKE $1 ESCAPE '\'");
    assert_eq!(POSTGRES.like("a", "$1", true), r"(a)::text NOT ILIKE $1 ESCAPE '\'");
    assert_eq!(SQLITE.lower("x"), "LOWER(x)");
    assert_eq!(POSTGRES.lower("x"), "LOWER(x)");
}

#[test]
fn null_safe_comparisons_and_joins_without_a_condition() {
    assert_eq!(SQLITE.null_safe_eq("a", "?1", false), "a IS ?1");
    assert_eq!(SQLITE.null_safe_eq("a", "?1", true), "a IS NOT ?1");
    assert_eq!(POSTGRES.null_safe_eq("a", "$1", false), "a IS NOT DISTINCT FROM $1");
    assert_eq!(POSTGRES.null_safe_eq("a", "$1", true), "a IS DISTINCT FROM $1");
    assert_eq!(SQLITE.join_always("t x"), "LEFT JOIN t x");
    assert_eq!(POSTGRES.join_always("t x"), "LEFT JOIN t x ON TRUE");
}

#[test]
fn json_functions() {
    assert_eq!(
        SQLITE.json_elements("t.tags", "e"),
        "json_each(CASE WHEN json_valid(t.tags) THEN t.tags ELSE json_array(t.tags) END) e"
    );
    assert_eq!(
        SQLITE.json_array_elements("t.tags", "e"),
        "json_each(CASE WHEN json_valid(t.tags) THEN t.tags ELSE '[]' END) e"
    );
    assert_eq!(SQLITE.json_extract("t.meta", "?2"), "json_extract(t.meta, ?2)");
    assert_eq!(SQLITE.json_array_length("t.tags"), "json_array_length(t.tags)");
    assert_eq!(SQLITE.json_array_agg("e.value"), "json_group_array(e.value)");
    assert_eq!(
        POSTGRES.json_elements("t.tags", "e"),
        r#"jsonb_array_elements_text(CASE WHEN jsonb_typeof(to_jsonb(t.tags)) = 'array' THEN to_jsonb(t.tags) ELSE jsonb_build_array(t.tags) END) AS e("value")"#
    );
    assert_eq!(
        POSTGRES.json_array_elements("t.tags", "e"),
        r#"jsonb_array_elements_text(CASE WHEN jsonb_typeof(to_jsonb(t.tags)) = 'array' THEN to_jsonb(t.tags) ELSE '[]'::jsonb END) AS e("value")"#
    );
    assert_eq!(
        POSTGRES.json_extract("t.meta", "$2"),
        "jsonb_path_query_first(to_jsonb(t.meta), $2::jsonpath) #>> '{}'"
    );
    assert_eq!(POSTGRES.json_array_length("t.tags"), "jsonb_array_length(to_jsonb(t.tags))");
    assert_eq!(POSTGRES.json_array_agg("e.value"), "COALESCE(jsonb_agg(e.value), '[]'::jsonb)");
}

#[test]
fn rowid_random_strftime() {
    assert_eq!(SQLITE.rowid(r#""__r""#), r#""__r"."_rowid_""#);
    assert_eq!(POSTGRES.rowid(r#""__r""#), r#""__r"."_rowid_""#);
    assert_eq!((SQLITE.random(), POSTGRES.random()), ("RANDOM()", "RANDOM()"));
    let args = ["?1".to_owned(), "x.created".to_owned()];
    assert_eq!(SQLITE.strftime(&args), "strftime(?1, x.created)");
    assert_eq!(POSTGRES.strftime(&args), "croft_strftime(?1, x.created)");
}

#[test]
fn geo_distance_reads_numbers() {
    assert_eq!(
        SQLITE.geo_distance("a", "b", "?1", "?2"),
        "(6371 * acos(cos(radians(b)) * cos(radians(?2)) * cos(radians(?1) - radians(a)) + sin(radians(b)) * sin(radians(?2))))"
    );
    assert!(POSTGRES.geo_distance("a", "b", "$1", "$2").contains("radians((b)::float8)"));
}

#[test]
fn upserts() {
    let values = ["?1".to_owned(), "?2".to_owned()];
    assert_eq!(
        SQLITE.upsert("_blobQueue", &["key", "notBefore"], &values, &["key"], &["notBefore"]),
        r#"INSERT INTO "_blobQueue" ("key", "notBefore") VALUES (?1, ?2) ON CONFLICT ("key") DO UPDATE SET "notBefore" = excluded."notBefore""#
    );
    let values = ["$1".to_owned(), "$2".to_owned()];
    assert_eq!(
        POSTGRES.upsert("_authOrigins", &["id", "fingerprint"], &values, &["id"], &[]),
        r#"INSERT INTO "_authOrigins" ("id", "fingerprint") VALUES ($1, $2) ON CONFLICT ("id") DO NOTHING"#
    );
}

#[test]
fn crud_statements() {
    let row = [("id", SqlValue::from("r1")), ("n", SqlValue::Int(2))];
    let insert = statements::insert(&SQLITE, "notes", &row);
    assert_eq!(insert.query.sql, r#"INSERT INTO "notes" ("id", "n") VALUES (?1, ?2)"#);
    assert_eq!(insert.query.params, vec![SqlValue::from("r1"), SqlValue::Int(2)]);
    let update = statements::update(&POSTGRES, "notes", &[("n", SqlValue::Int(3))], &[("id", "r1".into())]);
    assert_eq!(update.query.sql, r#"UPDATE "notes" SET "n" = $1 WHERE "id" = $2"#);
    let delete = statements::delete(&SQLITE, "notes", &[("a", "x".into()), ("b", "y".into())]);
    assert_eq!(delete.query.sql, r#"DELETE FROM "notes" WHERE "a" = ?1 AND "b" = ?2"#);
    assert!(!insert.must_affect && !update.must_affect && !delete.must_affect);
}

#[test]
fn statements() {
    let s = Statement::new(SqlQuery { sql: "DELETE FROM t".into(), params: vec![] });
    assert!(!s.must_affect);
    assert!(s.must_affect().must_affect);
}
