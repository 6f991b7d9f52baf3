//! The write planner on a temporary store, without HTTP: what a plan contains, what its
//! statements do when they run, and how failures come back (typed field errors, rules checked
//! inside the transaction, relations, cascades).

use croft::error::FieldErrors;
use croft::filter::{AuthInfo, RequestInfo};
use croft::records::{self, Input, Plan, RecordError, WriteKind};
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, spawn_app};

fn body(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

fn input(v: Value) -> Input {
    Input { body: body(v), uploads: Vec::new() }
}

fn guest() -> RequestInfo {
    RequestInfo::default()
}

fn user(id: &str) -> RequestInfo {
    let auth = AuthInfo {
        collection_id: "_pb_users_auth_".into(),
        collection_name: "users".into(),
        id: id.into(),
        superuser: false,
        key: None,
    };
    RequestInfo { auth: Some(auth), ..RequestInfo::default() }
}

/// `authors` (public create unless the name is `blocked`), `books` with a required author
/// (cascade off) and `chapters` that cascade with their book.
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    let records = &app.state.records;
    let create = |v: Value| croft::collections::create(records, serde_json::from_value(v).expect("collection"));
    create(json!({
        "name": "authors", "createRule": "name != 'blocked'", "updateRule": "@request.auth.id != ''",
        "deleteRule": "", "listRule": "", "viewRule": "",
        "fields": [{"name": "name", "type": "text", "required": true, "min": 2}],
    }))
    .await
    .expect("authors");
    let authors = app.state.schema.snapshot().get("authors").expect("authors").id.clone();
    create(json!({
        "name": "books", "createRule": "", "deleteRule": "",
        "fields": [{"name": "author", "type": "relation", "collectionId": authors, "maxSelect": 1, "required": true}],
    }))
    .await
    .expect("books");
    let books = app.state.schema.snapshot().get("books").expect("books").id.clone();
    create(json!({
        "name": "chapters", "createRule": "",
        "fields": [{"name": "book", "type": "relation", "collectionId": books, "maxSelect": 1, "cascadeDelete": true}],
    }))
    .await
    .expect("chapters");
    app
}

async fn plan_create(app: &TestApp, coll: &str, v: Value, req: &RequestInfo) -> Result<Plan, RecordError> {
    let records = &app.state.records;
    records::plan_create(records, records.store.as_ref(), coll, input(v), req, &[]).await
}

async fn commit(app: &TestApp, plan: &Plan) -> Result<(), RecordError> {
    app.state.records.store.execute(plan.statements.clone()).await.map(drop).map_err(|e| plan.failure(e))
}

fn field_errors(err: RecordError) -> FieldErrors {
    match err {
        RecordError::BadRequest { data, .. } => data,
        other => panic!("expected a validation failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_create_plan_is_an_insert_and_the_rule_runs_inside_the_transaction() {
    let app = seeded().await;
    let plan = plan_create(&app, "authors", json!({"name": "Ann"}), &guest()).await.expect("plan");
    assert_eq!((plan.kind, plan.statements.len()), (WriteKind::Create, 2), "insert + the rule's check");
    assert!(plan.statements.iter().all(|s| s.must_affect));
    commit(&app, &plan).await.expect("commit");
    // A rule that depends on the record is checked by the transaction, which then rolls back.
    let blocked = plan_create(&app, "authors", json!({"name": "blocked"}), &guest()).await.expect("planned");
    let err = commit(&app, &blocked).await.expect_err("the rule fails");
    assert!(matches!(err, RecordError::BadRequest { ref message, .. } if message == "Failed to create record."));
    let list = records::list(&app.state.records, "authors", Default::default(), &guest()).await.expect("list");
    assert_eq!(list.total_items, 1, "only the allowed record was written");
    app.stop().await;
}

#[tokio::test]
async fn validation_failures_are_typed_field_errors_and_nothing_is_planned() {
    let app = seeded().await;
    let errors = field_errors(plan_create(&app, "authors", json!({"name": "A"}), &guest()).await.expect_err("short"));
    let name = errors.get("name").expect("name");
    assert_eq!(name.code, "validation_min_text_constraint");
    assert_eq!(name.params.get("min"), Some(&croft::error::Param::Int(2)));
    let errors = field_errors(plan_create(&app, "books", json!({"author": "nope"}), &guest()).await.expect_err("rel"));
    assert_eq!(errors.get("author").map(|e| e.code), Some("validation_missing_rel_records"));
    let errors = field_errors(plan_create(&app, "books", json!({}), &guest()).await.expect_err("required"));
    assert_eq!(errors.get("author").map(|e| e.code), Some("validation_required"));
    app.stop().await;
}

#[tokio::test]
async fn a_rule_on_request_values_only_is_decided_before_any_statement() {
    let app = seeded().await;
    let ann = plan_create(&app, "authors", json!({"name": "Ann"}), &guest()).await.expect("plan");
    commit(&app, &ann).await.expect("commit");
    let records = &app.state.records;
    let db = records.store.as_ref();
    // `@request.auth.id != ''` is false for a guest whatever the record: no statement is built.
    let anonymous = guest();
    let denied = records::plan_update(records, db, "authors", &ann.id, input(json!({"name": "Bo"})), &anonymous, &[]);
    assert!(matches!(denied.await, Err(RecordError::NotFound)));
    let allowed = records::plan_update(records, db, "authors", &ann.id, input(json!({"name": "Bo"})), &user("u1"), &[])
        .await
        .expect("plan");
    assert_eq!((allowed.kind, allowed.statements.len()), (WriteKind::Update, 1), "no rule check statement");
    commit(&app, &allowed).await.expect("commit");
    app.stop().await;
}

#[tokio::test]
async fn a_batch_counts_records_created_earlier_in_it() {
    let app = seeded().await;
    let records = &app.state.records;
    let db = records.store.as_ref();
    let author = plan_create(&app, "authors", json!({"name": "Ann"}), &guest()).await.expect("plan");
    let pending = [(author.coll.id.clone(), author.id.clone())];
    let book = records::plan_create(records, db, "books", input(json!({"author": author.id})), &guest(), &pending)
        .await
        .expect("the pending author counts as existing");
    assert_eq!(book.kind, WriteKind::Create);
    let alone = records::plan_create(records, db, "books", input(json!({"author": author.id})), &guest(), &[]).await;
    assert!(alone.is_err(), "without it the author does not exist yet");
    app.stop().await;
}

#[tokio::test]
async fn a_delete_plan_cascades_refuses_required_references_and_frees_files() {
    let app = seeded().await;
    let records = &app.state.records;
    let db = records.store.as_ref();
    let author = plan_create(&app, "authors", json!({"name": "Ann"}), &guest()).await.expect("plan");
    commit(&app, &author).await.expect("author");
    let book = plan_create(&app, "books", json!({"author": author.id}), &guest()).await.expect("plan");
    commit(&app, &book).await.expect("book");
    for _ in 0..2 {
        let chapter = plan_create(&app, "chapters", json!({"book": book.id}), &guest()).await.expect("plan");
        commit(&app, &chapter).await.expect("chapter");
    }
    // The author is a required reference of the book: refused, nothing planned.
    let refused = records::plan_delete(records, db, "authors", &author.id, &guest()).await.expect_err("refused");
    assert!(matches!(refused, RecordError::BadRequest { ref message, .. } if message.contains("required reference")));
    let plan = records::plan_delete(records, db, "books", &book.id, &guest()).await.expect("plan");
    assert!(plan.frees_blobs, "a delete queues the record's folder");
    commit(&app, &plan).await.expect("delete");
    let superuser = RequestInfo::superuser();
    let chapters = records::list(records, "chapters", Default::default(), &superuser).await.expect("list");
    assert_eq!(chapters.total_items, 0, "the chapters went with their book");
    // A plan whose record vanished before it ran fails on its precondition: not found.
    let again = records::plan_delete(records, db, "authors", &author.id, &guest()).await.expect("plan");
    records::delete(records, "authors", &author.id, &superuser).await.expect("deleted meanwhile");
    assert!(matches!(commit(&app, &again).await, Err(RecordError::NotFound)));
    app.stop().await;
}
