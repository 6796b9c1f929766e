#!/usr/bin/env bash
# Packages every publishable crate of the workspace as crates.io would take
# it, and builds each package from its .crate file (cargo's verify step).
#
# The crates are packaged together: a crate that depends on a sibling (every
# one depends on credential-core) can only be verified against that sibling's
# package, which cargo provides from this run until the sibling is published.
# Needs the crates.io index (network). Extra arguments go to cargo, e.g.
# `scripts/package.sh --no-verify` to check metadata and contents only.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t crates < <(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c '
import json, sys
meta = json.load(sys.stdin)
for p in meta["packages"]:
    if p.get("publish") != []:
        print(p["name"])
')
args=()
for crate in "${crates[@]}"; do args+=(-p "$crate"); done
echo "packaging: ${crates[*]}"
cargo package --locked "${args[@]}" "$@"
