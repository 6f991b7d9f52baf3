//! Certificates as the TLS listener uses them: a PEM chain and key made into rustls's
//! [`CertifiedKey`], with the leaf's validity read from its DER.

use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// A certificate ready to serve.
#[derive(Debug)]
pub struct Loaded {
    pub key: Arc<CertifiedKey>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl Loaded {
    /// Parses a PEM chain (leaf first) and a PEM private key, and checks that they belong together.
    pub fn from_pem(chain: &[u8], key: &[u8]) -> anyhow::Result<Self> {
        let certs = CertificateDer::pem_slice_iter(chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("the certificate file is not PEM: {e}"))?;
        let Some(leaf) = certs.first() else { bail!("the certificate file holds no certificate") };
        let (not_before, not_after) = validity(leaf).context("cannot read the certificate's validity")?;
        let key = PrivateKeyDer::from_pem_slice(key)
            .map_err(|e| anyhow::anyhow!("the key file holds no PEM private key: {e}"))?;
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let key = CertifiedKey::from_der(certs, key, &provider)
            .map_err(|e| anyhow::anyhow!("the key does not fit the certificate: {e}"))?;
        Ok(Self { key: Arc::new(key), not_before, not_after })
    }

    /// When to renew: once a third of the lifetime is left.
    pub fn renew_at(&self) -> DateTime<Utc> {
        self.not_after - (self.not_after - self.not_before) / 3
    }
}

/// The `notBefore` and `notAfter` of a DER certificate.
pub fn validity(der: &[u8]) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let bad = || anyhow::anyhow!("malformed X.509 certificate");
    let (_, cert, _) = tlv(der, SEQUENCE).ok_or_else(bad)?;
    let (_, mut tbs, _) = tlv(cert, SEQUENCE).ok_or_else(bad)?;
    // version [0] EXPLICIT is optional
    if tbs.first() == Some(&0xa0) {
        tbs = tlv(tbs, 0xa0).ok_or_else(bad)?.2;
    }
    for tag in [INTEGER, SEQUENCE, SEQUENCE] {
        // serialNumber, signature, issuer
        tbs = tlv(tbs, tag).ok_or_else(bad)?.2;
    }
    let (_, validity, _) = tlv(tbs, SEQUENCE).ok_or_else(bad)?;
    let (tag, not_before, rest) = any_tlv(validity).ok_or_else(bad)?;
    let not_before = time(tag, not_before).ok_or_else(bad)?;
    let (tag, not_after, _) = any_tlv(rest).ok_or_else(bad)?;
    let not_after = time(tag, not_after).ok_or_else(bad)?;
    Ok((not_before, not_after))
}

const INTEGER: u8 = 0x02;
const SEQUENCE: u8 = 0x30;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// One DER element of the expected tag: (tag, content, rest).
fn tlv(input: &[u8], tag: u8) -> Option<(u8, &[u8], &[u8])> {
    any_tlv(input).filter(|(t, _, _)| *t == tag)
}

fn any_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// UTCTime `YYMMDDHHMMSSZ` (years 1950–2049) or GeneralizedTime `YYYYMMDDHHMMSSZ`.
fn time(tag: u8, content: &[u8]) -> Option<DateTime<Utc>> {
    // ASCII only: the slicing below is by bytes.
    let text = std::str::from_utf8(content).ok().filter(|t| t.is_ascii())?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        UTC_TIME if text.len() == 12 => {
            let yy: i32 = text[..2].parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        GENERALIZED_TIME if text.len() == 14 => (text[..4].parse().ok()?, &text[4..]),
        _ => return None,
    };
    let n = |i: usize| rest.get(i..i + 2)?.parse::<u32>().ok();
    let date = NaiveDate::from_ymd_opt(year, n(0)?, n(2)?)?;
    Some(date.and_hms_opt(n(4)?, n(6)?, n(8)?)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(not_before: (i32, u8, u8), not_after: (i32, u8, u8)) -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(vec!["app.test".to_owned()]).expect("params");
        params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let cert = params.self_signed(&key).expect("cert");
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn validity_of_utc_and_generalized_times() {
        let (cert, key) = self_signed((2026, 1, 1), (2026, 4, 1));
        let loaded = Loaded::from_pem(cert.as_bytes(), key.as_bytes()).expect("load");
        assert_eq!(loaded.not_before.to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(loaded.not_after.to_rfc3339(), "2026-04-01T00:00:00+00:00");
        assert_eq!(loaded.renew_at().to_rfc3339(), "2026-03-02T00:00:00+00:00");
        // After 2049 X.509 switches to GeneralizedTime.
        let (cert, key) = self_signed((2049, 6, 1), (2051, 2, 3));
        let loaded = Loaded::from_pem(cert.as_bytes(), key.as_bytes()).expect("load");
        assert_eq!(loaded.not_after.to_rfc3339(), "2051-02-03T00:00:00+00:00");
    }

    #[test]
    fn mismatched_and_malformed_input_is_refused() {
        let (cert, _) = self_signed((2026, 1, 1), (2026, 4, 1));
        let (_, other_key) = self_signed((2026, 1, 1), (2026, 4, 1));
        let err = Loaded::from_pem(cert.as_bytes(), other_key.as_bytes()).expect_err("mismatch");
        assert!(err.to_string().contains("does not fit"), "{err}");
        assert!(Loaded::from_pem(b"", other_key.as_bytes()).is_err());
        assert!(Loaded::from_pem(cert.as_bytes(), b"nope").is_err());
        assert!(validity(&[0x30, 0x82, 0xff]).is_err());
        assert!(validity(&[]).is_err());
        // A time that is not ASCII (12 bytes, but not 12 characters) is refused, not sliced.
        assert_eq!(time(UTC_TIME, "é2601010000Z".as_bytes()), None);
    }
}
