//! The email flows of auth collections, as PocketBase runs them: verification, password reset
//! and email change, each a request (which mails a token) and a confirmation (which redeems it).
//! Requests for unknown emails answer exactly like requests for known ones.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::tokens::{self, TYPE_EMAIL_CHANGE, TYPE_PASSWORD_RESET, TYPE_VERIFICATION};
use super::{Auth, AuthCollection, AuthError, AuthRecord, Principal};
use crate::error::{FieldError, FieldErrors, code};
use crate::filter::RequestInfo;
use crate::store::model::AuthOrigin;
use crate::store::system;

/// How long after an email another one of the same kind to the same record is suppressed.
const RESEND_AFTER: Duration = Duration::from_secs(120);
const MSG_INVALID: &str = "An error occurred while validating the submitted data.";

/// At most one email of a kind per record in this window (the shared rate limiter counts).
fn may_send(state: &Auth, kind: &str, coll: &AuthCollection, record: &AuthRecord) -> bool {
    state.limiter.hit(&format!("mail|{kind}|{}|{}", coll.id, record.id), 1, RESEND_AFTER)
}

fn rejected(message: &str) -> AuthError {
    AuthError::Rejected { message: message.to_owned(), data: FieldErrors::default() }
}

fn invalid(field: &str, code: &'static str, message: &str) -> AuthError {
    invalid_all(FieldErrors::single(field, code, message))
}

fn invalid_all(errors: FieldErrors) -> AuthError {
    AuthError::Rejected { message: MSG_INVALID.to_owned(), data: errors }
}

pub(super) fn check_email(field: &str, email: &str) -> Result<(), AuthError> {
    if email.trim().is_empty() {
        return Err(invalid(field, code::REQUIRED, "Cannot be blank."));
    }
    if email.len() > 255 || !super::superusers::is_email(email) {
        return Err(invalid(field, "validation_is_email", "Must be a valid email address."));
    }
    Ok(())
}

async fn collection(state: &Auth, key: &str) -> Result<AuthCollection, AuthError> {
    state.collection(key)
}

/// `POST /api/collections/{c}/request-verification`.
pub async fn request_verification(state: &Auth, key: &str, email: &str) -> Result<(), AuthError> {
    let coll = collection(state, key).await?;
    if coll.is_superusers() {
        return Err(rejected("All superusers are verified by default."));
    }
    check_email("email", email)?;
    let Some(record) = state.store.auth_record_by(&coll, "email", email).await? else { return Ok(()) };
    if record.verified || !may_send(state, TYPE_VERIFICATION, &coll, &record) {
        return Ok(());
    }
    let token = tokens::issue_for_email(&coll, &record, TYPE_VERIFICATION)?;
    send(state, &coll, &record, "verificationTemplate", &record.email, &[("{TOKEN}", &token)]).await;
    Ok(())
}

/// `POST /api/collections/{c}/confirm-verification`.
pub async fn confirm_verification(state: &Auth, key: &str, token: &str) -> Result<(), AuthError> {
    let coll = collection(state, key).await?;
    if coll.is_superusers() {
        return Err(rejected("All superusers are verified by default."));
    }
    let (principal, claims) = redeem(state, &coll, token, TYPE_VERIFICATION).await?;
    if claims.email != principal.record.email {
        return Err(invalid(
            "token",
            "validation_token_email_mismatch",
            "The record email doesn't match with the requested token claims.",
        ));
    }
    if principal.record.verified {
        return Ok(());
    }
    save(state, &coll, &principal.record.id, json!({"verified": true})).await
}

/// `POST /api/collections/{c}/request-password-reset`.
pub async fn request_password_reset(state: &Auth, key: &str, email: &str) -> Result<(), AuthError> {
    let coll = collection(state, key).await?;
    if !coll.password_auth {
        return Err(rejected("The collection is not configured to allow password authentication."));
    }
    check_email("email", email)?;
    let Some(record) = state.store.auth_record_by(&coll, "email", email).await? else { return Ok(()) };
    if !may_send(state, TYPE_PASSWORD_RESET, &coll, &record) {
        return Ok(());
    }
    let token = tokens::issue_for_email(&coll, &record, TYPE_PASSWORD_RESET)?;
    send(state, &coll, &record, "resetPasswordTemplate", &record.email, &[("{TOKEN}", &token)]).await;
    Ok(())
}

/// `POST /api/collections/{c}/confirm-password-reset`: sets the password (which signs out every
/// session) and, since the token proved the mailbox, marks the record verified.
pub async fn confirm_password_reset(
    state: &Auth,
    key: &str,
    token: &str,
    password: &str,
    confirm: &str,
) -> Result<(), AuthError> {
    let coll = collection(state, key).await?;
    let mut errors = FieldErrors::default();
    let min = password_min(state, &coll);
    let len = password.chars().count();
    if password.is_empty() {
        errors.add("password", code::REQUIRED, "Cannot be blank.");
    } else if len < min || len > 255 {
        let message = format!("The length must be between {min} and 255.");
        errors.add_error(
            "password",
            FieldError::new(code::LENGTH_OUT_OF_RANGE, message).with("min", min).with("max", 255i64),
        );
    }
    if confirm.is_empty() {
        errors.add("passwordConfirm", code::REQUIRED, "Cannot be blank.");
    } else if confirm != password {
        errors.add("passwordConfirm", code::VALUES_MISMATCH, "Values don't match.");
    }
    let redeemed = redeem(state, &coll, token, TYPE_PASSWORD_RESET).await;
    if let Err(AuthError::Rejected { data, .. }) = &redeemed
        && let Some(token_error) = data.get("token")
    {
        errors.add_error("token", token_error.clone());
    }
    if !errors.is_empty() {
        return Err(AuthError::Rejected { message: MSG_INVALID.to_owned(), data: errors });
    }
    let (principal, claims) = redeemed?;
    let mut body = json!({"password": password, "passwordConfirm": confirm});
    if claims.email == principal.record.email && !principal.record.verified {
        body["verified"] = json!(true);
    }
    save(state, &coll, &principal.record.id, body).await
}

/// The collection's minimum password length (PocketBase's default: 8).
fn password_min(state: &Auth, coll: &AuthCollection) -> usize {
    let schema = state.schema.snapshot();
    match schema.get(&coll.id).and_then(|c| c.field("password")).map(|f| &f.kind) {
        Some(crate::schema::FieldKind::Password(o)) if o.min > 0 => o.min as usize,
        _ => 8,
    }
}

/// `POST /api/collections/{c}/request-email-change` (the record itself, signed in).
pub async fn request_email_change(
    state: &Auth,
    key: &str,
    caller: Option<&Principal>,
    new_email: &str,
) -> Result<(), AuthError> {
    let coll = collection(state, key).await?;
    if coll.is_superusers() {
        return Err(rejected("All superusers can change their emails directly."));
    }
    let Some(caller) = caller else {
        return Err(AuthError::Unauthorized("The request requires valid record authorization token."));
    };
    if caller.collection.id != coll.id {
        return Err(AuthError::Unauthorized("The request requires valid auth record."));
    }
    check_email("newEmail", new_email)?;
    if new_email.eq_ignore_ascii_case(&caller.record.email) {
        return Err(invalid("newEmail", "validation_not_in_invalid", "Must not be in list."));
    }
    if state.store.auth_record_by(&coll, "email", new_email).await?.is_some() {
        return Err(invalid("newEmail", "validation_invalid_new_email", "Invalid new email address."));
    }
    let token = tokens::issue_email_change(&coll, &caller.record, new_email)?;
    send(state, &coll, &caller.record, "confirmEmailChangeTemplate", new_email, &[("{TOKEN}", &token)]).await;
    Ok(())
}

/// `POST /api/collections/{c}/confirm-email-change`: needs the current password too.
pub async fn confirm_email_change(state: &Auth, key: &str, token: &str, password: &str) -> Result<(), AuthError> {
    let coll = collection(state, key).await?;
    if coll.is_superusers() {
        return Err(rejected("All superusers can change their emails directly."));
    }
    let (principal, claims) = redeem(state, &coll, token, TYPE_EMAIL_CHANGE).await?;
    if claims.new_email.is_empty() {
        return Err(invalid(
            "token",
            "validation_invalid_token_payload",
            "Invalid token payload - newEmail must be set.",
        ));
    }
    if password.is_empty() {
        return Err(invalid("password", code::REQUIRED, "Cannot be blank."));
    }
    if !super::verify_password(password, Some(&principal.record.password_hash)).await {
        return Err(invalid("password", "validation_invalid_password", "Missing or invalid auth record password."));
    }
    if state.store.auth_record_by(&coll, "email", &claims.new_email).await?.is_some() {
        return Err(invalid("token", "validation_invalid_token_email", "The new email address is invalid."));
    }
    save(state, &coll, &principal.record.id, json!({"email": claims.new_email, "verified": true})).await
}

/// The record a token of `kind` was issued to, in this collection.
async fn redeem(
    state: &Auth,
    coll: &AuthCollection,
    token: &str,
    kind: &str,
) -> Result<(Principal, tokens::Claims), AuthError> {
    if token.is_empty() {
        return Err(invalid("token", code::REQUIRED, "Cannot be blank."));
    }
    let Some((principal, claims)) = super::verify_token_of(state, token, kind).await? else {
        return Err(invalid("token", "validation_invalid_token", "Invalid or expired token."));
    };
    if principal.collection.id != coll.id {
        return Err(invalid(
            "token",
            "validation_token_collection_mismatch",
            "The provided token is for different auth collection.",
        ));
    }
    Ok((principal, claims))
}

/// Writes through the records layer (validation, realtime events), as a superuser.
async fn save(state: &Auth, coll: &AuthCollection, id: &str, body: Value) -> Result<(), AuthError> {
    let body: Map<String, Value> = body.as_object().cloned().unwrap_or_default();
    crate::records::update(&state.records, &coll.id, id, body, Vec::new(), &RequestInfo::superuser())
        .await
        .map(drop)
        .map_err(AuthError::from)
}

/// Mails a one-time password.
pub(super) async fn send_otp(state: &Auth, coll: &AuthCollection, record: &AuthRecord, otp_id: &str, code: &str) {
    send(state, coll, record, "otp", &record.email, &[("{OTP}", code), ("{OTP_ID}", otp_id)]).await;
}

/// The login alert: each sign-in records its origin (IP + user agent) in `_authOrigins`; a
/// sign-in from an origin the record never used (not its first sign-in) mails an alert.
pub async fn auth_alert(state: &Auth, p: &Principal, ip: &str, user_agent: &str) -> Result<(), AuthError> {
    use md5::{Digest, Md5};
    if !p.collection.options["authAlert"]["enabled"].as_bool().unwrap_or(false) {
        return Ok(());
    }
    let agent = if user_agent.len() > 200 {
        let mut cut = 200;
        while !user_agent.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}...", &user_agent[..cut])
    } else {
        user_agent.to_owned()
    };
    let fingerprint: String =
        Md5::digest(format!("{ip}{agent}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let origins = system::auth_origins(state.store.as_ref(), &p.collection.id, &p.record.id).await?;
    let known = origins.contains(&fingerprint);
    let now = crate::dates::now();
    let origin = AuthOrigin {
        id: crate::ids::record_id(),
        collection_id: p.collection.id.clone(),
        record_id: p.record.id.clone(),
        fingerprint,
        when: now.clone(),
    };
    system::touch_auth_origin(state.store.as_ref(), &origin, known).await?;
    if !origins.is_empty() && !known && !p.record.email.is_empty() {
        let info = format!("{now} - {ip} {agent}");
        send(state, &p.collection, &p.record, "authAlert", &p.record.email, &[("{ALERT_INFO}", &info)]).await;
    }
    Ok(())
}

/// Marks a record verified (its mailbox was proven by a code or token sent there).
pub(super) async fn mark_verified(
    state: &Auth,
    coll: &AuthCollection,
    id: &str,
    random_password: bool,
) -> Result<(), AuthError> {
    let mut body = json!({"verified": true});
    if random_password {
        let password = crate::ids::secret_key();
        body["password"] = json!(password);
        body["passwordConfirm"] = json!(password);
    }
    save(state, coll, id, body).await
}

/// `POST /api/settings/test/email`: one of the collection's emails, with a placeholder token,
/// sent now (so that a failure is reported to the caller).
pub async fn send_test(state: &Auth, collection_key: &str, template: &str, to: &str) -> Result<(), AuthError> {
    const FAILED: &str = "Failed to send the test email.";
    send_test_email(state, collection_key, template, to).await.map_err(|e| match e {
        AuthError::Rejected { data, .. } => AuthError::Rejected { message: FAILED.to_owned(), data },
        other => other,
    })
}

async fn send_test_email(state: &Auth, collection_key: &str, template: &str, to: &str) -> Result<(), AuthError> {
    let mut errors = FieldErrors::default();
    if let Err(AuthError::Rejected { data, .. }) = check_email("email", to) {
        errors = data;
    }
    if template.is_empty() {
        errors.add("template", code::REQUIRED, "Cannot be blank.");
    }
    if !errors.is_empty() {
        return Err(invalid_all(errors));
    }
    let key = if collection_key.is_empty() { super::SUPERUSERS } else { collection_key };
    let coll = collection(state, key).await?;
    let template = match template {
        "verification" => "verificationTemplate",
        "password-reset" => "resetPasswordTemplate",
        "email-change" => "confirmEmailChangeTemplate",
        "otp" => "otp",
        _ => return Err(invalid("template", "validation_in_invalid", "Must be a valid value.")),
    };
    let record = AuthRecord {
        id: "RECORD_ID".into(),
        email: to.to_owned(),
        email_visibility: false,
        verified: false,
        password_hash: String::new(),
        token_key: String::new(),
        created: String::new(),
        updated: String::new(),
    };
    let email = render(
        state,
        &coll,
        &record,
        template,
        to,
        &[("{TOKEN}", "TOKEN"), ("{OTP}", "123456"), ("{OTP_ID}", "OTP_ID")],
    )
    .await
    .map_err(AuthError::Internal)?;
    let (smtp, sender) = mailer(state).await.map_err(|e| AuthError::Mail(format!("{e:#}")))?;
    // PocketBase falls back to sendmail and fails without it; Croft has no fallback: say so
    // instead of reporting a mail that was never sent.
    if !smtp.enabled {
        return Err(AuthError::Mail("SMTP is not enabled; set up the mail settings (smtp) first".to_owned()));
    }
    crate::mail::send(&smtp, &sender, email).await.map_err(|e| AuthError::Mail(format!("{e:#}")))
}

/// The SMTP settings and the sender, as the settings say now.
async fn mailer(state: &Auth) -> anyhow::Result<(crate::mail::SmtpConfig, crate::mail::Sender)> {
    let settings =
        state.settings.load().await.map_err(|e| anyhow::Error::new(e).context("cannot read the settings"))?;
    let sender =
        crate::mail::Sender { name: settings.meta.sender_name.clone(), address: settings.meta.sender_address.clone() };
    Ok((settings.smtp.clone(), sender))
}

/// Renders the collection's template (or PocketBase's default) and sends it in the background.
async fn send(
    state: &Auth,
    coll: &AuthCollection,
    record: &AuthRecord,
    template: &str,
    to: &str,
    placeholders: &[(&str, &str)],
) {
    let prepared = match render(state, coll, record, template, to, placeholders).await {
        Ok(email) => mailer(state).await.map(|(smtp, sender)| (smtp, sender, email)),
        Err(e) => Err(e),
    };
    match prepared {
        Ok((smtp, sender, email)) => crate::mail::send_later(smtp, sender, email),
        Err(e) => tracing::error!(error = %format!("{e:#}"), "cannot prepare an email; it was not sent"),
    }
}

async fn render(
    state: &Auth,
    coll: &AuthCollection,
    record: &AuthRecord,
    template: &str,
    to: &str,
    placeholders: &[(&str, &str)],
) -> anyhow::Result<crate::mail::Email> {
    let meta = state.settings.load().await.map_err(|e| anyhow::Error::new(e).context("cannot read the settings"))?.meta;
    let (subject, body) = super::templates::get(coll, template);
    let fill = |text: &str| {
        let mut out =
            text.replace("{APP_NAME}", &meta.app_name).replace("{APP_URL}", meta.app_url.trim_end_matches('/'));
        for (k, v) in placeholders {
            out = out.replace(k, v);
        }
        out.replace("{RECORD:id}", &record.id).replace("{RECORD:email}", &record.email)
    };
    Ok(crate::mail::Email { to: to.to_owned(), subject: fill(&subject), html: fill(&body) })
}
