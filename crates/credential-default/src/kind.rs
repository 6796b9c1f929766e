//! [`CredentialKind`]: the links of the default chain, and the
//! `AZURE_TOKEN_CREDENTIALS` selection among them.

use std::fmt;

use credential_core::CredentialError;

use crate::NAME;

/// The environment variable that narrows the default chain.
pub const AZURE_TOKEN_CREDENTIALS: &str = "AZURE_TOKEN_CREDENTIALS";

/// One link of the default chain, in chain order.
///
/// ```
/// use credential_default::CredentialKind;
/// assert_eq!(CredentialKind::AzureCli.name(), "AzureCliCredential");
/// assert_eq!(CredentialKind::ALL[0], CredentialKind::Environment);
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

impl CredentialKind {
    /// Every link, in chain order.
    pub const ALL: [CredentialKind; 6] = [
        Self::Environment,
        Self::WorkloadIdentity,
        Self::ManagedIdentity,
        Self::AzureCli,
        Self::AzurePowerShell,
        Self::AzureDeveloperCli,
    ];

    /// The credential's type name, as errors carry it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Environment => "EnvironmentCredential",
            Self::WorkloadIdentity => "WorkloadIdentityCredential",
            Self::ManagedIdentity => "ManagedIdentityCredential",
            Self::AzureCli => "AzureCliCredential",
            Self::AzurePowerShell => "AzurePowerShellCredential",
            Self::AzureDeveloperCli => "AzureDeveloperCliCredential",
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
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
        let lowered = raw.to_ascii_lowercase();
        match lowered.as_str() {
            "dev" => Ok(Self::Dev),
            "prod" => Ok(Self::Prod),
            other => CredentialKind::ALL
                .into_iter()
                .find(|k| k.name().eq_ignore_ascii_case(other))
                .map(Self::Only)
                .ok_or_else(|| {
                    CredentialError::invalid_configuration(
                        NAME,
                        format!(
                            "invalid value for {AZURE_TOKEN_CREDENTIALS}: '{raw}'. Valid values \
                             (trimmed, any case) are: {}",
                            valid_values().join(", ")
                        ),
                    )
                }),
        }
    }
}

/// Every accepted value of `AZURE_TOKEN_CREDENTIALS`.
pub(crate) fn valid_values() -> Vec<String> {
    ["dev".to_owned(), "prod".to_owned()]
        .into_iter()
        .chain(
            CredentialKind::ALL
                .iter()
                .map(|k| k.name().to_ascii_lowercase()),
        )
        .collect()
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
        for kind in CredentialKind::ALL {
            assert_eq!(
                Selection::parse(Some(&kind.name().to_ascii_uppercase())).unwrap(),
                Selection::Only(kind)
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
