//! [`Env`]: the environment-variable seam.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Where credentials read environment variables from.
///
/// [`Env::real`] reads the process environment; [`Env::from_pairs`] is a fixed
/// map for tests, so no test ever mutates the process environment. A variable
/// that is set but blank (empty or white space) reads as unset everywhere.
///
/// ```
/// use credential_core::Env;
/// let env = Env::from_pairs([("AZURE_TENANT_ID", "contoso"), ("AZURE_CLIENT_ID", "  ")]);
/// assert_eq!(env.get("AZURE_TENANT_ID").as_deref(), Some("contoso"));
/// assert_eq!(env.get("AZURE_CLIENT_ID"), None);
/// ```
#[derive(Clone, Default)]
pub enum Env {
    /// The process environment.
    #[default]
    Real,
    /// A fixed set of variables.
    Map(Arc<HashMap<String, String>>),
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

    /// The value of `name`, or `None` when it is unset, blank or not Unicode.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match self {
            #[allow(clippy::disallowed_methods)] // The one real implementation.
            Self::Real => std::env::var(name).ok(),
            Self::Map(map) => map.get(name).cloned(),
        };
        value.filter(|v| !v.trim().is_empty())
    }

    /// Whether `name` is set to something that is not blank.
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// This environment with `name` set to `value` (a copy; the original and
    /// the process environment are unchanged). On [`Env::Real`] this takes a
    /// snapshot of the process environment first.
    pub fn with_var(&self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let mut map: HashMap<String, String> = match self {
            #[allow(clippy::disallowed_methods)] // The one real implementation.
            Self::Real => std::env::vars().collect(),
            Self::Map(map) => (**map).clone(),
        };
        map.insert(name.into(), value.into());
        Self::Map(Arc::new(map))
    }

    /// This environment without `name`.
    pub fn without_var(&self, name: &str) -> Self {
        let mut map: HashMap<String, String> = match self {
            #[allow(clippy::disallowed_methods)] // The one real implementation.
            Self::Real => std::env::vars().collect(),
            Self::Map(map) => (**map).clone(),
        };
        map.remove(name);
        Self::Map(Arc::new(map))
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

    #[test]
    fn with_var_copies() {
        let env = Env::from_pairs([("A", "1")]);
        let more = env.with_var("B", "2").without_var("A");
        assert_eq!(env.get("B"), None);
        assert_eq!(more.get("B").as_deref(), Some("2"));
        assert_eq!(more.get("A"), None);
    }
}
