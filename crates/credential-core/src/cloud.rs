//! [`CloudConfiguration`]: the Microsoft Entra authority host and the
//! default audiences of one Azure cloud.

use crate::entra::{AZURE_CHINA_CLOUD, AZURE_PUBLIC_CLOUD, AZURE_US_GOVERNMENT};

/// One Azure cloud: where tokens come from (the authority host) and the
/// audiences its services expect by default. Give it to
/// `DefaultAzureCredential`'s builder to set every link at once.
///
/// ```
/// use credential_core::CloudConfiguration;
/// let china = CloudConfiguration::azure_china();
/// assert_eq!(china.authority_host(), "https://login.chinacloudapi.cn");
/// assert_eq!(china.key_vault_scope(), "https://vault.azure.cn/.default");
/// let custom = CloudConfiguration::custom("https://login.example.net")
///     .with_key_vault_audience("https://vault.example.net");
/// assert_eq!(custom.key_vault_audience(), "https://vault.example.net");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudConfiguration {
    name: &'static str,
    authority_host: String,
    key_vault_audience: String,
    resource_manager_audience: String,
    token_exchange_audience: String,
}

impl CloudConfiguration {
    /// The Azure public cloud (the default).
    pub fn azure_public() -> Self {
        Self::known(
            "AzurePublic",
            AZURE_PUBLIC_CLOUD,
            "https://vault.azure.net",
            "https://management.azure.com",
            "api://AzureADTokenExchange",
        )
    }

    /// Azure operated by 21Vianet (China).
    pub fn azure_china() -> Self {
        Self::known(
            "AzureChina",
            AZURE_CHINA_CLOUD,
            "https://vault.azure.cn",
            "https://management.chinacloudapi.cn",
            "api://AzureADTokenExchangeChina",
        )
    }

    /// Azure US Government.
    pub fn azure_us_government() -> Self {
        Self::known(
            "AzureUSGovernment",
            AZURE_US_GOVERNMENT,
            "https://vault.usgovcloudapi.net",
            "https://management.usgovcloudapi.net",
            "api://AzureADTokenExchangeUSGov",
        )
    }

    /// Another cloud (Azure Stack, a sovereign cloud): its authority host,
    /// with the public cloud's audiences until the `with_*_audience` methods
    /// set its own.
    pub fn custom(authority_host: impl Into<String>) -> Self {
        Self {
            name: "Custom",
            authority_host: authority_host.into(),
            ..Self::azure_public()
        }
    }

    fn known(
        name: &'static str,
        authority_host: &str,
        key_vault: &str,
        resource_manager: &str,
        token_exchange: &str,
    ) -> Self {
        Self {
            name,
            authority_host: authority_host.to_owned(),
            key_vault_audience: key_vault.to_owned(),
            resource_manager_audience: resource_manager.to_owned(),
            token_exchange_audience: token_exchange.to_owned(),
        }
    }

    /// Sets the Key Vault audience.
    pub fn with_key_vault_audience(mut self, audience: impl Into<String>) -> Self {
        self.key_vault_audience = audience.into();
        self
    }

    /// Sets the Azure Resource Manager audience.
    pub fn with_resource_manager_audience(mut self, audience: impl Into<String>) -> Self {
        self.resource_manager_audience = audience.into();
        self
    }

    /// Sets the audience of federated (token exchange) tokens.
    pub fn with_token_exchange_audience(mut self, audience: impl Into<String>) -> Self {
        self.token_exchange_audience = audience.into();
        self
    }

    /// `AzurePublic`, `AzureChina`, `AzureUSGovernment` or `Custom`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The Microsoft Entra authority host.
    pub fn authority_host(&self) -> &str {
        &self.authority_host
    }

    /// Key Vault's audience, e.g. `https://vault.azure.net`.
    pub fn key_vault_audience(&self) -> &str {
        &self.key_vault_audience
    }

    /// The scope for Key Vault tokens: the audience with `/.default`.
    pub fn key_vault_scope(&self) -> String {
        format!("{}/.default", self.key_vault_audience.trim_end_matches('/'))
    }

    /// Azure Resource Manager's audience, e.g. `https://management.azure.com`.
    pub fn resource_manager_audience(&self) -> &str {
        &self.resource_manager_audience
    }

    /// The audience federated tokens are issued for (what a federated
    /// credential on the app registration must name), e.g.
    /// `api://AzureADTokenExchange`.
    pub fn token_exchange_audience(&self) -> &str {
        &self.token_exchange_audience
    }
}

impl Default for CloudConfiguration {
    fn default() -> Self {
        Self::azure_public()
    }
}
