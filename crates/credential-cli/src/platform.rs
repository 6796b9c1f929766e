//! Where tools are looked for and run from: the `PATH` search and the safe
//! working directory, for Unix and Windows.

use std::path::{Path, PathBuf};

use credential_core::{CredentialError, Env, Fs};

/// The operating-system family whose rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Platform {
    /// `:`-separated `PATH`, programs without extensions, cwd `/bin`.
    Unix,
    /// `;`-separated `PATH`, `PATHEXT` extensions, cwd `%SystemRoot%`.
    Windows,
}

impl Platform {
    /// The platform this program was built for.
    pub(crate) fn current() -> Self {
        if cfg!(windows) {
            Self::Windows
        } else {
            Self::Unix
        }
    }
}

/// The extensions tried on Windows when `PATHEXT` is not set.
const DEFAULT_PATHEXT: &str = ".COM;.EXE;.BAT;.CMD";

/// The first of `names` found on the `PATH` of `env`, as a full path.
///
/// Each name is searched in every `PATH` directory before the next name is
/// tried. Directories that are empty or relative are skipped (they would
/// resolve against our own working directory). On Windows a name without an
/// extension is tried with each `PATHEXT` extension; quotes around `PATH`
/// entries are dropped. Candidates are checked with [`Fs::is_file`].
pub(crate) fn find_program(
    env: &Env,
    fs: &Fs,
    platform: Platform,
    names: &[&str],
) -> Option<PathBuf> {
    // Read lossily: one directory that is not Unicode (legal on Unix) must
    // not hide the others; its mangled name simply matches no file.
    let raw = |name: &str| {
        env.get_os(name)
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| !v.trim().is_empty())
    };
    let path = raw("PATH").or_else(|| match platform {
        Platform::Windows => raw("Path"),
        Platform::Unix => None,
    })?;
    let separator = match platform {
        Platform::Unix => ':',
        Platform::Windows => ';',
    };
    let dirs: Vec<PathBuf> = path
        .split(separator)
        .map(|d| d.trim().trim_matches('"'))
        .filter(|d| !d.is_empty() && is_absolute(d, platform))
        .map(PathBuf::from)
        .collect();
    let extensions: Vec<String> = match platform {
        Platform::Unix => vec![String::new()],
        Platform::Windows => env
            .get("PATHEXT")
            .unwrap_or_else(|| DEFAULT_PATHEXT.to_owned())
            .split(';')
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| e.starts_with('.'))
            .collect(),
    };
    names.iter().find_map(|name| {
        let has_extension = Path::new(name).extension().is_some();
        dirs.iter().find_map(|dir| {
            if platform == Platform::Unix || has_extension {
                Some(dir.join(name)).filter(|c| fs.is_file(c))
            } else {
                extensions
                    .iter()
                    .map(|ext| dir.join(format!("{name}{ext}")))
                    .find(|c| fs.is_file(c))
            }
        })
    })
}

fn is_absolute(dir: &str, platform: Platform) -> bool {
    match platform {
        Platform::Unix => dir.starts_with('/'),
        // `C:\…`, `C:/…` or a UNC path `\\server\…`.
        Platform::Windows => {
            let bytes = dir.as_bytes();
            (bytes.len() >= 3
                && bytes[0].is_ascii_alphabetic()
                && bytes[1] == b':'
                && matches!(bytes[2], b'\\' | b'/'))
                || dir.starts_with("\\\\")
        }
    }
}

/// The directory tools run in, so that they never pick up files from the
/// caller's working directory: `/bin` on Unix, `%SystemRoot%` on Windows.
pub(crate) fn working_directory(
    credential: &'static str,
    env: &Env,
    platform: Platform,
) -> Result<PathBuf, CredentialError> {
    match platform {
        Platform::Unix => Ok(PathBuf::from("/bin")),
        Platform::Windows => env
            .get("SystemRoot")
            .or_else(|| env.get("SYSTEMROOT"))
            .map(PathBuf::from)
            .ok_or_else(|| {
                CredentialError::unavailable(
                    credential,
                    "the environment variable SystemRoot has no value, so there is no safe directory to run the tool in; set it to your Windows directory (usually C:\\Windows)",
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_search_follows_path_order() {
        let env = Env::from_pairs([("PATH", "relative/bin::/usr/local/bin:/usr/bin")]);
        let fs = Fs::from_files([
            ("/usr/bin/az", ""),
            ("/usr/local/bin/az", ""),
            ("relative/bin/az", ""),
        ]);
        assert_eq!(
            find_program(&env, &fs, Platform::Unix, &["az"]),
            Some(PathBuf::from("/usr/local/bin/az"))
        );
        assert_eq!(find_program(&env, &fs, Platform::Unix, &["azd"]), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_path_entry_that_is_not_unicode_hides_no_other() {
        use std::ffi::OsString;
        use std::os::unix::ffi::OsStringExt;
        let path = OsString::from_vec(b"/opt/\xff/bin:/usr/bin".to_vec());
        let env = Env::from_os_pairs([("PATH", path)]);
        let fs = Fs::from_files([("/usr/bin/az", "")]);
        assert_eq!(
            find_program(&env, &fs, Platform::Unix, &["az"]),
            Some(PathBuf::from("/usr/bin/az"))
        );
    }

    #[test]
    fn no_path_finds_nothing() {
        let fs = Fs::from_files([("/usr/bin/az", "")]);
        assert_eq!(
            find_program(&Env::empty(), &fs, Platform::Unix, &["az"]),
            None
        );
    }

    #[test]
    fn windows_tries_explicit_name_then_pathext() {
        let env = Env::from_pairs([
            (
                "PATH",
                r#""C:\Program Files\Azure CLI\wbin";C:\Tools;.\local"#,
            ),
            ("PATHEXT", ".COM;.EXE;.BAT;.CMD"),
        ]);
        // Built with `join`, as the search builds them, so that the test
        // runs on every host.
        let fs = Fs::from_files([
            (PathBuf::from(r"C:\Tools").join("az.exe"), ""),
            (
                PathBuf::from(r"C:\Program Files\Azure CLI\wbin").join("az.cmd"),
                "",
            ),
            (PathBuf::from(r".\local").join("az.cmd"), ""),
        ]);
        assert_eq!(
            find_program(&env, &fs, Platform::Windows, &["az.cmd", "az"]),
            Some(PathBuf::from(r"C:\Program Files\Azure CLI\wbin").join("az.cmd"))
        );
        let fs = Fs::from_files([(PathBuf::from(r"C:\Tools").join("pwsh.exe"), "")]);
        assert_eq!(
            find_program(&env, &fs, Platform::Windows, &["pwsh"]),
            Some(PathBuf::from(r"C:\Tools").join("pwsh.exe"))
        );
    }

    #[test]
    fn working_directories() {
        assert_eq!(
            working_directory("C", &Env::empty(), Platform::Unix).unwrap(),
            PathBuf::from("/bin")
        );
        let env = Env::from_pairs([("SystemRoot", r"C:\Windows")]);
        assert_eq!(
            working_directory("C", &env, Platform::Windows).unwrap(),
            PathBuf::from(r"C:\Windows")
        );
        let err = working_directory("C", &Env::empty(), Platform::Windows).unwrap_err();
        assert!(err.is_unavailable() && err.to_string().contains("SystemRoot"));
    }
}
