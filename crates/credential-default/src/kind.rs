//! [`CredentialKind`]: the links of the default chain, and the
//! `AZURE_TOKEN_CREDENTIALS` selection among them.

use std::fmt;
use std::str::FromStr;

/// The environment variable that narrows the default chain.
pub use credential_core::__private::env_vars::AZURE_TOKEN_CREDENTIALS;
use credential_core::CredentialError;
use credential_core::__private::credential_names;

use crate::NAME;

/// One link of the default chain, in chain order.
///
/// ```
/// use credential_default::CredentialKind;
/// assert_eq!(CredentialKind::AzureCli.name(), "AzureCliCredential");
/// assert_eq!(CredentialKind::all().next(), Some(CredentialKind::Environment));
/// // The text form is the name, parsed in any case.
/// assert_eq!(CredentialKind::AzureCli.to_string(), "AzureCliCredential");
/// assert_eq!("azureclicredential".parse(), Ok(CredentialKind::AzureCli));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialKind {
    /// `EnvironmentCredential` (a service principal in `AZURE_*` variables).
    Environment,
    /// `WorkloadIdentityCredential` (AKS workload identity).
    WorkloadIdentity,
    /// `ManagedIdentityCredential` (the Azure resource's identity).
    ManagedIdentity,
    /// `AzureCliCredential` (`az login`).
    AzureCli,
    /// `AzurePowerShellCredential` (`Connect-AzAccount`).
    AzurePowerShell,
    /// `AzureDeveloperCliCredential` (`azd auth login`).
    AzureDeveloperCli,
}

/// Every link, in chain order.
const ALL: &[CredentialKind] = &[
    CredentialKind::Environment,
    CredentialKind::WorkloadIdentity,
    CredentialKind::ManagedIdentity,
    CredentialKind::AzureCli,
    CredentialKind::AzurePowerShell,
    CredentialKind::AzureDeveloperCli,
];

/// The `AZURE_TOKEN_CREDENTIALS` value for the developer tools.
const DEV: &str = "dev";
/// The `AZURE_TOKEN_CREDENTIALS` value for the deployment credentials.
const PROD: &str = "prod";

impl CredentialKind {
    /// Every link, in chain order.
    pub fn all() -> impl ExactSizeIterator<Item = CredentialKind> + Clone {
        ALL.iter().copied()
    }

    /// The credential's type name, as errors carry it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Environment => credential_names::ENVIRONMENT,
            Self::WorkloadIdentity => credential_names::WORKLOAD_IDENTITY,
            Self::ManagedIdentity => credential_names::MANAGED_IDENTITY,
            Self::AzureCli => credential_names::AZURE_CLI,
            Self::AzurePowerShell => credential_names::AZURE_POWERSHELL,
            Self::AzureDeveloperCli => credential_names::AZURE_DEVELOPER_CLI,
        }
    }

    /// A developer tool (`dev` group) rather than a deployment credential
    /// (`prod` group).
    pub fn is_developer_tool(self) -> bool {
        matches!(
            self,
            Self::AzureCli | Self::AzurePowerShell | Self::AzureDeveloperCli
        )
    }

    /// What a user does to make this credential work, for the chain's help.
    pub(crate) fn setup_hint(self) -> &'static str {
        match self {
            Self::Environment => {
                "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET \
                 (or AZURE_CLIENT_CERTIFICATE_PATH) for a service principal"
            }
            Self::WorkloadIdentity => {
                "on Kubernetes, enable workload identity so that AZURE_TENANT_ID, \
                 AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE are set"
            }
            Self::ManagedIdentity => "run on an Azure resource with a managed identity enabled",
            Self::AzureCli => "sign in with `az login`",
            Self::AzurePowerShell => "sign in with `Connect-AzAccount` (Az.Accounts module)",
            Self::AzureDeveloperCli => "sign in with `azd auth login`",
        }
    }
}

impl fmt::Display for CredentialKind {
    /// The credential's name ([`CredentialKind::name`]), which
    /// [`FromStr`] parses back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CredentialKind {
    type Err = ParseCredentialKindError;

    /// Parses a credential's name ([`CredentialKind::name`]), trimmed, in
    /// any case.
    ///
    /// # Errors
    /// [`ParseCredentialKindError`], listing the valid names, when `text`
    /// names no credential of the chain.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        Self::all()
            .find(|k| k.name().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| ParseCredentialKindError {
                input: text.to_owned(),
            })
    }
}

/// A text that names no credential of the default chain; its message lists
/// the valid names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCredentialKindError {
    input: String,
}

impl ParseCredentialKindError {
    /// The text that was parsed.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for ParseCredentialKindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a credential of the default chain; valid values (any case) are: ",
            self.input
        )?;
        for (i, kind) in CredentialKind::all().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(kind.name())?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseCredentialKindError {}

/// Every value `AZURE_TOKEN_CREDENTIALS` accepts (trimmed, in any case), as
/// written in errors and help: `dev`, `prod`, then each credential's name in
/// lower case, in chain order. Command-line tools take their choices from
/// here.
///
/// ```
/// let values: Vec<String> = credential_default::token_credentials_values().collect();
/// assert_eq!(values[..3], ["dev", "prod", "environmentcredential"]);
/// ```
pub fn token_credentials_values() -> impl Iterator<Item = String> {
    [DEV.to_owned(), PROD.to_owned()]
        .into_iter()
        .chain(CredentialKind::all().map(|k| k.name().to_ascii_lowercase()))
}

/// What `AZURE_TOKEN_CREDENTIALS` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Unset or blank: the whole chain.
    All,
    /// `dev`: the developer tools.
    Dev,
    /// `prod`: environment, workload identity, managed identity.
    Prod,
    /// One credential's name.
    Only(CredentialKind),
}

impl Selection {
    /// Whether the selection includes `kind`.
    pub(crate) fn includes(self, kind: CredentialKind) -> bool {
        match self {
            Self::All => true,
            Self::Dev => kind.is_developer_tool(),
            Self::Prod => !kind.is_developer_tool(),
            Self::Only(only) => only == kind,
        }
    }

    /// Parses the variable's value (`None` or blank = unset): trimmed, any case.
    pub(crate) fn parse(value: Option<&str>) -> Result<Self, CredentialError> {
        let Some(raw) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Self::All);
        };
        if raw.eq_ignore_ascii_case(DEV) {
            return Ok(Self::Dev);
        }
        if raw.eq_ignore_ascii_case(PROD) {
            return Ok(Self::Prod);
        }
        raw.parse::<CredentialKind>().map(Self::Only).map_err(|_| {
            CredentialError::invalid_configuration(
                NAME,
                format!(
                    "invalid value for {AZURE_TOKEN_CREDENTIALS}: '{raw}'. Valid values \
                         (trimmed, any case) are: {}",
                    token_credentials_values().collect::<Vec<_>>().join(", ")
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_groups_and_names_in_any_case() {
        assert_eq!(Selection::parse(None).unwrap(), Selection::All);
        assert_eq!(Selection::parse(Some("  ")).unwrap(), Selection::All);
        assert_eq!(Selection::parse(Some(" DEV ")).unwrap(), Selection::Dev);
        assert_eq!(Selection::parse(Some("Prod")).unwrap(), Selection::Prod);
        for kind in CredentialKind::all() {
            assert_eq!(
                Selection::parse(Some(&kind.name().to_ascii_uppercase())).unwrap(),
                Selection::Only(kind)
            );
        }
    }

    #[test]
    fn display_and_from_str_round_trip() {
        assert_eq!(CredentialKind::all().len(), 6);
        for kind in CredentialKind::all() {
            let text = kind.to_string();
            assert_eq!(text, kind.name());
            assert_eq!(text.parse::<CredentialKind>(), Ok(kind));
            assert_eq!(
                format!(" {} ", text.to_ascii_uppercase()).parse::<CredentialKind>(),
                Ok(kind)
            );
        }
    }

    #[test]
    fn parse_error_lists_every_name() {
        let err = "AzureCli".parse::<CredentialKind>().unwrap_err();
        assert_eq!(err.input(), "AzureCli");
        assert_eq!(
            err.to_string(),
            "'AzureCli' is not a credential of the default chain; valid values (any case) are: \
             EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential, \
             AzureCliCredential, AzurePowerShellCredential, AzureDeveloperCliCredential"
        );
        // The groups are values of the variable, not credentials.
        assert!("dev".parse::<CredentialKind>().is_err());
    }

    #[test]
    fn token_credentials_values_are_groups_then_names() {
        let values: Vec<String> = token_credentials_values().collect();
        assert_eq!(values.len(), 2 + CredentialKind::all().len());
        for value in &values {
            assert_ne!(
                Selection::parse(Some(value)).unwrap(),
                Selection::All,
                "{value}"
            );
        }
    }

    #[test]
    fn invalid_value_lists_valid_ones() {
        let err = Selection::parse(Some("VisualStudioCodeCredential")).unwrap_err();
        let text = err.to_string();
        assert!(matches!(
            err,
            CredentialError::InvalidConfiguration {
                credential: "DefaultAzureCredential",
                ..
            }
        ));
        assert!(text.contains("'VisualStudioCodeCredential'"), "{text}");
        assert!(text.contains("dev, prod, environmentcredential, workloadidentitycredential, managedidentitycredential, azureclicredential, azurepowershellcredential, azuredeveloperclicredential"), "{text}");
    }
}
