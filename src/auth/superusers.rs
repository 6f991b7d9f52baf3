//! Superuser administration, used by `croft superuser …` and the first-run flow.

use super::{Auth, AuthCollection, AuthError, AuthRecord, NewAuthRecord, SUPERUSERS, hash_password};
use crate::error::{FieldErrors, code};
use crate::store::Store;

/// Bcrypt reads at most 72 bytes; PocketBase caps passwords at 71.
const PASSWORD_MIN: usize = 8;
const PASSWORD_MAX: usize = 71;

#[derive(Debug, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

fn collection(auth: &Auth) -> Result<AuthCollection, AuthError> {
    auth.collection(SUPERUSERS)
}

async fn find(store: &dyn Store, coll: &AuthCollection, email: &str) -> Result<Option<AuthRecord>, AuthError> {
    Ok(store.auth_record_by(coll, "email", email).await?)
}

/// Creates the superuser, or sets the password of an existing one.
pub async fn upsert(auth: &Auth, email: &str, password: &str) -> Result<Upserted, AuthError> {
    let store = auth.store.as_ref();
    let coll = collection(auth)?;
    if find(store, &coll, email).await?.is_some() {
        update(auth, email, password).await?;
        Ok(Upserted::Updated)
    } else {
        create(auth, email, password).await?;
        Ok(Upserted::Created)
    }
}

pub async fn create(auth: &Auth, email: &str, password: &str) -> Result<AuthRecord, AuthError> {
    validate(Some(email), password)?;
    let store = auth.store.as_ref();
    let coll = collection(auth)?;
    let new = NewAuthRecord {
        id: crate::ids::record_id(),
        email: email.to_owned(),
        email_visibility: false,
        verified: true,
        password_hash: hash_password(password).await?,
        token_key: crate::ids::secret_key(),
    };
    Ok(store.insert_auth_record(&coll, new).await?)
}

/// Sets a new password; every token issued before stops working.
pub async fn update(auth: &Auth, email: &str, password: &str) -> Result<(), AuthError> {
    validate(None, password)?;
    let store = auth.store.as_ref();
    let coll = collection(auth)?;
    let record = find(store, &coll, email).await?.ok_or(AuthError::NotFound)?;
    let hash = hash_password(password).await?;
    store.set_password(&coll, &record.id, &hash, &crate::ids::secret_key()).await?;
    Ok(())
}

pub async fn delete(auth: &Auth, email: &str) -> Result<(), AuthError> {
    let store = auth.store.as_ref();
    let coll = collection(auth)?;
    let record = find(store, &coll, email).await?.ok_or(AuthError::NotFound)?;
    store.delete_auth_record(&coll, &record.id).await?;
    Ok(())
}

pub async fn count(auth: &Auth) -> Result<u64, AuthError> {
    let store = auth.store.as_ref();
    let coll = collection(auth)?;
    Ok(store.count_auth_records(&coll).await?)
}

/// Every superuser's email address.
pub async fn emails(auth: &Auth) -> Result<Vec<String>, AuthError> {
    let params = crate::records::ListParams {
        page: 1,
        per_page: 1000,
        sort: None,
        filter: None,
        skip_total: true,
        expand: None,
    };
    let list = crate::records::list(&auth.records, SUPERUSERS, params, &crate::filter::RequestInfo::superuser())
        .await
        .map_err(|e| AuthError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(list
        .items
        .iter()
        .filter_map(|r| r.get("email").and_then(serde_json::Value::as_str))
        .map(str::to_owned)
        .collect())
}

fn validate(email: Option<&str>, password: &str) -> Result<(), AuthError> {
    let mut errors = FieldErrors::default();
    if let Some(email) = email {
        if email.is_empty() {
            errors.add("email", code::REQUIRED, "Cannot be blank.");
        } else if !is_email(email) {
            errors.add("email", code::INVALID_EMAIL, "Must be a valid email address.");
        }
    }
    let len = password.chars().count();
    if password.is_empty() {
        errors.add("password", code::REQUIRED, "Cannot be blank.");
    } else if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) || password.len() > 72 {
        errors.add(
            "password",
            code::LENGTH_OUT_OF_RANGE,
            format!("The length must be between {PASSWORD_MIN} and {PASSWORD_MAX}."),
        );
    }
    if errors.is_empty() { Ok(()) } else { Err(AuthError::Invalid(errors)) }
}

pub use crate::schema::is_email;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_name_fields() {
        let Err(AuthError::Invalid(errors)) = validate(Some("nope"), "short") else { panic!("expected invalid") };
        assert_eq!(errors.get("email").expect("email").code, code::INVALID_EMAIL);
        assert_eq!(errors.get("password").expect("password").code, code::LENGTH_OUT_OF_RANGE);
        assert!(is_email("a.b+c@example.co"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
    }
}
