//! Certificates over ACME (RFC 8555) with HTTP-01 challenges, answered by the plain HTTP
//! listener from [`Challenges`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, bail};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};

use super::store::CertStore;

/// Where and for whom to get certificates.
#[derive(Debug, Clone)]
pub struct AcmeOptions {
    pub domains: Vec<String>,
    pub directory: String,
    pub email: Option<String>,
    /// A CA to trust for the directory's own HTTPS (Pebble's test CA).
    pub ca: Option<PathBuf>,
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

/// HTTP-01 tokens being validated: token -> key authorization.
#[derive(Debug, Default)]
pub struct Challenges(Mutex<HashMap<String, String>>);

impl Challenges {
    pub fn answer(&self, token: &str) -> Option<String> {
        self.0.lock().ok()?.get(token).cloned()
    }

    fn set(&self, token: &str, key_authorization: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(token.to_owned(), key_authorization.to_owned());
        }
    }

    fn clear(&self, tokens: &[String]) {
        if let Ok(mut map) = self.0.lock() {
            for t in tokens {
                map.remove(t);
            }
        }
    }
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
            let mut challenge = authz
                .challenge(ChallengeType::Http01)
                .with_context(|| format!("the ACME directory offers no http-01 challenge for {domain}"))?;
            challenges.set(&challenge.token, challenge.key_authorization().as_str());
            tokens.push(challenge.token.clone());
            challenge.set_ready().await.context("cannot start the http-01 challenge")?;
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
