//! Property tests of `KeyVaultSecretIdentifier::parse`: no input panics,
//! and ids built from valid parts round-trip.
#![allow(clippy::unwrap_used)]

use keyvault_secrets::{KeyVaultSecretIdentifier, SecretCollection};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_never_panics(id in ".{0,120}") {
        let _ = KeyVaultSecretIdentifier::parse(&id);
    }

    #[test]
    fn url_shaped_text_never_panics(
        scheme in prop::sample::select(vec!["https", "http", "ftp", "HTTPS", ""]),
        host in "[a-zA-Z0-9.:\\[\\]%@-]{0,30}",
        path in "(/[a-zA-Z0-9%._~+-]{0,12}){0,5}/?",
        tail in "(\\?[a-z=]{0,5})?(#[a-z]{0,3})?",
    ) {
        let _ = KeyVaultSecretIdentifier::parse(&format!("{scheme}://{host}{path}{tail}"));
    }

    #[test]
    fn valid_ids_round_trip(
        // A Key Vault name: a letter, then letters, digits and single
        // hyphens (never two in a row, so never an `xn--` punycode label).
        vault in "[a-z]([a-z0-9]|-[a-z0-9]){2,20}",
        port in prop::option::of(1u16..65535),
        name in "[0-9a-zA-Z-]{1,127}",
        version in prop::option::of("[0-9a-f]{32}"),
        deleted in any::<bool>(),
        trailing_slash in any::<bool>(),
    ) {
        let origin = match port {
            Some(p) if p != 443 => format!("https://{vault}.vault.azure.net:{p}"),
            _ => format!("https://{vault}.vault.azure.net"),
        };
        let (collection, version) = if deleted { ("deletedsecrets", None) } else { ("secrets", version) };
        let mut id = format!("{origin}/{collection}/{name}");
        if let Some(v) = &version {
            id.push('/');
            id.push_str(v);
        }
        if trailing_slash {
            id.push('/');
        }
        let parsed = KeyVaultSecretIdentifier::parse(&id).unwrap();
        prop_assert_eq!(&parsed.source_id, &id);
        prop_assert_eq!(&parsed.vault_url, &origin);
        prop_assert_eq!(&parsed.name, &name);
        prop_assert_eq!(&parsed.version, &version);
        prop_assert_eq!(parsed.collection, if deleted { SecretCollection::DeletedSecrets } else { SecretCollection::Secrets });
        // Rebuilding the id from its parts parses to the same parts.
        let mut rebuilt = format!("{}/{}/{}", parsed.vault_url, parsed.collection.as_str(), parsed.name);
        if let Some(v) = &parsed.version {
            rebuilt.push('/');
            rebuilt.push_str(v);
        }
        let again = KeyVaultSecretIdentifier::parse(&rebuilt).unwrap();
        prop_assert_eq!((again.vault_url, again.name, again.version), (parsed.vault_url, parsed.name, parsed.version));
    }
}
