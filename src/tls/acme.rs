//! Certificates over ACME (RFC 8555) with HTTP-01 challenges, answered by the plain HTTP
//! listener from [`Challenges`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeHandle, ChallengeType, Identifier, NewAccount, NewOrder,
    OrderStatus, RetryPolicy,
};
use rustls::sign::CertifiedKey;

use super::store::CertStore;

/// Where and for whom to get certificates.
#[derive(Debug, Clone)]
pub struct AcmeOptions {
    pub domains: Vec<String>,
    pub directory: String,
    pub email: Option<String>,
    /// A CA to trust for the directory's own HTTPS (Pebble's test CA).
    pub ca: Option<PathBuf>,
    /// Answer TLS-ALPN-01 challenges instead of HTTP-01.
    pub tls_alpn: bool,
}

impl AcmeOptions {
    /// The store's name of the account for this directory.
    fn account_name(&self) -> String {
        format!("acme-account-{}.json", short_hash(&self.directory))
    }

    /// The store's name of the certificate for these domains from this directory.
    pub fn certificate_name(&self) -> String {
        let mut domains = self.domains.clone();
        domains.sort();
        format!(
            "acme-{}-{}.pem",
            domains[0].replace('*', "_"),
            short_hash(&format!("{}|{}", self.directory, domains.join(",")))
        )
    }
}

fn short_hash(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The ALPN protocol of TLS-ALPN-01 validation handshakes (RFC 8737).
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// Challenges being validated: HTTP-01 token -> key authorization, and TLS-ALPN-01 domain ->
/// the self-signed certificate that carries the key authorization's digest.
#[derive(Debug, Default)]
pub struct Challenges {
    http: Mutex<HashMap<String, String>>,
    alpn: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl Challenges {
    pub fn answer(&self, token: &str) -> Option<String> {
        self.http.lock().ok()?.get(token).cloned()
    }

    pub fn alpn_certificate(&self, domain: &str) -> Option<Arc<CertifiedKey>> {
        self.alpn.lock().ok()?.get(&domain.to_ascii_lowercase()).cloned()
    }

    /// Prepares the answer to `challenge`; the key to remove it by.
    fn set(&self, domain: &str, challenge: &ChallengeHandle<'_>, tls_alpn: bool) -> anyhow::Result<String> {
        let key_authorization = challenge.key_authorization();
        if tls_alpn {
            let cert = alpn_certificate(domain, key_authorization.digest().as_ref())?;
            self.alpn.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.insert(domain.to_owned(), cert);
            Ok(domain.to_owned())
        } else {
            let mut map = self.http.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            map.insert(challenge.token.clone(), key_authorization.as_str().to_owned());
            Ok(challenge.token.clone())
        }
    }

    fn clear(&self, keys: &[String]) {
        if let Ok(mut map) = self.http.lock() {
            map.retain(|k, _| !keys.contains(k));
        }
        if let Ok(mut map) = self.alpn.lock() {
            map.retain(|k, _| !keys.contains(k));
        }
    }
}

/// A self-signed certificate for `domain` with the critical acmeIdentifier extension holding
/// `digest` (RFC 8737, section 3).
fn alpn_certificate(domain: &str, digest: &[u8]) -> anyhow::Result<Arc<CertifiedKey>> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec![domain.to_owned()])?;
    params.custom_extensions.push(rcgen::CustomExtension::new_acme_identifier(digest));
    let cert = params.self_signed(&key)?;
    let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    // Not CertifiedKey::from_der: its key check parses the certificate with webpki, which
    // refuses the critical acmeIdentifier extension.
    let signing = rustls::crypto::aws_lc_rs::default_provider().key_provider.load_private_key(der)?;
    Ok(Arc::new(CertifiedKey::new(vec![cert.der().clone()], signing)))
}

/// Whether the directory no longer knows the account (deactivated, or a test CA restarted).
pub fn account_gone(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        matches!(e.downcast_ref::<instant_acme::Error>(), Some(instant_acme::Error::Api(p))
            if p.r#type.as_deref() == Some("urn:ietf:params:acme:error:accountDoesNotExist"))
    })
}

/// The stored account for the directory, or (none stored, or `fresh`) a new one, then stored.
pub async fn account(options: &AcmeOptions, store: &dyn CertStore, fresh: bool) -> anyhow::Result<Account> {
    let builder = match &options.ca {
        Some(ca) => Account::builder_with_root(ca)
            .with_context(|| format!("cannot use {} as the ACME directory's CA", ca.display()))?,
        None => Account::builder().context("cannot set up the ACME client")?,
    };
    let name = options.account_name();
    if let Some(saved) = store.load(&name).await?.filter(|_| !fresh) {
        let credentials: AccountCredentials =
            serde_json::from_slice(&saved).with_context(|| format!("the stored ACME account {name} is damaged"))?;
        return builder
            .from_credentials(credentials)
            .await
            .with_context(|| format!("cannot reach the ACME directory {}", options.directory));
    }
    let contact = options.email.as_ref().map(|e| format!("mailto:{e}"));
    let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
    let new = NewAccount { contact: &contact, terms_of_service_agreed: true, only_return_existing: false };
    let (account, credentials) = builder
        .create(&new, options.directory.clone(), None)
        .await
        .with_context(|| format!("cannot create an account at the ACME directory {}", options.directory))?;
    store.save(&name, &serde_json::to_vec(&credentials)?).await?;
    tracing::info!(directory = %options.directory, "created an ACME account");
    Ok(account)
}

/// Orders a certificate for the domains; the PEM chain and the PEM private key.
pub async fn issue(
    account: &Account,
    options: &AcmeOptions,
    challenges: &Challenges,
) -> anyhow::Result<(String, String)> {
    let identifiers: Vec<Identifier> = options.domains.iter().map(|d| Identifier::Dns(d.clone())).collect();
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await.context("the ACME order was refused")?;
    let mut tokens = Vec::new();
    let outcome = async {
        let mut authorizations = order.authorizations();
        while let Some(authz) = authorizations.next().await {
            let mut authz = authz.context("cannot read an ACME authorization")?;
            match authz.status {
                AuthorizationStatus::Valid => continue,
                AuthorizationStatus::Pending => {}
                other => bail!("the authorization for {} is {other:?}", authz.identifier()),
            }
            let domain = authz.identifier().to_string();
            let kind = if options.tls_alpn { ChallengeType::TlsAlpn01 } else { ChallengeType::Http01 };
            let mut challenge = authz
                .challenge(kind.clone())
                .with_context(|| format!("the ACME directory offers no {kind:?} challenge for {domain}"))?;
            tokens.push(challenges.set(&domain, &challenge, options.tls_alpn)?);
            challenge.set_ready().await.with_context(|| format!("cannot start the {kind:?} challenge"))?;
        }
        let policy = RetryPolicy::new().timeout(Duration::from_secs(90));
        let status = order.poll_ready(&policy).await.context("the ACME order did not become ready")?;
        if status != OrderStatus::Ready {
            bail!("the ACME order is {status:?}: {}", order_problems(&mut order).await);
        }
        let key = order.finalize().await.context("cannot finalize the ACME order")?;
        let chain = order.poll_certificate(&policy).await.context("the certificate was not issued")?;
        Ok((chain, key))
    }
    .await;
    challenges.clear(&tokens);
    outcome
}

/// Why an order failed, from its authorizations' challenges.
async fn order_problems(order: &mut instant_acme::Order) -> String {
    let mut out = Vec::new();
    if let Some(e) = &order.state().error {
        out.push(e.to_string());
    }
    let mut authorizations = order.authorizations();
    while let Some(Ok(mut authz)) = authorizations.next().await {
        let Ok(state) = authz.refresh().await else { continue };
        for c in &state.challenges {
            if let Some(e) = &c.error {
                out.push(format!("{}: {e}", state.identifier()));
            }
        }
    }
    if out.is_empty() { "no reason given".to_owned() } else { out.join("; ") }
}
