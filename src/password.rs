//! bcrypt password hashes, as PocketBase stores them (`$2a$10$…`), computed off the async workers.

use std::sync::LazyLock;

/// PocketBase's bcrypt cost.
const COST: u32 = 10;

/// Compared against when the identity is unknown, so that a missing account costs the same
/// time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    bcrypt::hash_with_result("croft-dummy-password", COST)
        .map(|h| h.format_for_version(bcrypt::Version::TwoA))
        .unwrap_or_default()
});

pub async fn hash_password(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || bcrypt::hash_with_result(password, COST)).await??;
    Ok(hash.format_for_version(bcrypt::Version::TwoA))
}

/// Checks `password` against `hash`; with `hash = None` burns the same time and returns false.
pub async fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let known = hash.is_some();
    let hash = hash.map_or_else(|| DUMMY_HASH.clone(), str::to_owned);
    let password = password.to_owned();
    let ok =
        tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false)).await.unwrap_or(false);
    ok && known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_look_like_pocketbase() {
        let hash = hash_password("1234567890").await.expect("hash");
        assert!(hash.starts_with("$2a$10$"), "{hash}");
        assert!(verify_password("1234567890", Some(&hash)).await);
        assert!(!verify_password("123456789", Some(&hash)).await);
        assert!(!verify_password("croft-dummy-password", None).await);
        assert!(!verify_password("x", Some("not a hash")).await);
    }
}
