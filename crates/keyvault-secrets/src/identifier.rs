//! [`KeyVaultSecretIdentifier`]: the parts of a secret or deleted-secret id.

use std::fmt;
use std::str::FromStr;

use url::Url;

use crate::error::Error;

/// Which collection an identifier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretCollection {
    /// `/secrets/{name}[/{version}]`.
    Secrets,
    /// `/deletedsecrets/{name}`.
    DeletedSecrets,
}

impl SecretCollection {
    /// The collection's path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secrets => "secrets",
            Self::DeletedSecrets => "deletedsecrets",
        }
    }
}

/// A parsed Key Vault secret id such as
/// `https://myvault.vault.azure.net/secrets/my-secret/0123456789abcdef0123456789abcdef`.
///
/// Rules (`docs/design-rules.md`, "Secret identifiers"): the id must be an absolute `http(s)`
/// URL with a host; empty path segments are ignored (so `…/secrets/name/`
/// has no version); the first segment must be `secrets` (then a name and an
/// optional version) or `deletedsecrets` (then a name only). An explicit
/// port is kept in [`vault_url`](Self::vault_url); `https` with `:443` is the
/// same as no port.
///
/// [`FromStr`] is [`parse`](Self::parse). [`Display`](fmt::Display) writes
/// the canonical id, `{vault_url}/{collection}/{name}[/{version}]`, with
/// every byte of the name and version outside `A-Z a-z 0-9 - _ ~`
/// percent-encoded; parsing it gives the same parts back (while
/// [`source_id`](Self::source_id) keeps the text as it was given).
///
/// ```
/// use keyvault_secrets::KeyVaultSecretIdentifier;
/// let id = KeyVaultSecretIdentifier::parse(
///     "https://myvault.vault.azure.net/secrets/my-secret/abc123",
/// ).unwrap();
/// assert_eq!(id.vault_url, "https://myvault.vault.azure.net");
/// assert_eq!(id.name, "my-secret");
/// assert_eq!(id.version.as_deref(), Some("abc123"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct KeyVaultSecretIdentifier {
    /// The id exactly as given.
    pub source_id: String,
    /// `scheme://host[:port]`, without a trailing slash.
    pub vault_url: String,
    /// The collection the id names.
    pub collection: SecretCollection,
    /// The secret's name.
    pub name: String,
    /// The version, if the id names one.
    pub version: Option<String>,
}

impl fmt::Debug for KeyVaultSecretIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyVaultSecretIdentifier")
            .field("source_id", &self.source_id)
            .field("collection", &self.collection)
            .field("name", &self.name)
            .field("version", &self.version)
            .finish()
    }
}

impl fmt::Display for KeyVaultSecretIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.vault_url)?;
        f.write_str("/")?;
        f.write_str(self.collection.as_str())?;
        f.write_str("/")?;
        write_segment(f, &self.name)?;
        if let Some(version) = &self.version {
            f.write_str("/")?;
            write_segment(f, version)?;
        }
        Ok(())
    }
}

/// Writes `segment` percent-encoded, keeping only the bytes that no URL
/// parser changes or decodes (so `+`, `.` and `%` are encoded too).
fn write_segment(f: &mut fmt::Formatter<'_>, segment: &str) -> fmt::Result {
    for chunk in segment.split_inclusive(|c: char| !is_kept(c)) {
        let (plain, last) = match chunk.char_indices().last() {
            Some((i, c)) if !is_kept(c) => (&chunk[..i], Some(c)),
            _ => (chunk, None),
        };
        f.write_str(plain)?;
        if let Some(c) = last {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                write!(f, "%{b:02X}")?;
            }
        }
    }
    Ok(())
}

fn is_kept(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '~')
}

impl FromStr for KeyVaultSecretIdentifier {
    type Err = Error;

    /// [`KeyVaultSecretIdentifier::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl KeyVaultSecretIdentifier {
    /// Parses a secret or deleted-secret id.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an id that is not an absolute `https` (or `http`) URL of
    /// the form `https://VAULT/secrets/NAME[/VERSION]` (or `deletedsecrets`),
    /// naming what is wrong.
    pub fn parse(id: &str) -> Result<Self, Error> {
        match fast::parse(id.trim()) {
            Some(parts) => Ok(parts.into_identifier(id.to_owned())),
            None => Self::parse_url(id),
        }
    }

    /// [`parse_owned`](Self::parse_owned) for an id from the vault at
    /// `vault` (`scheme://host[:port]` as the client's vault URL writes it):
    /// when the id starts with `vault/`, only its path is checked, as the
    /// host is the client's own. Any other id is parsed in full.
    pub(crate) fn parse_owned_in(id: String, vault: &str) -> Result<Self, Error> {
        let known = id
            .strip_prefix(vault)
            .filter(|path| path.starts_with('/'))
            .and_then(fast::parse_path);
        match known {
            Some((collection, name, version)) => {
                let (name, version) = (name.to_owned(), version.map(str::to_owned));
                Ok(Self {
                    source_id: id,
                    vault_url: vault.to_owned(),
                    collection,
                    name,
                    version,
                })
            }
            None => Self::parse_owned(id),
        }
    }

    /// [`parse`](Self::parse), moving `id` into `source_id` instead of
    /// copying it.
    pub(crate) fn parse_owned(id: String) -> Result<Self, Error> {
        let parsed = match fast::parse(id.trim()) {
            Some(parts) => parts.into_identifier(String::new()),
            None => Self::parse_url(&id)?,
        };
        Ok(Self {
            source_id: id,
            ..parsed
        })
    }

    /// The general parse through [`Url::parse`], for every id outside the
    /// plain shape [`fast::parse`] reads.
    fn parse_url(id: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::invalid_input(format!(
                "'{id}' is not a valid Key Vault secret id: {why} (expected https://{{vault}}/secrets/{{name}}[/{{version}}] or https://{{vault}}/deletedsecrets/{{name}})"
            ))
        };
        let url = Url::parse(id.trim()).map_err(|e| bad(&format!("not an absolute URL ({e})")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(bad("the scheme must be https"));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("it has no host"))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("it has a query or fragment"));
        }
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let collection = match segments.first().copied() {
            Some(c) => SecretCollection::from_segment(c)
                .ok_or_else(|| bad("the collection must be 'secrets' or 'deletedsecrets'"))?,
            None => return Err(bad("the path is empty")),
        };
        if segments.len() < 2 || segments.len() > collection.max_segments() {
            return Err(bad("bad number of path segments"));
        }
        // Percent-decoding only: `&` and `+` are literal in a path (a form
        // decoder would split at `&` and read `+` as a space).
        let decode = |s: &str| {
            let s = s.replace('&', "%26").replace('+', "%2B");
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let vault_url = match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        Ok(Self {
            source_id: id.to_owned(),
            vault_url,
            collection,
            name: decode(segments[1]),
            version: segments.get(2).map(|v| decode(v)),
        })
    }
}

impl SecretCollection {
    /// The collection a first path segment names (case-insensitive).
    fn from_segment(segment: &str) -> Option<Self> {
        if segment.eq_ignore_ascii_case("secrets") {
            Some(Self::Secrets)
        } else if segment.eq_ignore_ascii_case("deletedsecrets") {
            Some(Self::DeletedSecrets)
        } else {
            None
        }
    }

    /// How many non-empty path segments an id in this collection may have.
    fn max_segments(self) -> usize {
        match self {
            Self::Secrets => 3,
            Self::DeletedSecrets => 2,
        }
    }
}

/// A parse by splitting, for the shape every id the service returns has:
/// `http(s)://` in lowercase, a lowercase DNS host or a dotted-quad IPv4
/// address, an optional port, and path segments of `0-9a-zA-Z-` only.
/// For those, `Url::parse` would change nothing but drop a default port,
/// and no segment needs decoding, so the parts are slices of the input.
/// Anything else (`None`) goes through the general parse, which keeps
/// its rules and its error messages.
mod fast {
    use std::fmt::Write;

    use super::{KeyVaultSecretIdentifier, SecretCollection};

    /// The parts of an id, borrowed from it.
    pub(super) struct Parts<'a> {
        scheme: &'static str,
        host: &'a str,
        port: Option<u16>,
        collection: SecretCollection,
        name: &'a str,
        version: Option<&'a str>,
    }

    impl Parts<'_> {
        /// The identifier, with `source_id` as the id.
        pub(super) fn into_identifier(self, source_id: String) -> KeyVaultSecretIdentifier {
            let mut vault_url = String::with_capacity(self.scheme.len() + self.host.len() + 9);
            vault_url.push_str(self.scheme);
            vault_url.push_str("://");
            vault_url.push_str(self.host);
            if let Some(port) = self.port {
                // Writing to a String cannot fail.
                let _ = write!(vault_url, ":{port}");
            }
            KeyVaultSecretIdentifier {
                source_id,
                vault_url,
                collection: self.collection,
                name: self.name.to_owned(),
                version: self.version.map(str::to_owned),
            }
        }
    }

    /// The parts of a plain, valid id; `None` for anything else.
    pub(super) fn parse(id: &str) -> Option<Parts<'_>> {
        let (scheme, rest) = match id.strip_prefix("https://") {
            Some(rest) => ("https", rest),
            None => ("http", id.strip_prefix("http://")?),
        };
        let (authority, path) = rest.split_at(rest.find('/')?);
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if !is_plain_host(host) {
            return None;
        }
        let port = match port {
            Some(digits) => non_default_port(scheme, digits)?,
            None => None,
        };
        let (collection, name, version) = parse_path(path)?;
        Some(Parts {
            scheme,
            host,
            port,
            collection,
            name,
            version,
        })
    }

    /// The collection, name and version of a plain path (`/` and
    /// `0-9a-zA-Z-` only); `None` for anything else.
    pub(super) fn parse_path(path: &str) -> Option<(SecretCollection, &str, Option<&str>)> {
        if !path.bytes().all(|b| b == b'/' || is_plain_segment_byte(b)) {
            return None;
        }
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        let collection = SecretCollection::from_segment(segments.next()?)?;
        let name = segments.next()?;
        let version = segments.next();
        if segments.next().is_some() || (version.is_some() && collection.max_segments() < 3) {
            return None;
        }
        Some((collection, name, version))
    }

    /// A lowercase DNS name whose last label starts with a letter (so it is
    /// not read as an IPv4 address) and has no punycode label, or a
    /// dotted-quad IPv4 address as `Url` writes it.
    fn is_plain_host(host: &str) -> bool {
        is_canonical_ipv4(host) || is_plain_domain(host)
    }

    fn is_plain_domain(host: &str) -> bool {
        let mut labels = host.split('.');
        let last_starts_with_letter = host
            .rsplit('.')
            .next()
            .and_then(|l| l.bytes().next())
            .is_some_and(|b| b.is_ascii_lowercase());
        last_starts_with_letter
            && labels.all(|label| {
                !label.is_empty()
                    && !label.starts_with("xn--")
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
    }

    fn is_canonical_ipv4(host: &str) -> bool {
        let mut count = 0;
        let all_octets = host.split('.').all(|part| {
            count += 1;
            (part == "0" || !part.starts_with('0'))
                && part.bytes().all(|b| b.is_ascii_digit())
                && part.parse::<u8>().is_ok()
        });
        all_octets && count == 4
    }

    /// The port, `None` inside when it is the scheme's default; `None`
    /// outside when the digits are not a plain port number.
    fn non_default_port(scheme: &str, digits: &str) -> Option<Option<u16>> {
        if digits.is_empty()
            || digits.starts_with('0')
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let port: u16 = digits.parse().ok()?;
        let default = if scheme == "https" { 443 } else { 80 };
        Some((port != default).then_some(port))
    }

    /// A byte a path segment may hold without `Url` changing or decoding it.
    fn is_plain_segment_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'-'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_and_deleted_ids() {
        let id = KeyVaultSecretIdentifier::parse("https://v.vault.azure.net/secrets/n").unwrap();
        assert_eq!((id.name.as_str(), id.version.as_deref()), ("n", None));
        let id = KeyVaultSecretIdentifier::parse("https://v.vault.azure.net/secrets/n/").unwrap();
        assert_eq!(id.version, None);
        let id =
            KeyVaultSecretIdentifier::parse("https://v.vault.azure.net:8443/secrets/n/pending")
                .unwrap();
        assert_eq!(id.vault_url, "https://v.vault.azure.net:8443");
        assert_eq!(id.version.as_deref(), Some("pending"));
        let id = KeyVaultSecretIdentifier::parse("https://v.vault.azure.net:443/deletedsecrets/n")
            .unwrap();
        assert_eq!(id.vault_url, "https://v.vault.azure.net");
        assert_eq!(id.collection, SecretCollection::DeletedSecrets);
    }

    #[test]
    fn parse_owned_matches_parse() {
        for id in [
            "https://v.vault.azure.net/secrets/n/abc",
            " https://V.vault.azure.net:443/secrets/a%2Db/ ",
        ] {
            let owned = KeyVaultSecretIdentifier::parse_owned(id.to_owned()).unwrap();
            assert_eq!(owned, KeyVaultSecretIdentifier::parse(id).unwrap());
        }
        let err = KeyVaultSecretIdentifier::parse_owned("https://v/keys/n".into()).unwrap_err();
        assert!(err.to_string().contains("not a valid Key Vault secret id"));
    }

    #[test]
    fn parse_owned_in_matches_parse_owned() {
        let vault = "https://v.vault.azure.net";
        for id in [
            "https://v.vault.azure.net/secrets/n/abc",
            "https://v.vault.azure.net/secrets/n",
            "https://v.vault.azure.net/deletedsecrets/n",
            "https://v.vault.azure.net/secrets/a%2Db/",
            "https://v.vault.azure.net:443/secrets/n/abc",
            "https://other.vault.azure.net/secrets/n/abc",
            "https://v.vault.azure.net.evil/secrets/n",
            "http://127.0.0.1:8443/secrets/n/v",
        ] {
            let fast = KeyVaultSecretIdentifier::parse_owned_in(id.to_owned(), vault).unwrap();
            assert_eq!(
                fast,
                KeyVaultSecretIdentifier::parse_owned(id.to_owned()).unwrap()
            );
        }
        let vault = "http://127.0.0.1:8443";
        let id = KeyVaultSecretIdentifier::parse_owned_in(
            "http://127.0.0.1:8443/secrets/n/v".to_owned(),
            vault,
        )
        .unwrap();
        assert_eq!(id.vault_url, vault);
        assert_eq!((id.name.as_str(), id.version.as_deref()), ("n", Some("v")));
        for bad in [
            "https://v.vault.azure.net/keys/n",
            "https://v.vault.azure.net/secrets/n/v/extra",
            "https://v.vault.azure.net/deletedsecrets/n/v",
            "https://v.vault.azure.net/secrets/n?x=1",
            "https://v.vault.azure.net/secrets",
        ] {
            let err = KeyVaultSecretIdentifier::parse_owned_in(bad.to_owned(), vault).unwrap_err();
            assert!(
                err.to_string().contains("not a valid Key Vault secret id"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "not a url",
            "ftp://v.vault.azure.net/secrets/n",
            "https://v.vault.azure.net",
            "https://v.vault.azure.net/secrets",
            "https://v.vault.azure.net/keys/n",
            "https://v.vault.azure.net/secrets/n/v/extra",
            "https://v.vault.azure.net/deletedsecrets/n/v",
            "https://v.vault.azure.net/secrets/n?x=1",
        ] {
            let err = KeyVaultSecretIdentifier::parse(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err}");
            assert!(
                err.to_string().contains("not a valid Key Vault secret id"),
                "{err}"
            );
        }
    }

    /// The split parse gives exactly what the general parse gives, for
    /// every id it accepts.
    fn assert_fast_agrees(id: &str) {
        if fast::parse(id.trim()).is_some() {
            let fast = KeyVaultSecretIdentifier::parse(id).unwrap();
            let full = KeyVaultSecretIdentifier::parse_url(id).unwrap();
            assert_eq!(fast, full, "{id}");
            let owned = KeyVaultSecretIdentifier::parse_owned(id.to_owned()).unwrap();
            assert_eq!(owned, full, "{id}");
            assert_eq!(fast.vault_url, full.vault_url, "{id}");
        }
    }

    #[test]
    fn fast_parse_takes_plain_ids_only() {
        for plain in [
            "https://v.vault.azure.net/secrets/n/0123abcd",
            "https://v.vault.azure.net/secrets/n/",
            "https://v.vault.azure.net:443/secrets/n",
            "https://v.vault.azure.net:8443/deletedsecrets/n",
            "http://127.0.0.1:8080/secrets/My-Name/v1",
            "http://localhost:80/SECRETS/n",
            "https://v.vault.azure.net//secrets//n//",
        ] {
            assert!(fast::parse(plain).is_some(), "{plain}");
            assert_fast_agrees(plain);
        }
        for other in [
            "HTTPS://v.vault.azure.net/secrets/n",
            "https://V.vault.azure.net/secrets/n",
            "https://xn--bcher-kva.example/secrets/n",
            "https://v.vault.azure.123/secrets/n",
            "https://127.1/secrets/n",
            "https://127.0.0.01/secrets/n",
            "https://[::1]/secrets/n",
            "https://u@v.vault.azure.net/secrets/n",
            "https://v.vault.azure.net:/secrets/n",
            "https://v.vault.azure.net:0443/secrets/n",
            "https://v.vault.azure.net/secrets/a%2Db",
            "https://v.vault.azure.net/secrets/a+b",
            "https://v.vault.azure.net/secrets/./n",
            "https://v.vault.azure.net/secrets/n?x=1",
            "https://v.vault.azure.net/keys/n",
            "https://v.vault.azure.net/deletedsecrets/n/v",
            "https://v.vault.azure.net/secrets/n/v/extra",
            "https://v.vault.azure.net",
        ] {
            assert!(fast::parse(other).is_none(), "{other}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn fast_parse_agrees_with_url_parse(
            scheme in "https?",
            host in "[a-z0-9.-]{1,20}",
            port in proptest::option::of("[0-9]{1,6}"),
            path in "(/[a-zA-Z0-9-]{0,8}){0,5}",
        ) {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            assert_fast_agrees(&format!("{scheme}://{host}{port}{path}"));
            assert_fast_agrees(&format!("{scheme}://{host}{port}/secrets{path}"));
        }
    }
}

#[cfg(test)]
mod text_form {
    use super::*;
    use proptest::prelude::*;

    /// The parts, without the text as given.
    fn parts(id: &KeyVaultSecretIdentifier) -> (&str, SecretCollection, &str, Option<&str>) {
        (
            &id.vault_url,
            id.collection,
            &id.name,
            id.version.as_deref(),
        )
    }

    fn assert_round_trips(text: &str) {
        let Ok(id) = text.parse::<KeyVaultSecretIdentifier>() else {
            return;
        };
        let shown = id.to_string();
        let again: KeyVaultSecretIdentifier = shown
            .parse()
            .unwrap_or_else(|e| panic!("{text:?} -> {shown:?}: {e}"));
        assert_eq!(parts(&again), parts(&id), "{text:?} -> {shown:?}");
        assert_eq!(again.to_string(), shown, "{text:?}");
        assert_eq!(again.source_id, shown);
    }

    #[test]
    fn display_edge_cases() {
        for (text, shown) in [
            (
                "https://v.vault.azure.net/secrets/n/abc",
                "https://v.vault.azure.net/secrets/n/abc",
            ),
            (
                " https://V.vault.azure.net:443/secrets/n/ ",
                "https://v.vault.azure.net/secrets/n",
            ),
            (
                "https://v.vault.azure.net:8443/deletedsecrets/n",
                "https://v.vault.azure.net:8443/deletedsecrets/n",
            ),
            (
                "http://127.0.0.1:8080/SECRETS/n",
                "http://127.0.0.1:8080/secrets/n",
            ),
            ("https://[::1]:9/secrets/n", "https://[::1]:9/secrets/n"),
            (
                "https://v/secrets/a%2Bb/...",
                "https://v/secrets/a%2Bb/%2E%2E%2E",
            ),
            ("https://v/secrets/a/%2E", "https://v/secrets/a"),
            ("https://v/secrets/a+b", "https://v/secrets/a%2Bb"),
            ("https://v/secrets/a&b=c", "https://v/secrets/a%26b%3Dc"),
            ("https://v/secrets/%C3%A9%25", "https://v/secrets/%C3%A9%25"),
            ("https://v/secrets/%FF", "https://v/secrets/%EF%BF%BD"),
        ] {
            let id: KeyVaultSecretIdentifier = text.parse().unwrap();
            assert_eq!(id.to_string(), shown, "{text:?}");
            assert_round_trips(text);
        }
        let err = "https://v/keys/n"
            .parse::<KeyVaultSecretIdentifier>()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("expected https://{vault}/secrets/{name}"),
            "{err}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn display_and_parse_round_trip(
            host in prop::sample::select(vec!["https://v.vault.azure.net", "http://127.0.0.1:8443", "https://[::1]:9", "https://V.x:443"]),
            collection in prop::sample::select(vec!["secrets", "deletedsecrets", "Secrets"]),
            segments in "(/([a-zA-Z0-9._~+ -]|%[0-9A-Fa-f]{2}|\\PC){0,6}){1,3}/?",
        ) {
            assert_round_trips(&format!("{host}/{collection}{segments}"));
        }
    }
}

#[cfg(test)]
mod shortcut_properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Reading an id with the client's origin known gives what the full
        /// parse gives, for ids on that origin and off it.
        #[test]
        fn knowing_the_origin_changes_nothing(
            origin in prop::sample::select(vec![
                "https://v.vault.azure.net", "http://127.0.0.1:8443", "https://[::1]:9",
            ]),
            host in prop::sample::select(vec![
                "", "https://v.vault.azure.net", "http://127.0.0.1:8443", "https://V.vault.azure.net",
                "https://v.vault.azure.net:443", "https://v.vault.azure.net.x", "https://[::1]:9",
            ]),
            collection in prop::sample::select(vec!["secrets", "deletedsecrets", "keys", "Secrets", ""]),
            segments in "(/[a-zA-Z0-9%._-]{0,6}){0,3}/?",
            tail in "(\\?[a-z=]{0,3})?",
        ) {
            let origin_or_host = if host.is_empty() { origin } else { host };
            let id = format!("{origin_or_host}/{collection}{segments}{tail}");
            let known = KeyVaultSecretIdentifier::parse_owned_in(id.clone(), origin);
            let full = KeyVaultSecretIdentifier::parse_owned(id);
            match (known, full) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(_), Err(_)) => {}
                (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
            }
        }
    }
}
