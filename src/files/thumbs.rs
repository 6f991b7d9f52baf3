//! Thumbnails in PocketBase's size syntax, made on first request and kept in blob storage at
//! `<collection>/<record>/thumbs_<file>/<size>_<file>`. Requests for the same thumbnail wait for
//! one generation; a semaphore caps generations at once; decoding has limits against
//! decompression bombs. A failure is the caller's cue to serve the original.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use tokio::sync::Semaphore;

use crate::blob::BlobStore;

/// Sources larger than this are not read into memory for a thumbnail.
const MAX_SOURCE_BYTES: u64 = 64 << 20;
/// Decoded images larger than this in either dimension are refused.
const MAX_DIMENSION: u32 = 12_000;
/// Memory one decode may allocate.
const MAX_DECODE_ALLOC: u64 = 256 << 20;
/// How long a request waits for a generation slot.
const MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `WxH`: cover the box, crop the centre.
    Center,
    /// `WxHt`: cover, crop from the top.
    Top,
    /// `WxHb`: cover, crop from the bottom.
    Bottom,
    /// `WxHf`: fit inside the box, never enlarged.
    Fit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
    pub mode: Mode,
}

/// `WxH`, `WxHt`, `WxHb`, `WxHf`, `0xH`, `Wx0`.
pub fn parse(spec: &str) -> Option<Size> {
    let (w, rest) = spec.split_once('x')?;
    let (h, mode) = match rest.as_bytes().last()? {
        b't' => (&rest[..rest.len() - 1], Mode::Top),
        b'b' => (&rest[..rest.len() - 1], Mode::Bottom),
        b'f' => (&rest[..rest.len() - 1], Mode::Fit),
        _ => (rest, Mode::Center),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(w) || !digits(h) {
        return None;
    }
    let (width, height) = (w.parse().ok()?, h.parse().ok()?);
    if width == 0 && height == 0 {
        return None;
    }
    Some(Size { width, height, mode })
}

/// Generation bookkeeping of one server.
pub struct Thumbs {
    pending: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    slots: Semaphore,
    /// Thumbnails made since the start.
    made: std::sync::atomic::AtomicU64,
}

impl Default for Thumbs {
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) + 2;
        Self { pending: Mutex::default(), slots: Semaphore::new(workers), made: Default::default() }
    }
}

impl Thumbs {
    /// Makes the thumbnail `thumb_key` of `original_key` unless it exists.
    pub async fn ensure(
        &self,
        blobs: &BlobStore,
        original_key: &str,
        thumb_key: &str,
        size: Size,
        mime: &str,
    ) -> anyhow::Result<()> {
        if blobs.head(thumb_key).await?.is_some() {
            return Ok(());
        }
        let gate = {
            let mut pending = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            pending.entry(thumb_key.to_owned()).or_default().clone()
        };
        let result = async {
            let _one = gate.lock().await;
            // Whoever held the gate before may have made it.
            if blobs.head(thumb_key).await?.is_some() {
                return Ok(());
            }
            let _slot = tokio::time::timeout(MAX_WAIT, self.slots.acquire())
                .await
                .context("timed out waiting for a thumbnail slot")??;
            let source = blobs.read_all(original_key, MAX_SOURCE_BYTES).await?.context("the original is gone")?;
            let mime = mime.to_owned();
            let bytes = tokio::task::spawn_blocking(move || make(&source, size, &mime)).await??;
            self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            blobs.put_bytes(thumb_key, bytes.into()).await
        }
        .await;
        let mut pending = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if Arc::strong_count(&gate) <= 2 {
            pending.remove(thumb_key);
        }
        result
    }
}

impl Thumbs {
    /// How many thumbnails this server has made.
    pub fn made(&self) -> u64 {
        self.made.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Decodes (first frame, EXIF orientation applied), resizes and encodes a thumbnail in the
/// original's format (PNG for WebP and anything else).
pub fn make(source: &[u8], size: Size, mime: &str) -> anyhow::Result<Vec<u8>> {
    let mut reader = ImageReader::new(Cursor::new(source)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    let thumb = resize(&img, size);
    let mut out = Cursor::new(Vec::new());
    match crate::files::sniff::essence(mime) {
        "image/jpeg" | "image/jpg" => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
            DynamicImage::ImageRgb8(thumb.to_rgb8()).write_with_encoder(encoder)?;
        }
        "image/gif" => DynamicImage::ImageRgba8(thumb.to_rgba8()).write_to(&mut out, ImageFormat::Gif)?,
        _ => thumb.write_to(&mut out, ImageFormat::Png)?,
    }
    Ok(out.into_inner())
}

fn resize(img: &DynamicImage, size: Size) -> DynamicImage {
    let (iw, ih) = (img.width().max(1), img.height().max(1));
    let (w, h) = (size.width, size.height);
    let filter = FilterType::Triangle;
    if w == 0 || h == 0 {
        let (w, h) = if w == 0 {
            (((f64::from(h) * f64::from(iw) / f64::from(ih)).round() as u32).max(1), h)
        } else {
            (w, ((f64::from(w) * f64::from(ih) / f64::from(iw)).round() as u32).max(1))
        };
        return img.resize_exact(w, h, filter);
    }
    if size.mode == Mode::Fit {
        if iw <= w && ih <= h {
            return img.clone();
        }
        return img.resize(w, h, filter);
    }
    let scale = (f64::from(w) / f64::from(iw)).max(f64::from(h) / f64::from(ih));
    let (rw, rh) = (((f64::from(iw) * scale).ceil() as u32).max(w), ((f64::from(ih) * scale).ceil() as u32).max(h));
    let scaled = img.resize_exact(rw, rh, filter);
    let x = (rw - w) / 2;
    let y = match size.mode {
        Mode::Top => 0,
        Mode::Bottom => rh - h,
        _ => (rh - h) / 2,
    };
    scaled.crop_imm(x, y, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::new_rgba8(w, h);
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).expect("encode");
        out.into_inner()
    }

    fn dims(bytes: &[u8]) -> (u32, u32) {
        let img = image::load_from_memory(bytes).expect("decode");
        (img.width(), img.height())
    }

    #[test]
    fn parses_pocketbase_sizes() {
        assert_eq!(parse("100x100"), Some(Size { width: 100, height: 100, mode: Mode::Center }));
        assert_eq!(parse("10x20t").map(|s| s.mode), Some(Mode::Top));
        assert_eq!(parse("10x20b").map(|s| s.mode), Some(Mode::Bottom));
        assert_eq!(parse("10x20f").map(|s| s.mode), Some(Mode::Fit));
        assert_eq!(parse("0x20").map(|s| s.width), Some(0));
        for bad in ["0x0", "x10", "10x", "10x10z", "-1x10", "10X10", "", "axb"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn resizes_in_every_mode() {
        let src = png(200, 100);
        let sizes = [
            ("50x50", (50, 50)),
            ("50x50t", (50, 50)),
            ("50x50b", (50, 50)),
            ("50x50f", (50, 25)),
            ("0x50", (100, 50)),
            ("50x0", (50, 25)),
            ("400x400f", (200, 100)),
        ];
        for (spec, want) in sizes {
            let out = make(&src, parse(spec).expect("size"), "image/png").expect("thumb");
            assert_eq!(dims(&out), want, "{spec}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_requests_make_one_thumbnail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = Arc::new(crate::blob::BlobStore::local(dir.path()).expect("store"));
        blobs.put_bytes("c/r/a.png", png(300, 200).into()).await.expect("put");
        let thumbs = Arc::new(Thumbs::default());
        let size = parse("100x100").expect("size");
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (blobs, thumbs) = (blobs.clone(), thumbs.clone());
                tokio::spawn(async move {
                    thumbs.ensure(&blobs, "c/r/a.png", "c/r/thumbs_a.png/100x100_a.png", size, "image/png").await
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("join").expect("thumb");
        }
        assert_eq!(thumbs.made(), 1, "one generation for sixteen requests");
        assert!(thumbs.pending.lock().expect("lock").is_empty(), "no bookkeeping left behind");
    }

    #[test]
    fn refuses_decompression_bombs() {
        // A valid PNG header claiming 100000 x 100000 pixels.
        let src = png(1, 1);
        let mut bomb = src.clone();
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32fast::hash(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(make(&bomb, parse("100x100").expect("size"), "image/png").is_err());
        assert!(make(b"not an image", parse("100x100").expect("size"), "image/png").is_err());
    }
}
