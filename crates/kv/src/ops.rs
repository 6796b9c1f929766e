//! One function per `kv secret` command, each calling [`SecretClient`] and
//! returning the JSON `result` or a [`KvError`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use credential_core::{Fs, SharedClock};
use futures::{TryStream, TryStreamExt};
use keyvault_secrets::{KeyVaultSecret, SecretClient};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::args::{Alphabet, PropertyArgs, SecretCommand};
use crate::error::{Doing, KvError, from_client};
use crate::generate;
use crate::output::SecretView;
pub use crate::progress::Progress;

/// What every operation needs: the client (one credential, one token cache),
/// the file system seam, and the poll interval of delete and recover.
#[derive(Debug, Clone)]
pub struct Session {
    /// The client.
    pub client: SecretClient,
    /// Where `--file` is read from.
    pub fs: Fs,
    /// The interval between two polls of delete and recover.
    pub poll_interval: Duration,
    /// The clock (`rotate --expires-in` counts from now).
    pub clock: SharedClock,
}

/// Where `secret set -` reads its value from.
pub enum Stdin<'a> {
    /// Standard input, to be read to the end.
    Reader(&'a mut (dyn AsyncRead + Unpin + Send)),
    /// Not available, with the reason (in `kv batch`, standard input holds
    /// the operations).
    Unavailable(&'static str),
}

impl Session {
    fn vault(&self) -> String {
        self.client.vault_url().to_string()
    }

    fn fail<'n>(
        &self,
        verb: &'n str,
        name: Option<&'n str>,
        deleted: bool,
    ) -> impl Fn(keyvault_secrets::Error) -> KvError + 'n {
        let vault = self.vault();
        move |e| {
            from_client(
                &e,
                Doing {
                    verb,
                    name,
                    deleted,
                    vault: &vault,
                },
            )
        }
    }
}

/// Runs one secret command.
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn execute(
    session: &Session,
    command: SecretCommand,
    stdin: Stdin<'_>,
    progress: &mut Progress,
) -> Result<Value, KvError> {
    match command {
        SecretCommand::Set {
            name,
            value,
            file,
            properties,
        } => {
            let value = read_value(value, file, &session.fs, stdin).await?;
            set(session, &name, &value, properties).await
        }
        SecretCommand::Show { name, version, .. } => show(session, &name, version).await,
        SecretCommand::Rotate {
            name,
            length,
            alphabet,
            copy_properties,
            expires_in,
            disable_previous,
            show_value,
        } => {
            let options = RotateOptions {
                length: usize::from(length),
                alphabet,
                copy_properties,
                expires_in,
                disable_previous,
                show_value,
            };
            rotate(session, &name, &options).await
        }
        SecretCommand::Update {
            name,
            version,
            properties,
        } => update(session, &name, version, properties).await,
        SecretCommand::List { max_page_size } => list(session, max_page_size).await,
        SecretCommand::ListVersions {
            name,
            max_page_size,
        } => list_versions(session, &name, max_page_size).await,
        SecretCommand::ListDeleted { max_page_size } => list_deleted(session, max_page_size).await,
        SecretCommand::Delete { name } => delete(session, &name, progress).await,
        SecretCommand::ShowDeleted { name } => show_deleted(session, &name).await,
        SecretCommand::Recover { name } => recover(session, &name, progress).await,
        SecretCommand::Purge { name } => purge(session, &name).await,
        SecretCommand::Backup { name, file } => backup(session, &name, &file).await,
        SecretCommand::Restore { file } => restore(session, &file).await,
    }
}

/// The value of `secret set`: the argument, standard input for `-` (one
/// trailing newline dropped, so `echo value | kv secret set NAME -` works),
/// or a file read exactly.
///
/// # Errors
/// An `InvalidInput` [`KvError`] when standard input or the file cannot be
/// read.
pub async fn read_value(
    value: Option<String>,
    file: Option<PathBuf>,
    fs: &Fs,
    stdin: Stdin<'_>,
) -> Result<String, KvError> {
    if let Some(path) = file {
        return fs.read_to_string(&path).await.map_err(|e| {
            KvError::new(
                "FileError",
                format!("cannot read the value from {}: {e}", path.display()),
            )
        });
    }
    match value.as_deref() {
        Some("-") => {
            let reader = match stdin {
                Stdin::Reader(reader) => reader,
                Stdin::Unavailable(why) => return Err(KvError::usage(why)),
            };
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).await.map_err(|e| {
                KvError::new("InvalidInput", format!("cannot read standard input: {e}"))
            })?;
            let mut text = String::from_utf8(bytes).map_err(|_| {
                KvError::new("InvalidInput", "the value on standard input is not UTF-8")
            })?;
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            Ok(text)
        }
        Some(v) => Ok(v.to_owned()),
        None => Err(KvError::usage("give a VALUE, `-` or --file PATH")),
    }
}

/// Copies the `--content-type`, `--tags`, `--enabled`, `--not-before` and
/// `--expires` arguments into a set or an update request (two types with
/// the same setters).
macro_rules! apply_properties {
    ($request:ident, $p:ident) => {
        if let Some(content_type) = $p.content_type {
            $request = $request.content_type(content_type);
        }
        if let Some(tags) = $p.tags {
            $request = $request.tags(tags.0);
        }
        if let Some(enabled) = $p.enabled {
            $request = $request.enabled(enabled);
        }
        if let Some(at) = $p.not_before {
            $request = $request.not_before(at);
        }
        if let Some(at) = $p.expires {
            $request = $request.expires_on(at);
        }
    };
}

/// `secret set`.
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn set(
    session: &Session,
    name: &str,
    value: &str,
    p: PropertyArgs,
) -> Result<Value, KvError> {
    let mut request = session.client.set_secret(name, value);
    apply_properties!(request, p);
    let secret = request
        .await
        .map_err(session.fail("set", Some(name), false))?;
    Ok(SecretView::secret(&secret).to_value())
}

/// A secret (the latest version unless `version`).
async fn get(
    session: &Session,
    name: &str,
    version: Option<String>,
) -> Result<KeyVaultSecret, KvError> {
    session
        .client
        .get_secret(name)
        .version(version.as_deref().unwrap_or_default())
        .await
        .map_err(session.fail("read", Some(name), false))
}

/// `secret show`.
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn show(
    session: &Session,
    name: &str,
    version: Option<String>,
) -> Result<Value, KvError> {
    Ok(SecretView::secret(&get(session, name, version).await?).to_value())
}

/// The value of a secret (the latest version unless `version`), for
/// `show --value-only`, `run` and `export`.
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn value(
    session: &Session,
    name: &str,
    version: Option<String>,
) -> Result<String, KvError> {
    Ok(get(session, name, version).await?.value.as_str().to_owned())
}

/// The names of the enabled secrets whose name starts with (and is longer
/// than) `prefix`, sorted, and the names of the disabled ones (for `export`).
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn enabled_names(
    session: &Session,
    prefix: &str,
) -> Result<(Vec<String>, Vec<String>), KvError> {
    let all: Vec<(String, bool)> = session
        .client
        .list_properties_of_secrets()
        .map_ok(|p| (p.name, p.enabled != Some(false)))
        .try_collect()
        .await
        .map_err(session.fail("list", None, false))?;
    let (mut enabled, mut disabled): (Vec<_>, Vec<_>) = all
        .into_iter()
        .filter(|(name, _)| name.len() > prefix.len() && name.starts_with(prefix))
        .partition(|(_, enabled)| *enabled);
    enabled.sort();
    disabled.sort();
    let names = |v: Vec<(String, bool)>| v.into_iter().map(|(n, _)| n).collect();
    Ok((names(enabled), names(disabled)))
}

/// What `secret rotate` does besides setting a new value.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    /// The value's length in characters.
    pub length: usize,
    /// The characters it is drawn from.
    pub alphabet: Alphabet,
    /// Copy the content type and tags of the current version.
    pub copy_properties: bool,
    /// The new version expires this long from now.
    pub expires_in: Option<Duration>,
    /// Disable the version that was current.
    pub disable_previous: bool,
    /// Print the new value.
    pub show_value: bool,
}

/// `secret rotate`: reads the current version, sets a new one with a
/// generated value, and optionally disables the previous one.
///
/// # Errors
/// A [`KvError`] when reading, setting or disabling fails (the message says
/// which step failed, so a half-done rotation is visible).
pub async fn rotate(
    session: &Session,
    name: &str,
    options: &RotateOptions,
) -> Result<Value, KvError> {
    let current = session.client.get_secret(name).await.map_err(|e| {
        let mut error = session.fail("rotate", Some(name), false)(e);
        if error.status_code == Some(404) {
            error.message = format!(
                "secret '{name}' not found in {}: rotate makes a new version of an existing \
                     secret. Create it first with `kv secret set {name} VALUE`.",
                session.vault()
            );
        }
        error
    })?;
    let previous = current.properties;
    let value = generate::generate(options.length, options.alphabet)?;
    let mut set = session.client.set_secret(name, &value);
    if options.copy_properties {
        if let Some(content_type) = &previous.content_type {
            set = set.content_type(content_type.clone());
        }
        set = set.tags(previous.tags.clone());
    }
    if let Some(expires_in) = options.expires_in {
        set = set.expires_on(session.clock.now() + expires_in);
    }
    let new = set.await.map_err(session.fail("set", Some(name), false))?;
    let mut disabled = false;
    if options.disable_previous
        && previous.version.is_some()
        && previous.version != new.properties.version
    {
        session
            .client
            .update_secret_properties(name)
            .version(previous.version.as_deref().unwrap_or_default())
            .enabled(false)
            .await
            .map_err(|e| {
                let mut error =
                    session.fail("disable the previous version of", Some(name), false)(e);
                error.message = format!(
                    "the new version {} is set, but disabling the previous one failed: {}. \
                     Retry with `kv secret update {name} --version {} --enabled false`.",
                    new.properties.version.as_deref().unwrap_or("?"),
                    error.message,
                    previous.version.as_deref().unwrap_or("?")
                );
                error
            })?;
        disabled = true;
    }
    let mut view = if options.show_value {
        SecretView::secret(&new)
    } else {
        SecretView::properties(&new.properties)
    }
    .to_value();
    if let Value::Object(map) = &mut view {
        map.insert("previousVersion".into(), json!(previous.version));
        map.insert("previousDisabled".into(), json!(disabled));
    }
    Ok(view)
}

/// `secret update`.
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn update(
    session: &Session,
    name: &str,
    version: Option<String>,
    p: PropertyArgs,
) -> Result<Value, KvError> {
    let mut request = session
        .client
        .update_secret_properties(name)
        .version(version.as_deref().unwrap_or_default());
    apply_properties!(request, p);
    let properties = request
        .await
        .map_err(session.fail("update", Some(name), false))?;
    Ok(SecretView::properties(&properties).to_value())
}

fn page_size<T: Send + 'static>(
    pager: keyvault_secrets::Pager<T>,
    max_page_size: Option<u32>,
) -> keyvault_secrets::Pager<T> {
    match max_page_size {
        Some(size) => pager.max_page_size(size),
        None => pager,
    }
}

/// Reads every page of a listing into a JSON array, each item shown by
/// `view`.
async fn collect_pages<S>(
    pages: S,
    view: impl Fn(S::Ok) -> Value,
    fail: impl Fn(keyvault_secrets::Error) -> KvError,
) -> Result<Value, KvError>
where
    S: TryStream<Error = keyvault_secrets::Error>,
{
    let items: Vec<Value> = pages.map_ok(view).try_collect().await.map_err(fail)?;
    Ok(Value::Array(items))
}

/// `secret list`.
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn list(session: &Session, max_page_size: Option<u32>) -> Result<Value, KvError> {
    collect_pages(
        page_size(session.client.list_properties_of_secrets(), max_page_size),
        |p| SecretView::properties(&p).to_value(),
        session.fail("list", None, false),
    )
    .await
}

/// `secret list-versions`.
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn list_versions(
    session: &Session,
    name: &str,
    max_page_size: Option<u32>,
) -> Result<Value, KvError> {
    collect_pages(
        page_size(
            session.client.list_properties_of_secret_versions(name),
            max_page_size,
        ),
        |p| SecretView::properties(&p).to_value(),
        session.fail("list the versions of", Some(name), false),
    )
    .await
}

/// `secret list-deleted`.
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn list_deleted(session: &Session, max_page_size: Option<u32>) -> Result<Value, KvError> {
    collect_pages(
        page_size(session.client.list_deleted_secrets(), max_page_size),
        |d| SecretView::deleted(&d).to_value(),
        session.fail("list", None, true),
    )
    .await
}

/// Starts a delete or recover (`$start`, a future of its poller), says
/// `$message` with a spinner, then polls to completion at the session's
/// interval, and gives the finished poller (the two pollers are
/// different types with the same `poll` method).
macro_rules! wait_with_progress {
    ($start:expr, $message:expr, $session:ident, $progress:ident, $fail:ident) => {{
        let mut poller = $start.await.map_err(&$fail)?;
        $progress.start($message);
        while !poller.poll().await.map_err(&$fail)? {
            tokio::time::sleep($session.poll_interval).await;
        }
        $progress.finish();
        poller
    }};
}

/// `secret delete`: starts the delete and waits until it is done.
///
/// # Errors
/// A [`KvError`] when the delete or the wait for it fails.
pub async fn delete(
    session: &Session,
    name: &str,
    progress: &mut Progress,
) -> Result<Value, KvError> {
    let fail = session.fail("delete", Some(name), false);
    let poller = wait_with_progress!(
        session.client.begin_delete_secret(name),
        &format!("Deleting secret '{name}'"),
        session,
        progress,
        fail
    );
    let deleted = poller.await.map_err(&fail)?;
    Ok(SecretView::deleted(&deleted).to_value())
}

/// `secret show-deleted`.
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn show_deleted(session: &Session, name: &str) -> Result<Value, KvError> {
    let deleted = session
        .client
        .get_deleted_secret(name)
        .await
        .map_err(session.fail("read", Some(name), true))?;
    Ok(SecretView::deleted(&deleted).to_value())
}

/// `secret recover`: starts the recovery and waits until it is done.
///
/// # Errors
/// A [`KvError`] when the recovery or the wait for it fails.
pub async fn recover(
    session: &Session,
    name: &str,
    progress: &mut Progress,
) -> Result<Value, KvError> {
    let fail = session.fail("recover", Some(name), true);
    let poller = wait_with_progress!(
        session.client.begin_recover_deleted_secret(name),
        &format!("Recovering secret '{name}'"),
        session,
        progress,
        fail
    );
    let properties = poller.await.map_err(&fail)?;
    Ok(SecretView::properties(&properties).to_value())
}

/// `secret purge`.
///
/// # Errors
/// A [`KvError`] saying what failed and what to do ([`crate::error::from_client`]),
/// when the vault operation fails.
pub async fn purge(session: &Session, name: &str) -> Result<Value, KvError> {
    session
        .client
        .purge_deleted_secret(name)
        .await
        .map_err(session.fail("purge", Some(name), true))?;
    Ok(json!({"name": name, "purged": true}))
}

/// `secret backup --file`: writes the backup bytes to a new file.
///
/// # Errors
/// A [`KvError`] when the backup fails, or the file exists or cannot be
/// written.
pub async fn backup(session: &Session, name: &str, file: &Path) -> Result<Value, KvError> {
    let bytes = session
        .client
        .backup_secret(name)
        .await
        .map_err(session.fail("back up", Some(name), false))?;
    let len = bytes.len();
    write_new_file(file, bytes).await?;
    Ok(json!({"name": name, "file": file.display().to_string(), "bytes": len}))
}

/// Writes a new file readable by its owner only; refuses to overwrite.
async fn write_new_file(path: &Path, bytes: Vec<u8>) -> Result<(), KvError> {
    let owned = path.to_owned();
    let write = move || -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&owned)?;
        file.write_all(&bytes)?;
        file.sync_all()
    };
    tokio::task::spawn_blocking(write)
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r)
        .map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::AlreadyExists {
                "; remove it or choose another path"
            } else {
                ""
            };
            KvError::new(
                "FileError",
                format!("cannot write the backup to {}: {e}{hint}", path.display()),
            )
        })
}

/// `secret restore --file`.
///
/// # Errors
/// A [`KvError`] when the file cannot be read or the vault refuses the
/// backup.
pub async fn restore(session: &Session, file: &Path) -> Result<Value, KvError> {
    let bytes = session.fs.read(file).await.map_err(|e| {
        KvError::new(
            "FileError",
            format!("cannot read the backup {}: {e}", file.display()),
        )
    })?;
    let properties = session
        .client
        .restore_secret_backup(&bytes)
        .await
        .map_err(session.fail("restore", None, false))?;
    Ok(SecretView::properties(&properties).to_value())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn value_from_stdin_drops_one_newline() {
        let mut input: &[u8] = b"s3cr3t\r\n";
        let v = read_value(
            Some("-".into()),
            None,
            &Fs::empty(),
            Stdin::Reader(&mut input),
        )
        .await
        .unwrap();
        assert_eq!(v, "s3cr3t");
        let mut input: &[u8] = b"two\n\n";
        let v = read_value(
            Some("-".into()),
            None,
            &Fs::empty(),
            Stdin::Reader(&mut input),
        )
        .await
        .unwrap();
        assert_eq!(v, "two\n");
    }

    #[tokio::test]
    async fn value_from_file_is_exact() {
        let fs = Fs::from_files([("/v", b"line\n".to_vec())]);
        let v = read_value(None, Some("/v".into()), &fs, Stdin::Unavailable("no"))
            .await
            .unwrap();
        assert_eq!(v, "line\n");
        let e = read_value(None, Some("/missing".into()), &fs, Stdin::Unavailable("no"))
            .await
            .unwrap_err();
        assert_eq!(e.code.as_deref(), Some("FileError"));
        assert!(e.message.contains("/missing"));
    }

    #[tokio::test]
    async fn stdin_unavailable_in_batch_is_a_usage_error() {
        let e = read_value(
            Some("-".into()),
            None,
            &Fs::empty(),
            Stdin::Unavailable("standard input holds the operations"),
        )
        .await
        .unwrap_err();
        assert!(e.usage);
        assert!(e.message.contains("holds the operations"));
    }

    #[tokio::test]
    async fn literal_value_is_used() {
        let v = read_value(
            Some("x".into()),
            None,
            &Fs::empty(),
            Stdin::Unavailable("no"),
        )
        .await
        .unwrap();
        assert_eq!(v, "x");
    }

    #[tokio::test]
    async fn backup_file_is_new_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b");
        write_new_file(&path, b"blob".to_vec()).await.unwrap();
        let e = write_new_file(&path, b"other".to_vec()).await.unwrap_err();
        assert!(e.message.contains("remove it or choose another path"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
