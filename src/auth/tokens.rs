//! PocketBase-format HS256 JWTs: `{id, type, collectionId, exp, refreshable}`, signed with the
//! record's `tokenKey` followed by the collection's token secret, so that rotating either one
//! invalidates every token issued before.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::{AuthCollection, AuthRecord};

pub use crate::store::model::{TYPE_AUTH, TYPE_EMAIL_CHANGE, TYPE_FILE, TYPE_PASSWORD_RESET, TYPE_VERIFICATION};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "collectionId")]
    pub collection_id: String,
    pub exp: i64,
    /// Auth tokens only (impersonation tokens are not refreshable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refreshable: Option<bool>,
    /// The record's email when the token was issued (verification, reset, email change).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// The address an email-change token moves the record to.
    #[serde(default, rename = "newEmail", skip_serializing_if = "String::is_empty")]
    pub new_email: String,
}

fn signing_key(coll: &AuthCollection, record: &AuthRecord, kind: &str) -> Vec<u8> {
    format!("{}{}", record.token_key, coll.token(kind).secret).into_bytes()
}

/// Issues a refreshable auth token valid for the collection's configured duration.
pub fn issue_auth(coll: &AuthCollection, record: &AuthRecord) -> anyhow::Result<String> {
    issue(coll, record, TYPE_AUTH, coll.token_duration_secs, true, "")
}

/// A non-refreshable auth token (impersonation); `secs <= 0` takes the collection's duration.
pub fn issue_static(coll: &AuthCollection, record: &AuthRecord, secs: i64) -> anyhow::Result<String> {
    let secs = if secs > 0 { secs } else { coll.token_duration_secs };
    issue(coll, record, TYPE_AUTH, secs, false, "")
}

/// Issues a short-lived file token (PocketBase: `{id, type: "file", collectionId, exp}`).
pub fn issue_file(coll: &AuthCollection, record: &AuthRecord) -> anyhow::Result<String> {
    issue(coll, record, TYPE_FILE, coll.token(TYPE_FILE).duration_secs, false, "")
}

/// A verification or password-reset token, bound to the record's current email.
pub fn issue_for_email(coll: &AuthCollection, record: &AuthRecord, kind: &str) -> anyhow::Result<String> {
    issue(coll, record, kind, coll.token(kind).duration_secs, false, "")
}

/// An email-change token carrying the new address.
pub fn issue_email_change(coll: &AuthCollection, record: &AuthRecord, new_email: &str) -> anyhow::Result<String> {
    issue(coll, record, TYPE_EMAIL_CHANGE, coll.token(TYPE_EMAIL_CHANGE).duration_secs, false, new_email)
}

fn issue(
    coll: &AuthCollection,
    record: &AuthRecord,
    kind: &str,
    secs: i64,
    refreshable: bool,
    new_email: &str,
) -> anyhow::Result<String> {
    let with_email = matches!(kind, TYPE_VERIFICATION | TYPE_PASSWORD_RESET | TYPE_EMAIL_CHANGE);
    let claims = Claims {
        id: record.id.clone(),
        kind: kind.to_owned(),
        collection_id: coll.id.clone(),
        exp: chrono::Utc::now().timestamp() + secs,
        refreshable: (kind == TYPE_AUTH).then_some(refreshable),
        email: if with_email { record.email.clone() } else { String::new() },
        new_email: new_email.to_owned(),
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&signing_key(coll, record, kind)),
    )?)
}

/// Reads the claims without checking the signature: only to find which record to load.
pub fn peek(token: &str) -> Option<Claims> {
    jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(token).ok()
}

/// Checks signature, algorithm and expiry (no leeway) against the record's key.
pub fn verify(token: &str, coll: &AuthCollection, record: &AuthRecord) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp"]);
    let kind = peek(token)?.kind;
    let key = DecodingKey::from_secret(&signing_key(coll, record, &kind));
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).ok()?;
    let claims = data.claims;
    (claims.id == record.id && claims.collection_id == coll.id).then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> (AuthCollection, AuthRecord) {
        let coll = AuthCollection {
            id: "pbc_1".into(),
            name: "users".into(),
            token_secret: "secret".into(),
            token_duration_secs: 60,
            tokens: std::sync::Arc::new(
                [(TYPE_FILE, crate::auth::TokenConfig { secret: "file-secret".into(), duration_secs: 60 })].into(),
            ),
            password_auth: true,
            identity_fields: vec!["email".into()],
            options: Default::default(),
            date_fields: Vec::new(),
        };
        let record = AuthRecord {
            id: "abc".into(),
            email: "a@b.c".into(),
            email_visibility: false,
            verified: true,
            password_hash: String::new(),
            token_key: "key".into(),
            created: String::new(),
            updated: String::new(),
        };
        (coll, record)
    }

    #[test]
    fn issues_and_verifies() {
        let (coll, record) = fixtures();
        let token = issue_auth(&coll, &record).expect("issue");
        let claims = verify(&token, &coll, &record).expect("valid");
        assert_eq!(claims.kind, "auth");
        assert_eq!(claims.refreshable, Some(true));
        assert_eq!(peek(&token), Some(claims));
    }

    #[test]
    fn rejects_rotated_keys_tampering_and_expiry() {
        let (coll, mut record) = fixtures();
        let token = issue_auth(&coll, &record).expect("issue");
        let mut other = coll.clone();
        other.token_secret = "other".into();
        assert!(verify(&token, &other, &record).is_none(), "collection secret rotated");
        let mut tampered = token.clone();
        tampered.pop();
        assert!(verify(&tampered, &coll, &record).is_none());
        record.token_key = "new".into();
        assert!(verify(&token, &coll, &record).is_none(), "tokenKey rotated");
        let mut expired = coll.clone();
        expired.token_duration_secs = -1;
        let token = issue_auth(&expired, &record).expect("issue");
        assert!(verify(&token, &coll, &record).is_none(), "expired");
        assert!(peek("garbage").is_none());
        let file = issue_file(&coll, &record).expect("issue");
        assert_eq!(verify(&file, &coll, &record).map(|c| c.kind), Some(TYPE_FILE.into()));
        let mut other = coll.clone();
        std::sync::Arc::make_mut(&mut other.tokens)
            .insert(TYPE_FILE, crate::auth::TokenConfig { secret: "rotated".into(), duration_secs: 60 });
        assert!(verify(&file, &other, &record).is_none(), "file secret rotated");
    }
}
