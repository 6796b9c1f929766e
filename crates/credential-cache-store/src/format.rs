//! The cache file's bytes: a header naming the format, then the entries as
//! JSON, in clear or sealed with AES-256-GCM (random 96-bit nonce, the
//! header as associated data).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// The entries of one cache: key to serialized entry.
pub(crate) type Entries = BTreeMap<String, String>;

const MAGIC: &[u8] = b"azure-rust-identity token cache v1\n";
const CLEAR: u8 = b'P';
const SEALED: u8 = b'E';

/// The encryption key of a cache.
pub(crate) struct CacheKey(LessSafeKey);

impl CacheKey {
    /// A key from its keyring form (base64 of 32 bytes); `None` if malformed.
    pub(crate) fn from_keyring(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text.trim()).ok()?;
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes).ok()?;
        Some(Self(LessSafeKey::new(unbound)))
    }

    /// A new random key, in its keyring form.
    pub(crate) fn generate() -> Result<String, String> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| "the system random generator failed".to_owned())?;
        Ok(STANDARD.encode(bytes))
    }
}

/// Why a file's contents were not used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// Not this format (another program's file, truncated, or garbage).
    Foreign,
    /// Sealed, and this process has no key or another key (the keyring lost
    /// its key, or it was written by another cache).
    WrongKey,
    /// In clear, but this cache encrypts (or sealed, but this cache has no key).
    ModeMismatch,
}

/// The file's bytes for `entries`.
pub(crate) fn encode(entries: &Entries, key: Option<&CacheKey>) -> Result<Vec<u8>, String> {
    // A map of strings always serializes.
    let mut json = serde_json::to_vec(entries).unwrap_or_default();
    let mut out = MAGIC.to_vec();
    match key {
        None => {
            out.push(CLEAR);
            out.append(&mut json);
        }
        Some(CacheKey(key)) => {
            out.push(SEALED);
            let mut nonce = [0u8; NONCE_LEN];
            SystemRandom::new()
                .fill(&mut nonce)
                .map_err(|_| "the system random generator failed".to_owned())?;
            let aad = out.clone();
            key.seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut json,
            )
            .map_err(|_| "sealing the cache failed".to_owned())?;
            out.extend_from_slice(&nonce);
            out.append(&mut json);
        }
    }
    Ok(out)
}

/// The entries in a file's bytes.
pub(crate) fn decode(bytes: &[u8], key: Option<&CacheKey>) -> Result<Entries, Unreadable> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(Unreadable::Foreign)?;
    let (&mode, body) = rest.split_first().ok_or(Unreadable::Foreign)?;
    let header = &bytes[..MAGIC.len() + 1];
    let json = match (mode, key) {
        (CLEAR, None) => body.to_vec(),
        (SEALED, Some(CacheKey(key))) => {
            if body.len() < NONCE_LEN {
                return Err(Unreadable::Foreign);
            }
            let (nonce, sealed) = body.split_at(NONCE_LEN);
            let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unreadable::Foreign)?;
            let mut buffer = sealed.to_vec();
            let opened = key
                .open_in_place(nonce, Aad::from(header), &mut buffer)
                .map_err(|_| Unreadable::WrongKey)?;
            opened.to_vec()
        }
        (CLEAR | SEALED, _) => return Err(Unreadable::ModeMismatch),
        _ => return Err(Unreadable::Foreign),
    };
    serde_json::from_slice(&json).map_err(|_| Unreadable::Foreign)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Entries {
        Entries::from([("k".to_owned(), "secret-token".to_owned())])
    }

    #[test]
    fn sealed_round_trip_hides_the_entries() {
        let key = CacheKey::from_keyring(&CacheKey::generate().unwrap()).unwrap();
        let bytes = encode(&entries(), Some(&key)).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("secret-token"));
        assert_eq!(decode(&bytes, Some(&key)).unwrap(), entries());
    }

    #[test]
    fn another_key_or_a_flipped_bit_is_refused() {
        let key = CacheKey::from_keyring(&CacheKey::generate().unwrap()).unwrap();
        let other = CacheKey::from_keyring(&CacheKey::generate().unwrap()).unwrap();
        let mut bytes = encode(&entries(), Some(&key)).unwrap();
        assert_eq!(decode(&bytes, Some(&other)), Err(Unreadable::WrongKey));
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(decode(&bytes, Some(&key)), Err(Unreadable::WrongKey));
    }

    #[test]
    fn clear_round_trip_and_mode_mismatch() {
        let key = CacheKey::from_keyring(&CacheKey::generate().unwrap()).unwrap();
        let clear = encode(&entries(), None).unwrap();
        assert_eq!(decode(&clear, None).unwrap(), entries());
        assert_eq!(decode(&clear, Some(&key)), Err(Unreadable::ModeMismatch));
        let sealed = encode(&entries(), Some(&key)).unwrap();
        assert_eq!(decode(&sealed, None), Err(Unreadable::ModeMismatch));
    }

    #[test]
    fn foreign_and_truncated_bytes_are_foreign() {
        assert_eq!(decode(b"{}", None), Err(Unreadable::Foreign));
        assert_eq!(decode(MAGIC, None), Err(Unreadable::Foreign));
        let clear = encode(&entries(), None).unwrap();
        assert_eq!(
            decode(&clear[..clear.len() - 3], None),
            Err(Unreadable::Foreign)
        );
        assert!(CacheKey::from_keyring("not base64!").is_none());
        assert!(CacheKey::from_keyring("AAAA").is_none());
    }
}
