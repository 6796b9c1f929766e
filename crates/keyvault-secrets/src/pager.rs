//! [`Pager`]: a listing as a `Stream` of items, or of pages
//! ([`Pager::into_pages`]), that follows `nextLink` through empty pages and
//! can start or resume from a continuation token.

use http::StatusCode;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::Stream;
use http::Method;
use http::header::HeaderMap;
use tracing::Span;
use url::Url;

use crate::client::{SecretClient, read_json};
use crate::error::Error;
use crate::models::{DeletedSecret, SecretProperties, WireBundle, WirePage, malformed};
use crate::request::{CallOptions, Response};
use crate::telemetry::{self, operation_span};
use crate::validate;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The largest page the service serves (`maxresults`).
const MAX_PAGE_SIZE: u32 = 25;

/// One page of a listing.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items (possibly none: the service sends empty pages).
    pub items: Vec<T>,
    /// The token of the next page (its `nextLink`); `None` on the last page.
    pub continuation_token: Option<String>,
}

/// Which listing, for the span's name.
#[derive(Debug, Clone, Copy)]
enum Listing {
    Secrets,
    Versions,
    Deleted,
}

/// Where a [`Pages`] stream is.
enum State<T> {
    /// The next page to fetch (`Err` = the listing cannot start).
    Next(Result<Url, Error>),
    /// A page is being fetched from this URL.
    Fetching(Url, BoxFuture<Result<Page<T>, Error>>),
    /// A page failed; [`Pages::resume`] fetches it again.
    Failed(Url),
    /// The listing has ended (or could not start).
    Done,
}

/// A listing as a `Stream` of pages; see [`Pager::into_pages`].
///
/// # Errors
/// Each page is a `Result`: a page request fails as any operation does (see
/// [`SecretClient`'s errors](crate::SecretClient#errors)).
#[must_use = "a stream does nothing unless polled"]
pub struct Pages<T> {
    client: SecretClient,
    listing: Listing,
    convert: fn(WireBundle) -> Result<T, String>,
    timeout: Option<Duration>,
    headers: HeaderMap,
    state: State<T>,
    /// The next page is the first (its URL is ours, not a token).
    first_page: bool,
}

/// A listing: a `Stream` of items (`Unpin`, so `try_next()` works on it
/// as is), fetching pages as it goes and following `nextLink` exactly as
/// the service returns it, through empty pages.
///
/// ```no_run
/// # async fn f(client: keyvault_secrets::SecretClient) -> Result<(), keyvault_secrets::Error> {
/// use futures::TryStreamExt;
/// let mut pager = client.list_properties_of_secrets();
/// while let Some(secret) = pager.try_next().await? {
///     println!("{}", secret.name);
/// }
///
/// // Page by page, keeping the token to continue from later.
/// let mut pages = client.list_properties_of_secrets().max_page_size(10).into_pages();
/// let first = pages.try_next().await?.expect("a first page");
/// if let Some(token) = first.continuation_token {
///     let rest: Vec<_> = client.list_properties_of_secrets().continuation_token(token).try_collect().await?;
/// }
/// # Ok(()) }
/// ```
///
/// After an error the stream ends; [`Pager::resume`] re-arms it to fetch
/// the failed page again (the items already read are not repeated), and
/// [`Pager::resume_token`] gives the token to resume from elsewhere.
///
/// # Errors
/// Each item is a `Result`: a page request fails as any operation does (see
/// [`SecretClient`'s errors](crate::SecretClient#errors)), and the stream
/// then ends until [`resume`](Self::resume).
#[must_use = "a stream does nothing unless polled"]
pub struct Pager<T> {
    pages: Pages<T>,
    buffer: VecDeque<T>,
    max_page_size: Option<u32>,
}

// Neither holds a `T` in place: items sit in a `VecDeque` and pages in a
// boxed future, so moving them is always fine.
impl<T> Unpin for Pager<T> {}
impl<T> Unpin for Pages<T> {}

impl<T> std::fmt::Debug for Pager<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("listing", &self.pages.listing)
            .field("buffered", &self.buffer.len())
            .field("continuation_token", &self.pages.resume_token())
            .finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("listing", &self.listing)
            .field("continuation_token", &self.resume_token())
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Pager<T> {
    fn new(
        client: &SecretClient,
        listing: Listing,
        first: Result<Url, Error>,
        convert: fn(WireBundle) -> Result<T, String>,
    ) -> Self {
        Self {
            pages: Pages {
                client: client.clone(),
                listing,
                convert,
                timeout: None,
                headers: HeaderMap::new(),
                state: State::Next(first),
                first_page: true,
            },
            buffer: VecDeque::new(),
            max_page_size: None,
        }
    }

    /// At most `size` items per page (`maxresults`, 1 to 25; the service's
    /// default is 25).
    pub fn max_page_size(mut self, size: u32) -> Self {
        self.max_page_size = Some(size);
        self.apply_page_size();
        self
    }

    /// Starts the listing at the page of `token` (a
    /// [`Page::continuation_token`] or [`Pager::resume_token`]),
    /// instead of at the first page.
    pub fn continuation_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.pages.state = State::Next(next_url(&self.pages.client, &token));
        self.pages.first_page = false;
        self
    }

    /// A limit for fetching each page, retries included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.pages.timeout = Some(timeout);
        self
    }

    /// Adds a header to each page's request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let mut options = CallOptions::default();
        options.add_header(name, value);
        match options.take_headers() {
            Ok(headers) => self.pages.headers.extend(headers),
            Err(e) => self.pages.state = State::Next(Err(e)),
        }
        self
    }

    fn apply_page_size(&mut self) {
        let State::Next(Ok(url)) = &mut self.pages.state else {
            return;
        };
        match self.max_page_size {
            None => {}
            Some(n @ 1..=MAX_PAGE_SIZE) => {
                let kept: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| k != "maxresults")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                url.query_pairs_mut()
                    .clear()
                    .extend_pairs(kept)
                    .append_pair("maxresults", &n.to_string());
            }
            Some(n) => {
                self.pages.state = State::Next(Err(Error::invalid_input(format!(
                    "max_page_size must be between 1 and {MAX_PAGE_SIZE}, not {n}"
                ))));
            }
        }
    }

    /// The listing page by page.
    pub fn into_pages(self) -> Pages<T> {
        self.pages
    }

    /// The token of the next page to fetch: after an error, the failed
    /// page's, to resume from with [`Self::continuation_token`] (`None`
    /// while the first page is next, or at the end).
    pub fn resume_token(&self) -> Option<String> {
        self.pages.resume_token()
    }

    /// After an error: fetches the failed page again on the next poll.
    /// Returns whether there was a failed page to resume.
    pub fn resume(&mut self) -> bool {
        self.pages.resume()
    }
}

impl<T> Pages<T> {
    /// The token of the next page to fetch (see [`Pager::resume_token`]).
    pub fn resume_token(&self) -> Option<String> {
        if self.first_page {
            // The first page's URL is ours, not a token: start over.
            return None;
        }
        match &self.state {
            State::Next(Ok(url)) | State::Fetching(url, _) | State::Failed(url) => {
                Some(url.to_string())
            }
            State::Next(Err(_)) | State::Done => None,
        }
    }
}

impl<T: Send + 'static> Pages<T> {
    /// After an error: fetches the failed page again on the next poll.
    pub fn resume(&mut self) -> bool {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Failed(url) => {
                self.state = State::Next(Ok(url));
                true
            }
            other => {
                self.state = other;
                false
            }
        }
    }

    fn fetch(&self, url: Url) -> BoxFuture<Result<Page<T>, Error>> {
        let client = self.client.clone();
        let convert = self.convert;
        let headers = self.headers.clone();
        let span = match self.listing {
            Listing::Secrets => {
                operation_span!("SecretClient.list_properties_of_secrets", &client, "GET")
            }
            Listing::Versions => operation_span!(
                "SecretClient.list_properties_of_secret_versions",
                &client,
                "GET"
            ),
            Listing::Deleted => {
                operation_span!("SecretClient.list_deleted_secrets", &client, "GET")
            }
        };
        let timeout = self.timeout;
        Box::pin(async move {
            let fetching = fetch_page(&client, url, headers, convert, span.clone());
            telemetry::run(span, timeout, fetching)
                .await
                .map(Response::into_value)
        })
    }
}

async fn fetch_page<T>(
    client: &SecretClient,
    url: Url,
    headers: HeaderMap,
    convert: fn(WireBundle) -> Result<T, String>,
    span: Span,
) -> Result<Response<Page<T>>, Error> {
    let response = client.send(Method::GET, url, headers, None, &span).await?;
    let page = read_json::<WirePage>(&response)?;
    let request_id = crate::pipeline::request_id(&response);
    let items = page
        .value
        .unwrap_or_default()
        .into_iter()
        .map(|item| convert(item).map_err(|m| malformed(StatusCode::OK, request_id.clone(), m)))
        .collect::<Result<Vec<T>, Error>>()?;
    // A link away from the vault fails the next page, not this one.
    let continuation_token = page.next_link.filter(|l| !l.trim().is_empty());
    let page = Page {
        items,
        continuation_token,
    };
    Ok(Response::new(page, StatusCode::OK, response.headers))
}

/// Resolves a `nextLink` or continuation token: used as returned (with
/// `api-version` added only if missing), and only if it stays on the
/// vault's origin, so that the token never goes elsewhere.
fn next_url(client: &SecretClient, link: &str) -> Result<Url, Error> {
    let mut url = Url::parse(link).map_err(|e| {
        malformed(
            StatusCode::OK,
            None,
            format!("the page's nextLink '{link}' is not a URL: {e}"),
        )
    })?;
    if !client.pipeline().same_origin(&url) {
        return Err(malformed(
            StatusCode::OK,
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

impl<T: Send + 'static> Stream for Pages<T> {
    type Item = Result<Page<T>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Done => return Poll::Ready(None),
                // Failed stays failed until resumed.
                State::Failed(url) => {
                    this.state = State::Failed(url);
                    return Poll::Ready(None);
                }
                State::Next(Err(e)) => return Poll::Ready(Some(Err(e))),
                State::Next(Ok(url)) => {
                    let fetching = this.fetch(url.clone());
                    this.state = State::Fetching(url, fetching);
                }
                State::Fetching(url, mut fetching) => {
                    let result = match fetching.as_mut().poll(cx) {
                        Poll::Pending => {
                            this.state = State::Fetching(url, fetching);
                            return Poll::Pending;
                        }
                        Poll::Ready(result) => result,
                    };
                    match result {
                        Ok(page) => {
                            this.first_page = false;
                            this.state = match &page.continuation_token {
                                Some(link) => State::Next(next_url(&this.client, link)),
                                None => State::Done,
                            };
                            return Poll::Ready(Some(Ok(page)));
                        }
                        Err(e) => {
                            this.state = State::Failed(url);
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                }
            }
        }
    }
}

impl<T: Send + 'static> Stream for Pager<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                Some(Ok(page)) => this.buffer.extend(page.items),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }
}

impl SecretClient {
    /// The properties of every secret (latest versions; no values).
    pub fn list_properties_of_secrets(&self) -> Pager<SecretProperties> {
        let first = Ok(self.url(&["secrets"], &[]));
        Pager::new(self, Listing::Secrets, first, |b| b.properties())
    }

    /// The properties of every version of a secret.
    pub fn list_properties_of_secret_versions(&self, name: &str) -> Pager<SecretProperties> {
        let first =
            validate::secret_name(name).map(|()| self.url(&["secrets", name, "versions"], &[]));
        Pager::new(self, Listing::Versions, first, |b| b.properties())
    }

    /// Every soft-deleted secret.
    pub fn list_deleted_secrets(&self) -> Pager<DeletedSecret> {
        let first = Ok(self.url(&["deletedsecrets"], &[]));
        Pager::new(self, Listing::Deleted, first, WireBundle::into_deleted)
    }
}
