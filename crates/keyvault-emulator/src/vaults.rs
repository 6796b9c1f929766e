//! Several vaults in one process, selected by the `Host` a request names:
//! `NAME.vault.localhost` (any name, made on first use) or `NAME.<anything>`
//! for a configured name. Any other host reaches the default vault.

/// The host suffix that selects a vault by its first label.
pub(crate) const HOST_STYLE_SUFFIX: &str = ".vault.localhost";

/// The vault a request reaches, when it is not the default one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedVault {
    /// The vault name (lowercase): its store's key.
    pub name: String,
    /// `scheme://host[:port]` as the client addressed it.
    pub origin: String,
    /// The challenge `resource`: the origin without the vault's label, so
    /// the vault host is a subdomain of it as the SDKs require.
    pub challenge_resource: String,
}

/// The configured vault names and the scheme they are served with.
#[derive(Debug, Clone, Default)]
pub(crate) struct VaultNames {
    scheme: &'static str,
    configured: Vec<String>,
    /// The advertised host: always the default vault.
    advertised: String,
}

/// Whether `name` is a valid vault name (3-24 letters, digits and `-`,
/// starting with a letter), as the service requires.
pub(crate) fn valid_vault_name(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl VaultNames {
    pub(crate) fn new(tls: bool, configured: &[String], advertised: &str) -> Self {
        Self {
            scheme: if tls { "https" } else { "http" },
            configured: configured.iter().map(|n| n.to_ascii_lowercase()).collect(),
            advertised: advertised.to_ascii_lowercase(),
        }
    }

    /// The named vault a `Host` header selects, or `None` for the default vault.
    pub(crate) fn select(&self, host_header: Option<&str>) -> Option<NamedVault> {
        let authority = host_header?.trim().to_ascii_lowercase();
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') && !h.contains(':') => (h.to_owned(), Some(p)),
            _ => (authority.clone(), None),
        };
        if host == self.advertised {
            return None;
        }
        let (label, rest) = host.split_once('.')?;
        let host_style = host.ends_with(HOST_STYLE_SUFFIX) && rest == &HOST_STYLE_SUFFIX[1..];
        let listed = self.configured.iter().any(|n| n == label);
        if !(host_style || listed) || !valid_vault_name(label) {
            return None;
        }
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        Some(NamedVault {
            name: label.to_owned(),
            origin: format!("{}://{authority}", self.scheme),
            challenge_resource: format!("{}://{rest}{port}", self.scheme),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_select_vaults_by_their_first_label() {
        let names = VaultNames::new(
            true,
            &["Team-A".to_owned(), "kv".to_owned()],
            "KV.example.test",
        );
        let v = names.select(Some("kv1.vault.localhost:8443")).unwrap();
        assert_eq!(v.name, "kv1");
        assert_eq!(v.origin, "https://kv1.vault.localhost:8443");
        assert_eq!(v.challenge_resource, "https://vault.localhost:8443");
        let v = names.select(Some("team-a.kv.internal")).unwrap();
        assert_eq!(v.name, "team-a");
        assert_eq!(v.challenge_resource, "https://kv.internal");
        for default in [
            None,
            Some("127.0.0.1:8443"),
            Some("localhost"),
            Some("kv-emulator:8443"),
            Some("other.kv.internal"),
            Some("a.b.vault.localhost"),
            Some("x_y.vault.localhost"),
            Some("[::1]:8443"),
            Some("kv.example.test:8443"),
        ] {
            assert_eq!(names.select(default), None, "{default:?}");
        }
        assert!(valid_vault_name("kv-1"));
        assert!(!valid_vault_name("1kv"));
        assert!(!valid_vault_name("kv"));
    }
}
