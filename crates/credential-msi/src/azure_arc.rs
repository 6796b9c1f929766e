//! Azure Arc-enabled servers (`IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`, or the
//! `himds` agent installed): a challenge flow.
//!
//! 1. `GET $IDENTITY_ENDPOINT?api-version=2020-06-01&resource=…` with
//!    `Metadata: true` is answered `401` with
//!    `WWW-Authenticate: Basic realm=<path of a key file>`.
//! 2. The path is checked before anything is read: it must be a `.key` file
//!    directly inside the agent's token directory (`/var/opt/azcmagent/tokens/`
//!    on Linux, `%ProgramData%\AzureConnectedMachineAgent\Tokens\` on
//!    Windows) and at most 4096 bytes.
//! 3. The same request is sent again with `Authorization: Basic <file content>`.
//!
//! A user-assigned identity is sent as `client_id`, `object_id` or
//! `msi_res_id`, and the response must name the same identity: older agents
//! ignore the parameter and return the system-assigned identity's token.

use std::fmt;
use std::path::PathBuf;

use credential_core::{CredentialError, Env, HttpRequest, HttpResponse, Secret};
use credential_core::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::NAME;
use crate::identity::{IdParameterNames, UserAssignedId};

/// The api-version Azure Arc token requests use.
pub const API_VERSION: &str = "2020-06-01";
/// The endpoint used when Arc is detected from the `himds` file alone.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:40342/metadata/identity/oauth2/token";
/// The `himds` agent on Linux.
pub const HIMDS_LINUX: &str = "/opt/azcmagent/bin/himds";
/// The directory key files must be in, on Linux.
pub const LINUX_KEY_DIRECTORY: &str = "/var/opt/azcmagent/tokens/";
/// The largest key file accepted, in bytes.
pub const MAX_KEY_FILE_SIZE: u64 = 4096;

pub(crate) const ID_PARAMETERS: IdParameterNames = IdParameterNames {
    client_id: "client_id",
    object_id: "object_id",
    resource_id: "msi_res_id",
};

/// Where to ask Azure Arc for tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcConfig {
    /// `IDENTITY_ENDPOINT`, or [`DEFAULT_ENDPOINT`].
    pub endpoint: Url,
    /// The user-assigned identity, if any.
    pub id: Option<UserAssignedId>,
}

/// Where the `himds` agent would be installed on this platform, if anywhere.
pub fn himds_path(env: &Env) -> Option<PathBuf> {
    if cfg!(windows) {
        env.get("ProgramFiles").map(|dir| {
            PathBuf::from(dir)
                .join("AzureConnectedMachineAgent")
                .join("himds.exe")
        })
    } else if cfg!(target_os = "linux") {
        Some(PathBuf::from(HIMDS_LINUX))
    } else {
        None
    }
}

/// The token request; `key` is the key file's content, for the retry after
/// the challenge.
pub fn build_request(config: &ArcConfig, resource: &str, key: Option<&Secret>) -> HttpRequest {
    let mut url = config.endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("api-version", API_VERSION);
        query.append_pair("resource", resource);
        if let Some(id) = &config.id {
            let (name, value) = ID_PARAMETERS.pair(id);
            query.append_pair(name, value);
        }
    }
    let request = HttpRequest::new(Method::GET, url)
        .with_header("metadata", "true")
        .with_header("accept", "application/json");
    match key {
        Some(key) => {
            request.with_header("authorization", &format!("Basic {}", key.expose_secret()))
        }
        None => request,
    }
}

fn challenge_error(message: String) -> CredentialError {
    CredentialError::unexpected_response(NAME, Some(StatusCode::UNAUTHORIZED), message)
}

/// The key file path from a 401's `WWW-Authenticate: Basic realm=<path>`.
///
/// # Errors
/// [`CredentialError::UnexpectedResponse`] when the 401 has no
/// `Basic realm=` challenge.
pub fn challenge_path(response: &HttpResponse) -> Result<String, CredentialError> {
    let header = response.header("www-authenticate").ok_or_else(|| {
        challenge_error(
            "Azure Arc answered 401 without a WWW-Authenticate header; is IDENTITY_ENDPOINT the \
             Azure Connected Machine agent?"
                .to_owned(),
        )
    })?;
    let trimmed = header.trim();
    let prefix = "basic realm=";
    let path = trimmed
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map(|_| trimmed[prefix.len()..].trim().trim_matches('"'))
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            challenge_error(format!(
                "Azure Arc's WWW-Authenticate header is not 'Basic realm=<path>': {}",
                credential_core::__private::entra::quote_untrusted(trimmed)
            ))
        })?;
    Ok(path.to_owned())
}

/// The directory Azure Arc key files must be in.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyDirectory {
    /// `/var/opt/azcmagent/tokens/`.
    Linux,
    /// `%ProgramData%\AzureConnectedMachineAgent\Tokens\`.
    Windows {
        /// The value of `%ProgramData%`.
        program_data: String,
    },
    /// A platform the agent does not run on (or `%ProgramData%` is unset).
    Unsupported(&'static str),
}

impl fmt::Debug for KeyDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Linux => f.write_str(LINUX_KEY_DIRECTORY),
            Self::Windows { program_data } => write!(
                f,
                "{}\\AzureConnectedMachineAgent\\Tokens\\",
                program_data.trim_end_matches('\\')
            ),
            Self::Unsupported(why) => write!(f, "unsupported ({why})"),
        }
    }
}

impl KeyDirectory {
    /// The directory for the platform this program runs on.
    pub fn for_this_platform(env: &Env) -> Self {
        if cfg!(windows) {
            match env.get("ProgramData") {
                Some(program_data) => Self::Windows { program_data },
                None => Self::Unsupported("%ProgramData% is not set"),
            }
        } else if cfg!(target_os = "linux") {
            Self::Linux
        } else {
            Self::Unsupported("Azure Arc runs only on Linux and Windows")
        }
    }
}

/// Checks the challenge's key file path before anything is read: a `.key`
/// file directly inside the expected directory, and nothing else.
pub fn validate_key_path(path: &str, directory: &KeyDirectory) -> Result<PathBuf, CredentialError> {
    let shown = credential_core::__private::entra::quote_untrusted(path);
    if !path.ends_with(".key") {
        return Err(challenge_error(format!(
            "Azure Arc pointed at the key file {shown}, which does not have the .key extension; \
             refusing to read it"
        )));
    }
    let (name, separators): (Option<&str>, &[char]) = match directory {
        KeyDirectory::Linux => (path.strip_prefix(LINUX_KEY_DIRECTORY), &['/']),
        KeyDirectory::Windows { .. } => {
            let expected = format!("{directory:?}");
            let name = path
                .get(..expected.len())
                .filter(|prefix| prefix.eq_ignore_ascii_case(&expected))
                .map(|_| &path[expected.len()..]);
            (name, &['\\', '/'])
        }
        KeyDirectory::Unsupported(why) => {
            return Err(CredentialError::invalid_configuration(
                NAME,
                format!("cannot use the Azure Arc key file: {why}"),
            ));
        }
    };
    match name {
        Some(name)
            if name.len() > ".key".len() && !name.contains(separators) && !name.contains('\0') =>
        {
            Ok(PathBuf::from(path))
        }
        _ => Err(challenge_error(format!(
            "Azure Arc pointed at the key file {shown}, which is not directly inside the \
             expected directory {directory:?}; refusing to read it"
        ))),
    }
}

/// Checks the key file's size (from a `stat`, before reading).
///
/// # Errors
/// [`CredentialError::UnexpectedResponse`] when the file is larger than a
/// key file can be.
pub fn check_key_size(path: &std::path::Path, size: u64) -> Result<(), CredentialError> {
    if size > MAX_KEY_FILE_SIZE {
        return Err(challenge_error(format!(
            "the Azure Arc key file {} is {size} bytes, more than the {MAX_KEY_FILE_SIZE} \
             bytes allowed; refusing to read it",
            path.display()
        )));
    }
    Ok(())
}

/// Checks that a token response names the user-assigned identity asked for.
/// Agents that do not support user-assigned identities ignore the parameter
/// and return the system-assigned identity's token.
///
/// # Errors
/// [`CredentialError::Authentication`] when the token is for another
/// identity than `id` (the agent ignored the user-assigned id).
pub fn confirm_identity(body: &[u8], id: Option<&UserAssignedId>) -> Result<(), CredentialError> {
    let Some(id) = id else {
        return Ok(());
    };
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let fields: &[&str] = match id {
        UserAssignedId::ClientId(_) => &["client_id"],
        UserAssignedId::ObjectId(_) => &["object_id"],
        UserAssignedId::ResourceId(_) => &["msi_res_id", "mi_res_id"],
    };
    let confirmed = fields.iter().any(|field| {
        value
            .get(field)
            .and_then(Value::as_str)
            .is_some_and(|echoed| echoed.trim().eq_ignore_ascii_case(id.value().trim()))
    });
    if confirmed {
        Ok(())
    } else {
        Err(CredentialError::authentication(
            NAME,
            format!(
                "Azure Arc did not confirm the requested user-assigned managed identity ({} {}) \
                 in the token response; the agent likely does not support user-assigned \
                 managed identities and returned the system-assigned identity",
                id.kind(),
                id.value()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_path_must_be_a_key_file_in_the_directory() {
        let linux = KeyDirectory::Linux;
        assert!(validate_key_path("/var/opt/azcmagent/tokens/abc.key", &linux).is_ok());
        assert!(validate_key_path("/etc/shadow", &linux).is_err());
        assert!(validate_key_path("/var/opt/azcmagent/tokens/../x.key", &linux).is_err());
    }

    fn windows() -> KeyDirectory {
        KeyDirectory::Windows {
            program_data: "C:\\ProgramData".into(),
        }
    }

    #[test]
    fn linux_paths() {
        let ok = validate_key_path("/var/opt/azcmagent/tokens/a1b2.key", &KeyDirectory::Linux);
        assert_eq!(
            ok.unwrap(),
            PathBuf::from("/var/opt/azcmagent/tokens/a1b2.key")
        );
        for bad in [
            "/var/opt/azcmagent/tokens/a1b2.txt",
            "/var/opt/azcmagent/tokens/.key",
            "/var/opt/azcmagent/tokens/sub/a.key",
            "/var/opt/azcmagent/tokens/../../../etc/x.key",
            "/tmp/a.key",
            "var/opt/azcmagent/tokens/a.key",
        ] {
            assert!(
                validate_key_path(bad, &KeyDirectory::Linux).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn windows_paths() {
        let good = "C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\abc.key";
        assert!(validate_key_path(good, &windows()).is_ok());
        let lower = "c:\\programdata\\azureconnectedmachineagent\\tokens\\abc.key";
        assert!(validate_key_path(lower, &windows()).is_ok());
        for bad in [
            "C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\..\\x.key",
            "C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\a/b.key",
            "C:\\Windows\\abc.key",
            "C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\abc.pem",
        ] {
            assert!(validate_key_path(bad, &windows()).is_err(), "{bad}");
        }
        assert!(validate_key_path(good, &KeyDirectory::Unsupported("macOS")).is_err());
    }

    #[test]
    fn size_limit() {
        let p = std::path::Path::new("/var/opt/azcmagent/tokens/a.key");
        assert!(check_key_size(p, 4096).is_ok());
        assert!(check_key_size(p, 4097).is_err());
    }

    #[test]
    fn echo_confirmation() {
        let id = UserAssignedId::ClientId("ABC".into());
        assert!(confirm_identity(br#"{"client_id":"abc"}"#, Some(&id)).is_ok());
        assert!(confirm_identity(br#"{"client_id":"other"}"#, Some(&id)).is_err());
        assert!(confirm_identity(br#"{}"#, Some(&id)).is_err());
        assert!(confirm_identity(br#"{}"#, None).is_ok());
        let rid = UserAssignedId::ResourceId("/subs/x".into());
        assert!(confirm_identity(br#"{"mi_res_id":"/subs/x"}"#, Some(&rid)).is_ok());
    }
}
