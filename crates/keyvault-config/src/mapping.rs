//! Secret names to configuration keys.
//!
//! As ASP.NET's Key Vault provider: `--` separates levels
//! (`Database--Password` → `database.password`), keys are lower-cased, an
//! optional prefix selects secrets and is stripped (`myapp-`), and a
//! user-supplied function can replace the mapping altogether.

use std::fmt;
use std::sync::Arc;

/// A user's mapping: the secret name (prefix stripped) to a dotted key, or
/// `None` to leave the secret out.
pub(crate) type MapFn = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How names become keys.
#[derive(Clone, Default)]
pub(crate) struct Mapping {
    pub prefix: Option<String>,
    pub map: Option<MapFn>,
    pub dashes_to_underscores: bool,
}

impl fmt::Debug for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mapping")
            .field("prefix", &self.prefix)
            .field("custom", &self.map.is_some())
            .field("dashes_to_underscores", &self.dashes_to_underscores)
            .finish()
    }
}

impl Mapping {
    /// The key path of secret `name`, or `None` when it is not selected.
    /// The prefix is matched without regard to case.
    pub fn path(&self, name: &str) -> Option<Vec<String>> {
        let rest = match &self.prefix {
            Some(prefix) => {
                let head = name.get(..prefix.len())?;
                if !head.eq_ignore_ascii_case(prefix) {
                    return None;
                }
                &name[prefix.len()..]
            }
            None => name,
        };
        if rest.is_empty() {
            return None;
        }
        let path: Vec<String> = match &self.map {
            Some(map) => map(rest)?.split('.').map(str::to_owned).collect(),
            None => rest
                .split("--")
                .map(|level| {
                    let level = level.to_ascii_lowercase();
                    if self.dashes_to_underscores {
                        level.replace('-', "_")
                    } else {
                        level
                    }
                })
                .collect(),
        };
        (!path.iter().any(String::is_empty)).then_some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(m: &Mapping, name: &str) -> Option<String> {
        m.path(name).map(|p| p.join("."))
    }

    #[test]
    fn double_dash_separates_levels_and_keys_are_lower_case() {
        let m = Mapping::default();
        assert_eq!(
            path(&m, "Database--Password").as_deref(),
            Some("database.password")
        );
        assert_eq!(path(&m, "a--b--c").as_deref(), Some("a.b.c"));
        assert_eq!(path(&m, "api-key").as_deref(), Some("api-key"));
        assert_eq!(path(&m, "a----b"), None, "an empty level");
        assert_eq!(path(&m, "a--"), None);
    }

    #[test]
    fn prefix_selects_and_strips() {
        let m = Mapping {
            prefix: Some("myapp-".into()),
            ..Mapping::default()
        };
        assert_eq!(
            path(&m, "myapp-Database--Host").as_deref(),
            Some("database.host")
        );
        assert_eq!(path(&m, "MyApp-port").as_deref(), Some("port"));
        assert_eq!(path(&m, "other-port"), None);
        assert_eq!(path(&m, "myapp-"), None);
        assert_eq!(path(&m, "my"), None);
    }

    #[test]
    fn dashes_to_underscores_and_custom_mapping() {
        let m = Mapping {
            dashes_to_underscores: true,
            ..Mapping::default()
        };
        assert_eq!(
            path(&m, "Db--Max-Connections").as_deref(),
            Some("db.max_connections")
        );
        let m = Mapping {
            prefix: Some("x-".into()),
            map: Some(Arc::new(|name: &str| {
                (name != "skip").then(|| format!("custom.{}", name.replace('-', "_")))
            })),
            ..Mapping::default()
        };
        assert_eq!(path(&m, "x-a-b").as_deref(), Some("custom.a_b"));
        assert_eq!(path(&m, "x-skip"), None);
        assert_eq!(path(&m, "y-a"), None);
    }
}
