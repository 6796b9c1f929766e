//! The type name of every credential of this workspace, as errors
//! ([`CredentialError::credential`](crate::CredentialError::credential)) and
//! logs carry it, defined once: match an error's credential against these.

/// `EnvironmentCredential`.
pub const ENVIRONMENT: &str = "EnvironmentCredential";
/// `ClientSecretCredential`.
pub const CLIENT_SECRET: &str = "ClientSecretCredential";
/// `ClientCertificateCredential`.
pub const CLIENT_CERTIFICATE: &str = "ClientCertificateCredential";
/// `ClientAssertionCredential`.
pub const CLIENT_ASSERTION: &str = "ClientAssertionCredential";
/// `AzurePipelinesCredential`.
pub const AZURE_PIPELINES: &str = "AzurePipelinesCredential";
/// `WorkloadIdentityCredential`.
pub const WORKLOAD_IDENTITY: &str = "WorkloadIdentityCredential";
/// `ManagedIdentityCredential`.
pub const MANAGED_IDENTITY: &str = "ManagedIdentityCredential";
/// `AzureCliCredential`.
pub const AZURE_CLI: &str = "AzureCliCredential";
/// `AzurePowerShellCredential`.
pub const AZURE_POWERSHELL: &str = "AzurePowerShellCredential";
/// `AzureDeveloperCliCredential`.
pub const AZURE_DEVELOPER_CLI: &str = "AzureDeveloperCliCredential";
/// `DeviceCodeCredential`.
pub const DEVICE_CODE: &str = "DeviceCodeCredential";
/// `InteractiveBrowserCredential`.
pub const INTERACTIVE_BROWSER: &str = "InteractiveBrowserCredential";
/// `AuthorizationCodeCredential`.
pub const AUTHORIZATION_CODE: &str = "AuthorizationCodeCredential";
/// `OnBehalfOfCredential`.
pub const ON_BEHALF_OF: &str = "OnBehalfOfCredential";
/// `ChainedTokenCredential`.
pub const CHAINED: &str = "ChainedTokenCredential";
/// `DefaultAzureCredential`.
pub const DEFAULT: &str = "DefaultAzureCredential";
