//! Shared by the test files: run a built example and capture what it says.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use credential_core::{ProcessRequest, ProcessRunner, SystemProcessRunner};

/// What example `name` printed when run with `AZURE_KEYVAULT_URL` blank
/// (so against its embedded emulator). `cargo test -p examples` builds the
/// examples next to the test binaries; the example must exit successfully.
pub async fn run_example(name: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: run `cargo test -p examples`, which builds the examples",
        path.display()
    );
    // `cargo test --test NAME` does not rebuild the examples: refuse a
    // binary older than its sources rather than test stale code.
    let built = std::fs::metadata(&path).unwrap().modified().unwrap();
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![manifest.join(format!("examples/{name}.rs"))];
    for entry in std::fs::read_dir(manifest.join("src")).unwrap() {
        sources.push(entry.unwrap().path());
    }
    for source in sources {
        let changed = std::fs::metadata(&source).unwrap().modified().unwrap();
        assert!(
            changed <= built,
            "{} is older than {}: run `cargo test -p examples`, which rebuilds the examples",
            path.display(),
            source.display()
        );
    }
    let mut request = ProcessRequest::new(path, Vec::<String>::new());
    // A blank value counts as unset.
    request.env = vec![("AZURE_KEYVAULT_URL".to_owned(), String::new())];
    request.timeout = Duration::from_secs(120);
    let output = SystemProcessRunner.run(request).await.unwrap();
    assert!(
        output.success(),
        "{name} failed: {}{}",
        output.stdout,
        output.stderr
    );
    output.stdout
}
