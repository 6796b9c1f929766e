//! Token answers of user sign-in grants: the access token, the refresh
//! token, and the account the `id_token` and `client_info` name (pure).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credential_core::__private::entra::parse_token_response;
use credential_core::{AccessToken, CredentialError, Secret, StatusCode};
use serde::Deserialize;
use time::OffsetDateTime;

/// What a token endpoint gave for a user grant.
#[derive(Debug, Clone)]
pub(crate) struct GrantResponse {
    pub(crate) token: AccessToken,
    pub(crate) refresh_token: Option<Secret>,
    pub(crate) account: Option<AccountInfo>,
}

/// The account a token answer names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountInfo {
    /// `{uid}.{utid}` from `client_info`, else `{oid}.{tid}` from the `id_token`.
    pub(crate) home_account_id: String,
    /// The `id_token`'s `tid`, else `client_info`'s `utid`.
    pub(crate) tenant_id: String,
    /// `preferred_username` (or `upn`, `email`), possibly empty.
    pub(crate) username: String,
}

#[derive(Deserialize)]
struct Extras {
    refresh_token: Option<String>,
    id_token: Option<String>,
    client_info: Option<String>,
}

#[derive(Deserialize, Default)]
struct IdClaims {
    preferred_username: Option<String>,
    upn: Option<String>,
    email: Option<String>,
    oid: Option<String>,
    sub: Option<String>,
    tid: Option<String>,
}

#[derive(Deserialize)]
struct ClientInfo {
    uid: String,
    utid: String,
}

/// Parses a token endpoint answer: errors and the access token as
/// [`parse_token_response`] does, plus the refresh token and the account.
pub(crate) fn parse_grant_response(
    credential: &'static str,
    status: u16,
    body: &[u8],
    requested_at: OffsetDateTime,
) -> Result<GrantResponse, CredentialError> {
    let token = parse_token_response(credential, status, body, requested_at)?;
    let extras: Extras = serde_json::from_slice(body).map_err(|e| {
        CredentialError::unexpected_response(
            credential,
            StatusCode::from_u16(status).ok(),
            format!("the token response is not the expected JSON ({e})"),
        )
    })?;
    let claims = extras.id_token.as_deref().and_then(jwt_payload::<IdClaims>);
    let client_info = extras
        .client_info
        .as_deref()
        .and_then(decode_json::<ClientInfo>);
    Ok(GrantResponse {
        token,
        refresh_token: extras
            .refresh_token
            .filter(|t| !t.trim().is_empty())
            .map(Secret::new),
        account: account(claims, client_info),
    })
}

fn account(claims: Option<IdClaims>, client_info: Option<ClientInfo>) -> Option<AccountInfo> {
    let claims = claims.unwrap_or_default();
    let username = claims
        .preferred_username
        .or(claims.upn)
        .or(claims.email)
        .unwrap_or_default();
    let (home_account_id, home_tenant) = match client_info {
        Some(info) => (format!("{}.{}", info.uid, info.utid), Some(info.utid)),
        None => {
            let oid = claims.oid.or(claims.sub)?;
            let tid = claims.tid.clone()?;
            (format!("{oid}.{tid}"), Some(tid))
        }
    };
    let tenant_id = claims.tid.or(home_tenant).unwrap_or_default();
    Some(AccountInfo {
        home_account_id,
        tenant_id,
        username,
    })
}

/// The JSON payload of a JWT (its signature is not checked: the token came
/// straight from the token endpoint over TLS).
fn jwt_payload<T: for<'de> Deserialize<'de>>(jwt: &str) -> Option<T> {
    decode_json(jwt.split('.').nth(1)?)
}

/// base64url (padded or not) JSON.
fn decode_json<T: for<'de> Deserialize<'de>>(text: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    const NOW: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

    #[test]
    fn refresh_token_and_account_come_from_the_answer() {
        let id_token = format!(
            "e30.{}.sig",
            b64(r#"{"preferred_username":"alice@contoso.com","oid":"o","tid":"t"}"#)
        );
        let body = format!(
            r#"{{"access_token":"at","expires_in":3600,"refresh_token":"rt","id_token":"{id_token}","client_info":"{}"}}"#,
            b64(r#"{"uid":"u","utid":"h"}"#)
        );
        let parsed = parse_grant_response("C", 200, body.as_bytes(), NOW).unwrap();
        assert_eq!(parsed.token.token.expose_secret(), "at");
        assert_eq!(parsed.refresh_token, Some(Secret::new("rt")));
        assert_eq!(
            parsed.account,
            Some(AccountInfo {
                home_account_id: "u.h".into(),
                tenant_id: "t".into(),
                username: "alice@contoso.com".into(),
            })
        );
    }

    #[test]
    fn without_client_info_the_id_token_names_the_account() {
        let id_token = format!(
            "e30.{}.sig",
            b64(r#"{"upn":"bob@contoso.com","oid":"o","tid":"t"}"#)
        );
        let body = format!(r#"{{"access_token":"at","expires_in":60,"id_token":"{id_token}"}}"#);
        let parsed = parse_grant_response("C", 200, body.as_bytes(), NOW).unwrap();
        assert!(parsed.refresh_token.is_none());
        let account = parsed.account.unwrap();
        assert_eq!(account.home_account_id, "o.t");
        assert_eq!(account.username, "bob@contoso.com");
    }

    #[test]
    fn an_answer_without_account_or_with_junk_is_still_a_token() {
        let body = r#"{"access_token":"at","expires_in":60,"id_token":"junk","client_info":"!!"}"#;
        let parsed = parse_grant_response("C", 200, body.as_bytes(), NOW).unwrap();
        assert!(parsed.account.is_none());
    }

    #[test]
    fn errors_are_the_core_errors() {
        let body = br#"{"error":"invalid_grant","error_description":"AADSTS70000: bad"}"#;
        let err = parse_grant_response("C", 400, body, NOW).unwrap_err();
        assert!(
            matches!(&err, CredentialError::Authentication { oauth_error: Some(e), .. } if e == "invalid_grant"),
            "{err:?}"
        );
    }
}
