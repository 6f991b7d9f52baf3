//! Random identifiers in PocketBase's alphabets.

use rand::RngExt;

const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const KEY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A record id: 15 characters of `[a-z0-9]`.
pub fn record_id() -> String {
    random_from(ID_ALPHABET, 15)
}

/// An id of PocketBase's shape (15 characters of `[0-9a-z]`) that sorts by creation time: 11
/// base-36 digits of the microseconds since 1970, then 4 random ones. Index inserts of such ids
/// append to the end of the index instead of landing anywhere in it (request logs).
pub fn time_ordered_id() -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut micros = u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or(0);
    let mut out = [b'0'; 11];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(micros % 36) as usize];
        micros /= 36;
    }
    let mut id: String = out.iter().map(|&b| char::from(b)).collect();
    id.push_str(&random_from(DIGITS, 4));
    id
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
        let (a, b) = (super::time_ordered_id(), super::time_ordered_id());
        assert_eq!(a.len(), 15);
        assert!(a.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{a}");
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(a < super::time_ordered_id() && b < super::time_ordered_id());
    }
}
