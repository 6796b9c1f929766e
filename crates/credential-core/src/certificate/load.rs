//! [`ClientCertificate`]: an RSA private key and its certificate chain, read
//! from PEM or PKCS#12.

use std::fmt;

use crate::CredentialError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
#[cfg(feature = "pkcs12")]
use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
use ring::signature::{KeyPair, RsaKeyPair};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A client certificate: an RSA private key (kept as PKCS#1) and the
/// certificate chain, leaf first. The leaf is the certificate whose public
/// key matches the private key.
///
/// `Debug` shows the chain length and the leaf's SHA-256 thumbprint, never
/// the key.
///
/// ```
/// use credential_core::ClientCertificate;
/// let err = ClientCertificate::from_bytes(b"not a certificate", None).unwrap_err();
/// assert!(err.to_string().contains("neither PEM nor PKCS#12"));
/// ```
#[derive(Clone)]
pub struct ClientCertificate {
    key_pkcs1: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl ClientCertificate {
    /// Parses PEM (a certificate and a PKCS#1 or PKCS#8 RSA key in any
    /// order, plus any chain certificates) or PKCS#12 (`password` may be
    /// `None` or empty for an unprotected file). Bytes containing
    /// `-----BEGIN` are PEM; anything else is tried as PKCS#12. Errors name
    /// `ClientCertificateCredential`; see [`ClientCertificate::parse`] to
    /// name another credential.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] when the bytes are neither PEM
    /// holding a certificate and its RSA private key nor a PKCS#12 file that
    /// `password` opens.
    pub fn from_bytes(bytes: &[u8], password: Option<&str>) -> Result<Self, CredentialError> {
        parse(crate::credential_names::CLIENT_CERTIFICATE, bytes, password)
    }

    /// [`ClientCertificate::from_bytes`] with errors naming `credential`.
    ///
    /// # Errors
    /// As [`from_bytes`](Self::from_bytes).
    pub fn parse(
        credential: &'static str,
        bytes: &[u8],
        password: Option<&str>,
    ) -> Result<Self, CredentialError> {
        parse(credential, bytes, password)
    }

    /// The DER certificates, leaf first.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The DER leaf certificate.
    pub fn leaf_der(&self) -> &[u8] {
        self.chain.first().map(Vec::as_slice).unwrap_or_default()
    }

    /// base64url (unpadded) SHA-256 of the leaf's DER: the `x5t#S256` header.
    pub fn thumbprint_sha256(&self) -> String {
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, self.leaf_der()))
    }

    /// The RSA private key, PKCS#1 DER.
    pub(crate) fn key_pkcs1(&self) -> &[u8] {
        &self.key_pkcs1
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("certificates", &self.chain.len())
            .field("x5t#S256", &self.thumbprint_sha256())
            .finish_non_exhaustive()
    }
}

/// Parses with errors naming `credential`.
fn parse(
    credential: &'static str,
    bytes: &[u8],
    password: Option<&str>,
) -> Result<ClientCertificate, CredentialError> {
    let bad = |message: String| CredentialError::invalid_configuration(credential, message);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(bad("the certificate file is empty".into()));
    }
    let (key, certificates) = if contains(bytes, b"-----BEGIN") {
        parse_pem(bytes).map_err(bad)?
    } else {
        parse_pkcs12(bytes, password.unwrap_or_default()).map_err(bad)?
    };
    let key_pkcs1 = rsa_pkcs1(key).map_err(bad)?;
    let key_pair = RsaKeyPair::from_der(&key_pkcs1).map_err(|e| {
        bad(format!(
            "the RSA private key is not usable ({e}); it must be a valid RSA key of at least 2048 bits"
        ))
    })?;
    let public = key_pair.public_key().as_ref();
    let Some(leaf) = certificates.iter().position(|c| contains(c, public)) else {
        return Err(bad(
            "no certificate in the file matches the private key; put the key's own certificate in the file"
                .into(),
        ));
    };
    let mut chain = certificates;
    let leaf = chain.remove(leaf);
    chain.insert(0, leaf);
    Ok(ClientCertificate { key_pkcs1, chain })
}

/// The message of a PKCS#12 file the password does not open.
pub const WRONG_PASSWORD: &str =
    "could not open the PKCS#12 file: the password is wrong (or the file is corrupt)";

enum Key {
    Pkcs1(Vec<u8>),
    Pkcs8(Vec<u8>),
    NotRsa(&'static str),
}

fn parse_pem(bytes: &[u8]) -> Result<(Key, Vec<Vec<u8>>), String> {
    if contains(bytes, b"ENCRYPTED PRIVATE KEY") || contains(bytes, b"Proc-Type: 4,ENCRYPTED") {
        return Err("the PEM private key is encrypted, which is not supported; \
                    use an unencrypted PEM key or a password-protected PKCS#12 file"
            .into());
    }
    let certificates = CertificateDer::pem_slice_iter(bytes)
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the PEM certificate file is malformed ({e})"))?;
    let key = match PrivateKeyDer::from_pem_slice(bytes) {
        Ok(PrivateKeyDer::Pkcs1(key)) => Key::Pkcs1(key.secret_pkcs1_der().to_vec()),
        Ok(PrivateKeyDer::Pkcs8(key)) => Key::Pkcs8(key.secret_pkcs8_der().to_vec()),
        Ok(PrivateKeyDer::Sec1(_)) => Key::NotRsa("an EC key"),
        Ok(_) => Key::NotRsa("an unsupported key type"),
        Err(pem::Error::NoItemsFound) => {
            return Err("the PEM file contains no private key; put the certificate and its \
                        unencrypted private key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY) in one file"
                .into());
        }
        Err(e) => return Err(format!("the PEM private key is malformed ({e})")),
    };
    if certificates.is_empty() {
        return Err("the PEM file contains no certificate (BEGIN CERTIFICATE); \
                    put the certificate and its private key in one file"
            .into());
    }
    Ok((key, certificates))
}

/// Without the `pkcs12` feature a file that is not PEM cannot be read.
#[cfg(not(feature = "pkcs12"))]
fn parse_pkcs12(_bytes: &[u8], _password: &str) -> Result<(Key, Vec<Vec<u8>>), String> {
    Err(
        "the certificate file is not PEM, and PKCS#12 support is not compiled in: \
         enable the `pkcs12` feature of credential-env (or credential-default), \
         or convert the file to PEM (`openssl pkcs12 -in cert.pfx -out cert.pem -nodes`)"
            .into(),
    )
}

#[cfg(feature = "pkcs12")]
fn parse_pkcs12(bytes: &[u8], password: &str) -> Result<(Key, Vec<Vec<u8>>), String> {
    let store = KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Strict).map_err(|e| {
        use p12_keystore::error::Error as P12;
        match e {
            P12::MacError(_) | P12::UnpadError | P12::Pkcs5Error(_) => WRONG_PASSWORD.to_owned(),
            _ => format!(
                "the certificate file is neither PEM nor PKCS#12 (or a PKCS#12 file this library cannot read: {e})"
            ),
        }
    })?;
    let Some((_alias, chain)) = store.private_key_chain() else {
        return Err("the PKCS#12 file contains no private key with its certificate".into());
    };
    let certificates: Vec<Vec<u8>> = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
    if certificates.is_empty() {
        return Err("the PKCS#12 file contains no certificate for its private key".into());
    }
    Ok((Key::Pkcs8(chain.key().as_der().to_vec()), certificates))
}

/// The RSA key as PKCS#1 DER, or why it is not one.
fn rsa_pkcs1(key: Key) -> Result<Vec<u8>, String> {
    let not_rsa = |what: &str| {
        format!(
            "the private key is {what}, not RSA; the client assertion is signed \
             with PS256, which needs an RSA key"
        )
    };
    match key {
        Key::Pkcs1(der) => Ok(der),
        Key::NotRsa(what) => Err(not_rsa(what)),
        Key::Pkcs8(der) => match pkcs8_rsa_key(&der) {
            Pkcs8::Rsa(key) => Ok(key.to_vec()),
            Pkcs8::Other => Err(not_rsa("not an RSA key (EC or another algorithm)")),
            Pkcs8::Malformed => Err("the PKCS#8 private key is malformed".into()),
        },
    }
}

enum Pkcs8<'a> {
    Rsa(&'a [u8]),
    Other,
    Malformed,
}

/// `rsaEncryption`, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The PKCS#1 key inside a PKCS#8 `PrivateKeyInfo`:
/// `SEQUENCE { INTEGER version, SEQUENCE { OID, params }, OCTET STRING key, .. }`.
fn pkcs8_rsa_key(der: &[u8]) -> Pkcs8<'_> {
    let parsed = (|| {
        let (0x30, info, _) = tlv(der)? else {
            return None;
        };
        let (0x02, _version, rest) = tlv(info)? else {
            return None;
        };
        let (0x30, algorithm, rest) = tlv(rest)? else {
            return None;
        };
        let (0x06, oid, _) = tlv(algorithm)? else {
            return None;
        };
        let (0x04, key, _) = tlv(rest)? else {
            return None;
        };
        Some((oid, key))
    })();
    match parsed {
        Some((oid, key)) if oid == RSA_ENCRYPTION_OID => Pkcs8::Rsa(key),
        Some(_) => Pkcs8::Other,
        None => Pkcs8::Malformed,
    }
}

/// One DER tag-length-value: (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_reads_short_and_long_lengths() {
        assert_eq!(
            tlv(&[0x04, 0x01, 0xaa, 0xbb]),
            Some((0x04, &[0xaa][..], &[0xbb][..]))
        );
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([0u8; 0x80]);
        assert_eq!(tlv(&long).map(|(_, c, _)| c.len()), Some(0x80));
        assert_eq!(tlv(&[0x04, 0x05, 0x00]), None, "truncated");
        assert_eq!(tlv(&[0x04, 0x80]), None, "indefinite length");
    }

    #[test]
    fn malformed_pkcs8_is_reported() {
        assert!(matches!(pkcs8_rsa_key(&[0x30, 0x00]), Pkcs8::Malformed));
        assert!(
            rsa_pkcs1(Key::Pkcs8(vec![1, 2, 3]))
                .unwrap_err()
                .contains("malformed")
        );
    }
}
