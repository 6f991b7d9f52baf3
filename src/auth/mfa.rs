//! Multi-factor authentication as PocketBase runs it: when a collection has MFA on (and its
//! `mfa.rule` matches the record), a first successful sign-in answers 401 `{mfaId}`; a sign-in
//! with a different method that carries that `mfaId` completes it. Sessions live in `_mfas`.

use super::{Auth, AuthError, Principal};
use crate::filter::RequestInfo;
use crate::store::model::Mfa;
use crate::store::system;

fn bad(message: &str) -> AuthError {
    AuthError::Rejected { message: message.to_owned(), data: crate::error::FieldErrors::default() }
}

/// `None`: the sign-in is complete. `Some(id)`: a second factor is needed (answer 401 `{mfaId}`).
pub async fn check(
    state: &Auth,
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
        let mfa = Mfa {
            id: id.clone(),
            collection_id: p.collection.id.clone(),
            record_id: p.record.id.clone(),
            method: method.to_owned(),
            created: now,
        };
        system::insert_mfa(state.store.as_ref(), &mfa).await?;
        return Ok(Some(id));
    };
    let Some(session) = system::mfa(state.store.as_ref(), mfa_id).await? else {
        return Err(bad("Invalid or expired MFA session."));
    };
    let fresh = crate::dates::parse(&session.created)
        .is_some_and(|c| chrono::Utc::now() - c < chrono::Duration::seconds(duration));
    if !fresh {
        delete(state, mfa_id).await?;
        return Err(bad("Invalid or expired MFA session."));
    }
    if session.record_id != p.record.id || session.collection_id != p.collection.id {
        return Err(bad("Invalid MFA session."));
    }
    if session.method == method {
        return Err(bad("A different authentication method is required."));
    }
    delete(state, mfa_id).await?;
    Ok(None)
}

/// An empty rule asks every record for a second factor; otherwise the records it matches.
async fn wanted(state: &Auth, p: &Principal, rule: Option<&str>, req: &RequestInfo) -> Result<bool, AuthError> {
    let Some(rule) = rule.filter(|r| !r.trim().is_empty()) else { return Ok(true) };
    let schema = state.schema.snapshot();
    let Some(coll) = schema.get(&p.collection.id) else { return Ok(true) };
    let found = crate::records::fetch_visible(state.store.as_ref(), &schema, coll, &p.record.id, Some(rule), req)
        .await
        .map_err(|e| AuthError::Internal(anyhow::anyhow!("MFA rule failure: {e}")))?;
    Ok(found.is_some())
}

async fn delete(state: &Auth, id: &str) -> Result<(), AuthError> {
    system::delete_mfa(state.store.as_ref(), id).await?;
    Ok(())
}
