//! Multi-factor authentication as PocketBase runs it: when a collection has MFA on (and its
//! `mfa.rule` matches the record), a first successful sign-in answers 401 `{mfaId}`; a sign-in
//! with a different method that carries that `mfaId` completes it. Sessions live in `_mfas`.

use serde_json::json;

use super::{AuthError, Principal};
use crate::app::AppState;
use crate::filter::RequestInfo;
use crate::store::{SqlQuery, SqlValue, Statement};

fn bad(message: &str) -> AuthError {
    AuthError::Rejected { message: message.to_owned(), data: json!({}) }
}

/// `None`: the sign-in is complete. `Some(id)`: a second factor is needed (answer 401 `{mfaId}`).
pub async fn check(
    state: &AppState,
    p: &Principal,
    method: &str,
    mfa_id: Option<&str>,
    req: &RequestInfo,
) -> Result<Option<String>, AuthError> {
    let options = &p.collection.options["mfa"];
    if !options["enabled"].as_bool().unwrap_or(false) || !wanted(state, p, options["rule"].as_str(), req).await? {
        return Ok(None);
    }
    let duration = options["duration"].as_i64().filter(|d| *d > 0).unwrap_or(600);
    let Some(mfa_id) = mfa_id.filter(|m| !m.is_empty()) else {
        let id = crate::ids::record_id();
        let now = crate::dates::now();
        let insert = Statement {
            query: SqlQuery {
                sql: "INSERT INTO _mfas (id, collectionRef, recordRef, method, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?5)".into(),
                params: [&id, &p.collection.id, &p.record.id, &method.to_owned(), &now].map(|v| SqlValue::Text(v.clone())).to_vec(),
            },
            must_affect: true,
        };
        state.store.execute(vec![insert]).await?;
        return Ok(Some(id));
    };
    let rows = state
        .store
        .query(SqlQuery {
            sql: "SELECT collectionRef, recordRef, method, created FROM _mfas WHERE id = ?1".into(),
            params: vec![SqlValue::Text(mfa_id.to_owned())],
        })
        .await?;
    let Some([SqlValue::Text(coll_ref), SqlValue::Text(record_ref), SqlValue::Text(first), SqlValue::Text(created)]) =
        rows.first().map(Vec::as_slice)
    else {
        return Err(bad("Invalid or expired MFA session."));
    };
    let fresh =
        crate::dates::parse(created).is_some_and(|c| chrono::Utc::now() - c < chrono::Duration::seconds(duration));
    if !fresh {
        delete(state, mfa_id).await?;
        return Err(bad("Invalid or expired MFA session."));
    }
    if *record_ref != p.record.id || *coll_ref != p.collection.id {
        return Err(bad("Invalid MFA session."));
    }
    if first == method {
        return Err(bad("A different authentication method is required."));
    }
    delete(state, mfa_id).await?;
    Ok(None)
}

/// An empty rule asks every record for a second factor; otherwise the records it matches.
async fn wanted(state: &AppState, p: &Principal, rule: Option<&str>, req: &RequestInfo) -> Result<bool, AuthError> {
    let Some(rule) = rule.filter(|r| !r.trim().is_empty()) else { return Ok(true) };
    let schema = state.schema();
    let Some(coll) = schema.get(&p.collection.id) else { return Ok(true) };
    let found = crate::records::fetch_visible(state.store.as_ref(), &schema, coll, &p.record.id, Some(rule), req)
        .await
        .map_err(|e| AuthError::Internal(anyhow::anyhow!("MFA rule failure: {e}")))?;
    Ok(found.is_some())
}

async fn delete(state: &AppState, id: &str) -> Result<(), AuthError> {
    state.store.execute(vec![Statement::delete_by_id("_mfas", id)]).await?;
    Ok(())
}
