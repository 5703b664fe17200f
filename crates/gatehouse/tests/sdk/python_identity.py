"""Identity providers through the official Python SDK (`cloudflare` 5.9.x) only: an `oidc`
provider created, read (never its client secret, always its redirect URL), listed, updated
(the secret kept when not sent, replaced when sent) and deleted; a `github` provider created
and read the same way, and named by a `github-organization` policy rule.

Run by `crates/gatehouse/tests/e2e/sdk.rs` against a fresh gatehouse server with the environment
of `python_contract.py` (CLOUDFLARE_BASE_URL, CLOUDFLARE_API_TOKEN, GATEHOUSE_ACCOUNT_ID).
Every check runs; the script lists each broken expectation and exits non-zero if there is any.
"""

import json
import os
import sys

import cloudflare
from cloudflare import Cloudflare

ACCOUNT = os.environ["GATEHOUSE_ACCOUNT_ID"]
SECRET = "oidc-client-secret-from-the-python-sdk"

client = Cloudflare(max_retries=0)
idps = client.zero_trust.identity_providers
failures = []


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}", flush=True)
        failures.append(message)
    return condition


def step(title):
    print(f"--- {title}", flush=True)


def config(**extra):
    return {
        "client_id": "gatehouse",
        "client_secret": SECRET,
        "auth_url": "https://sso.example.com/realms/corp/protocol/openid-connect/auth",
        "token_url": "https://sso.example.com/realms/corp/protocol/openid-connect/token",
        "certs_url": "https://sso.example.com/realms/corp/protocol/openid-connect/certs",
        "scopes": ["openid", "email", "profile"],
        "claims": ["groups"],
        "email_claim_name": "email",
        "pkce_enabled": True,
        **extra,
    }


def no_secret(what, model):
    text = json.dumps(model.to_dict(mode="json"))
    check(SECRET not in text and "client_secret" not in text, f"{what} shows the client secret: {text}")


step("create an oidc provider")
created = idps.create(account_id=ACCOUNT, name="Keycloak", type="oidc", config=config())
check(created.type == "oidc" and created.name == "Keycloak", f"created: {created}")
check(bool(created.id), "the new provider has an id")
no_secret("create", created)
raw = created.to_dict(mode="json")["config"]
check(str(raw.get("redirect_url", "")).endswith("/cdn-cgi/access/callback"), f"no redirect_url: {raw}")
check(created.config.pkce_enabled is True and created.config.scopes == ["openid", "email", "profile"], f"{created.config}")

step("get and list")
got = idps.get(created.id, account_id=ACCOUNT)
check(got.id == created.id and got.config.client_id == "gatehouse", f"get: {got}")
no_secret("get", got)
listed = list(idps.list(account_id=ACCOUNT))
check([p.id for p in listed] == [created.id], f"list: {[p.id for p in listed]}")
for provider in listed:
    no_secret("list", provider)

step("update: rename without the secret, then replace the secret")
without = {k: v for k, v in config().items() if k != "client_secret"}
renamed = idps.update(created.id, account_id=ACCOUNT, name="Keycloak (corp)", type="oidc", config=without)
check(renamed.name == "Keycloak (corp)", f"update: {renamed}")
no_secret("update", renamed)
replaced = idps.update(
    created.id, account_id=ACCOUNT, name="Keycloak (corp)", type="oidc", config=config(client_secret="another")
)
no_secret("update with a secret", replaced)
check(idps.get(created.id, account_id=ACCOUNT).name == "Keycloak (corp)", "the rename is stored")

step("a bad config is refused in Cloudflare's envelope")
try:
    idps.create(account_id=ACCOUNT, name="broken", type="oidc", config={"client_id": "x", "client_secret": "y"})
    check(False, "a config without auth_url was accepted")
except cloudflare.BadRequestError as error:
    check("auth_url" in str(error), f"the error names the field: {error}")

step("delete")
deleted = idps.delete(created.id, account_id=ACCOUNT)
check(deleted is not None and deleted.id == created.id, f"delete: {deleted}")
try:
    idps.get(created.id, account_id=ACCOUNT)
    check(False, "a deleted provider is still found")
except cloudflare.NotFoundError:
    pass

step("a github provider, and a github-organization rule naming it")
GITHUB_SECRET = "github-oauth-secret-from-the-python-sdk"
github = idps.create(
    account_id=ACCOUNT, name="GitHub", type="github",
    config={"client_id": "Ov23liPythonSdk0001", "client_secret": GITHUB_SECRET},
)
check(github.type == "github" and github.config.client_id == "Ov23liPythonSdk0001", f"github: {github}")
got = idps.get(github.id, account_id=ACCOUNT)
text = json.dumps(got.to_dict(mode="json"))
check(GITHUB_SECRET not in text and "client_secret" not in text, f"get shows the github secret: {text}")
check(str(got.to_dict(mode="json")["config"].get("redirect_url", "")).endswith("/cdn-cgi/access/callback"), text)
rule = {"github-organization": {"name": "acme", "team": "platform", "identity_provider_id": github.id}}
policy = client.zero_trust.access.policies.create(
    account_id=ACCOUNT, name="acme platform", decision="allow", include=[rule],
)
stored = policy.to_dict(mode="json")["include"]
check(stored == [rule], f"the rule round-trips: {stored}")
try:
    client.zero_trust.access.policies.create(
        account_id=ACCOUNT, name="wrong provider", decision="allow",
        include=[{"github-organization": {"name": "acme", "identity_provider_id": created.id}}],
    )
    check(False, "a github-organization rule naming a deleted provider was accepted")
except cloudflare.BadRequestError as error:
    check("github identity provider" in str(error), f"the error says why: {error}")
client.zero_trust.access.policies.delete(policy.id, account_id=ACCOUNT)
check(idps.delete(github.id, account_id=ACCOUNT).id == github.id, "the github provider is deleted")

if failures:
    sys.exit(f"python_identity.py: {len(failures)} broken expectation(s)")
print("python_identity.py: all checks passed", flush=True)
