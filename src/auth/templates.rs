//! Email templates of auth collections: the collection's own (its options, as PocketBase keeps
//! them), else PocketBase's defaults. Placeholders: `{APP_NAME}`, `{APP_URL}`, `{TOKEN}`, `{OTP}`,
//! `{OTP_ID}`, `{ALERT_INFO}`, `{RECORD:id}`, `{RECORD:email}`.

use super::AuthCollection;

const SIGNATURE: &str = "<p>\n  Thanks,<br/>\n  {APP_NAME} team\n</p>";

fn default(template: &str) -> (String, String) {
    let (subject, body) = match template {
        "verificationTemplate" => (
            "Verify your {APP_NAME} email",
            "<p>Hello,</p>\n<p>Thank you for joining us at {APP_NAME}.</p>\n<p>Click on the button below to verify your email address.</p>\n<p>\n  <a class=\"btn\" href=\"{APP_URL}/_/#/auth/confirm-verification/{TOKEN}\" target=\"_blank\" rel=\"noopener\">Verify</a>\n</p>\n<p><i>If you didn't recently register, please ignore this email.</i></p>\n",
        ),
        "resetPasswordTemplate" => (
            "Reset your {APP_NAME} password",
            "<p>Hello,</p>\n<p>Click on the button below to reset your password.</p>\n<p>\n  <a class=\"btn\" href=\"{APP_URL}/_/#/auth/confirm-password-reset/{TOKEN}\" target=\"_blank\" rel=\"noopener\">Reset password</a>\n</p>\n<p><i>If you didn't ask to reset your password, please ignore this email.</i></p>\n",
        ),
        "confirmEmailChangeTemplate" => (
            "Confirm your {APP_NAME} new email address",
            "<p>Hello,</p>\n<p>Click on the button below to confirm your new email address.</p>\n<p>\n  <a class=\"btn\" href=\"{APP_URL}/_/#/auth/confirm-email-change/{TOKEN}\" target=\"_blank\" rel=\"noopener\">Confirm new email</a>\n</p>\n<p><i>If you didn't ask to change your email address, please ignore this email.</i></p>\n",
        ),
        "authAlert" => (
            "Login from a new location",
            "<p>Hello,</p>\n<p>We noticed a login to your {APP_NAME} account from a new location:</p>\n<p><em>{ALERT_INFO}</em></p>\n<p><strong>If this wasn't you, you should immediately change your {APP_NAME} account password to revoke access from all other locations.</strong></p>\n<p>If this was you, you may disregard this email.</p>\n",
        ),
        _ => (
            "OTP for {APP_NAME}",
            "<p>Hello,</p>\n<p>Your one-time password is: <strong>{OTP}</strong></p>\n<p><i>If you didn't ask for the one-time password, you can ignore this email.</i></p>\n",
        ),
    };
    (subject.to_owned(), format!("{body}{SIGNATURE}"))
}

/// `(subject, html body)` of `template` (`verificationTemplate`, `resetPasswordTemplate`,
/// `confirmEmailChangeTemplate`, `otp` for the OTP email, `authAlert` for the login alert).
pub fn get(coll: &AuthCollection, template: &str) -> (String, String) {
    let stored = match template {
        "otp" => coll.options.pointer("/otp/emailTemplate"),
        "authAlert" => coll.options.pointer("/authAlert/emailTemplate"),
        other => coll.options.get(other),
    };
    let text = |k: &str| stored.and_then(|t| t.get(k)).and_then(|v| v.as_str()).filter(|s| !s.trim().is_empty());
    let (subject, body) = default(template);
    (text("subject").map_or(subject, str::to_owned), text("body").map_or(body, str::to_owned))
}
