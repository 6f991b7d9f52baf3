//! One-time passwords (`request-otp`, `auth-with-otp`), kept in PocketBase's `_otps` collection:
//! a bcrypt hash of the code, the record it is for and where it was sent.

use std::time::Duration;

use super::{Auth, AuthCollection, AuthError, Principal};
use crate::error::{FieldErrors, code};
use crate::store::model::Otp;
use crate::store::system;

/// Wrong codes allowed per record within the window before `auth-with-otp` answers 429.
const MAX_ATTEMPTS: u32 = 5;
const ATTEMPT_WINDOW: Duration = Duration::from_secs(180);
/// At most this many unexpired codes per record; beyond, the newest is reused (not re-sent).
const MAX_RECENT: usize = 10;

fn options(coll: &AuthCollection) -> (bool, i64, usize) {
    let o = &coll.options["otp"];
    let duration = o["duration"].as_i64().filter(|d| *d > 0).unwrap_or(180);
    let length = o["length"].as_u64().filter(|l| *l > 0).unwrap_or(8) as usize;
    (o["enabled"].as_bool().unwrap_or(false), duration, length)
}

fn disabled() -> AuthError {
    AuthError::Forbidden("The collection is not configured to allow OTP authentication.")
}

fn expired() -> AuthError {
    AuthError::InvalidOtp
}

/// `POST /api/collections/{c}/request-otp`: the id of a code mailed to `email`. Unknown emails
/// get a fresh random id too, so the answer tells nothing.
pub async fn request(state: &Auth, key: &str, email: &str) -> Result<String, AuthError> {
    let coll = state.collection(key)?;
    let (enabled, duration, length) = options(&coll);
    if !enabled {
        return Err(disabled());
    }
    super::flows::check_email("email", email)?;
    let Some(record) = state.store.auth_record_by(&coll, "email", email).await? else {
        return Ok(crate::ids::record_id());
    };
    let since = crate::dates::format(chrono::Utc::now() - chrono::Duration::seconds(duration));
    let recent = system::recent_otps(state.store.as_ref(), &coll.id, &record.id, &since).await?;
    if recent.len() >= MAX_RECENT
        && let Some(id) = recent.first()
    {
        tracing::warn!(record = %record.id, "too many OTP requests; reusing the last code");
        return Ok(id.clone());
    }
    let (id, password) = issue(state, &coll, &record, length).await?;
    super::flows::send_otp(state, &coll, &record, &id, &password).await;
    Ok(id)
}

/// Stores a new code for the record: `(otpId, code)`.
async fn issue(
    state: &Auth,
    coll: &AuthCollection,
    record: &super::AuthRecord,
    length: usize,
) -> Result<(String, String), AuthError> {
    let password = crate::ids::random_from(b"0123456789", length);
    let id = crate::ids::record_id();
    let now = crate::dates::now();
    let hash = super::hash_password(&password).await?;
    let otp = Otp {
        id: id.clone(),
        collection_id: coll.id.clone(),
        record_id: record.id.clone(),
        password_hash: hash,
        sent_to: record.email.clone(),
        created: now,
    };
    system::insert_otp(state.store.as_ref(), &otp).await?;
    Ok((id, password))
}

/// `croft superuser otp EMAIL`: a code for a superuser, printed instead of mailed (for a server
/// without working email). The `_superusers` collection must have OTP enabled.
pub async fn for_superuser(state: &Auth, email: &str) -> Result<(String, String, i64), AuthError> {
    let coll = state.collection(super::SUPERUSERS)?;
    let (enabled, duration, length) = options(&coll);
    if !enabled {
        return Err(disabled());
    }
    let record = state.store.auth_record_by(&coll, "email", email).await?.ok_or(AuthError::NotFound)?;
    let (id, code) = issue(state, &coll, &record, length).await?;
    Ok((id, code, duration))
}

/// `POST /api/collections/{c}/auth-with-otp`: the record the code was for, once. A record that
/// was unverified and got the code at its own address becomes verified.
pub async fn redeem(state: &Auth, key: &str, otp_id: &str, password: &str) -> Result<Principal, AuthError> {
    let coll = state.collection(key)?;
    let (enabled, duration, _) = options(&coll);
    if !enabled {
        return Err(disabled());
    }
    let mut errors = FieldErrors::default();
    if otp_id.is_empty() {
        errors.add("otpId", code::REQUIRED, "Cannot be blank.");
    }
    if password.is_empty() {
        errors.add("password", code::REQUIRED, "Cannot be blank.");
    }
    if !errors.is_empty() {
        return Err(AuthError::Rejected {
            message: "An error occurred while validating the submitted data.".into(),
            data: errors,
        });
    }
    let Some(otp) = system::otp(state.store.as_ref(), otp_id).await? else { return Err(expired()) };
    let fresh =
        crate::dates::parse(&otp.created).is_some_and(|c| chrono::Utc::now() - c < chrono::Duration::seconds(duration));
    if otp.collection_id != coll.id || !fresh {
        return Err(expired());
    }
    let record = state.store.auth_record(&coll, &otp.record_id).await?.ok_or_else(expired)?;
    if !state.limiter.hit(&format!("otp|{}", record.id), MAX_ATTEMPTS, ATTEMPT_WINDOW) {
        return Err(AuthError::TooManyRequests("Too many attempts, please try again later with a new OTP."));
    }
    if !super::verify_password(password, Some(&otp.password_hash)).await {
        return Err(expired());
    }
    delete(state, otp_id).await?;
    if !record.verified && !otp.sent_to.is_empty() && otp.sent_to == record.email {
        // An unverified account may have been registered by someone else with this address:
        // the mailbox owner takes it over, so (without MFA) its password is reset to a random one.
        let mfa = coll.options["mfa"]["enabled"].as_bool().unwrap_or(false);
        super::flows::mark_verified(state, &coll, &record.id, !mfa).await?;
    }
    let record = state.store.auth_record(&coll, &record.id).await?.ok_or_else(expired)?;
    Ok(Principal { collection: coll, record, key: None })
}

async fn delete(state: &Auth, id: &str) -> Result<(), AuthError> {
    system::delete_otp(state.store.as_ref(), id).await?;
    Ok(())
}
