//! Checks on every value that goes into a tool's argument vector, run before
//! anything is launched.
//!
//! The allowed characters are the reference SDKs' (`docs/design-rules.md`,
//! "Developer tools"):
//! scopes `0-9 a-z A-Z - _ . : /`, tenants `0-9 a-z A-Z - .`, subscriptions
//! `0-9 a-z A-Z - _ .` and space. On top of that no value may start with `-`,
//! so that no value can be mistaken for an option by the tool's own parser.

use credential_core::__private::entra::{quote_untrusted, validate_scope as core_validate_scope};
use credential_core::CredentialError;

const SUBSCRIPTION_HELP: &str = "If this is the name of a subscription, use its id instead. \
You can find it by following the instructions at https://learn.microsoft.com/azure/azure-portal/get-subscription-tenant-id";

/// Checks one scope (see the module docs).
pub(crate) fn validate_scope(credential: &'static str, scope: &str) -> Result<(), CredentialError> {
    core_validate_scope(credential, scope)?;
    reject_option_like(credential, "scope", scope)
}

/// Checks a tenant id (see the module docs).
pub(crate) fn validate_tenant(
    credential: &'static str,
    tenant: &str,
) -> Result<(), CredentialError> {
    credential_core::__private::entra::validate_tenant_id(credential, tenant)?;
    reject_option_like(credential, "tenant id", tenant)
}

/// Checks a subscription id or name (see the module docs).
pub(crate) fn validate_subscription(
    credential: &'static str,
    subscription: &str,
) -> Result<(), CredentialError> {
    let valid = !subscription.trim().is_empty()
        && subscription
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b' '));
    if !valid {
        return Err(CredentialError::invalid_configuration(
            credential,
            format!(
                "subscription {} contains invalid characters: only letters, digits, '-', '_', '.' and spaces are allowed. {SUBSCRIPTION_HELP}",
                quote_untrusted(subscription)
            ),
        ));
    }
    reject_option_like(credential, "subscription", subscription)
}

/// Checks every scope of a request and that there is at least one.
pub(crate) fn validate_scopes(
    credential: &'static str,
    scopes: &[&str],
) -> Result<(), CredentialError> {
    if scopes.is_empty() {
        return Err(CredentialError::invalid_configuration(
            credential,
            "no scope was given: pass at least one, e.g. \"https://management.azure.com/.default\"",
        ));
    }
    scopes
        .iter()
        .try_for_each(|scope| validate_scope(credential, scope))
}

/// The one scope of a request, for tools that take a single resource.
pub(crate) fn single_scope<'a>(
    credential: &'static str,
    scopes: &[&'a str],
) -> Result<&'a str, CredentialError> {
    validate_scopes(credential, scopes)?;
    match scopes {
        [scope] => Ok(scope),
        _ => Err(CredentialError::invalid_configuration(
            credential,
            format!(
                "this credential gets a token for exactly one scope, but {} were given; request each resource's token separately",
                scopes.len()
            ),
        )),
    }
}

fn reject_option_like(
    credential: &'static str,
    what: &str,
    value: &str,
) -> Result<(), CredentialError> {
    if value.starts_with('-') {
        Err(CredentialError::invalid_configuration(
            credential,
            format!("{what} {} must not start with '-'", quote_untrusted(value)),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &str = "TestCredential";

    #[test]
    fn scopes_reject_injection() {
        assert!(validate_scope(C, "https://vault.azure.net/.default").is_ok());
        assert!(validate_scope(C, "api://my-app_1/.default").is_ok());
        for bad in [
            "",
            "https://x/.default; rm -rf /",
            "https://x/.default\"",
            "https://x/.default'",
            "https://x /.default",
            "https://x/.default\n--debug",
            "$(id)",
            "`id`",
            "a|b",
            "a&b",
            "--tenant",
        ] {
            let err = validate_scope(C, bad).unwrap_err();
            assert!(
                matches!(err, CredentialError::InvalidConfiguration { .. }),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn tenants_reject_injection() {
        assert!(validate_tenant(C, "72f988bf-86f1-41af-91ab-2d7cd011db47").is_ok());
        assert!(validate_tenant(C, "contoso.onmicrosoft.com").is_ok());
        for bad in ["", "a;b", "a b", "a\"b", "a'b", "a\nb", "a/b", "-x"] {
            assert!(validate_tenant(C, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn subscriptions_allow_spaces_but_not_quotes() {
        assert!(validate_subscription(C, "My Subscription_1.0").is_ok());
        assert!(validate_subscription(C, "00000000-0000-0000-0000-000000000000").is_ok());
        for bad in ["", "  ", "a;b", "a\"b", "a'b", "a\nb", "a$b", "--debug"] {
            let err = validate_subscription(C, bad).unwrap_err();
            assert!(err.to_string().contains("subscription"), "{err}");
        }
    }

    #[test]
    fn single_scope_requires_exactly_one() {
        assert_eq!(single_scope(C, &["a/.default"]).unwrap(), "a/.default");
        assert!(single_scope(C, &[]).is_err());
        assert!(single_scope(C, &["a", "b"]).is_err());
    }
}
