//! Pure conversions between our types and `azure_core`'s: request options and
//! access tokens. Errors are in [`crate::errors`].

use azure_core::credentials as az;
use credential_core::{AccessToken, TokenRequestOptions};

/// Our options for a request that came in through `azure_core`.
///
/// `azure_core` 1.x's `TokenRequestOptions` carries only per-call pipeline
/// options (a `Context`); it has no tenant, claims or CAE flag, so there is
/// nothing to carry over and the request uses the credential's own tenant.
pub(crate) fn options_from_azure(
    _options: Option<&az::TokenRequestOptions<'_>>,
) -> TokenRequestOptions {
    TokenRequestOptions::default()
}

/// `azure_core`'s options for a request that came in through our trait.
///
/// Our tenant and CAE flag have no counterpart in `azure_core` 1.x (claims
/// are refused earlier, see [`crate::FromAzureCore`]).
pub(crate) fn options_to_azure(_options: &TokenRequestOptions) -> az::TokenRequestOptions<'static> {
    az::TokenRequestOptions::default()
}

/// Our token as `azure_core`'s. The refresh hint is dropped: `azure_core`'s
/// token has none (its bearer policy refreshes 5 minutes before expiry).
pub(crate) fn token_to_azure(token: &AccessToken) -> az::AccessToken {
    az::AccessToken::new(
        az::Secret::new(token.token.expose_secret().to_owned()),
        token.expires_on,
    )
}

/// `azure_core`'s token as ours, with no refresh hint.
pub(crate) fn token_from_azure(token: &az::AccessToken) -> AccessToken {
    AccessToken::new(token.token.secret(), token.expires_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn token_round_trips_value_and_expiry() {
        let ours = AccessToken::new("tok-ours", datetime!(2031-02-03 4:05:06 UTC))
            .with_refresh_on(Some(datetime!(2031-02-03 2:00 UTC)));
        let theirs = token_to_azure(&ours);
        assert_eq!(theirs.token.secret(), "tok-ours");
        assert_eq!(theirs.expires_on, datetime!(2031-02-03 4:05:06 UTC));

        let back = token_from_azure(&theirs);
        assert_eq!(back.token.expose_secret(), "tok-ours");
        assert_eq!(back.expires_on, datetime!(2031-02-03 4:05:06 UTC));
        assert_eq!(
            back.refresh_on, None,
            "azure_core tokens carry no refresh hint"
        );
    }

    #[test]
    fn converted_tokens_hide_their_value_in_debug() {
        let ours = AccessToken::new("tok-hidden-1", datetime!(2031-01-01 0:00 UTC));
        let theirs = token_to_azure(&ours);
        let debug = format!("{theirs:?} {:?}", token_from_azure(&theirs));
        assert!(!debug.contains("tok-hidden-1"), "{debug}");
    }

    #[test]
    fn options_have_no_counterpart_either_way() {
        let ours = options_from_azure(Some(&az::TokenRequestOptions::default()));
        assert_eq!(ours, TokenRequestOptions::default());
        assert_eq!(options_from_azure(None), TokenRequestOptions::default());
        // Nothing to assert on azure_core's side beyond it being the default;
        // its only field is the pipeline context.
        let _ = options_to_azure(
            &TokenRequestOptions::default()
                .with_tenant_id("t")
                .with_cae(true),
        );
    }
}
