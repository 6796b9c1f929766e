//! [`Snapshot`] as a `config::Source` (feature `config`).

use config::{ConfigError, Map, Source, Value, ValueKind};
use serde_json::Value as Json;

use crate::snapshot::Snapshot;

/// Provides every leaf under its dotted key, so that the vault's keys merge
/// with other sources' tables level by level.
///
/// ```no_run
/// # async fn f(client: keyvault_secrets::SecretClient) -> Result<(), Box<dyn std::error::Error>> {
/// use keyvault_config::KeyVaultConfig;
/// let snapshot = KeyVaultConfig::builder(client).build()?.load().await?;
/// let settings = config::Config::builder().add_source(snapshot).build()?;
/// let password: String = settings.get("database.password")?;
/// # Ok(()) }
/// ```
impl Source for Snapshot {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, ConfigError> {
        let origin = format!("Azure Key Vault {}", self.vault_url());
        let mut out = Map::new();
        flatten(&origin, String::new(), self.to_json(), &mut out);
        Ok(out)
    }
}

fn flatten(origin: &String, key: String, json: Json, out: &mut Map<String, Value>) {
    match json {
        Json::Object(map) => {
            for (k, v) in map {
                let child = if key.is_empty() {
                    k
                } else {
                    format!("{key}.{k}")
                };
                flatten(origin, child, v, out);
            }
        }
        other => {
            out.insert(key, convert(origin, other));
        }
    }
}

fn convert(origin: &String, json: Json) -> Value {
    let kind = match json {
        Json::Null => ValueKind::Nil,
        Json::Bool(b) => ValueKind::Boolean(b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => ValueKind::I64(i),
            (None, Some(u)) => ValueKind::U64(u),
            _ => ValueKind::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => ValueKind::String(s),
        Json::Array(items) => {
            ValueKind::Array(items.into_iter().map(|i| convert(origin, i)).collect())
        }
        Json::Object(map) => ValueKind::Table(
            map.into_iter()
                .map(|(k, v)| (k, convert(origin, v)))
                .collect(),
        ),
    };
    Value::new(Some(origin), kind)
}
