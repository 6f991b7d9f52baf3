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

/// A self-relation with ten links per record: each level multiplies the answer by ten. Past the
/// budget the request is refused in PocketBase's error shape, quickly and before the answer is
/// built; a modest expand still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expand_amplification_is_refused_within_a_budget() {
    let app = spawn_app().await;
    let state = &app.state.records;
    let su = RequestInfo::superuser();
    let web = json!({"name": "web", "listRule": "", "viewRule": "", "fields": [{"name": "label", "type": "text"}]});
    croft::collections::create(state, serde_json::from_value(web).expect("web")).await.expect("create");
    let id = app.state.schema.snapshot().get("web").expect("web").id.clone();
    let with_links = json!({"fields": [
        {"name": "label", "type": "text"},
        {"name": "links", "type": "relation", "collectionId": id, "maxSelect": 10},
    ]});
    croft::collections::update(state, "web", with_links).await.expect("relation");
    let ids: Vec<String> = (0..11).map(|i| format!("web{i:012}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let body = json!({"id": id, "label": format!("w{i}")});
        records::create(state, "web", body.as_object().cloned().expect("object"), Vec::new(), &su)
            .await
            .expect("record");
    }
    for (i, id) in ids.iter().enumerate() {
        let links: Vec<&String> = ids.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, l)| l).collect();
        let body = json!({"links": links});
        records::update(state, "web", id, body.as_object().cloned().expect("object"), Vec::new(), &su)
            .await
            .expect("links");
    }

    // 11 records x 10 links x 10 = 1,111 inlined records: within the budget.
    let resp = app.get("/api/collections/web/records?perPage=50&expand=links.links").send().await.expect("list");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["items"][0]["expand"]["links"][0]["expand"]["links"].as_array().map(Vec::len), Some(10));

    // Six levels would be 11 x 10^6 records: refused, fast.
    let started = std::time::Instant::now();
    let path = ["links"; 6].join(".");
    let resp = app.get(&format!("/api/collections/web/records/{}?expand={path}", ids[0])).send().await.expect("view");
    let body = crate::helpers::assert_pb_error(resp, 400).await;
    assert!(body["message"].as_str().unwrap_or_default().contains("more than 10000 records"), "{body}");
    let resp = app.get(&format!("/api/collections/web/records?perPage=50&expand={path}")).send().await.expect("list");
    crate::helpers::assert_pb_error(resp, 400).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    app.stop().await;
}
