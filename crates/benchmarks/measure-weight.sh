#!/usr/bin/env bash
# The weight of the quickstart, in one command:
#   bash crates/benchmarks/measure-weight.sh
# - clean release build time of the `quickstart` example (its own target
#   directory, so the shared target/ is neither cleaned nor reused);
# - the binary's size (as built, and stripped);
# - its peak resident memory (VmHWM via /usr/bin/time -v) and wall time for
#   one run against the local emulator it starts in-process;
# - the number of crates in the normal dependency graph (`cargo tree -e normal`,
#   unique lines) of credential-default, keyvault-secrets and examples (the
#   quickstart's graph), with and without the workspace's own crates.
# Set WEIGHT_TARGET_DIR to reuse a target directory (the build is then not clean).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target="${WEIGHT_TARGET_DIR:-${TMPDIR:-/tmp}/benchmarks-weight-target}"
if [ -z "${WEIGHT_TARGET_DIR:-}" ]; then rm -rf "$target"; fi

echo "## machine"
echo "cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "rustc: $(rustc --version)"
echo "load before the build: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "## clean release build of the quickstart"
start=$(date +%s.%N)
CARGO_TARGET_DIR="$target" cargo build --release --locked -p examples --example quickstart 2>&1 | tail -1
end=$(date +%s.%N)
echo "build time: $(echo "$end - $start" | bc) s"
echo "load after the build: $(cut -d' ' -f1-3 /proc/loadavg)"

bin="$target/release/examples/quickstart"
size=$(stat -c %s "$bin")
stripped="$target/quickstart.stripped"
strip -o "$stripped" "$bin"
echo "## binary"
echo "size: $size bytes ($(echo "scale=2; $size/1048576" | bc) MiB)"
echo "stripped: $(stat -c %s "$stripped") bytes ($(echo "scale=2; $(stat -c %s "$stripped")/1048576" | bc) MiB)"

echo "## one run against the in-process emulator (AZURE_KEYVAULT_URL unset)"
log="$target/quickstart-time.txt"
for i in 1 2 3; do
  env -u AZURE_KEYVAULT_URL /usr/bin/time -v "$bin" >"$target/quickstart-out.txt" 2>"$log"
  echo "run $i: peak RSS $(awk -F': ' '/Maximum resident set size/ {print $2}' "$log") KiB, wall $(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")"
done

echo "## crates in the normal dependency graph (cargo tree -e normal --prefix none, unique)"
for pkg in credential-default keyvault-secrets examples; do
  lines=$(cargo tree -e normal --prefix none -p "$pkg" 2>/dev/null | sed 's/ (\*)$//' | sort -u)
  all=$(printf '%s\n' "$lines" | grep -c .)
  third=$(printf '%s\n' "$lines" | grep -vc "($root/" || true)
  echo "$pkg: $all crates ($third not from this workspace)"
done
