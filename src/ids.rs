//! Random identifiers in PocketBase's alphabets.

use rand::RngExt;

const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const KEY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A record id: 15 characters of `[a-z0-9]`.
pub fn record_id() -> String {
    random_from(ID_ALPHABET, 15)
}

/// A secret key such as a record's `tokenKey` (50 alphanumeric characters).
pub fn secret_key() -> String {
    random_from(KEY_ALPHABET, 50)
}

/// A random string of `len` characters of `[a-zA-Z0-9]`.
pub fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_have_pocketbase_shape() {
        let id = super::record_id();
        assert_eq!(id.len(), 15);
        assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(super::record_id(), id);
        assert_eq!(super::secret_key().len(), 50);
    }
}
