#!/usr/bin/env bash
# Mutation testing of what a change touches: cargo-mutants mutates the Rust
# lines that differ from BASE (default: main) and runs the whole workspace's
# tests against each mutant. A "missed" mutant is a behaviour change no test
# notices: pin it with a test, or, if the mutant is truly equivalent, say so
# in a comment beside the code.
#
# Usage: scripts/mutants.sh [BASE] [cargo-mutants options] [-- cargo test options]
#   scripts/mutants.sh                      # the branch's change against main
#   scripts/mutants.sh origin/main -j2      # two mutants at a time
#   scripts/mutants.sh main --file crates/credential-core/src/cache.rs -- -p credential-core
#
# Whole-file mode, for a module that carries a rule (cache, chain, retries,
# challenge, DefaultAzureCredential's selection, IMDS retries, pollers):
#   scripts/mutants.sh --file crates/credential-core/src/cache.rs [cargo-mutants options]
# mutates every line of FILE and runs only the tests of the crate that owns
# it (a mutant caught there is pinned by that crate's own tests, the
# stricter bar). It runs niced (idle CPU only), in place (the worktree's own
# target/, no copy of the tree; do not edit the crate meanwhile, and never
# run two at once), without doctests (unit and integration tests carry the
# rules; doctests only show usage and each one is a separate build), with
# the test timeout of .cargo/mutants.toml. Results: mutants.out.CRATE-STEM/.
# Split a big file with --re / --exclude-re (e.g. --re 'get_or_fetch_inline').
#
# Install once: cargo install cargo-mutants --locked
# Results: mutants.out/ (missed.txt, caught.txt, timeout.txt, unviable.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --file ]]; then
  file=${2:?usage: scripts/mutants.sh --file crates/CRATE/src/FILE.rs [options]}
  shift 2
  crate=$(sed -n 's|^crates/\([^/]*\)/.*|\1|p' <<<"$file")
  if [[ -z $crate || ! -f $file ]]; then
    echo "not a file under crates/CRATE/: $file" >&2
    exit 2
  fi
  stem=$(basename "$file" .rs)
  exec nice -n 19 cargo mutants --in-place --file "$file" --test-package "$crate" \
    --cargo-test-arg=--tests -o "mutants.out.$crate-$stem" "$@"
fi

base=main
if [[ $# -gt 0 && $1 != -* ]]; then
  base=$1
  shift
fi

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "cargo-mutants is not installed: cargo install cargo-mutants --locked" >&2
  exit 2
fi

diff=$(mktemp)
trap 'rm -f "$diff"' EXIT
# Against the merge base, so that work landed on BASE since is not counted.
git diff --merge-base "$base" -- '*.rs' >"$diff"
if [[ ! -s $diff ]]; then
  echo "no Rust change against $base: nothing to mutate"
  exit 0
fi

# One job by default: each mutant builds and tests the workspace.
exec cargo mutants --in-diff "$diff" --test-workspace=true --jobs "${MUTANTS_JOBS:-1}" "$@"
