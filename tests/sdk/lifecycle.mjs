// The whole secret lifecycle with the official JavaScript clients, at their
// default settings (challenge-resource verification on), against the Key
// Vault emulator. Run by tests/sdk/run.sh as
// `node --import ./localhost.mjs lifecycle.mjs`, which starts the emulator and
// exports AZURE_KEYVAULT_URL (https://sdk.vault.localhost:PORT),
// AZURE_AUTHORITY_HOST, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
// NODE_EXTRA_CA_CERTS and EMULATOR_IP_URL (the same emulator by IP address,
// for the check that verification is on).
import { createRequire } from "node:module";
import assert from "node:assert/strict";

// The packages live in tests/sdk/.deps/js (NODE_PATH), outside this folder.
const require = createRequire(process.env.NODE_PATH + "/");
const { ClientSecretCredential } = require("@azure/identity");
const { SecretClient } = require("@azure/keyvault-secrets");

// --- snippet: js-client (docs/emulator.md) ---
const credential = new ClientSecretCredential(
  process.env.AZURE_TENANT_ID,
  process.env.AZURE_CLIENT_ID,
  process.env.AZURE_CLIENT_SECRET,
  {
    authorityHost: process.env.AZURE_AUTHORITY_HOST, // the emulator's token issuer
    disableInstanceDiscovery: true, // the emulator is not a known Entra cloud
  },
);
// https://NAME.vault.localhost:PORT; the challenge names the resource
// https://vault.localhost:PORT, whose subdomain the vault is, so the client's
// challenge-resource verification (on by default) passes.
const client = new SecretClient(process.env.AZURE_KEYVAULT_URL, credential);
// --- end snippet ---

async function expectStatus(status, call) {
  try {
    await call();
  } catch (e) {
    assert.equal(e.statusCode, status, `expected ${status}, got ${e.statusCode}: ${e.message}`);
    return e;
  }
  assert.fail(`expected HTTP ${status}, the call succeeded`);
}

async function collect(iterator) {
  const items = [];
  for await (const item of iterator) items.push(item);
  return items;
}

const name = `js-lifecycle-${Date.now()}`;
const steps = [];

// Verification is on: the same emulator by IP address is refused before any
// token is sent (an IP address is no subdomain of the challenge resource).
await assert.rejects(
  new SecretClient(process.env.EMULATOR_IP_URL, credential).getSecret(name),
  (e) => /challenge resource/i.test(e.message),
);
steps.push("challenge verified");

const first = await client.setSecret(name, "v1", { contentType: "text/plain", tags: { step: "1" } });
const second = await client.setSecret(name, "v2");
assert.equal(second.value, "v2");
assert.notEqual(second.properties.version, first.properties.version);
steps.push("set");

const versions = new Set((await collect(client.listPropertiesOfSecretVersions(name))).map((p) => p.version));
assert.deepEqual(versions, new Set([first.properties.version, second.properties.version]));
// One per page: the second page comes through the nextLink.
const pages = await collect(client.listPropertiesOfSecretVersions(name).byPage({ maxPageSize: 1 }));
assert.deepEqual(pages.map((page) => page.length).filter((n) => n > 0), [1, 1]);
steps.push("versions");

const old = await client.getSecret(name, { version: first.properties.version });
assert.equal(old.value, "v1");
assert.equal(old.properties.contentType, "text/plain");
assert.equal((await client.getSecret(name)).value, "v2");
steps.push("get by version");

const updated = await client.updateSecretProperties(name, second.properties.version, { tags: { step: "update" } });
assert.deepEqual(updated.tags, { step: "update" });
steps.push("update");

await client.updateSecretProperties(name, first.properties.version, { enabled: false });
const forbidden = await expectStatus(403, () => client.getSecret(name, { version: first.properties.version }));
assert.equal(forbidden.code, "Forbidden");
steps.push("disable -> 403");

assert.ok((await collect(client.listPropertiesOfSecrets())).some((p) => p.name === name));
steps.push("list");

const backup = await client.backupSecret(name);
assert.ok(backup instanceof Uint8Array && backup.length > 0);
steps.push("backup");

const deletePoller = await client.beginDeleteSecret(name);
const deleted = await deletePoller.pollUntilDone();
assert.equal(deleted.name, name);
assert.ok(deleted.recoveryId && deleted.scheduledPurgeDate instanceof Date);
steps.push("delete + poll");

const got = await client.getDeletedSecret(name);
assert.ok(got.properties.deletedOn instanceof Date);
assert.equal(got.properties.recoveryLevel, "Recoverable+Purgeable");
steps.push("get deleted");

assert.ok((await collect(client.listDeletedSecrets())).some((d) => d.name === name));
steps.push("list deleted");

const recoverPoller = await client.beginRecoverDeletedSecret(name);
const recovered = await recoverPoller.pollUntilDone();
assert.equal(recovered.name, name);
assert.equal((await client.getSecret(name)).value, "v2");
steps.push("recover + poll");

await (await client.beginDeleteSecret(name)).pollUntilDone();
await client.purgeDeletedSecret(name);
await expectStatus(404, () => client.getDeletedSecret(name));
steps.push("purge");

const restored = await client.restoreSecretBackup(backup);
assert.equal(restored.name, name);
assert.equal((await client.getSecret(name)).value, "v2");
// The backup kept every version with its attributes: the old one is still disabled.
await expectStatus(403, () => client.getSecret(name, { version: first.properties.version }));
steps.push("restore");

const missing = await expectStatus(404, () => client.getSecret(`${name}-missing`));
assert.equal(missing.code, "SecretNotFound");
steps.push("not found -> 404");

console.log(`js ok: ${steps.join(", ")}`);
