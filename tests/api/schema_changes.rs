//! Schema changes while records are being written: nothing acknowledged is lost, no request
//! fails with a server error, and the table always matches the collection.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn schema_changes_under_write_load_lose_nothing() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let create = json!({"name": "items", "listRule": "", "viewRule": "", "createRule": "",
        "fields": [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}]});
    let resp = app.post("/api/collections").header("Authorization", &token).json(&create).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    let field_id = |doc: &Value, name: &str| {
        doc["fields"].as_array().expect("fields").iter().find(|f| f["name"] == name).expect("field")["id"].clone()
    };
    let collection: Value = app.get_json("/api/collections/items", &token).await;
    let title_id = field_id(&collection, "title");

    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (client, url) = (app.client.clone(), app.url("/api/collections/items/records"));
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0..40 {
                    let resp = client.post(&url).json(&json!({"n": w * 1000 + i})).send().await.expect("send");
                    assert!(!resp.status().is_server_error(), "server error during a schema change");
                    if resp.status() == 200 {
                        let body: Value = resp.json().await.expect("json");
                        acknowledged.push(body["id"].as_str().expect("id").to_owned());
                    }
                }
                acknowledged
            })
        })
        .collect();

    // Rename back and forth, add a field, add an index: each is DDL in one transaction.
    for (i, patch) in [
        json!({"fields": [{"id": title_id, "name": "headline", "type": "text"}, {"name": "n", "type": "number"}]}),
        json!({"fields": [{"id": title_id, "name": "headline", "type": "text"}, {"name": "n", "type": "number"}, {"name": "extra", "type": "bool"}]}),
        json!({"indexes": ["CREATE INDEX idx_items_n ON items (n)"]}),
        json!({"fields": [{"id": title_id, "name": "title", "type": "text"}, {"name": "n", "type": "number"}, {"name": "extra", "type": "bool"}]}),
    ]
    .into_iter()
    .enumerate()
    {
        let resp = app.client.patch(app.url("/api/collections/items")).header("Authorization", &token).json(&patch).send().await.expect("send");
        assert_eq!(resp.status(), 200, "patch {i}: {}", resp.text().await.unwrap_or_default());
    }

    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.expect("writer"));
    }
    assert_eq!(acknowledged.len(), 160, "every create succeeds");
    let listed: Value = app
        .get("/api/collections/items/records?perPage=1000&skipTotal=0")
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["totalItems"], 160);
    let first = &listed["items"][0];
    assert!(first.get("title").is_some() && first.get("extra").is_some() && first.get("headline").is_none(), "{first}");
    app.stop().await;
}
