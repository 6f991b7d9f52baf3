//! Content types from content, not names: what uploads are checked against (`mimeTypes`) and
//! what downloads are served as.

/// How many leading bytes are enough to recognise a type.
pub const SNIFF_LEN: usize = 3072;

pub const OCTET_STREAM: &str = "application/octet-stream";

/// Types a browser may render inline; everything else downloads as an attachment.
const INLINE: &[&str] = &[
    "image/png",
    "image/jpg",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/x-icon",
    "image/bmp",
    "video/webm",
    "video/mp4",
    "video/3gpp",
    "video/quicktime",
    "video/x-ms-wmv",
    "audio/basic",
    "audio/aiff",
    "audio/mpeg",
    "audio/midi",
    "audio/mp3",
    "audio/wave",
    "audio/wav",
    "audio/x-wav",
    "audio/x-mpeg",
    "audio/x-m4a",
    "audio/aac",
    "application/pdf",
    "application/x-pdf",
];

/// Types that thumbnails are made from.
pub const IMAGES: &[&str] = &["image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp"];

/// The content type of a blob from its first bytes.
pub fn sniff(head: &[u8]) -> String {
    if head.is_empty() {
        return "text/plain; charset=utf-8".into();
    }
    if let Some(kind) = infer::get(head) {
        return match kind.mime_type() {
            "audio/x-wav" => "audio/wav".into(),
            text @ ("text/html" | "text/xml") => format!("{text}; charset=utf-8"),
            other => other.into(),
        };
    }
    if is_text(head) {
        let start = String::from_utf8_lossy(&head[..head.len().min(512)]).trim_start().to_ascii_lowercase();
        if start.starts_with("<!doctype html") || start.starts_with("<html") {
            return "text/html; charset=utf-8".into();
        }
        if start.starts_with("<svg") || (start.starts_with("<?xml") && start.contains("<svg")) {
            return "image/svg+xml".into();
        }
        if start.starts_with("<?xml") {
            return "text/xml; charset=utf-8".into();
        }
        return "text/plain; charset=utf-8".into();
    }
    OCTET_STREAM.into()
}

/// UTF-8 without control characters (a cut multi-byte character at the end is fine).
fn is_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
        Err(_) => return false,
    };
    !valid.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c'))
}

/// The type without parameters: `text/plain; charset=utf-8` -> `text/plain`.
pub fn essence(mime: &str) -> &str {
    mime.split(';').next().unwrap_or_default().trim()
}

/// Whether a sniffed type is one of the field's allowed `mimeTypes`.
pub fn allowed(mime: &str, allowed: &[String]) -> bool {
    let have = essence(mime);
    let alias =
        |t: &str| if t.eq_ignore_ascii_case("image/jpg") { "image/jpeg".to_owned() } else { t.to_ascii_lowercase() };
    allowed.iter().any(|t| alias(t) == alias(have))
}

/// The extension (with its dot) for names that lack one.
pub fn extension_for(mime: &str) -> String {
    match essence(mime) {
        OCTET_STREAM => String::new(),
        "text/plain" => ".txt".into(),
        "text/html" => ".html".into(),
        "text/xml" => ".xml".into(),
        "image/svg+xml" => ".svg".into(),
        "image/jpeg" => ".jpg".into(),
        other => mime_guess::get_mime_extensions_str(other)
            .and_then(|e| e.first())
            .map(|e| format!(".{e}"))
            .unwrap_or_default(),
    }
}

/// The `Content-Type` a stored file is served with: sniffed, except for the types browsers
/// need by name (PocketBase's list).
pub fn served_type(key: &str, sniffed: &str) -> String {
    let ext = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "svg" => "image/svg+xml".into(),
        "css" => "text/css".into(),
        "js" | "mjs" => "text/javascript".into(),
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document".into(),
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation".into(),
        _ => sniffed.to_owned(),
    }
}

/// Whether a sniffed type may render inline.
pub fn inline(sniffed: &str) -> bool {
    INLINE.contains(&essence(sniffed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_content_not_names() {
        let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
        assert_eq!(sniff(&png), "image/png");
        assert_eq!(sniff(b"hello"), "text/plain; charset=utf-8");
        assert_eq!(sniff(b"<!DOCTYPE html><p>x"), "text/html; charset=utf-8");
        assert_eq!(sniff(&[0, 1, 2, 3, 255, 254]), OCTET_STREAM);
        assert!(allowed("text/plain; charset=utf-8", &["text/plain".into()]));
        assert!(allowed("image/jpeg", &["image/jpg".into()]));
        assert!(!allowed(OCTET_STREAM, &["image/png".into()]));
        assert_eq!(extension_for("text/plain; charset=utf-8"), ".txt");
        assert_eq!(extension_for("image/png"), ".png");
        assert_eq!(extension_for(OCTET_STREAM), "");
        assert!(inline("image/png") && !inline("text/html; charset=utf-8"));
        assert_eq!(served_type("a/b/x.svg", "text/xml"), "image/svg+xml");
    }
}
