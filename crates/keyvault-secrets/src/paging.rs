//! Listings as async streams that follow `nextLink` through empty pages.

use std::collections::VecDeque;

use futures::Stream;
use reqwest::Method;
use url::Url;

use crate::client::{SecretClient, read_json};
use crate::error::Error;
use crate::models::{WireBundle, WirePage, malformed};

struct State<T> {
    client: SecretClient,
    next: Option<Result<Url, Error>>,
    buffer: VecDeque<T>,
    convert: fn(WireBundle) -> Result<T, String>,
}

/// Resolves a `nextLink`: used as returned (with `api-version` added only if
/// missing), and only if it stays on the vault's origin, so that the token
/// never goes elsewhere.
fn next_url(client: &SecretClient, link: &str) -> Result<Url, Error> {
    let mut url = Url::parse(link).map_err(|e| {
        malformed(
            200,
            None,
            format!("the page's nextLink '{link}' is not a URL: {e}"),
        )
    })?;
    if !client.pipeline().same_origin(&url) {
        return Err(malformed(
            200,
            None,
            format!(
                "the page's nextLink '{link}' points away from the vault; refusing to follow it"
            ),
        ));
    }
    if !url.query_pairs().any(|(k, _)| k == "api-version") {
        url.query_pairs_mut()
            .append_pair("api-version", client.api_version());
    }
    Ok(url)
}

async fn fetch_page<T>(state: &mut State<T>, url: Url) -> Result<(), Error> {
    let response = state.client.send(Method::GET, url, None).await?;
    let page = read_json::<WirePage>(&response)?;
    let request_id = response.header("x-ms-request-id").map(str::to_owned);
    for item in page.value.unwrap_or_default() {
        let item = (state.convert)(item).map_err(|m| malformed(200, request_id.clone(), m))?;
        state.buffer.push_back(item);
    }
    state.next = page
        .next_link
        .filter(|l| !l.trim().is_empty())
        .map(|l| next_url(&state.client, &l));
    Ok(())
}

/// The items of every page, starting at `first`. After an error the stream ends.
pub(crate) fn items<T: Send + 'static>(
    client: SecretClient,
    first: Result<Url, Error>,
    convert: fn(WireBundle) -> Result<T, String>,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static {
    let state = State {
        client,
        next: Some(first),
        buffer: VecDeque::new(),
        convert,
    };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.buffer.pop_front() {
                return Some((Ok(item), state));
            }
            let next = state.next.take()?;
            let result = match next {
                Ok(url) => fetch_page(&mut state, url).await,
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                state.next = None;
                state.buffer.clear();
                return Some((Err(e), state));
            }
        }
    })
}
