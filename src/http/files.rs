//! `/api/files`: downloads (with thumbnails, ranges, caching headers, protected files) and
//! file tokens, as PocketBase serves them.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json, Response};
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::TokenAuth;
use super::error::{ApiError, ApiResult};
use super::request::request_info;
use crate::app::AppState;
use crate::blob::{BlobMeta, BlobStore};
use crate::files::sniff;
use crate::records::download::{self, Served};

pub struct FilesApi;

#[derive(Debug, Object)]
pub struct FileToken {
    /// A JWT of type `file`, valid for the auth collection's file-token duration (3 minutes by default).
    pub token: String,
}

#[derive(ApiResponse)]
pub enum FileResponse {
    /// The file or its thumbnail; 206 with `Content-Range` for a satisfiable `Range`, 304 when
    /// `If-None-Match` matches the `ETag`, 416 for an unsatisfiable range.
    #[oai(status = 200)]
    File(Binary<Body>),
}

pub(super) type Served200 = Response<FileResponse>;

#[OpenApi(prefix_path = "/api/files", tag = ApiTags::Records)]
impl FilesApi {
    /// Get a file token.
    ///
    /// A short-lived token for protected files: pass it as `?token=` to the download URL.
    #[oai(path = "/token", method = "post", operation_id = "file_token")]
    async fn file_token(&self, auth: TokenAuth) -> ApiResult<Json<FileToken>> {
        let p = &auth.0;
        if p.key.is_some() {
            return Err(ApiError::forbidden("API keys cannot have file tokens."));
        }
        let token = crate::auth::tokens::issue_file(&p.collection, &p.record).map_err(ApiError::internal)?;
        Ok(Json(FileToken { token }))
    }

    /// Download a file.
    ///
    /// `thumb=WxH` (also `WxHt`, `WxHb`, `WxHf`, `0xH`, `Wx0`) serves a thumbnail of an image
    /// for sizes the field allows plus `100x100`, and the original otherwise. `download=1`
    /// forces an attachment. Protected files need `token` (from `POST /api/files/token`) and
    /// the record's viewRule; otherwise, and for unknown files, 404.
    #[allow(clippy::too_many_arguments)] // one extractor per documented parameter
    #[oai(path = "/:collection/:record_id/:filename", method = "get", operation_id = "download_file")]
    async fn download(
        &self,
        state: Data<&AppState>,
        req: &Request,
        collection: Path<String>,
        record_id: Path<String>,
        filename: Path<String>,
        thumb: Query<Option<String>>,
        download: Query<Option<String>>,
        token: Query<Option<String>>,
    ) -> ApiResult<Served200> {
        let principal = match token.0.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => crate::auth::authenticate_file_token(&state.auth, t).await.map_err(ApiError::from)?,
            None => None,
        };
        let located = download::locate(
            &state.records,
            download::Request {
                collection: &collection,
                record_id: &record_id,
                filename: &filename,
                thumb: thumb.0.as_deref(),
                token_auth: request_info(req, principal.as_ref()),
            },
        )
        .await
        .map_err(|e| match e {
            crate::records::RecordError::CollectionNotFound => {
                ApiError::not_found("Missing or invalid collection context.")
            }
            other => other.into(),
        })?;
        let attachment = matches!(download.0.as_deref(), Some("1" | "t" | "T" | "true" | "TRUE" | "True"));
        serve(&state.files.blobs(), req, &located, attachment).await
    }
}

fn not_found() -> ApiError {
    ApiError::not_found(super::error::MSG_NOT_FOUND)
}

/// Streams the blob with PocketBase's headers, answering `Range` and `If-None-Match`.
pub(super) async fn serve(blobs: &BlobStore, req: &Request, served: &Served, attachment: bool) -> ApiResult<Served200> {
    let range = req.header("range").map(str::to_owned);
    let (meta, mime, range, body) = match range {
        Some(spec) => {
            let meta = blobs.head(&served.key).await.map_err(ApiError::internal)?.ok_or_else(not_found)?;
            let Some(range) = parse_range(&spec, meta.size) else {
                let empty = Response::new(FileResponse::File(Binary(Body::empty())))
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header("Content-Range", format!("bytes */{}", meta.size));
                return Ok(empty);
            };
            let mime = sniff_blob(blobs, &served.key, meta.size).await?;
            let read = blobs.get(&served.key, Some(range.clone())).await.map_err(ApiError::internal)?;
            let read = read.ok_or_else(not_found)?;
            (meta, mime, Some(range), read.body)
        }
        None => {
            let read = blobs.get(&served.key, None).await.map_err(ApiError::internal)?.ok_or_else(not_found)?;
            let (mime, body) = sniff_stream(read.body).await;
            (read.meta, mime, None, body)
        }
    };
    let etag = etag(&meta);
    let disposition = if !attachment && sniff::inline(&mime) { "inline" } else { "attachment" };
    let mut headers = vec![
        ("Content-Type", sniff::served_type(&served.key, &mime)),
        ("Content-Disposition", format!("{disposition}; filename=\"{}\"", served.name)),
        ("Content-Security-Policy", "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox".into()),
        ("Cache-Control", "max-age=2592000, stale-while-revalidate=86400".into()),
        ("Accept-Ranges", "bytes".into()),
        ("ETag", etag.clone()),
        ("Last-Modified", meta.modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
        ("X-Content-Type-Options", "nosniff".into()),
    ];
    let (status, body) =
        if req.header("if-none-match").is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
            (StatusCode::NOT_MODIFIED, Body::empty())
        } else {
            let length = range.as_ref().map_or(meta.size, |r| r.end - r.start);
            headers.push(("Content-Length", length.to_string()));
            let status = match &range {
                Some(r) => {
                    headers.push(("Content-Range", format!("bytes {}-{}/{}", r.start, r.end - 1, meta.size)));
                    StatusCode::PARTIAL_CONTENT
                }
                None => StatusCode::OK,
            };
            (status, Body::from_bytes_stream(body))
        };
    let mut resp = Response::new(FileResponse::File(Binary(body))).status(status);
    for (name, value) in headers {
        resp = resp.header(name, value);
    }
    Ok(resp)
}

/// Reads the first bytes of a stream to sniff its type, and gives back the whole stream.
async fn sniff_stream(
    mut body: BoxStream<'static, std::io::Result<Bytes>>,
) -> (String, BoxStream<'static, std::io::Result<Bytes>>) {
    let mut head: Vec<Bytes> = Vec::new();
    let mut seen = 0;
    while seen < sniff::SNIFF_LEN {
        match body.next().await {
            Some(Ok(chunk)) => {
                seen += chunk.len();
                head.push(chunk);
            }
            Some(Err(e)) => {
                let failed = stream::iter(head.into_iter().map(Ok).chain(std::iter::once(Err(e))));
                return (sniff::OCTET_STREAM.into(), failed.boxed());
            }
            None => break,
        }
    }
    let joined: Vec<u8> = head.iter().flat_map(|b| b.iter().copied()).take(sniff::SNIFF_LEN).collect();
    let mime = sniff::sniff(&joined);
    (mime, stream::iter(head.into_iter().map(Ok)).chain(body).boxed())
}

async fn sniff_blob(blobs: &BlobStore, key: &str, size: u64) -> ApiResult<String> {
    if size == 0 {
        return Ok(sniff::sniff(&[]));
    }
    let read = blobs.get(key, Some(0..size.min(sniff::SNIFF_LEN as u64))).await.map_err(ApiError::internal)?;
    let read = read.ok_or_else(not_found)?;
    let chunks: Vec<Bytes> = read.body.filter_map(|c| async { c.ok() }).collect().await;
    Ok(sniff::sniff(&chunks.concat()))
}

fn etag(meta: &BlobMeta) -> String {
    match &meta.e_tag {
        Some(tag) if tag.starts_with('"') => tag.clone(),
        Some(tag) => format!("\"{tag}\""),
        None => format!("\"{:x}-{:x}\"", meta.size, meta.modified.timestamp_micros()),
    }
}

/// One `bytes=` range (end exclusive); several ranges or an unsatisfiable one give `None`.
fn parse_range(spec: &str, size: u64) -> Option<std::ops::Range<u64>> {
    let spec = spec.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        let n: u64 = end.parse().ok()?;
        size.saturating_sub(n)..size
    } else {
        let start: u64 = start.parse().ok()?;
        let end = if end.is_empty() { size } else { end.parse::<u64>().ok()?.saturating_add(1).min(size) };
        start..end
    };
    (range.start < range.end && range.start < size).then_some(range)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn parses_single_byte_ranges() {
        assert_eq!(parse_range("bytes=1-2", 10), Some(1..3));
        assert_eq!(parse_range("bytes=5-", 10), Some(5..10));
        assert_eq!(parse_range("bytes=-3", 10), Some(7..10));
        assert_eq!(parse_range("bytes=8-100", 10), Some(8..10));
        assert_eq!(parse_range("bytes=10-", 10), None);
        assert_eq!(parse_range("bytes=3-1", 10), None);
        assert_eq!(parse_range("bytes=0-1,4-5", 10), None);
        assert_eq!(parse_range("items=0-1", 10), None);
    }
}
