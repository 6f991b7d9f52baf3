//! Expand depth: a path longer than six levels expands its first six, as PocketBase does.

use croft::filter::RequestInfo;
use croft::records;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_path_deeper_than_six_levels_expands_the_first_six() {
    let app = spawn_app().await;
    let state = &app.state.records;
    let su = RequestInfo::superuser();
    let nodes = json!({"name": "nodes", "listRule": "", "viewRule": "", "fields": [{"name": "label", "type": "text"}]});
    croft::collections::create(state, serde_json::from_value(nodes).expect("nodes")).await.expect("create");
    let id = app.state.schema.snapshot().get("nodes").expect("nodes").id.clone();
    let with_next = json!({"fields": [
        {"name": "label", "type": "text"},
        {"name": "next", "type": "relation", "collectionId": id, "maxSelect": 1},
    ]});
    croft::collections::update(state, "nodes", with_next).await.expect("relation");
    // n1 -> n2 -> … -> n9
    for i in (1..=9).rev() {
        let next = if i < 9 { format!("node0000000000{}", i + 1) } else { String::new() };
        let body = json!({"id": format!("node0000000000{i}"), "label": format!("n{i}"), "next": next});
        records::create(state, "nodes", body.as_object().cloned().expect("object"), Vec::new(), &su)
            .await
            .expect("node");
    }
    let path = ["next"; 8].join(".");
    let record =
        records::view(state, "nodes", "node00000000001", Some(&path), &RequestInfo::default()).await.expect("view");
    let mut depth = 0;
    let mut at = &record;
    while let Some(next) = at.get("expand").and_then(|e| e.get("next")).filter(|n| n.is_object()) {
        depth += 1;
        at = next;
    }
    assert_eq!(depth, 6, "six levels expanded: {record}");
    assert_eq!(at["label"], Value::from("n7"));
    app.stop().await;
}
