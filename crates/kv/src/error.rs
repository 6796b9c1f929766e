//! [`KvError`]: what went wrong, said so that a user can act on it, with
//! the HTTP status and a code for scripts.

use credential_core::CredentialError;
use keyvault_secrets::Error;
use serde::Serialize;

/// An operation's error as printed: `{"message","statusCode","code"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KvError {
    /// What went wrong and what to do about it.
    pub message: String,
    /// The vault's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// The vault's error code (`SecretNotFound`, `Forbidden`, ...) or one of
    /// kv's own (`UsageError`, `InvalidVaultUrl`, `CredentialUnavailable`,
    /// `AuthenticationFailed`, `VaultUnreachable`, `NotKeyVault`,
    /// `InvalidInput`, `FileError`).
    pub code: Option<String>,
    /// Whether this is a usage error (exit status 2).
    #[serde(skip)]
    pub usage: bool,
}

impl KvError {
    /// An error with kv's own code and no status.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            status_code: None,
            code: Some(code.to_owned()),
            usage: false,
        }
    }

    /// A usage error (exit status 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            usage: true,
            ..Self::new("UsageError", message)
        }
    }
}

/// What an operation was doing, so that errors can name it.
#[derive(Debug, Clone, Copy)]
pub struct Doing<'a> {
    /// The verb: "read", "set", "delete", ...
    pub verb: &'a str,
    /// The secret's name, when there is one.
    pub name: Option<&'a str>,
    /// Whether the operation is on deleted secrets.
    pub deleted: bool,
    /// The vault URL.
    pub vault: &'a str,
}

/// `error` and its causes, as kv prints them: each message once, joined by
/// `: `, or each cause on a line of its own once the text spans lines (a
/// chain's list of attempts).
pub fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(if text.contains('\n') {
            "\ncaused by: "
        } else {
            ": "
        });
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Says what a credential error means for the user.
pub fn from_credential(error: &CredentialError) -> KvError {
    let unavailable = error.is_unavailable();
    let error = report(error);
    if unavailable {
        KvError::new(
            "CredentialUnavailable",
            format!(
                "no credential is available to sign in to Key Vault. {error}\n\
                 To try one credential only, pass --credential (e.g. --credential azureclicredential)."
            ),
        )
    } else {
        KvError::new(
            "AuthenticationFailed",
            format!("could not sign in to Key Vault: {error}"),
        )
    }
}

/// Says what a client error means for the user.
pub fn from_client(error: &Error, doing: Doing<'_>) -> KvError {
    let subject = match doing.name {
        Some(name) if doing.deleted => format!("deleted secret '{name}'"),
        Some(name) => format!("secret '{name}'"),
        None if doing.deleted => "deleted secrets".to_owned(),
        None => "secrets".to_owned(),
    };
    let vault = doing.vault;
    match error {
        Error::Service(service) => {
            let detail = service
                .message()
                .map(|m| format!(" (Key Vault: {m})"))
                .unwrap_or_default();
            let message = match service.status().as_u16() {
                404 if doing.deleted => format!(
                    "{subject} not found in {vault}{detail}. `kv secret list-deleted` lists the deleted secrets."
                ),
                404 => format!(
                    "{subject} not found in {vault}{detail}. `kv secret list` lists the secrets; \
                     a deleted secret is shown by `kv secret show-deleted`."
                ),
                403 if service.inner_code() == Some("SecretDisabled") => format!(
                    "{subject} is disabled in {vault}{detail}. Enable it with \
                     `kv secret update NAME --enabled true`."
                ),
                403 => format!(
                    "permission denied: the signed-in identity may not {} {subject} in {vault}{detail}. \
                     Give it a role such as 'Key Vault Secrets Officer' (or an access policy) \
                     on the vault, or sign in as another identity.",
                    doing.verb
                ),
                401 => format!(
                    "Key Vault refused the token for {vault}{detail}. Check that the vault is in \
                     the tenant you signed in to (AZURE_TENANT_ID, `az login --tenant`)."
                ),
                409 => format!("conflict on {subject} in {vault}{detail}"),
                _ => format!("could not {} {subject}: {service}", doing.verb),
            };
            KvError {
                message,
                status_code: Some(service.status().as_u16()),
                code: service.code().map(str::to_owned),
                usage: false,
            }
        }
        Error::Credential(credential) => from_credential(credential),
        Error::Transport { .. } => KvError::new(
            "VaultUnreachable",
            format!(
                "{}. Check the vault URL {vault} (--vault-url, --vault-name or \
                 AZURE_KEYVAULT_URL): is the name right, and is the network reachable?",
                report(error)
            ),
        ),
        Error::Challenge { .. } | Error::MalformedResponse { .. } => KvError {
            message: format!(
                "the server at {vault} does not answer like a Key Vault: {}. \
                 Check the vault URL (--vault-url, --vault-name or AZURE_KEYVAULT_URL).",
                report(error)
            ),
            status_code: error.status().map(u16::from),
            code: Some("NotKeyVault".to_owned()),
            usage: false,
        },
        Error::InvalidInput { .. } => KvError::new("InvalidInput", error.to_string()),
        _ => KvError {
            message: report(error),
            status_code: error.status().map(u16::from),
            code: error.error_code().map(str::to_owned),
            usage: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: &str = "https://v.vault.azure.net/";

    fn doing(name: Option<&'static str>, deleted: bool) -> Doing<'static> {
        Doing {
            verb: "read",
            name,
            deleted,
            vault: VAULT,
        }
    }

    fn service(status: u16, code: &str) -> Error {
        let body = format!(r#"{{"error":{{"code":"{code}","message":"the message"}}}}"#);
        Error::Service(keyvault_secrets::ServiceError::from_response(
            keyvault_secrets::StatusCode::from_u16(status).unwrap(),
            body.as_bytes(),
            None,
        ))
    }

    #[test]
    fn not_found_names_the_secret_and_what_to_do() {
        let e = from_client(&service(404, "SecretNotFound"), doing(Some("db"), false));
        assert_eq!(e.status_code, Some(404));
        assert_eq!(e.code.as_deref(), Some("SecretNotFound"));
        assert!(
            e.message
                .contains("secret 'db' not found in https://v.vault.azure.net/")
        );
        assert!(e.message.contains("kv secret list"));
        let e = from_client(&service(404, "SecretNotFound"), doing(Some("db"), true));
        assert!(e.message.contains("deleted secret 'db' not found"));
    }

    #[test]
    fn forbidden_says_permission_denied_and_how_to_fix() {
        let e = from_client(&service(403, "Forbidden"), doing(Some("db"), false));
        assert!(e.message.starts_with("permission denied"));
        assert!(e.message.contains("Key Vault Secrets Officer"));
        assert_eq!(e.code.as_deref(), Some("Forbidden"));
    }

    #[test]
    fn disabled_secret_is_not_called_permission_denied() {
        let body = br#"{"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled secret.","innererror":{"code":"SecretDisabled"}}}"#;
        let error = Error::Service(keyvault_secrets::ServiceError::from_response(
            keyvault_secrets::StatusCode::FORBIDDEN,
            body,
            None,
        ));
        let e = from_client(&error, doing(Some("db"), false));
        assert!(
            e.message.starts_with("secret 'db' is disabled"),
            "{}",
            e.message
        );
        assert!(e.message.contains("--enabled true"));
    }

    #[test]
    fn credential_unavailable_keeps_the_chain_explanation() {
        let chain = CredentialError::chain_failed(
            "DefaultAzureCredential",
            vec![CredentialError::unavailable(
                "AzureCliCredential",
                "az is not installed",
            )],
            None,
        );
        let e = from_client(&Error::Credential(chain), doing(None, false));
        assert_eq!(e.code.as_deref(), Some("CredentialUnavailable"));
        assert!(e.message.contains("no credential is available"));
        assert!(e.message.contains("az is not installed"));
        assert_eq!(e.status_code, None);
        let stop = CredentialError::authentication("EnvironmentCredential", "bad secret");
        let e = from_credential(&stop);
        assert_eq!(e.code.as_deref(), Some("AuthenticationFailed"));
    }

    #[test]
    fn a_stopped_chain_is_reported_with_each_message_once() {
        let stopper = CredentialError::transport(
            "ManagedIdentityCredential",
            credential_core::TransportErrorKind::Connect,
            "the request to 169.254.169.254 failed",
        )
        .with_source(std::io::Error::other("connection refused"));
        let chain = CredentialError::chain_failed(
            "DefaultAzureCredential",
            vec![
                CredentialError::unavailable("EnvironmentCredential", "no variables"),
                stopper,
            ],
            None,
        );
        let e = from_client(&Error::Credential(chain), doing(None, false));
        assert_eq!(e.code.as_deref(), Some("AuthenticationFailed"));
        for part in [
            "EnvironmentCredential is unavailable: no variables",
            "the request to 169.254.169.254 failed",
            "connection refused",
        ] {
            assert_eq!(
                e.message.matches(part).count(),
                1,
                "{part} in {}",
                e.message
            );
        }
        assert!(
            e.message
                .contains("\ncaused by: ManagedIdentityCredential could not reach")
        );
    }

    #[test]
    fn json_names_are_camel_case() {
        let e = KvError::usage("bad");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"message":"bad","statusCode":null,"code":"UsageError"})
        );
    }
}
