//! [`Snapshot`]: one loaded configuration.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use credential_core::Secret;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// One secret as loaded.
#[derive(Clone)]
pub(crate) struct Loaded {
    /// The key path (`["database", "password"]`).
    pub path: Vec<String>,
    pub value: Secret,
    /// Merge as nested JSON (content type `application/json`, opt-in).
    pub json: bool,
    /// `updated` of the version read, to skip it on reload when unchanged.
    pub updated: Option<OffsetDateTime>,
}

/// The configuration loaded from a vault at one moment: every selected,
/// enabled secret under its key. Cheap to clone.
///
/// Hand it to figment (`Figment::new().merge(snapshot)`, feature `figment`)
/// or to config (`Config::builder().add_source(snapshot)`, feature
/// `config`), or read keys with [`get`](Self::get). `Debug` lists the keys,
/// never the values.
#[derive(Clone)]
pub struct Snapshot {
    pub(crate) vault_url: Arc<str>,
    /// By secret name.
    pub(crate) entries: Arc<BTreeMap<String, Loaded>>,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("vault_url", &&*self.vault_url)
            .field("keys", &self.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Snapshot {
    /// The value at a dotted key (`database.password`), for secrets not
    /// merged as nested JSON.
    pub fn get(&self, key: &str) -> Option<&Secret> {
        self.entries
            .values()
            .find(|e| !e.json && key.split('.').eq(e.path.iter().map(String::as_str)))
            .map(|e| &e.value)
    }

    /// The dotted key of every secret loaded, in secret-name order.
    pub fn keys(&self) -> impl Iterator<Item = String> + '_ {
        self.entries.values().map(|e| e.path.join("."))
    }

    /// How many secrets were loaded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no secret was loaded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The vault the snapshot came from.
    pub fn vault_url(&self) -> &str {
        &self.vault_url
    }

    /// The whole configuration as a JSON tree. It holds the secret values in
    /// plain, unwiped strings: prefer the providers, which hand them straight
    /// to the configuration library. Secrets are merged in name order; where
    /// two write one key (or a value and a table meet), the later one wins.
    pub fn to_json(&self) -> Value {
        let mut root = Map::new();
        for entry in self.entries.values() {
            let value = if entry.json {
                // Checked when loaded.
                serde_json::from_str(entry.value.expose_secret())
                    .unwrap_or_else(|_| Value::String(entry.value.expose_secret().to_owned()))
            } else {
                Value::String(entry.value.expose_secret().to_owned())
            };
            insert(&mut root, &entry.path, value);
        }
        Value::Object(root)
    }
}

/// Puts `value` at `path`, deep-merging objects.
fn insert(root: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = root;
    for key in parents {
        let slot = node
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            tracing::warn!(key = %key, "a configuration key from Key Vault is both a value and a table; the table wins");
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else { return };
        node = next;
    }
    match (node.get_mut(last), value) {
        (Some(Value::Object(existing)), Value::Object(incoming)) => {
            for (k, v) in incoming {
                insert(existing, &[k], v);
            }
        }
        (_, value) => {
            node.insert(last.clone(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(items: &[(&str, &str, bool)]) -> Snapshot {
        let entries = items
            .iter()
            .map(|(key, value, json)| {
                (
                    key.to_string(),
                    Loaded {
                        path: key.split('.').map(str::to_owned).collect(),
                        value: Secret::new(*value),
                        json: *json,
                        updated: None,
                    },
                )
            })
            .collect();
        Snapshot {
            vault_url: "https://v".into(),
            entries: Arc::new(entries),
        }
    }

    #[test]
    fn levels_nest_and_json_merges_deeply() {
        let s = snapshot(&[
            ("database", r#"{"pool":{"max":5},"host":"db"}"#, true),
            ("database.password", "hunter2", false),
            ("database.pool.min", "1", false),
        ]);
        assert_eq!(
            s.to_json(),
            serde_json::json!({"database":{"host":"db","password":"hunter2","pool":{"max":5,"min":"1"}}})
        );
        assert_eq!(
            s.get("database.password").unwrap().expose_secret(),
            "hunter2"
        );
        assert!(
            s.get("database").is_none(),
            "nested JSON is not a plain key"
        );
        let debug = format!("{s:?}");
        assert!(
            debug.contains("database.password") && !debug.contains("hunter2"),
            "{debug}"
        );
    }

    #[test]
    fn a_table_replaces_a_value_at_the_same_key() {
        let s = snapshot(&[("a", "leaf", false), ("a.b", "x", false)]);
        assert_eq!(s.to_json(), serde_json::json!({"a":{"b":"x"}}));
    }
}
