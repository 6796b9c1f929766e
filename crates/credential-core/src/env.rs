//! [`Env`]: the environment-variable seam.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::sync::Arc;

use crate::CredentialError;

/// Where credentials read environment variables from.
///
/// [`Env::real`] reads the process environment; [`Env::from_pairs`] is a fixed
/// map for tests, so no test ever mutates the process environment. A variable
/// that is set but blank (empty or white space) reads as unset everywhere.
///
/// A value that is not Unicode reads as unset through [`Env::get`]; a
/// credential first calls [`Env::require_unicode`] on the variables it
/// reads, so that such a value is a configuration error naming the
/// variable, never silently ignored. [`Env::from_os_pairs`] builds one for
/// tests.
///
/// ```
/// use credential_core::Env;
/// let env = Env::from_pairs([("AZURE_TENANT_ID", "contoso"), ("AZURE_CLIENT_ID", "  ")]);
/// assert_eq!(env.get("AZURE_TENANT_ID").as_deref(), Some("contoso"));
/// assert_eq!(env.get("AZURE_CLIENT_ID"), None);
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Env {
    /// The process environment.
    #[default]
    Real,
    /// A fixed set of variables.
    Map(Arc<HashMap<String, OsString>>),
}

impl Env {
    /// The process environment.
    pub fn real() -> Self {
        Self::Real
    }

    /// An environment holding exactly these variables.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        Self::from_os_pairs(
            pairs
                .into_iter()
                .map(|(k, v)| (k, OsString::from(v.into()))),
        )
    }

    /// An environment holding exactly these variables, whose values need not
    /// be Unicode (on Unix, `OsString::from_vec` makes any bytes a value).
    pub fn from_os_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<OsString>,
    {
        Self::Map(Arc::new(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        ))
    }

    /// An environment with no variables.
    pub fn empty() -> Self {
        Self::Map(Arc::default())
    }

    /// The value of `name`, or `None` when it is unset, blank or not Unicode
    /// (see [`Env::require_unicode`]).
    pub fn get(&self, name: &str) -> Option<String> {
        self.get_os(name)
            .and_then(|v| v.into_string().ok())
            .filter(|v| !v.trim().is_empty())
    }

    /// The raw value of `name`, Unicode or not, or `None` when it is unset.
    pub fn get_os(&self, name: &str) -> Option<OsString> {
        match self {
            #[allow(clippy::disallowed_methods)] // The one real implementation.
            Self::Real => std::env::var_os(name),
            Self::Map(map) => map.get(name).cloned(),
        }
    }

    /// Checks that every one of `names` that is set holds Unicode text.
    ///
    /// # Errors
    ///
    /// [`CredentialError::InvalidConfiguration`] for `credential`, naming
    /// the first variable whose value is not Unicode and the fix.
    pub fn require_unicode(
        &self,
        credential: &'static str,
        names: &[&str],
    ) -> Result<(), CredentialError> {
        match names
            .iter()
            .find(|name| self.get_os(name).is_some_and(|v| v.to_str().is_none()))
        {
            None => Ok(()),
            Some(name) => Err(CredentialError::invalid_configuration(
                credential,
                format!(
                    "the environment variable {name} is set but its value is not valid \
                     Unicode; set it to the intended text (or unset it)"
                ),
            )),
        }
    }

    /// Whether `name` is set to something that is not blank.
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// This environment with `name` set to `value` (a copy; the original and
    /// the process environment are unchanged). On [`Env::Real`] this takes a
    /// snapshot of the process environment first.
    pub fn with_var(&self, name: impl Into<String>, value: impl Into<OsString>) -> Self {
        let mut map = self.snapshot();
        map.insert(name.into(), value.into());
        Self::Map(Arc::new(map))
    }

    /// This environment without `name`.
    pub fn without_var(&self, name: &str) -> Self {
        let mut map = self.snapshot();
        map.remove(name);
        Self::Map(Arc::new(map))
    }

    /// Every variable, values as they are (`vars_os`: `vars` would panic on
    /// a value that is not Unicode). A name that is not Unicode cannot be
    /// asked for by name, so it is left out.
    fn snapshot(&self) -> HashMap<String, OsString> {
        match self {
            #[allow(clippy::disallowed_methods)] // The one real implementation.
            Self::Real => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
                .collect(),
            Self::Map(map) => (**map).clone(),
        }
    }
}

impl fmt::Debug for Env {
    /// Shows variable names only: values may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Real => f.write_str("Env::Real"),
            Self::Map(map) => {
                let mut names: Vec<&String> = map.keys().collect();
                names.sort();
                f.debug_tuple("Env::Map").field(&names).finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_unset() {
        let env = Env::from_pairs([("A", ""), ("B", " \t"), ("C", "x")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B"), None);
        assert_eq!(env.get("C").as_deref(), Some("x"));
        assert!(!env.is_set("D"));
    }

    #[test]
    fn debug_shows_names_not_values() {
        let env = Env::from_pairs([("AZURE_CLIENT_SECRET", "s3cr3t-value")]);
        let debug = format!("{env:?}");
        assert!(debug.contains("AZURE_CLIENT_SECRET"));
        assert!(!debug.contains("s3cr3t-value"));
    }

    #[cfg(unix)]
    #[test]
    fn a_value_that_is_not_unicode_is_a_configuration_error() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![b'a', 0xff, b'b']);
        let env = Env::from_os_pairs([("A", OsString::from("ok")), ("B", bad.clone())]);
        assert_eq!(env.get("B"), None);
        assert_eq!(env.get_os("B"), Some(bad.clone()));
        assert!(env.require_unicode("Test", &["A", "C"]).is_ok());
        let err = env.require_unicode("Test", &["A", "B"]).unwrap_err();
        assert!(matches!(err, CredentialError::InvalidConfiguration { .. }));
        assert!(
            err.to_string()
                .contains("B is set but its value is not valid Unicode"),
            "{err}"
        );
        // Copies keep the raw value.
        assert_eq!(env.with_var("C", "c").get_os("B"), Some(bad));
    }

    #[test]
    fn with_var_copies() {
        let env = Env::from_pairs([("A", "1")]);
        let more = env.with_var("B", "2").without_var("A");
        assert_eq!(env.get("B"), None);
        assert_eq!(more.get("B").as_deref(), Some("2"));
        assert_eq!(more.get("A"), None);
    }
}
