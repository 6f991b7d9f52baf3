//! Deleting a record cascades through chains of relations, unsets optional references and
//! refuses to break required ones.

use croft::filter::RequestInfo;
use croft::records::{self, RecordError};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn su() -> RequestInfo {
    RequestInfo::superuser()
}

fn obj(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().expect("object")
}

#[tokio::test]
async fn cascades_follow_chains_and_unset_optional_references() {
    let app = spawn_app().await;
    let state = &app.state;
    let coll = |name: &str, fields: Value| {
        serde_json::from_value(json!({"name": name, "fields": fields})).expect("collection")
    };
    croft::collections::create(&state.records, coll("a", json!([]))).await.expect("a");
    let a_id = state.schema.snapshot().get("a").expect("a").id.clone();
    croft::collections::create(
        &state.records,
        coll(
            "b",
            json!([{"name": "a", "type": "relation", "collectionId": a_id, "maxSelect": 1, "cascadeDelete": true}]),
        ),
    )
    .await
    .expect("b");
    let b_id = state.schema.snapshot().get("b").expect("b").id.clone();
    croft::collections::create(
        &state.records,
        coll(
            "c",
            json!([{"name": "bs", "type": "relation", "collectionId": b_id, "maxSelect": 5, "cascadeDelete": true}]),
        ),
    )
    .await
    .expect("c");
    let c_id = state.schema.snapshot().get("c").expect("c").id.clone();
    croft::collections::create(
        &state.records,
        coll("d", json!([{"name": "c", "type": "relation", "collectionId": c_id, "maxSelect": 1}])),
    )
    .await
    .expect("d");
    croft::collections::create(
        &state.records,
        coll("e", json!([{"name": "c", "type": "relation", "collectionId": c_id, "maxSelect": 1, "required": true}])),
    )
    .await
    .expect("e");

    let s = su();
    records::create(&state.records, "a", obj(json!({"id": "aaaaaaaaaaaaaa1"})), Vec::new(), &s).await.expect("a1");
    records::create(&state.records, "b", obj(json!({"id": "bbbbbbbbbbbbbb1", "a": "aaaaaaaaaaaaaa1"})), Vec::new(), &s)
        .await
        .expect("b1");
    records::create(
        &state.records,
        "c",
        obj(json!({"id": "cccccccccccccc1", "bs": ["bbbbbbbbbbbbbb1"]})),
        Vec::new(),
        &s,
    )
    .await
    .expect("c1");
    records::create(&state.records, "d", obj(json!({"id": "dddddddddddddd1", "c": "cccccccccccccc1"})), Vec::new(), &s)
        .await
        .expect("d1");

    records::delete(&state.records, "a", "aaaaaaaaaaaaaa1", &s).await.expect("delete a1");
    for (c, id) in [("b", "bbbbbbbbbbbbbb1"), ("c", "cccccccccccccc1")] {
        assert!(
            matches!(records::view(&state.records, c, id, None, &s).await, Err(RecordError::NotFound)),
            "{c} cascaded"
        );
    }
    let d = records::view(&state.records, "d", "dddddddddddddd1", None, &s).await.expect("d1 stays");
    assert_eq!(d["c"], "", "the optional reference is unset");

    // A required reference blocks the whole cascade.
    records::create(&state.records, "a", obj(json!({"id": "aaaaaaaaaaaaaa2"})), Vec::new(), &s).await.expect("a2");
    records::create(&state.records, "b", obj(json!({"id": "bbbbbbbbbbbbbb2", "a": "aaaaaaaaaaaaaa2"})), Vec::new(), &s)
        .await
        .expect("b2");
    records::create(
        &state.records,
        "c",
        obj(json!({"id": "cccccccccccccc2", "bs": ["bbbbbbbbbbbbbb2"]})),
        Vec::new(),
        &s,
    )
    .await
    .expect("c2");
    records::create(&state.records, "e", obj(json!({"id": "eeeeeeeeeeeeee2", "c": "cccccccccccccc2"})), Vec::new(), &s)
        .await
        .expect("e2");
    assert!(matches!(
        records::delete(&state.records, "a", "aaaaaaaaaaaaaa2", &s).await,
        Err(RecordError::BadRequest { .. })
    ));
    records::view(&state.records, "b", "bbbbbbbbbbbbbb2", None, &s).await.expect("nothing was deleted");
    app.stop().await;
}
