//! Outgoing email over SMTP (lettre over rustls), with the `smtp` settings in PocketBase's shape.

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// PocketBase's `smtp` settings.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct SmtpConfig {
    pub enabled: bool,
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    /// `PLAIN` (default) or `LOGIN`.
    pub auth_method: String,
    /// Implicit TLS (port 465); otherwise STARTTLS when the server offers it.
    pub tls: bool,
    /// The name to greet the server with (default: this host's name).
    pub local_name: String,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            host: "smtp.example.com".into(),
            port: 587,
            username: String::new(),
            password: String::new(),
            auth_method: String::new(),
            tls: false,
            local_name: String::new(),
        }
    }
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("enabled", &self.enabled)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// One email.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub html: String,
}

/// Who emails come from (PocketBase's `meta.senderName` and `meta.senderAddress`).
#[derive(Debug, Clone)]
pub struct Sender {
    pub name: String,
    pub address: String,
}

/// Sends `email` through `smtp`. Without SMTP enabled the email is not sent (logged).
pub async fn send(smtp: &SmtpConfig, sender: &Sender, email: Email) -> anyhow::Result<()> {
    if !smtp.enabled {
        tracing::warn!(to = %email.to, subject = %email.subject, "SMTP is not enabled; the email was not sent");
        return Ok(());
    }
    let from = Mailbox::new(
        Some(sender.name.clone()),
        sender.address.parse().map_err(|e| anyhow::anyhow!("invalid sender address: {e}"))?,
    );
    let message = Message::builder()
        .from(from)
        .to(email.to.parse().map_err(|e| anyhow::anyhow!("invalid recipient {}: {e}", email.to))?)
        .subject(email.subject)
        .multipart(MultiPart::alternative_plain_html(plain_text(&email.html), email.html))?;
    transport(smtp)?.send(message).await?;
    Ok(())
}

/// Sends in the background (requests answer without waiting for the mail server); failures are logged.
pub fn send_later(smtp: SmtpConfig, sender: Sender, email: Email) {
    tokio::spawn(async move {
        let to = email.to.clone();
        if let Err(e) = send(&smtp, &sender, email).await {
            tracing::error!(to = %to, error = %format!("{e:#}"), "failed to send an email");
        }
    });
}

/// A plain-text alternative of an HTML body: links as `[text](url)`, tags dropped.
fn plain_text(html: &str) -> String {
    let link = regex::Regex::new(r#"(?is)<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>"#).expect("valid regex");
    let tag = regex::Regex::new(r"(?s)<[^>]*>").expect("valid regex");
    let with_links = link.replace_all(html, |c: &regex::Captures<'_>| format!("[{}]({})", c[2].trim(), &c[1]));
    let text = tag.replace_all(&with_links, "");
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.join("\n").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
}

fn transport(c: &SmtpConfig) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let params = TlsParameters::new(c.host.clone())?;
    let tls = if c.tls { Tls::Wrapper(params) } else { Tls::Opportunistic(params) };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host).port(c.port).tls(tls);
    if !c.username.is_empty() {
        let mechanism = if c.auth_method.eq_ignore_ascii_case("LOGIN") { Mechanism::Login } else { Mechanism::Plain };
        builder = builder
            .credentials(Credentials::new(c.username.clone(), c.password.clone()))
            .authentication(vec![mechanism]);
    }
    if !c.local_name.is_empty() {
        builder = builder.hello_name(lettre::transport::smtp::extension::ClientId::Domain(c.local_name.clone()));
    }
    Ok(builder.timeout(Some(std::time::Duration::from_secs(30))).build())
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_text_keeps_links() {
        let html =
            "<p>Hello,</p>\n<p>\n  <a class=\"btn\" href=\"http://x/_/#/t/abc\" target=\"_blank\">Verify</a>\n</p>";
        assert_eq!(super::plain_text(html), "Hello,\n[Verify](http://x/_/#/t/abc)");
    }
}
