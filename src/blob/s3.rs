//! S3-compatible buckets (AWS, MinIO, s3s, R2 …) through `object_store`'s signer and client.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use serde::{Deserialize, Serialize};

/// PocketBase's `s3` settings shape (`settings.s3`, `settings.backups.s3`).
#[derive(Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct S3Config {
    pub enabled: bool,
    pub bucket: String,
    pub region: String,
    pub endpoint: String,
    pub access_key: String,
    pub secret: String,
    /// Path-style addressing (`endpoint/bucket/key`), what MinIO and most local servers need.
    pub force_path_style: bool,
}

impl S3Config {
    /// The bucket the configuration chooses (`storage.backend = "s3"`), if it does.
    pub fn from_config(storage: &crate::config::StorageConfig) -> Option<Self> {
        let s3 = &storage.s3;
        storage.is_s3().then(|| Self {
            enabled: true,
            bucket: s3.bucket.clone(),
            region: s3.region.clone(),
            endpoint: s3.endpoint.clone(),
            access_key: s3.access_key.clone(),
            secret: s3.secret.as_ref().map(|s| s.expose().to_owned()).unwrap_or_default(),
            force_path_style: s3.force_path_style,
        })
    }
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("enabled", &self.enabled)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key", &self.access_key)
            .field("secret", &"<redacted>")
            .field("force_path_style", &self.force_path_style)
            .finish()
    }
}

impl S3Config {
    pub fn describe(&self) -> String {
        format!("s3:{}/{}", self.endpoint.trim_end_matches('/'), self.bucket)
    }

    /// What is missing for a usable configuration, in PocketBase's field-error shape.
    pub fn problems(&self) -> crate::error::FieldErrors {
        let mut out = crate::error::FieldErrors::default();
        for (name, value) in [
            ("bucket", &self.bucket),
            ("region", &self.region),
            ("endpoint", &self.endpoint),
            ("accessKey", &self.access_key),
            ("secret", &self.secret),
        ] {
            if value.trim().is_empty() {
                out.add(name, crate::error::code::REQUIRED, "Cannot be blank.");
            }
        }
        out
    }
}

pub(super) fn build(config: &S3Config) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let problems = config.problems();
    anyhow::ensure!(problems.is_empty(), "incomplete S3 settings: {:?}", problems.0.keys().collect::<Vec<_>>());
    let endpoint = config.endpoint.trim_end_matches('/');
    let store = AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_bucket_name(&config.bucket)
        .with_region(&config.region)
        .with_access_key_id(&config.access_key)
        .with_secret_access_key(&config.secret)
        .with_virtual_hosted_style_request(!config.force_path_style)
        .with_allow_http(endpoint.starts_with("http://"))
        .build()?;
    Ok(Arc::new(store))
}
