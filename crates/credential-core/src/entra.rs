//! Shared Microsoft Entra ID plumbing: authority hosts, tenant and scope
//! validation, the client-credentials token request, and token responses.

use std::time::Duration as StdDuration;

use http::{Method, StatusCode};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use url::Url;

use crate::env_vars::{AZURE_AUTHORITY_HOST, AZURE_IDENTITY_DISABLE_MULTITENANTAUTH};
use crate::error::{EntraDiagnostics, TransportErrorKind};
use crate::http::{HttpRequest, is_loopback};
use crate::{AccessToken, CredentialError, Env, Secret};

/// The Azure public cloud's authority host.
pub const AZURE_PUBLIC_CLOUD: &str = "https://login.microsoftonline.com";
/// The Azure China cloud's authority host.
pub const AZURE_CHINA_CLOUD: &str = "https://login.chinacloudapi.cn";
/// The Azure US Government cloud's authority host.
pub const AZURE_US_GOVERNMENT: &str = "https://login.microsoftonline.us";

/// The client id of the Azure developer sign-on application.
pub const DEVELOPER_SIGN_ON_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

const TENANT_HELP: &str = "You can find your tenant id by following the instructions at https://learn.microsoft.com/partner-center/find-ids-and-domain-names";

/// The authority host to use: `explicit` if given, else `AZURE_AUTHORITY_HOST`,
/// else the public cloud. A value without a scheme gets `https://`; trailing
/// `/` are dropped; anything but `https` is refused unless the host is
/// loopback (a local emulator).
///
/// ```
/// use credential_core::{__private::entra::resolve_authority_host, Env};
/// let env = Env::from_pairs([("AZURE_AUTHORITY_HOST", "login.microsoftonline.us/")]);
/// let host = resolve_authority_host("MyCredential", None, &env).unwrap();
/// assert_eq!(host.as_str(), "https://login.microsoftonline.us/");
/// assert!(resolve_authority_host("MyCredential", Some("http://login.example.com"), &env).is_err());
/// ```
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] for a value that is not a URL,
/// or that uses anything but `https` on a host that is not loopback.
pub fn resolve_authority_host(
    credential: &'static str,
    explicit: Option<&str>,
    env: &Env,
) -> Result<Url, CredentialError> {
    if explicit.is_none() {
        env.require_unicode(credential, &[AZURE_AUTHORITY_HOST])?;
    }
    let from_env = env.get(AZURE_AUTHORITY_HOST);
    let (raw, origin) = match explicit.map(str::trim).filter(|s| !s.is_empty()) {
        Some(value) => (value.to_owned(), "the authority host option"),
        None => match from_env {
            Some(value) => (value.trim().to_owned(), AZURE_AUTHORITY_HOST),
            None => (AZURE_PUBLIC_CLOUD.to_owned(), "the default"),
        },
    };
    let with_scheme = if raw.contains("://") {
        raw.clone()
    } else {
        format!("https://{raw}")
    };
    let fix = if origin == AZURE_AUTHORITY_HOST {
        format!(
            "set {AZURE_AUTHORITY_HOST} to your cloud's https authority host such as \
             {AZURE_PUBLIC_CLOUD}, or unset it for the public cloud"
        )
    } else {
        format!("use your cloud's https authority host such as {AZURE_PUBLIC_CLOUD}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| {
        CredentialError::invalid_configuration(
            credential,
            format!(
                "{origin} {} is not a valid URL ({e}); {fix}",
                quote_untrusted(&raw)
            ),
        )
    })?;
    if url.scheme() != "https" && !(url.scheme() == "http" && is_loopback(&url)) {
        return Err(CredentialError::invalid_configuration(
            credential,
            format!(
                "{origin} {} must use https (plain http is allowed only for loopback hosts); {fix}",
                quote_untrusted(&raw)
            ),
        ));
    }
    if url.host().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(CredentialError::invalid_configuration(
            credential,
            format!(
                "{origin} {} must be a plain https URL with no query or fragment; {fix}",
                quote_untrusted(&raw)
            ),
        ));
    }
    // Exactly one trailing slash, so that joining paths appends.
    let path = format!("{}/", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

/// Checks a tenant id: non-empty, only `0-9 a-z A-Z - .`.
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] for an empty tenant id or one
/// with other characters.
pub fn validate_tenant_id(credential: &'static str, tenant: &str) -> Result<(), CredentialError> {
    if is_valid_tenant_id(tenant) {
        Ok(())
    } else {
        Err(CredentialError::invalid_configuration(
            credential,
            format!(
                "invalid tenant id {}: it must be non-empty and use only letters, digits, '-' and '.'. {TENANT_HELP}",
                quote_untrusted(tenant)
            ),
        ))
    }
}

/// Checks a tenant id read from `origin` (an environment variable such as
/// `AZURE_TENANT_ID`, or a builder option): the error names `origin`, says
/// what is wrong and how to fix it.
///
/// ```
/// use credential_core::__private::entra::validate_tenant_id_from;
/// let err = validate_tenant_id_from("C", "AZURE_TENANT_ID", "my tenant").unwrap_err();
/// assert!(err.to_string().contains("AZURE_TENANT_ID is \"my tenant\""));
/// ```
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] naming `origin`, for an empty
/// tenant id or one with characters outside `0-9 a-z A-Z - .`.
pub fn validate_tenant_id_from(
    credential: &'static str,
    origin: &str,
    tenant: &str,
) -> Result<(), CredentialError> {
    if is_valid_tenant_id(tenant) {
        return Ok(());
    }
    Err(CredentialError::invalid_configuration(
        credential,
        format!(
            "{origin} is {}, which is not a tenant id (only letters, digits, '-' and '.' are \
             allowed); set {origin} to your Microsoft Entra tenant (directory) id, a GUID or a \
             domain such as contoso.onmicrosoft.com. {TENANT_HELP}",
            quote_untrusted(tenant)
        ),
    ))
}

/// Checks every entry of an `AZURE_ADDITIONALLY_ALLOWED_TENANTS`-style list
/// read from `origin`: each must be `*` or a valid tenant id.
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] naming `origin` and the entry,
/// for an entry that is neither `*` nor a valid tenant id.
pub fn validate_allowed_tenants_from(
    credential: &'static str,
    origin: &str,
    list: &str,
) -> Result<(), CredentialError> {
    let bad: Vec<String> = list
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty() && *t != "*" && !is_valid_tenant_id(t))
        .map(quote_untrusted)
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(CredentialError::invalid_configuration(
        credential,
        format!(
            "{origin} holds {}, which {} not a tenant id; set {origin} to tenant ids separated \
             by ';' (or \"*\" for any tenant)",
            bad.join(", "),
            if bad.len() == 1 { "is" } else { "are" }
        ),
    ))
}

/// Checks a client id read from `origin` (an environment variable or a
/// builder option): no whitespace or control characters inside it.
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] naming `origin`, for a client id
/// with whitespace or control characters inside it.
pub fn validate_client_id_from(
    credential: &'static str,
    origin: &str,
    client_id: &str,
) -> Result<(), CredentialError> {
    if !client_id.is_empty()
        && !client_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Ok(());
    }
    Err(CredentialError::invalid_configuration(
        credential,
        format!(
            "{origin} is {}, which is not a client id (it contains whitespace or control \
             characters); set {origin} to the application (client) id of your app \
             registration or managed identity, a GUID",
            quote_untrusted(client_id)
        ),
    ))
}

/// Whether `tenant` is a syntactically valid tenant id.
pub fn is_valid_tenant_id(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Checks a scope: non-empty, only `0-9 a-z A-Z - _ . : /`. These are the
/// characters that are safe to hand to a developer tool.
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] for an empty scope or one with
/// other characters.
pub fn validate_scope(credential: &'static str, scope: &str) -> Result<(), CredentialError> {
    let valid = !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/'));
    if valid {
        Ok(())
    } else {
        Err(CredentialError::invalid_configuration(
            credential,
            format!(
                "invalid scope {}: only letters, digits, '.', '-', '_', ':' and '/' are allowed",
                quote_untrusted(scope)
            ),
        ))
    }
}

/// Checks a token request's scopes: at least one, none blank.
///
/// ```
/// use credential_core::__private::entra::check_scopes;
/// assert!(check_scopes("C", &["https://vault.azure.net/.default"]).is_ok());
/// assert!(check_scopes("C", &[]).is_err());
/// assert!(check_scopes("C", &["a", " "]).is_err());
/// ```
///
/// # Errors
/// An `InvalidConfiguration` error naming `credential` and an example scope.
pub fn check_scopes(credential: &'static str, scopes: &[&str]) -> Result<(), CredentialError> {
    if scopes.is_empty() || scopes.iter().any(|s| s.trim().is_empty()) {
        return Err(CredentialError::invalid_configuration(
            credential,
            "get_token needs at least one non-blank scope, e.g. \"https://vault.azure.net/.default\"",
        ));
    }
    Ok(())
}

/// The resource a scope names: the scope without a trailing `/.default`.
///
/// ```
/// assert_eq!(credential_core::__private::entra::scope_to_resource("https://vault.azure.net/.default"), "https://vault.azure.net");
/// assert_eq!(credential_core::__private::entra::scope_to_resource("https://vault.azure.net"), "https://vault.azure.net");
/// ```
pub fn scope_to_resource(scope: &str) -> &str {
    scope.strip_suffix("/.default").unwrap_or(scope)
}

/// A short, printable rendering of untrusted input for error messages.
pub fn quote_untrusted(value: &str) -> String {
    let shown: String = value.chars().take(64).collect();
    let suffix = if value.chars().count() > 64 {
        "…"
    } else {
        ""
    };
    format!("{:?}{suffix}", shown)
}

/// Tenants a credential may get tokens from besides its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedTenants(Vec<String>);

impl AllowedTenants {
    /// From a list; `*` anywhere allows every tenant.
    pub fn new(tenants: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let list: Vec<String> = tenants
            .into_iter()
            .map(Into::into)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        if list.iter().any(|t| t == "*") {
            Self(vec!["*".into()])
        } else {
            Self(list)
        }
    }

    /// From a `;`-separated list such as `AZURE_ADDITIONALLY_ALLOWED_TENANTS`.
    pub fn parse(list: &str) -> Self {
        Self::new(list.split(';'))
    }

    /// Whether `tenant` is allowed.
    pub fn allows(&self, tenant: &str) -> bool {
        self.0.iter().any(|t| t == "*" || t == tenant)
    }
}

/// The tenant to request a token from: the configured one, unless the request
/// names another that is allowed. A request for a tenant that is not allowed
/// is an authentication error saying how to allow it.
///
/// # Errors
/// [`CredentialError::Authentication`] when `requested` is another tenant
/// than the configured one and `allowed` does not include it (the message
/// says how to allow it); [`CredentialError::InvalidConfiguration`] for a
/// malformed requested tenant id.
pub fn resolve_tenant(
    credential: &'static str,
    configured: Option<&str>,
    requested: Option<&str>,
    allowed: &AllowedTenants,
    env: &Env,
) -> Result<Option<String>, CredentialError> {
    let Some(requested) = requested.filter(|t| !t.trim().is_empty()) else {
        return Ok(configured.map(str::to_owned));
    };
    validate_tenant_id(credential, requested)?;
    let Some(configured) = configured else {
        return Ok(Some(requested.to_owned()));
    };
    if requested == configured
        || configured.eq_ignore_ascii_case("adfs")
        || env.is_set(AZURE_IDENTITY_DISABLE_MULTITENANTAUTH)
    {
        return Ok(Some(configured.to_owned()));
    }
    if allowed.allows(requested) {
        return Ok(Some(requested.to_owned()));
    }
    Err(CredentialError::authentication(
        credential,
        format!(
            "this credential is not configured to get tokens for tenant '{requested}'. \
             To allow it, add it to the credential's additionally allowed tenants \
             (or AZURE_ADDITIONALLY_ALLOWED_TENANTS), or add \"*\" to allow any tenant"
        ),
    ))
}

/// The token endpoint for a tenant: `{authority}/{tenant}/oauth2/v2.0/token`
/// (`/oauth2/token` for ADFS). If the authority already ends with the tenant,
/// it is not added twice.
pub fn token_endpoint(authority: &Url, tenant: &str) -> Url {
    let mut url = authority.clone();
    let base = authority.path().trim_end_matches('/');
    let ends_with_tenant = base.rsplit('/').next().is_some_and(|last| last == tenant);
    let tenant_path = if ends_with_tenant {
        base.to_owned()
    } else {
        format!("{base}/{tenant}")
    };
    let suffix = if tenant.eq_ignore_ascii_case("adfs") {
        "oauth2/token"
    } else {
        "oauth2/v2.0/token"
    };
    url.set_path(&format!("{tenant_path}/{suffix}"));
    url
}

/// How a confidential client proves itself.
#[derive(Debug, Clone)]
pub enum ClientAuthentication {
    /// `client_secret`.
    Secret(Secret),
    /// `client_assertion` (a signed JWT or a federated token), sent with the
    /// jwt-bearer assertion type.
    Assertion(Secret),
}

/// The OAuth 2.0 client assertion type for JWTs.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The claims that ask for a CAE-capable token.
const CAE_CLAIMS: &str = r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#;

/// A client-credentials token request to Entra ID.
#[derive(Debug, Clone)]
pub struct ClientCredentialsRequest<'a> {
    /// The token endpoint, from [`token_endpoint`].
    pub endpoint: Url,
    /// The application (client) id.
    pub client_id: &'a str,
    /// The scopes, sent space-separated as given.
    pub scopes: &'a [&'a str],
    /// A claims challenge, if any.
    pub claims: Option<&'a str>,
    /// Whether to ask for a CAE token (merges the `cp1` capability into claims).
    pub enable_cae: bool,
    /// The client's proof.
    pub authentication: &'a ClientAuthentication,
}

impl ClientCredentialsRequest<'_> {
    /// The HTTP request: `POST` with a form body.
    pub fn to_http_request(&self) -> HttpRequest {
        let scope = self.scopes.join(" ");
        let claims = merge_claims(self.claims, self.enable_cae);
        let mut fields: Vec<(&str, &str)> = vec![
            ("client_id", self.client_id),
            ("scope", &scope),
            ("grant_type", "client_credentials"),
        ];
        match self.authentication {
            ClientAuthentication::Secret(secret) => {
                fields.push(("client_secret", secret.expose_secret()));
            }
            ClientAuthentication::Assertion(assertion) => {
                fields.push(("client_assertion_type", JWT_BEARER_ASSERTION_TYPE));
                fields.push(("client_assertion", assertion.expose_secret()));
            }
        }
        if let Some(claims) = &claims {
            fields.push(("claims", claims));
        }
        HttpRequest::new(Method::POST, self.endpoint.clone())
            .with_header("accept", "application/json")
            .with_form(fields)
    }
}

/// Merges a claims challenge with the CAE capability claim.
pub fn merge_claims(claims: Option<&str>, enable_cae: bool) -> Option<String> {
    let claims = claims.map(str::trim).filter(|c| !c.is_empty());
    if !enable_cae {
        return claims.map(str::to_owned);
    }
    let Some(claims) = claims else {
        return Some(CAE_CLAIMS.to_owned());
    };
    let Ok(serde_json::Value::Object(mut object)) =
        serde_json::from_str::<serde_json::Value>(claims)
    else {
        // Not a JSON object: send it as the caller gave it.
        return Some(claims.to_owned());
    };
    let access_token = object
        .entry("access_token")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    if let serde_json::Value::Object(access_token) = access_token {
        access_token.insert("xms_cc".into(), serde_json::json!({ "values": ["cp1"] }));
    }
    Some(serde_json::Value::Object(object).to_string())
}

/// A number of seconds that may arrive as a JSON number or a numeric string
/// (token endpoints send both).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Seconds {
    /// A JSON number.
    Number(f64),
    /// A JSON string holding a number.
    Text(String),
}

impl Seconds {
    /// The whole, non-negative number of seconds, if it is one.
    pub fn value(&self) -> Option<i64> {
        match self {
            Self::Number(n) if n.is_finite() && *n >= 0.0 && *n < 1e12 => Some(*n as i64),
            Self::Number(_) => None,
            Self::Text(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| (0..1_000_000_000_000).contains(n)),
        }
    }
}

#[derive(Deserialize)]
struct TokenResponseBody {
    access_token: Option<String>,
    expires_in: Option<Seconds>,
    expires_on: Option<Seconds>,
    refresh_in: Option<Seconds>,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<serde_json::Value>,
    correlation_id: Option<String>,
    trace_id: Option<String>,
    timestamp: Option<String>,
}

/// Tokens living this long or longer are refreshed at half-life when the
/// endpoint does not say `refresh_in`.
pub const HALF_LIFE_THRESHOLD: Duration = Duration::hours(2);

/// Turns a token endpoint's answer into a token or an error.
///
/// - 2xx: `access_token` and `expires_in` (number or numeric string; or an
///   absolute `expires_on`) are required; `refresh_in` sets `refresh_on`;
///   without it a token living 2 h or more is refreshed at half-life.
/// - 408, 429 and 5xx: a transient [`CredentialError::Transport`].
/// - Other statuses: [`CredentialError::Authentication`] with the OAuth
///   `error`, the `AADSTS` code and the description.
///
/// `requested_at` is the time just before the request was sent.
///
/// # Errors
/// As listed above: [`CredentialError::Transport`] for 408, 429 and 5xx,
/// [`CredentialError::Authentication`] for other error statuses, and
/// [`CredentialError::UnexpectedResponse`] for a success whose body lacks
/// the token or a valid expiry.
pub fn parse_token_response(
    credential: &'static str,
    status: u16,
    body: &[u8],
    requested_at: OffsetDateTime,
) -> Result<AccessToken, CredentialError> {
    if !(200..300).contains(&status) {
        return Err(error_response(credential, status, body));
    }
    let code = StatusCode::from_u16(status).ok();
    let parsed: TokenResponseBody = serde_json::from_slice(body).map_err(|e| {
        CredentialError::unexpected_response(
            credential,
            code,
            format!("the token response is not the expected JSON ({e})"),
        )
    })?;
    let token = parsed
        .access_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            CredentialError::unexpected_response(
                credential,
                code,
                "the token response has no access_token",
            )
        })?;
    let expires_on = match (parsed.expires_in.as_ref(), parsed.expires_on.as_ref()) {
        (_, Some(on)) if on.value().is_some() => on
            .value()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()),
        (Some(expires_in), _) => expires_in
            .value()
            .and_then(|s| requested_at.checked_add(Duration::seconds(s))),
        _ => None,
    }
    .ok_or_else(|| {
        CredentialError::unexpected_response(
            credential,
            code,
            "the token response has no valid expires_in (seconds as a number or a string)",
        )
    })?;
    let refresh_on = match parsed.refresh_in.as_ref().and_then(Seconds::value) {
        Some(refresh_in) if refresh_in > 0 => {
            requested_at.checked_add(Duration::seconds(refresh_in))
        }
        _ => half_life(requested_at, expires_on),
    };
    Ok(AccessToken::new(token, expires_on).with_refresh_on(refresh_on))
}

/// `requested_at` plus half the lifetime, for tokens living 2 h or more.
pub fn half_life(
    requested_at: OffsetDateTime,
    expires_on: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let lifetime = expires_on - requested_at;
    (lifetime >= HALF_LIFE_THRESHOLD).then(|| requested_at + lifetime / 2)
}

fn error_response(credential: &'static str, status: u16, body: &[u8]) -> CredentialError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let code = StatusCode::from_u16(status).ok();
    if let Some(code) = code.filter(|_| matches!(status, 408 | 429 | 500..=599)) {
        let detail = parsed
            .as_ref()
            .and_then(|b| b.error_description.as_deref().or(b.error.as_deref()))
            .map(first_line)
            .unwrap_or_else(|| "the token endpoint is unavailable".to_owned());
        return CredentialError::transport(credential, TransportErrorKind::Status(code), detail);
    }
    match parsed {
        Some(body) if body.error.is_some() || body.error_description.is_some() => {
            let description = body
                .error_description
                .as_deref()
                .map(clean_description)
                .unwrap_or_else(|| "no description given".to_owned());
            let error_code = body
                .error_codes
                .first()
                .and_then(|c| c.as_u64())
                .map(|c| format!("AADSTS{c}"))
                .or_else(|| aadsts_code(&description));
            let description = match troubleshooting_hint(credential, error_code.as_deref()) {
                Some(hint) => format!("{description} {NEXT_STEP}{hint}"),
                None => description,
            };
            CredentialError::Authentication {
                credential,
                status: code,
                oauth_error: body.error,
                error_code,
                description,
                diagnostics: EntraDiagnostics::new(
                    body.correlation_id,
                    body.trace_id,
                    body.timestamp,
                ),
                request_id: None,
            }
        }
        _ => {
            let description = if body.is_empty() {
                "the token endpoint refused the request and gave no details".to_owned()
            } else if status == 400 {
                "the token endpoint said the request was invalid (the response was not JSON)"
                    .to_owned()
            } else {
                "the token endpoint refused the request (the response was not JSON)".to_owned()
            };
            CredentialError::Authentication {
                credential,
                status: code,
                oauth_error: None,
                error_code: None,
                description,
                diagnostics: None,
                request_id: None,
            }
        }
    }
}

/// The words that start a troubleshooting hint at the end of an error's
/// message.
pub const NEXT_STEP: &str = "Next step: ";

/// What to do about an Entra ID error code (`AADSTS…`) that `credential`
/// got, naming the variable to check where the credential reads one.
///
/// ```
/// use credential_core::__private::entra::troubleshooting_hint;
/// let hint = troubleshooting_hint("EnvironmentCredential", Some("AADSTS7000215")).unwrap();
/// assert!(hint.contains("AZURE_CLIENT_SECRET"));
/// assert!(troubleshooting_hint("C", Some("AADSTS1")).is_none());
/// ```
pub fn troubleshooting_hint(credential: &str, code: Option<&str>) -> Option<String> {
    use crate::credential_names::{ENVIRONMENT, MANAGED_IDENTITY, WORKLOAD_IDENTITY};
    use crate::env_vars;
    let from_env = [ENVIRONMENT, WORKLOAD_IDENTITY, MANAGED_IDENTITY].contains(&credential);
    let name = |variable: &str, what: &str| {
        if from_env {
            variable.to_owned()
        } else {
            format!("the {what} given to {credential}")
        }
    };
    let tenant = name(env_vars::AZURE_TENANT_ID, "tenant id");
    let client = name(env_vars::AZURE_CLIENT_ID, "client id");
    let number: u32 = code?.strip_prefix("AADSTS")?.parse().ok()?;
    Some(match number {
        7000215 | 7000222 => format!(
            "check {}: it must be the secret's value (not its id) and not expired; create a new \
             secret under the app registration's Certificates & secrets if needed",
            name(env_vars::AZURE_CLIENT_SECRET, "client secret")
        ),
        700016 => format!(
            "check {client} and {tenant}: no application with that client id exists in that \
             tenant"
        ),
        90002 | 900023 | 90072 => {
            format!("check {tenant}: it must be the directory (tenant) id the app is registered in")
        }
        700027 | 700024 | 7000274 => format!(
            "upload the certificate's public part to the app registration (Certificates & \
             secrets) and check that {} names its key",
            name(env_vars::AZURE_CLIENT_CERTIFICATE_PATH, "certificate")
        ),
        70021 | 700211 | 700212 | 700213 => format!(
            "add a federated credential to the application or managed identity {client} whose \
             issuer, subject and audience (api://AzureADTokenExchange) match the token \
             (for AKS: the cluster's OIDC issuer and system:serviceaccount:NAMESPACE:NAME)"
        ),
        500011 => "check the scope: the resource it names is not known in this tenant (for \
                   Key Vault use https://vault.azure.net/.default)"
            .to_owned(),
        53003 => "a Conditional Access policy blocked the sign-in; ask your tenant \
                  administrator which policy applies"
            .to_owned(),
        50076 | 50079 | 50158 => "sign in interactively (`az login`) to complete multi-factor \
                                  authentication"
            .to_owned(),
        70043 | 700082 | 50173 => "sign in again (`az login`)".to_owned(),
        _ => return None,
    })
}

/// An `AADSTS12345` code at the start of a description.
fn aadsts_code(description: &str) -> Option<String> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| format!("AADSTS{digits}"))
}

/// Normalises line breaks and drops blank lines.
fn clean_description(description: &str) -> String {
    description
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// The default timeout for one token request.
pub const TOKEN_REQUEST_TIMEOUT: StdDuration = StdDuration::from_secs(30);

/// Refuses a zero per-try timeout given to a credential's
/// `with_request_timeout`: every request would time out at once.
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] for a zero timeout.
pub fn validate_request_timeout(
    credential: &'static str,
    timeout: Option<StdDuration>,
) -> Result<(), CredentialError> {
    if timeout.is_some_and(|t| t.is_zero()) {
        return Err(CredentialError::invalid_configuration(
            credential,
            "the request timeout is zero, so every token request would time out at once; \
             pass a positive duration to with_request_timeout (the default is 30 s)",
        ));
    }
    Ok(())
}

/// Sends a token request with retries (see [`crate::retry::RetryPolicy`]) and
/// parses the answer with [`parse_token_response`].
///
/// # Errors
/// [`CredentialError::Transport`] when no answer came or a retryable status
/// outlasted the retries; otherwise as [`parse_token_response`]. The error
/// carries the response's request id.
pub async fn send_token_request(
    credential: &'static str,
    http: &dyn crate::HttpClient,
    request: &HttpRequest,
    policy: &crate::retry::RetryPolicy,
    clock: &dyn crate::Clock,
) -> Result<AccessToken, CredentialError> {
    let requested_at = clock.now();
    let response = crate::retry::send_with_retry(http, request, policy, || clock.now())
        .await
        .map_err(|e| e.into_credential_error(credential))?;
    let result = response.tag_error(parse_token_response(
        credential,
        response.status.as_u16(),
        &response.body,
        requested_at,
    ));
    match &result {
        Ok(_) => tracing::debug!(credential, "token endpoint issued a token"),
        Err(error) => tracing::debug!(credential, error = %error, "token request failed"),
    }
    result
}
