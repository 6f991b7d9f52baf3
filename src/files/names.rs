//! Stored file names as PocketBase makes them: `<snake_cased name>_<10 random>.<ext>`, from the
//! last path segment only, so that no name can climb out of its record's folder.

const RANDOM_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn random_part() -> String {
    crate::ids::random_from(RANDOM_ALPHABET, 10)
}

/// The name a new upload is stored under. `detected_ext` (with its dot, or empty) is used when
/// the original name has no usable extension.
pub fn stored_name(original: &str, detected_ext: &str) -> String {
    let base = original.rsplit(['/', '\\']).next().unwrap_or_default();
    let base = tail_bytes(base, 300);
    let ext = extension(base);
    let mut clean_ext = format!(".{}", ext.chars().filter(|c| is_ext_char(*c)).collect::<String>().trim_matches('.'));
    if clean_ext == "." {
        clean_ext = detected_ext.to_owned();
    }
    if clean_ext.len() > 20 {
        clean_ext = format!(".{}", clean_ext[clean_ext.len() - 20..].trim_matches('.'));
    }
    let mut name = snake_case(base[..base.len() - ext.len()].trim_matches('.'));
    if name.len() < 3 {
        name.push_str(&random_part());
    } else if name.len() > 100 {
        name.truncate(100);
    }
    format!("{name}_{}{clean_ext}", random_part())
}

/// Whether `name` could be a stored name: one path segment of safe characters.
pub fn is_safe(name: &str) -> bool {
    (1..=150).contains(&name.len())
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '*' | '-' | '+' | '=' | '#'))
}

/// The last `max` bytes of `s`, cut at a character boundary.
fn tail_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// The extension with its dot, double extensions included (`a.tar.gz` -> `.tar.gz`).
fn extension(name: &str) -> &str {
    let Some(primary) = name.rfind('.') else { return "" };
    match name[..primary].rfind('.') {
        Some(secondary) => &name[secondary..],
        None => &name[primary..],
    }
}

fn is_ext_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '*' | '-' | '+' | '=' | '#')
}

/// ASCII words joined by `_`, lower-cased, with a `_` before an upper-case letter that follows
/// a lower-case one (`myTestDB` -> `my_test_db`).
fn snake_case(s: &str) -> String {
    let mut out = String::new();
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push('_');
        }
        let mut prev_upper = true;
        for c in word.chars() {
            if c.is_ascii_uppercase() && !prev_upper {
                out.push('_');
            }
            prev_upper = c.is_ascii_uppercase();
            out.push(c);
        }
    }
    out.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(stored: &str) -> String {
        // Replace the random part with a marker so that names can be compared.
        let (head, tail) = stored.split_once('.').unwrap_or((stored, ""));
        let cut = head.len() - 10;
        format!("{}RANDOM{}{}", &head[..cut], if tail.is_empty() { "" } else { "." }, tail)
    }

    #[test]
    fn names_like_pocketbase() {
        assert_eq!(shape(&stored_name("../../My Notes.v1.txt", "")), "my_notes_RANDOM.v1.txt");
        assert_eq!(shape(&stored_name("pixel.png", "")), "pixel_RANDOM.png");
        assert_eq!(shape(&stored_name("blob", ".txt")), "blob_RANDOM.txt");
        assert_eq!(shape(&stored_name("myTestDB.tar.gz", "")), "my_test_db_RANDOM.tar.gz");
        assert_eq!(shape(&stored_name("C:\\Users\\x\\Report Final.PDF", "")), "report_final_RANDOM.PDF");
        let short = stored_name("a.bin", "");
        assert_eq!(short.len(), "a".len() + 10 + 1 + 10 + ".bin".len(), "{short}");
        assert!(stored_name("..", "").ends_with(|c: char| c.is_ascii_alphanumeric()));
        for name in ["../../etc/passwd", "..\\..\\boot.ini", ".hidden", "a/../../b.png", "émoji 😀.png"] {
            let stored = stored_name(name, "");
            assert!(is_safe(&stored), "{name} -> {stored}");
        }
        assert!(!is_safe("../x"));
        assert!(!is_safe("a/b"));
    }
}
