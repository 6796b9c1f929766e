//! `docs/emulator.md` shows the Python and JavaScript client set-up exactly
//! as `tests/sdk/` runs it, and names every flag of the binary.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // Tests read the repository's files.

use std::path::PathBuf;

fn repo_file(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap()
}

/// The lines between `--- snippet: NAME` and `--- end snippet` in a script.
fn script_snippet(script: &str, name: &str) -> String {
    let start = format!("--- snippet: {name} ");
    let lines: Vec<&str> = script
        .lines()
        .skip_while(|l| !l.contains(&start))
        .skip(1)
        .take_while(|l| !l.contains("--- end snippet"))
        .collect();
    assert!(!lines.is_empty(), "no snippet {name}");
    lines.join("\n")
}

/// The code block after `<!-- snippet: NAME -->` in the docs.
fn doc_snippet(doc: &str, name: &str) -> String {
    let marker = format!("<!-- snippet: {name} -->");
    let lines: Vec<&str> = doc
        .lines()
        .skip_while(|l| *l != marker)
        .skip(2) // the marker and the opening fence
        .take_while(|l| !l.starts_with("```"))
        .collect();
    assert!(!lines.is_empty(), "no doc snippet {name}");
    lines.join("\n")
}

#[test]
fn sdk_snippets_in_the_docs_are_the_ones_the_scripts_run() {
    let doc = repo_file("docs/emulator.md");
    for (script, name) in [
        ("tests/sdk/lifecycle.py", "python-localhost"),
        ("tests/sdk/lifecycle.py", "python-client"),
        ("tests/sdk/localhost.mjs", "js-localhost"),
        ("tests/sdk/lifecycle.mjs", "js-client"),
    ] {
        assert_eq!(
            doc_snippet(&doc, name),
            script_snippet(&repo_file(script), name),
            "{name}: docs/emulator.md and {script} differ"
        );
    }
}

#[test]
fn every_flag_is_documented() {
    let doc = repo_file("docs/emulator.md");
    let main = repo_file("crates/keyvault-emulator/src/main.rs");
    let mut flags = 0;
    for line in main.lines() {
        // Flags are `#[arg(long...)]` on a field; the field (or `long = "x"`) names it.
        let Some(rest) = line.trim().strip_prefix("#[arg(long") else {
            continue;
        };
        flags += 1;
        let name = match rest.strip_prefix(" = \"") {
            Some(named) => named.split('"').next().unwrap().to_owned(),
            None => {
                let field = main
                    .lines()
                    .skip_while(|l| l.trim() != line.trim())
                    .nth(1)
                    .unwrap();
                field.trim().split(':').next().unwrap().replace('_', "-")
            }
        };
        assert!(
            doc.contains(&format!("`--{name}")),
            "--{name} is not in docs/emulator.md"
        );
    }
    assert!(flags >= 10, "found only {flags} flags");
}
