//! Input checks made before anything is sent.

use credential_core::__private::is_loopback;
use url::Url;

use crate::error::Error;

/// The largest secret value accepted: 25 KiB (the service stores at most
/// "25k bytes").
pub const MAX_SECRET_VALUE_BYTES: usize = 25 * 1024;

/// Checks a secret name: 1 to 127 characters of `0-9`, `a-z`, `A-Z`, `-`.
pub(crate) fn secret_name(name: &str) -> Result<(), Error> {
    if name.is_empty()
        || name.len() > 127
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(Error::invalid_input(format!(
            "'{}' is not a valid secret name: use 1 to 127 characters, only 0-9, a-z, A-Z and '-'",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// Checks a version: letters and digits only (service versions are 32 hex
/// characters).
pub(crate) fn version(version: &str) -> Result<(), Error> {
    if version.len() > 64 || !version.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid_input(format!(
            "'{}' is not a valid secret version: use letters and digits only",
            version.escape_debug()
        )));
    }
    Ok(())
}

/// Checks a secret value's size.
pub(crate) fn secret_value(value: &str) -> Result<(), Error> {
    if value.len() > MAX_SECRET_VALUE_BYTES {
        return Err(Error::invalid_input(format!(
            "the secret value is {} bytes; Key Vault accepts at most {MAX_SECRET_VALUE_BYTES} bytes (25 KiB)",
            value.len()
        )));
    }
    Ok(())
}

/// Parses a vault URL: `https://` (or `http://` to a loopback host, or to
/// any host when `allow_insecure_http`), a host, no query, fragment or
/// credentials, and optionally a path of plain segments (a gateway in front
/// of the vault).
pub(crate) fn vault_url(vault_url: &str, allow_insecure_http: bool) -> Result<Url, Error> {
    let bad = |why: &str| Error::invalid_input(format!("the vault URL '{vault_url}' {why}"));
    let trimmed = vault_url.trim().trim_end_matches('/');
    let url = Url::parse(trimmed).map_err(|e| bad(&format!("is not an absolute URL ({e})")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(bad(
                "uses plain http; tokens are only sent over https (plain http is allowed for loopback emulators, or any host with SecretClientBuilder::with_insecure_http)",
            ));
        }
        _ => return Err(bad("must start with https://")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "must be scheme, host and optionally a path, e.g. https://myvault.vault.azure.net",
        ));
    }
    let plain = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    };
    let segments: Vec<&str> = url.path_segments().into_iter().flatten().collect();
    if segments
        .iter()
        .any(|s| !plain(s) || *s == "." || *s == "..")
        || (segments.len() > 1 && segments.iter().any(|s| s.is_empty()))
    {
        return Err(bad(
            "has a path with characters other than letters, digits, '-', '_', '.' and '~' (or an empty segment)",
        ));
    }
    Ok(url)
}

/// Checks an application id for the `User-Agent`: 1 to 24 visible ASCII
/// characters without spaces.
pub(crate) fn application_id(id: &str) -> Result<(), Error> {
    if id.is_empty() || id.len() > 24 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_input(format!(
            "'{}' is not a valid application id: use 1 to 24 visible ASCII characters without spaces",
            id.escape_debug()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(secret_name("a").is_ok());
        assert!(secret_name("My-Secret-01").is_ok());
        assert!(secret_name(&"a".repeat(127)).is_ok());
        for bad in ["", "a_b", "a b", "a/b", "é", "a.b", &"a".repeat(128)] {
            let err = secret_name(bad).unwrap_err();
            assert!(err.to_string().contains("not a valid secret name"), "{err}");
        }
    }

    #[test]
    fn values() {
        assert!(secret_value(&"x".repeat(MAX_SECRET_VALUE_BYTES)).is_ok());
        let err = secret_value(&"x".repeat(MAX_SECRET_VALUE_BYTES + 1)).unwrap_err();
        assert!(err.to_string().contains("at most 25600 bytes"), "{err}");
    }

    #[test]
    fn vault_urls() {
        assert_eq!(
            vault_url("https://v.vault.azure.net/", false)
                .unwrap()
                .as_str(),
            "https://v.vault.azure.net/"
        );
        assert!(vault_url("http://127.0.0.1:8080", false).is_ok());
        assert!(vault_url("http://localhost:8080", false).is_ok());
        assert_eq!(
            vault_url("https://gateway.example.com/kv/vault-1/", false)
                .unwrap()
                .path(),
            "/kv/vault-1"
        );
        for bad in [
            "http://v.vault.azure.net",
            "ftp://v.vault.azure.net",
            "v.vault.azure.net",
            "https://v.vault.azure.net/a%20b",
            "https://v.vault.azure.net/a//b",
            "https://u:p@v.vault.azure.net",
            "https://v.vault.azure.net?x=1",
        ] {
            assert!(
                matches!(vault_url(bad, false), Err(Error::InvalidInput { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn plain_http_to_another_host_needs_the_opt_in() {
        let err = vault_url("http://kv-emulator:8443", false).unwrap_err();
        assert!(err.to_string().contains("with_insecure_http"), "{err}");
        assert!(vault_url("http://kv-emulator:8443", true).is_ok());
        assert!(vault_url("ftp://kv-emulator", true).is_err());
    }

    #[test]
    fn application_ids() {
        assert!(application_id("billing-api/2").is_ok());
        for bad in ["", "has space", &"a".repeat(25), "tab\t"] {
            assert!(application_id(bad).is_err(), "{bad}");
        }
    }
}
