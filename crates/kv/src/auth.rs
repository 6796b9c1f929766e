//! `kv auth status`: which credential signs in, why the earlier links of the
//! chain were skipped, and who the token says the caller is. The token
//! itself is never printed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credential_core::{CredentialError, ProviderContext, TokenRequestOptions};
use serde_json::{Map, Value, json};

use crate::args::GlobalArgs;
use crate::error::KvError;
use crate::output::rfc3339;

/// Signs in for `scope` and describes who signed in.
///
/// # Errors
/// A `NotSignedIn` [`KvError`] when no credential gives a token (listing the
/// attempts and the fix), or a construction error of the credential.
pub async fn status(
    global: &GlobalArgs,
    ctx: ProviderContext,
    scope: &str,
) -> Result<Value, KvError> {
    let credential = crate::app::credential(global, ctx)?;
    let outcome = credential
        .get_token_with_attempts(&[scope], &TokenRequestOptions::default())
        .await;
    let (token, skipped) = outcome.map_err(|e| not_signed_in(&e))?;
    let mut result = Map::new();
    result.insert("signedIn".into(), json!(true));
    result.insert(
        "credential".into(),
        json!(credential.selected().map(|k| k.name())),
    );
    result.insert(
        "skipped".into(),
        Value::Array(skipped.iter().map(|e| json!(skip_line(e))).collect()),
    );
    result.insert("scope".into(), json!(scope));
    let claims = claims(token.token.expose_secret());
    let claim = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| claims.get(*n).and_then(Value::as_str))
            .map(str::to_owned)
    };
    result.insert("tenantId".into(), json!(claim(&["tid"])));
    result.insert("objectId".into(), json!(claim(&["oid"])));
    result.insert(
        "userPrincipalName".into(),
        json!(claim(&["upn", "preferred_username", "unique_name"])),
    );
    result.insert("appId".into(), json!(claim(&["appid", "azp"])));
    result.insert(
        "expiresOn".into(),
        json!(rfc3339(token.expires_on.replace_nanosecond(0).ok())),
    );
    Ok(Value::Object(result))
}

/// One line for a skipped link: its name and why.
fn skip_line(error: &CredentialError) -> String {
    let text = error.to_string();
    let first = text.lines().next().unwrap_or_default();
    let reason = first
        .strip_prefix(error.credential())
        .map(|rest| {
            rest.trim_start_matches(" is unavailable")
                .trim_start_matches(':')
                .trim()
        })
        .unwrap_or(first);
    format!("{}: {reason}", error.credential())
}

/// The error of a chain that gave no token; its message lists every
/// attempt and the fix (`az login`, which variable).
fn not_signed_in(error: &CredentialError) -> KvError {
    KvError::new(
        "NotSignedIn",
        format!(
            "not signed in: {}\nTo try one credential only, pass --credential \
             (e.g. --credential azureclicredential).",
            crate::error::report(error)
        ),
    )
}

/// The claims of a JWT access token (not verified: only to describe it), or
/// an empty object when the token is not a JWT.
fn claims(token: &str) -> Map<String, Value> {
    token
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| match v {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_of_a_jwt_and_of_anything_else() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"tid":"t","oid":"o","upn":"a@b.c"}"#);
        let map = claims(&format!("eyJhbGciOiJub25lIn0.{payload}.sig"));
        assert_eq!(map["tid"], "t");
        assert_eq!(map["upn"], "a@b.c");
        assert!(claims("opaque-token").is_empty());
        assert!(claims("a.!!!.c").is_empty());
    }

    #[test]
    fn skipped_links_are_one_line_each() {
        let e = CredentialError::unavailable("AzureCliCredential", "az is not installed\nmore");
        assert_eq!(skip_line(&e), "AzureCliCredential: az is not installed");
    }
}
