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
# Install once: cargo install cargo-mutants --locked
# Results: mutants.out/ (missed.txt, caught.txt, timeout.txt, unviable.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

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
