//! Which vault: `--vault-url`, `--vault-name` (public cloud) or
//! `AZURE_KEYVAULT_URL`, in that order.

use credential_core::Env;

use crate::args::GlobalArgs;
use crate::error::KvError;

/// The environment variable naming the default vault.
pub use credential_core::__private::env_vars::AZURE_KEYVAULT_URL;

/// The DNS suffix of vaults in the public cloud.
pub const PUBLIC_CLOUD_SUFFIX: &str = "vault.azure.net";

/// The vault URL the options and the environment name.
///
/// ```
/// use clap::Parser;
/// let cli = kv::Cli::parse_from(["kv", "--vault-name", "myvault", "secret", "list"]);
/// let url = kv::vault::resolve(&cli.global, &credential_core::Env::empty()).unwrap();
/// assert_eq!(url, "https://myvault.vault.azure.net");
/// ```
///
/// # Errors
/// A usage [`KvError`] when no vault is named (`--vault-url`,
/// `--vault-name` or `AZURE_KEYVAULT_URL`), or an `InvalidVaultUrl` one for
/// a URL or vault name that is not valid.
pub fn resolve(global: &GlobalArgs, env: &Env) -> Result<String, KvError> {
    if let Some(url) = &global.vault_url {
        return Ok(url.trim().to_owned());
    }
    if let Some(name) = &global.vault_name {
        let name = name.trim();
        check_name(name)?;
        return Ok(format!("https://{name}.{PUBLIC_CLOUD_SUFFIX}"));
    }
    env.get(AZURE_KEYVAULT_URL)
        .map(|url| url.trim().to_owned())
        .ok_or_else(|| {
            KvError::usage(format!(
                "which vault? Give --vault-url URL or --vault-name NAME, or set {AZURE_KEYVAULT_URL}"
            ))
        })
}

/// Key Vault names: 3-24 letters, digits and single hyphens, starting with
/// a letter and ending with a letter or digit.
fn check_name(name: &str) -> Result<(), KvError> {
    let ok = (3..=24).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && name.as_bytes()[0].is_ascii_alphabetic()
        && !name.ends_with('-')
        && !name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(KvError::new(
            "InvalidVaultUrl",
            format!(
                "'{name}' is not a Key Vault name (3-24 letters, digits and single hyphens, \
                 starting with a letter); for a vault outside the public cloud give --vault-url"
            ),
        ))
    }
}

/// The error for a vault URL the client refused.
pub fn invalid_url(url: &str, error: &keyvault_secrets::Error) -> KvError {
    KvError::new(
        "InvalidVaultUrl",
        format!(
            "the vault URL '{url}' is not valid ({error}). Give https://NAME.{PUBLIC_CLOUD_SUFFIX} \
             with --vault-url or {AZURE_KEYVAULT_URL}, or the vault's name with --vault-name"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::Cli;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut argv = vec!["kv"];
        argv.extend_from_slice(args);
        argv.extend(["secret", "list"]);
        Cli::try_parse_from(argv).unwrap().global
    }

    #[test]
    fn url_then_name_then_environment() {
        let env = Env::from_pairs([(AZURE_KEYVAULT_URL, "https://env.vault.azure.net/")]);
        assert_eq!(
            resolve(&global(&["--vault-url", "https://a.example"]), &env).unwrap(),
            "https://a.example"
        );
        assert_eq!(
            resolve(&global(&["--vault-name", "my-vault1"]), &env).unwrap(),
            "https://my-vault1.vault.azure.net"
        );
        assert_eq!(
            resolve(&global(&[]), &env).unwrap(),
            "https://env.vault.azure.net/"
        );
    }

    #[test]
    fn no_vault_is_a_usage_error() {
        let e = resolve(&global(&[]), &Env::empty()).unwrap_err();
        assert!(e.usage);
        assert!(e.message.contains("--vault-url"));
        assert!(e.message.contains(AZURE_KEYVAULT_URL));
    }

    #[test]
    fn bad_names_are_refused() {
        for bad in [
            "ab",
            "1abc",
            "abc-",
            "a--b",
            "has.dot",
            "x".repeat(25).as_str(),
        ] {
            let e = resolve(&global(&["--vault-name", bad]), &Env::empty()).unwrap_err();
            assert_eq!(e.code.as_deref(), Some("InvalidVaultUrl"), "{bad}");
            assert!(!e.usage);
        }
    }
}
