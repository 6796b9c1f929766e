// Preloaded by tests/sdk/run.sh (`node --import ./localhost.mjs lifecycle.mjs`).
// --- snippet: js-localhost (docs/emulator.md) ---
// RFC 6761: every name under .localhost is this machine, but glibc (and so
// Node's dns.lookup) does not resolve them. Answer them with 127.0.0.1, in
// this process only.
import dns from "node:dns";
import { syncBuiltinESMExports } from "node:module";

const lookup = dns.lookup;
dns.lookup = function lookupLocalhost(hostname, ...rest) {
  const name = String(hostname).replace(/\.$/, "").toLowerCase();
  return lookup.call(this, name.endsWith(".localhost") ? "127.0.0.1" : hostname, ...rest);
};
syncBuiltinESMExports();
// --- end snippet ---
