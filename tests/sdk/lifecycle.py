"""The whole secret lifecycle with the official Python clients, at their
default settings (challenge-resource verification on), against the Key Vault
emulator. Run by tests/sdk/run.sh, which starts the emulator and exports
AZURE_KEYVAULT_URL (https://sdk.vault.localhost:PORT), AZURE_AUTHORITY_HOST,
AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, REQUESTS_CA_BUNDLE and
EMULATOR_IP_URL (the same emulator by IP address, for the check that
verification is on)."""

import os
import time

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient

# --- snippet: python-localhost (docs/emulator.md) ---
# RFC 6761: every name under .localhost is this machine, but glibc does not
# resolve them. Answer them with 127.0.0.1, in this process only.
import socket

_getaddrinfo = socket.getaddrinfo


def _getaddrinfo_localhost(host, *args, **kwargs):
    if isinstance(host, str) and host.rstrip(".").lower().endswith(".localhost"):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo_localhost
# --- end snippet ---

# --- snippet: python-client (docs/emulator.md) ---
credential = ClientSecretCredential(
    tenant_id=os.environ["AZURE_TENANT_ID"],
    client_id=os.environ["AZURE_CLIENT_ID"],
    client_secret=os.environ["AZURE_CLIENT_SECRET"],
    authority=os.environ["AZURE_AUTHORITY_HOST"],  # the emulator's token issuer
    disable_instance_discovery=True,  # the emulator is not a known Entra cloud
)
# https://NAME.vault.localhost:PORT; the challenge names the resource
# https://vault.localhost:PORT, whose subdomain the vault is, so the client's
# challenge-resource verification (on by default) passes.
client = SecretClient(os.environ["AZURE_KEYVAULT_URL"], credential)
# --- end snippet ---



def expect_status(status, call):
    try:
        call()
    except HttpResponseError as e:
        assert e.status_code == status, f"expected {status}, got {e.status_code}: {e.message}"
        return e
    raise AssertionError(f"expected HTTP {status}, the call succeeded")


name = f"py-lifecycle-{int(time.time() * 1000)}"
steps = []

# Verification is on: the same emulator by IP address is refused before any
# token is sent (an IP address is no subdomain of the challenge resource).
by_ip = SecretClient(os.environ["EMULATOR_IP_URL"], credential)
try:
    by_ip.get_secret(name)
    raise AssertionError("the challenge resource was not verified")
except ValueError as e:
    assert "challenge resource" in str(e), e
by_ip.close()
steps.append("challenge verified")

first = client.set_secret(name, "v1", content_type="text/plain", tags={"step": "1"})
second = client.set_secret(name, "v2")
assert second.value == "v2" and second.properties.version != first.properties.version
steps.append("set")

versions = {p.version for p in client.list_properties_of_secret_versions(name)}
assert versions == {first.properties.version, second.properties.version}, versions
# One per page: the second page comes through the nextLink.
pages = [list(page) for page in client.list_properties_of_secret_versions(name, max_page_size=1).by_page()]
assert [len(page) for page in pages if page] == [1, 1], pages
steps.append("versions")

old = client.get_secret(name, first.properties.version)
assert old.value == "v1" and old.properties.content_type == "text/plain"
assert client.get_secret(name).value == "v2"
steps.append("get by version")

updated = client.update_secret_properties(name, second.properties.version, tags={"step": "update"})
assert updated.tags == {"step": "update"}
steps.append("update")

client.update_secret_properties(name, first.properties.version, enabled=False)
error = expect_status(403, lambda: client.get_secret(name, first.properties.version))
assert error.error.code == "Forbidden", error.error.code
steps.append("disable -> 403")

assert name in {p.name for p in client.list_properties_of_secrets()}
steps.append("list")

backup = client.backup_secret(name)
assert isinstance(backup, bytes) and backup
steps.append("backup")

poller = client.begin_delete_secret(name)
deleted = poller.result()  # the DELETE's answer; wait() polls until the delete is done
poller.wait()
assert deleted.name == name and deleted.recovery_id and deleted.scheduled_purge_date
steps.append("delete + poll")

got = client.get_deleted_secret(name)
assert got.deleted_date is not None and got.properties.recovery_level == "Recoverable+Purgeable"
steps.append("get deleted")

assert name in {d.name for d in client.list_deleted_secrets()}
steps.append("list deleted")

poller = client.begin_recover_deleted_secret(name)
recovered = poller.result()
poller.wait()
assert recovered.name == name
assert client.get_secret(name).value == "v2"
steps.append("recover + poll")

client.begin_delete_secret(name).wait()
client.purge_deleted_secret(name)
expect_status(404, lambda: client.get_deleted_secret(name))
steps.append("purge")

restored = client.restore_secret_backup(backup)
assert restored.name == name
assert client.get_secret(name).value == "v2"
# The backup kept every version with its attributes: the old one is still disabled.
expect_status(403, lambda: client.get_secret(name, first.properties.version))
steps.append("restore")

try:
    client.get_secret(f"{name}-missing")
    raise AssertionError("a missing secret was found")
except ResourceNotFoundError as e:
    assert e.status_code == 404 and e.error.code == "SecretNotFound", e.error.code
steps.append("not found -> 404")

client.close()
print(f"python ok ({client.api_version}): " + ", ".join(steps))
