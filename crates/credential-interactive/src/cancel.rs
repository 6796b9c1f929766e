//! [`Cancellation`]: a caller's way to stop a sign-in that waits for the user.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// A cancellation signal shared between the caller and a credential. Once
/// [`cancel`](Self::cancel)led, every sign-in waiting for the user stops with
/// an error saying it was cancelled, and later ones stop at once. (Dropping
/// the `get_token` future also stops a sign-in.)
///
/// ```
/// let cancel = credential_interactive::Cancellation::new();
/// let for_credential = cancel.clone();
/// cancel.cancel();
/// assert!(for_credential.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cancellation(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl Cancellation {
    /// A signal that has not fired.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires the signal.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether the signal has fired.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves once the signal fires.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Resolves when `cancellation` (if any) fires; never otherwise.
pub(crate) async fn cancelled(cancellation: Option<&Cancellation>) {
    match cancellation {
        Some(c) => c.cancelled().await,
        None => std::future::pending().await,
    }
}
