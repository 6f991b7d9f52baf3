//! `GET /api/files/{collection}/{recordId}/{filename}`: which blob answers a download, after
//! PocketBase's checks (the file belongs to the record; protected files need a file token and
//! the record's viewRule), with the thumbnail in its place when one is asked for and possible.

use super::Records;
use crate::filter::RequestInfo;
use crate::records::RecordError;
use crate::schema::{CollectionKind, FieldKind};

use crate::files::{sniff, thumbs};

/// The default thumbnail size every image field allows.
const DEFAULT_THUMB: &str = "100x100";

/// The blob to serve and the name to serve it as.
#[derive(Debug, Clone)]
pub struct Served {
    pub key: String,
    pub name: String,
}

/// What a download request asks for.
pub struct Request<'a> {
    pub collection: &'a str,
    pub record_id: &'a str,
    pub filename: &'a str,
    pub thumb: Option<&'a str>,
    /// The caller as the `token` query parameter says (`None` without a valid file token).
    pub token_auth: RequestInfo,
}

pub async fn locate(state: &Records, r: Request<'_>) -> Result<Served, RecordError> {
    let schema = state.schema.snapshot();
    let coll = schema.get(r.collection).ok_or(RecordError::CollectionNotFound)?.clone();
    let internal = RequestInfo::superuser();
    let record = crate::records::fetch_visible(state.store.as_ref(), &schema, &coll, r.record_id, Some(""), &internal)
        .await?
        .ok_or(RecordError::NotFound)?;
    let record = record.as_object().cloned().unwrap_or_default();
    let field = coll
        .fields
        .iter()
        .find(|f| matches!(f.kind, FieldKind::File(_)) && field_holds(&record, &f.name, r.filename))
        .ok_or(RecordError::NotFound)?;
    let FieldKind::File(options) = &field.kind else { return Err(RecordError::NotFound) };
    if options.protected {
        let mut info = r.token_auth;
        info.context = "protectedFile".into();
        let rule = coll.rules.view_rule.as_deref();
        let allowed = info.is_superuser()
            || (rule.is_some()
                && crate::records::fetch_visible(state.store.as_ref(), &schema, &coll, r.record_id, rule, &info)
                    .await?
                    .is_some());
        if !allowed {
            return Err(RecordError::NotFound);
        }
    }
    let base = if coll.kind == CollectionKind::View {
        crate::records::files::view_file_base(state, r.filename).await?.ok_or(RecordError::NotFound)?
    } else {
        format!("{}/{}", coll.id, r.record_id)
    };
    let original = Served { key: format!("{base}/{}", r.filename), name: r.filename.to_owned() };
    let Some(spec) = r.thumb.filter(|t| *t == DEFAULT_THUMB || options.thumbs.iter().any(|s| s == t)) else {
        return Ok(original);
    };
    let Some(size) = thumbs::parse(spec) else { return Ok(original) };
    Ok(thumbnail(state, &base, r.filename, spec, size).await.unwrap_or(original))
}

fn field_holds(record: &serde_json::Map<String, serde_json::Value>, field: &str, name: &str) -> bool {
    match record.get(field) {
        Some(serde_json::Value::String(s)) => s == name,
        Some(serde_json::Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(name)),
        _ => false,
    }
}

/// The thumbnail, made if missing; `None` (serve the original) when the original is no image
/// or the thumbnail cannot be made.
async fn thumbnail(state: &Records, base: &str, filename: &str, spec: &str, size: thumbs::Size) -> Option<Served> {
    let blobs = state.files.blobs();
    let original = format!("{base}/{filename}");
    let name = format!("{spec}_{filename}");
    let key = format!("{base}/thumbs_{filename}/{name}");
    // A thumbnail exists only for an image: no need to look at the original again.
    if blobs.head(&key).await.ok()?.is_some() {
        return Some(Served { key, name });
    }
    let head = blobs.get(&original, Some(0..sniff::SNIFF_LEN as u64)).await.ok()??;
    let mut bytes = Vec::new();
    let mut body = head.body;
    while let Some(Ok(chunk)) = futures_util::StreamExt::next(&mut body).await {
        bytes.extend_from_slice(&chunk);
    }
    let mime = sniff::sniff(&bytes);
    if !sniff::IMAGES.contains(&sniff::essence(&mime)) {
        return None;
    }
    match state.files.thumbs.ensure(&blobs, &original, &key, size, &mime).await {
        Ok(()) => Some(Served { key, name }),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), original, "thumbnail failed; serving the original");
            None
        }
    }
}
