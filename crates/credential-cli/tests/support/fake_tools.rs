//! Real processes: small `#!/bin/sh` scripts standing in for the tools, in
//! a temporary directory that is the whole injected `PATH`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use credential_core::{Env, Fs, ProviderContext, SystemProcessRunner};
use tempfile::TempDir;

/// A temporary directory of fake tool scripts.
pub struct FakeTools {
    dir: TempDir,
}

impl FakeTools {
    pub fn new() -> Self {
        Self {
            dir: TempDir::new().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes an executable `#!/bin/sh` script `name` running `body`.
    pub fn script(&self, name: &str, body: &str) {
        self.write(name, body, 0o755);
    }

    /// Writes `name` with `body` and permission bits `mode`.
    pub fn write(&self, name: &str, body: &str, mode: u32) {
        let path = self.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// Writes script `name` that first records its arguments (one per
    /// line), working directory and `$variable`, then runs `body`.
    pub fn recording_script(&self, name: &str, variable: &str, body: &str) {
        let dir = self.path().display();
        self.script(
            name,
            &format!(
                "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{dir}/args'\n\
                 pwd > '{dir}/cwd'\n\
                 printf '%s' \"${variable}\" > '{dir}/env'\n\
                 {body}"
            ),
        );
    }

    /// A real context whose `PATH` is only this directory.
    pub fn context(&self) -> ProviderContext {
        ProviderContext::isolated()
            .with_env(Env::from_pairs([("PATH", self.path().to_str().unwrap())]))
            .with_fs(Fs::real())
            .with_process(Arc::new(SystemProcessRunner))
    }

    /// Reads what a script recorded (a test artifact, not credential input).
    #[allow(clippy::disallowed_methods)]
    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path().join(file)).unwrap()
    }

    /// The recording script ran in `/bin` (which may be a link to `/usr/bin`).
    pub fn assert_ran_in_bin(&self) {
        let cwd = self.read("cwd");
        assert_eq!(
            std::fs::canonicalize(cwd.trim_end()).unwrap(),
            std::fs::canonicalize("/bin").unwrap()
        );
    }
}
