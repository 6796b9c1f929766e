//! The request headers, prepared once per client where they can be:
//! the constant ones, the `Authorization` value for the current token and
//! the source of `x-ms-client-request-id` values.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use credential_core::__private::per_thread::PerThread;
use credential_core::Secret;
use http::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT,
};

/// The header carrying the per-operation request id.
pub(crate) const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-client-request-id");

/// The `User-Agent` every request carries: this package's own name and
/// version (not the `azsdk-` prefix the Azure guidelines reserve for
/// Microsoft's SDKs), then the platform.
pub(crate) fn user_agent() -> &'static str {
    static USER_AGENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{}/{} (rust; {}; {})",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        )
    });
    &USER_AGENT
}

/// The headers every request of a client carries (`User-Agent`, `Accept`),
/// validated once. Without an application id both are static text: cloning
/// them writes no reference count. With one, the `User-Agent` has a copy
/// per thread slot, as the bearer value does.
#[derive(Debug)]
pub(crate) struct ConstantHeaders {
    user_agent: UserAgent,
}

#[derive(Debug)]
enum UserAgent {
    Static(HeaderValue),
    PerThread(Box<PerThread<HeaderValue>>),
}

impl ConstantHeaders {
    /// The headers for this crate's user agent, after `application_id`
    /// (already validated) if given.
    pub(crate) fn new(application_id: Option<&str>) -> Self {
        let text = user_agent();
        // Checked first: `from_static` would panic on a byte a header cannot hold.
        let fallback = || match HeaderValue::from_str(text) {
            Ok(_) => HeaderValue::from_static(text),
            Err(_) => HeaderValue::from_static("keyvault-secrets"),
        };
        let user_agent = match application_id {
            None => UserAgent::Static(fallback()),
            Some(id) => {
                let line = format!("{id} {text}");
                match HeaderValue::from_str(&line) {
                    Ok(_) => UserAgent::PerThread(Box::new(PerThread::from_fn(|_| {
                        let bytes = Bytes::from_owner(AlignedValue(line.as_bytes().to_vec()));
                        HeaderValue::from_maybe_shared(bytes).unwrap_or_else(|_| fallback())
                    }))),
                    Err(_) => UserAgent::Static(fallback()),
                }
            }
        };
        Self { user_agent }
    }

    /// A header map holding the constant headers and the request id, with
    /// room for `Authorization` and `Content-Type`.
    pub(crate) fn for_request(&self, request_id: &HeaderValue) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(5);
        headers.insert(CLIENT_REQUEST_ID, request_id.clone());
        let user_agent = match &self.user_agent {
            UserAgent::Static(value) => value.clone(),
            UserAgent::PerThread(values) => values.get().clone(),
        };
        headers.insert(USER_AGENT, user_agent);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers
    }

    /// Adds `Content-Type: application/json`.
    pub(crate) fn add_json_content_type(headers: &mut HeaderMap) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
}

/// `x-ms-client-request-id` values: a random 64-bit prefix per client and a
/// counter, laid out as a version-4 UUID (`8-4-4-4-12` hex digits), so that
/// each operation gets a distinct id without asking the OS for randomness.
/// Each thread slot has its own counter (and the slot number in the prefix's
/// last three bits), so threads sending at once do not write one shared
/// counter.
#[derive(Debug)]
pub(crate) struct RequestIds {
    slots: PerThread<IdSlot>,
}

#[derive(Debug)]
struct IdSlot {
    prefix: [u8; 8],
    next: AtomicU64,
}

impl RequestIds {
    /// A fresh random prefix, the counters at zero.
    pub(crate) fn new() -> Self {
        let random = uuid::Uuid::new_v4().into_bytes();
        let slots = PerThread::from_fn(|slot| {
            let mut prefix = [0; 8];
            prefix.copy_from_slice(&random[..8]);
            // SLOTS is 8: the slot fits in three bits.
            prefix[7] = (prefix[7] & !0b111) | (slot as u8 & 0b111);
            IdSlot {
                prefix,
                next: AtomicU64::new(0),
            }
        });
        Self { slots }
    }

    /// The next id. The UUID variant bits take the counter's top two
    /// bits, so ids repeat only after 2^62 operations of one thread slot.
    pub(crate) fn next(&self) -> uuid::Uuid {
        let slot = self.slots.get();
        let count = slot.next.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&slot.prefix);
        bytes[8..].copy_from_slice(&count.to_be_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// The next id as a header value.
    pub(crate) fn next_header(&self) -> HeaderValue {
        let mut buffer = uuid::Uuid::encode_buffer();
        let text = self.next().hyphenated().encode_lower(&mut buffer);
        // Owned by its own allocation (one per operation), so each try's
        // clone counts references there instead of first moving the bytes
        // into a shared block. Hex digits and hyphens are always valid.
        let mut id = [0u8; 36];
        if text.len() == id.len() {
            id.copy_from_slice(text.as_bytes());
        }
        HeaderValue::from_maybe_shared(Bytes::from_owner(id))
            .unwrap_or_else(|_| HeaderValue::from_static("invalid-id"))
    }
}

/// The `Authorization: Bearer …` value of the token last used, so that the
/// value is formatted and validated once per token, not once per request.
/// One copy of the value per thread slot, each in its own allocation, so
/// that cloning it on every request writes a reference count no other
/// thread writes.
#[derive(Default)]
pub(crate) struct BearerHeaders {
    current: ArcSwapOption<Bearer>,
}

struct Bearer {
    token: Secret,
    values: PerThread<HeaderValue>,
}

/// A header value's bytes, aligned so that each copy's reference count
/// (which `Bytes::from_owner` keeps beside its owner) is on its own line.
#[repr(align(128))]
struct AlignedValue(Vec<u8>);

impl AsRef<[u8]> for AlignedValue {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for BearerHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerHeaders").finish_non_exhaustive()
    }
}

impl BearerHeaders {
    /// Adds `Authorization: Bearer {token}` (marked sensitive) to `headers`.
    /// A token that is not a valid header value is left out with a warning.
    pub(crate) fn add(&self, headers: &mut HeaderMap, token: &Secret) {
        if let Some(value) = self.value_for(token) {
            headers.insert(AUTHORIZATION, value);
        }
    }

    fn value_for(&self, token: &Secret) -> Option<HeaderValue> {
        if let Some(bearer) = self.current.load().as_ref()
            && bearer.token.expose_secret() == token.expose_secret()
        {
            return Some(bearer.values.get().clone());
        }
        let Some(values) = Self::values(token) else {
            tracing::warn!(
                header = "authorization",
                "dropping a header value that is not valid"
            );
            return None;
        };
        let value = values.get().clone();
        self.current.store(Some(Arc::new(Bearer {
            token: token.clone(),
            values,
        })));
        Some(value)
    }

    /// The value for `token`, once per slot; `None` if the token cannot be
    /// a header value.
    fn values(token: &Secret) -> Option<PerThread<HeaderValue>> {
        let line = format!("Bearer {}", token.expose_secret());
        let mut checked = HeaderValue::from_str(&line).ok()?;
        checked.set_sensitive(true);
        Some(PerThread::from_fn(|_| {
            let bytes = Bytes::from_owner(AlignedValue(line.as_bytes().to_vec()));
            match HeaderValue::from_maybe_shared(bytes) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    value
                }
                // The same bytes were just accepted; kept for completeness.
                Err(_) => checked.clone(),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let ids = RequestIds::new();
        let first = ids.next();
        let second = ids.next();
        assert_ne!(first, second);
        assert_eq!(first.get_version_num(), 4);
        assert_eq!(first.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(first.as_bytes()[..8], second.as_bytes()[..8]);
        let header = ids.next_header();
        let text = header.to_str().unwrap();
        assert_eq!(text.len(), 36);
        assert!(uuid::Uuid::parse_str(text).is_ok(), "{text}");
        // Another client draws another prefix.
        assert_ne!(
            RequestIds::new().next().as_bytes()[..8],
            first.as_bytes()[..8]
        );
    }

    #[test]
    fn request_ids_from_other_threads_are_distinct() {
        let ids = std::sync::Arc::new(RequestIds::new());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let ids = std::sync::Arc::clone(&ids);
                std::thread::spawn(move || (0..100).map(|_| ids.next()).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<uuid::Uuid> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        assert!(all.iter().all(|id| id.get_version_num() == 4));
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 400, "every id is distinct across threads");
    }

    #[test]
    fn bearer_value_follows_the_token_and_is_sensitive() {
        let bearer = BearerHeaders::default();
        let mut headers = HeaderMap::new();
        bearer.add(&mut headers, &Secret::new("token-1"));
        assert_eq!(headers[AUTHORIZATION], "Bearer token-1");
        assert!(headers[AUTHORIZATION].is_sensitive());
        bearer.add(&mut headers, &Secret::new("token-1"));
        assert_eq!(headers[AUTHORIZATION], "Bearer token-1");
        bearer.add(&mut headers, &Secret::new("token-2"));
        assert_eq!(headers[AUTHORIZATION], "Bearer token-2");
        assert!(!format!("{bearer:?}").contains("token-2"));
        // A token that cannot be a header value is not sent.
        let mut headers = HeaderMap::new();
        bearer.add(&mut headers, &Secret::new("bad\ntoken"));
        assert!(headers.get(AUTHORIZATION).is_none());
    }

    #[test]
    fn constant_headers() {
        let ids = RequestIds::new();
        let id = ids.next_header();
        let mut headers = ConstantHeaders::new(None).for_request(&id);
        ConstantHeaders::add_json_content_type(&mut headers);
        assert_eq!(headers[ACCEPT], "application/json");
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        assert_eq!(headers[CLIENT_REQUEST_ID], id);
        let agent = headers[USER_AGENT].to_str().unwrap();
        assert!(agent.starts_with("keyvault-secrets/0."), "{agent}");
        assert!(!agent.contains("azsdk"), "{agent}");
        let headers = ConstantHeaders::new(Some("billing-api")).for_request(&id);
        let agent = headers[USER_AGENT].to_str().unwrap();
        assert!(
            agent.starts_with("billing-api keyvault-secrets/0."),
            "{agent}"
        );
    }
}
