//! Access rules: a client id may be limited to some operations, so a user
//! can test their 403 handling. Clients without a rule may do everything.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// A Key Vault secrets permission, as named in access policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Get a secret or a deleted secret.
    Get,
    /// List secrets, versions or deleted secrets.
    List,
    /// Set a secret or update its properties.
    Set,
    /// Delete a secret.
    Delete,
    /// Recover a deleted secret.
    Recover,
    /// Back up a secret.
    Backup,
    /// Restore a backup.
    Restore,
    /// Purge a deleted secret.
    Purge,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Self; 8] = [
        Self::Get,
        Self::List,
        Self::Set,
        Self::Delete,
        Self::Recover,
        Self::Backup,
        Self::Restore,
        Self::Purge,
    ];

    /// The permission's name in access policies (`get`, `list`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::List => "list",
            Self::Set => "set",
            Self::Delete => "delete",
            Self::Recover => "recover",
            Self::Backup => "backup",
            Self::Restore => "restore",
            Self::Purge => "purge",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|op| op.as_str()).collect();
                format!("'{s}' is not an operation; use one of {}", names.join(", "))
            })
    }
}

/// Parses `CLIENT_ID=op,op,...` (the `--allow` flag). An empty list
/// (`CLIENT_ID=`) allows nothing.
pub fn parse_rule(rule: &str) -> Result<(String, Vec<Operation>), String> {
    let Some((client, ops)) = rule.split_once('=') else {
        return Err(format!(
            "the access rule '{rule}' must look like CLIENT_ID=get,list"
        ));
    };
    let client = client.trim();
    if client.is_empty() {
        return Err(format!("the access rule '{rule}' names no client id"));
    }
    let ops = ops
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((client.to_owned(), ops))
}

/// The rules in force: client id (any case) to the operations it may perform.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccessRules {
    rules: BTreeMap<String, BTreeSet<Operation>>,
}

impl AccessRules {
    pub(crate) fn new(rules: &[(String, Vec<Operation>)]) -> Self {
        let mut map: BTreeMap<String, BTreeSet<Operation>> = BTreeMap::new();
        for (client, ops) in rules {
            map.entry(client.to_ascii_lowercase())
                .or_default()
                .extend(ops.iter().copied());
        }
        Self { rules: map }
    }

    /// Whether `client` may perform `op`.
    pub(crate) fn allows(&self, client: &str, op: Operation) -> bool {
        self.rules
            .get(&client.to_ascii_lowercase())
            .is_none_or(|ops| ops.contains(&op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_limit_only_the_clients_they_name() {
        let (client, ops) = parse_rule("Reader=get, LIST").unwrap();
        assert_eq!(client, "Reader");
        assert_eq!(ops, vec![Operation::Get, Operation::List]);
        let rules = AccessRules::new(&[(client, ops), ("nobody".into(), vec![])]);
        assert!(rules.allows("reader", Operation::Get));
        assert!(!rules.allows("reader", Operation::Set));
        assert!(!rules.allows("nobody", Operation::Get));
        assert!(rules.allows("someone-else", Operation::Purge));
        assert!(
            parse_rule("reader")
                .unwrap_err()
                .contains("CLIENT_ID=get,list")
        );
        assert!(
            parse_rule("reader=fly")
                .unwrap_err()
                .contains("'fly' is not an operation")
        );
        assert!(parse_rule("=get").is_err());
    }
}
