//! The end of every sign-in (password, OAuth2, OTP): the collection's `authRule`, then MFA,
//! then the login alert, then the token and the record as its owner sees it.

use serde_json::{Value, json};

use super::{Auth, AuthError, Principal};
use crate::filter::RequestInfo;

/// Where a sign-in comes from, as the HTTP layer sees the client.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
}

/// How a sign-in ends.
#[derive(Debug)]
pub enum SignIn {
    /// A second factor is needed: the id of the MFA session to send with it.
    MfaRequired(String),
    Done {
        token: String,
        record: Value,
    },
}

/// Finishes a sign-in of `principal` by `method` (`password`, `oauth2`, `otp`): `info` is the
/// request as rules see it (its context set to the method).
pub async fn finish(
    auth: &Auth,
    principal: Principal,
    token: String,
    method: &str,
    mfa_id: Option<&str>,
    info: &RequestInfo,
    origin: &Origin,
) -> Result<SignIn, AuthError> {
    check_auth_rule(auth, &principal, info).await?;
    if let Some(mfa_id) = super::mfa::check(auth, &principal, method, mfa_id, info).await? {
        return Ok(SignIn::MfaRequired(mfa_id));
    }
    if let Err(e) = super::flows::auth_alert(auth, &principal, &origin.ip, &origin.user_agent).await {
        tracing::warn!(error = %e, "failed to record the sign-in origin");
    }
    Ok(SignIn::Done { token, record: owner_record(auth, &principal).await? })
}

/// The collection's `authRule` (absent: anyone; `null`: superusers only) must match the record.
async fn check_auth_rule(auth: &Auth, principal: &Principal, info: &RequestInfo) -> Result<(), AuthError> {
    if principal.is_superuser() {
        return Ok(());
    }
    let schema = auth.schema.snapshot();
    let Some(coll) = schema.get(&principal.collection.id) else { return Ok(()) };
    let rule = coll.options.get("authRule").map_or(Some(""), Value::as_str);
    let allowed = match rule {
        Some(rule) => {
            crate::records::fetch_visible(auth.store.as_ref(), &schema, coll, &principal.record.id, Some(rule), info)
                .await?
                .is_some()
        }
        None => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(AuthError::Forbidden("The request doesn't satisfy the collection requirements to authenticate."))
    }
}

/// The whole record as its owner sees it (every visible field, its own email included).
pub async fn owner_record(auth: &Auth, p: &Principal) -> Result<Value, AuthError> {
    let schema = auth.schema.snapshot();
    if let Some(coll) = schema.get(&p.collection.id) {
        let info = RequestInfo { auth: Some(p.auth_info()), ..RequestInfo::default() };
        let found =
            crate::records::fetch_visible(auth.store.as_ref(), &schema, coll, &p.record.id, Some(""), &info).await?;
        if let Some(record) = found {
            return Ok(record);
        }
    }
    Ok(standard_fields(p))
}

/// The standard columns of an auth record (when its collection is not in the schema).
fn standard_fields(p: &Principal) -> Value {
    let r = &p.record;
    json!({
        "collectionId": p.collection.id,
        "collectionName": p.collection.name,
        "id": r.id,
        "email": r.email,
        "emailVisibility": r.email_visibility,
        "verified": r.verified,
        "created": r.created,
        "updated": r.updated,
    })
}
