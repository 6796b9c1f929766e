//! The names of the environment variables the credentials read.

/// The Microsoft Entra tenant (directory) id.
pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
/// The application (client) id, or a user-assigned managed identity's client id.
pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// A client secret.
pub const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// The path of a PEM or PKCS#12 client certificate.
pub const AZURE_CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
/// The password of a PKCS#12 client certificate.
pub const AZURE_CLIENT_CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
/// `true` or `1` to send the certificate chain (`x5c`).
pub const AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: &str = "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN";
/// The Entra ID authority host, e.g. `https://login.microsoftonline.us`.
pub const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
/// Tenants, separated by `;`, a credential may also get tokens from (`*` = any).
pub const AZURE_ADDITIONALLY_ALLOWED_TENANTS: &str = "AZURE_ADDITIONALLY_ALLOWED_TENANTS";
/// Any value turns off per-request tenants.
pub const AZURE_IDENTITY_DISABLE_MULTITENANTAUTH: &str = "AZURE_IDENTITY_DISABLE_MULTITENANTAUTH";
/// The path of a federated (workload identity) token.
pub const AZURE_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";
/// Overrides the IMDS host (for pod identity, and for tests on loopback).
pub const AZURE_POD_IDENTITY_AUTHORITY_HOST: &str = "AZURE_POD_IDENTITY_AUTHORITY_HOST";
/// The default vault URL of the `kv` tool, the examples and the emulator's
/// environment (the libraries never read it).
pub const AZURE_KEYVAULT_URL: &str = "AZURE_KEYVAULT_URL";
/// Restricts `DefaultAzureCredential`: `dev`, `prod`, or one credential's name.
pub const AZURE_TOKEN_CREDENTIALS: &str = "AZURE_TOKEN_CREDENTIALS";
/// Managed identity endpoint (App Service, Service Fabric, Arc).
pub const IDENTITY_ENDPOINT: &str = "IDENTITY_ENDPOINT";
/// Managed identity header secret (App Service, Service Fabric).
pub const IDENTITY_HEADER: &str = "IDENTITY_HEADER";
/// Service Fabric's server certificate thumbprint.
pub const IDENTITY_SERVER_THUMBPRINT: &str = "IDENTITY_SERVER_THUMBPRINT";
/// Azure Arc's IMDS endpoint.
pub const IMDS_ENDPOINT: &str = "IMDS_ENDPOINT";
/// Managed identity endpoint (Cloud Shell, Azure ML).
pub const MSI_ENDPOINT: &str = "MSI_ENDPOINT";
/// Azure ML's managed identity secret.
pub const MSI_SECRET: &str = "MSI_SECRET";
/// Root certificates file (as OpenSSL reads it).
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";
/// Root certificates directories (as OpenSSL reads it).
pub const SSL_CERT_DIR: &str = "SSL_CERT_DIR";
/// Azure Pipelines: the URL that issues OIDC tokens for service connections.
pub const SYSTEM_OIDCREQUESTURI: &str = "SYSTEM_OIDCREQUESTURI";
