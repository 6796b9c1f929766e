//! `kv export`: the enabled secrets (those whose name starts with a prefix,
//! the prefix dropped) as dotenv lines or one JSON object, for other tools.

use futures::{StreamExt, TryStreamExt};
use serde_json::{Map, Value};

use crate::args::ExportFormat;
use crate::error::KvError;
use crate::ops::{self, Session};

/// What `export` prints, and the disabled secrets it skipped.
#[derive(Debug)]
pub struct Exported {
    /// The text for standard output.
    pub text: String,
    /// How many values it holds.
    pub count: usize,
    /// The disabled secrets left out.
    pub skipped: Vec<String>,
}

/// Reads the selected secrets and renders them.
///
/// # Errors
/// A [`KvError`] when listing or reading a secret fails.
pub async fn export(
    session: &Session,
    prefix: &str,
    format: ExportFormat,
) -> Result<Exported, KvError> {
    let (names, skipped) = ops::enabled_names(session, prefix).await?;
    let values: Vec<(String, String)> = futures::stream::iter(&names)
        .map(|name| async move {
            ops::value(session, name, None)
                .await
                .map(|v| (name[prefix.len()..].to_owned(), v))
        })
        .buffered(8)
        .try_collect()
        .await?;
    Ok(Exported {
        text: render(&values, format),
        count: values.len(),
        skipped,
    })
}

/// Renders `(key, value)` pairs.
pub fn render(values: &[(String, String)], format: ExportFormat) -> String {
    match format {
        ExportFormat::Json => {
            let map: Map<String, Value> = values
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            format!("{}\n", Value::Object(map))
        }
        ExportFormat::Dotenv => values
            .iter()
            .map(|(k, v)| format!("{}={}\n", env_key(k), dotenv_quote(v)))
            .collect(),
    }
}

/// A secret name as a variable name: upper case, `-` as `_`.
pub fn env_key(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// A dotenv value: in single quotes (taken literally) when it has no `'`
/// and no line break; otherwise in double quotes with `\`, `"`, `$`, line
/// feeds and carriage returns escaped.
pub fn dotenv_quote(value: &str) -> String {
    if !value.contains(['\'', '\n', '\r']) {
        return format!("'{value}'");
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_and_json() {
        let values = vec![
            ("db-password".to_owned(), "p@ss word".to_owned()),
            ("multi".to_owned(), "a\n'b' $x \"c\"\\".to_owned()),
        ];
        assert_eq!(
            render(&values, ExportFormat::Dotenv),
            "DB_PASSWORD='p@ss word'\nMULTI=\"a\\n'b' \\$x \\\"c\\\"\\\\\"\n"
        );
        let json: Value = serde_json::from_str(&render(&values, ExportFormat::Json)).unwrap();
        assert_eq!(json["multi"], "a\n'b' $x \"c\"\\");
        assert_eq!(render(&[], ExportFormat::Json), "{}\n");
    }
}
