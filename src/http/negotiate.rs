//! Content negotiation by the weights (`q`) of `Accept-Encoding` and `Accept-Language`.

/// The entries of an `Accept-*` header with their weights, in header order: `br;q=0.5` gives
/// `("br", 0.5)`. A missing weight is 1; one that does not parse is 0 (not acceptable).
fn weighted(header: &str) -> impl Iterator<Item = (&str, f32)> {
    header.split(',').filter_map(|item| {
        let mut parts = item.split(';');
        let name = parts.next()?.trim();
        let q = parts
            .find_map(|p| {
                let (key, value) = p.split_once('=')?;
                key.trim().eq_ignore_ascii_case("q").then(|| value.trim().parse::<f32>().unwrap_or(0.0))
            })
            .unwrap_or(1.0);
        (!name.is_empty()).then_some((name, q.clamp(0.0, 1.0)))
    })
}

/// The weight `Accept-Encoding` gives `coding`: its own entry's, else `*`'s, else 0. Without
/// the header no coding is chosen (identity is always safe).
pub fn encoding_weight(header: Option<&str>, coding: &str) -> f32 {
    let Some(header) = header else { return 0.0 };
    let mut star = 0.0;
    for (name, q) in weighted(header) {
        if name.eq_ignore_ascii_case(coding) {
            return q;
        }
        if name == "*" {
            star = q;
        }
    }
    star
}

/// The best of `available` (two-letter language codes) for `Accept-Language`: the entry with
/// the highest weight that names one, exactly or by its primary subtag (`de-CH` picks `de`);
/// among equal weights the earlier entry wins. `None` when no entry names one (`*` names none).
pub fn best_language<'a>(header: Option<&str>, available: &'a [String]) -> Option<&'a str> {
    let mut best: Option<(f32, &str)> = None;
    for (range, q) in weighted(header?) {
        if q <= 0.0 || best.is_some_and(|(weight, _)| weight >= q) {
            continue;
        }
        let primary = range.split('-').next().unwrap_or(range);
        let named = available.iter().find(|l| l.eq_ignore_ascii_case(range) || l.eq_ignore_ascii_case(primary));
        if let Some(language) = named {
            best = Some((q, language));
        }
    }
    best.map(|(_, language)| language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_respect_weights() {
        assert!((encoding_weight(Some("gzip, deflate, br"), "br") - 1.0).abs() < f32::EPSILON);
        assert!((encoding_weight(Some("gzip;q=0.5, br;q=0.8"), "gzip") - 0.5).abs() < f32::EPSILON);
        assert!(encoding_weight(Some("br;q=0, *"), "br") <= 0.0);
        assert!(encoding_weight(Some("gzip; q=0"), "gzip") <= 0.0);
        assert!(encoding_weight(Some("*;q=0.3"), "br") > 0.0);
        assert!(encoding_weight(Some("identity"), "gzip") <= 0.0);
        assert!(encoding_weight(Some("gzip;q=x"), "gzip") <= 0.0);
        assert!(encoding_weight(None, "gzip") <= 0.0);
    }

    #[test]
    fn languages_by_weight_and_primary_subtag() {
        let available = vec!["de".to_owned(), "en".to_owned(), "fr".to_owned()];
        let best = |h: &str| best_language(Some(h), &available);
        assert_eq!(best("de-CH, en;q=0.5"), Some("de"));
        assert_eq!(best("en;q=0.5, fr;q=0.9"), Some("fr"));
        assert_eq!(best("it, en-GB;q=0.7"), Some("en"));
        assert_eq!(best("FR"), Some("fr"));
        assert_eq!(best("en, de"), Some("en"), "the earlier of equal weights");
        assert_eq!(best("de;q=0, it"), None);
        assert_eq!(best("*"), None);
        assert_eq!(best_language(None, &available), None);
    }
}
