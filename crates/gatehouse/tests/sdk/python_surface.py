"""The whole Access surface of the official Python SDK (`cloudflare` 5.9.x), method by method.

Every method under `zero_trust.access` (service_tokens, applications and their sub-resources,
policies, groups, logs, keys, users, bookmarks), `zero_trust.organizations`, `user.tokens` and
`accounts.list` is called at least once: the methods gatehouse serves must answer as the SDK
expects (the types parse, pagination ends, errors raise the SDK's error classes); the ones it
does not serve must raise `NotFoundError` (404, code 12180) with a message naming them. At the
end the script walks the SDK's resource tree and fails if any method was not called, then prints
the count.

Run by `crates/gatehouse/tests/e2e/sdk.rs` against a fresh gatehouse server with:
  CLOUDFLARE_BASE_URL        <api>/client/v4 (also the origin of the test application)
  CLOUDFLARE_API_TOKEN       an API token with edit permission
  GATEHOUSE_ACCOUNT_ID       the account id
  GATEHOUSE_READONLY_TOKEN   an API token with read permission only
  GATEHOUSE_GATEWAY_URL      http://127.0.0.1:PORT of the gateway
"""

import inspect
import os
import secrets
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import cloudflare
import requests
from cloudflare import Cloudflare

ACCOUNT = os.environ["GATEHOUSE_ACCOUNT_ID"]
READONLY_TOKEN = os.environ["GATEHOUSE_READONLY_TOKEN"]
GATEWAY = os.environ["GATEHOUSE_GATEWAY_URL"]
BASE = os.environ["CLOUDFLARE_BASE_URL"]
# The application's origin is gatehouse's own API: a request let through is answered by
# `GET /client/v4/openapi.json` (200, no credentials needed), one refused by the gateway (403).
ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(BASE))
PROBE = "/client/v4/openapi.json"
# The gateway applies API changes and records secret use asynchronously, within moments.
SETTLE = 10.0
NOT_SUPPORTED = 12180
RUN = secrets.token_hex(3)

client = Cloudflare(max_retries=0)
access = client.zero_trust.access
covered = set()


def step(title):
    print(f"--- {title}", flush=True)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def covers(*methods):
    covered.update(methods)


def fields(model):
    check(model is not None, "the SDK returned None: the response had no `result`")
    return model.to_dict(mode="json")


def expect_error(error_class, status, call, code=None, text=None):
    try:
        result = call()
    except error_class as error:
        check(error.status_code == status, f"{error_class.__name__}: status {error.status_code}, expected {status}")
        body = error.body if isinstance(error.body, dict) else {}
        check(body.get("success") is False and body.get("result") is None, f"not Cloudflare's error envelope: {error.body!r}")
        codes = [e.code for e in error.errors]
        if code is not None:
            check(code in codes, f"{error_class.__name__}: error codes {codes}, expected {code}; body {error.body!r}")
        if text is not None:
            messages = " ".join(e.message for e in error.errors)
            check(text in messages, f"error message {messages!r} does not mention {text!r}")
        return error
    except cloudflare.APIStatusError as error:
        raise AssertionError(f"expected {error_class.__name__} ({status}), got {type(error).__name__} {error.status_code}: {error.body!r}")
    raise AssertionError(f"expected {error_class.__name__} ({status}), but the call succeeded: {result!r}")


def not_supported(method, call, names=None):
    """`method` is not served: 404 / 12180, the message naming the SDK resource."""
    expect_error(cloudflare.NotFoundError, 404, call, code=NOT_SUPPORTED, text=names or method.rsplit(".", 1)[0])
    covers(method)


def drain(page, limit=1000):
    """Every item of an auto-paginating list, failing instead of looping forever."""
    items = []
    for item in page:
        items.append(item)
        check(len(items) <= limit, f"pagination does not end: {len(items)} items so far")
    return items


def gateway(host, client_id=None, secret=None):
    headers = {"Host": host}
    if client_id is not None:
        headers.update({"CF-Access-Client-Id": client_id, "CF-Access-Client-Secret": secret})
    return requests.get(GATEWAY + PROBE, headers=headers, timeout=10, allow_redirects=False).status_code


def eventually(host, client_id, secret, expected, what):
    deadline = time.monotonic() + SETTLE
    while True:
        status = gateway(host, client_id, secret)
        if status == expected:
            return
        check(time.monotonic() < deadline, f"{what}: the gateway answers {status}, expected {expected}")
        time.sleep(0.1)


def stays(host, client_id, secret, expected, what):
    """`expected` now, and still after the gateway had time to apply anything pending."""
    eventually(host, client_id, secret, expected, what)
    time.sleep(1.0)
    status = gateway(host, client_id, secret)
    check(status == expected, f"{what}: the gateway answers {status}, expected {expected}")


def utc_text(moment):
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- accounts, user.tokens ---------------------------------------------------------------------


def test_accounts():
    step("accounts.list auto-paginates and ends (issue 19, point 1)")
    accounts = drain(client.accounts.list(), limit=10)
    check([a.id for a in accounts] == [ACCOUNT], f"accounts.list: {[a.id for a in accounts]}")
    check(accounts[0].name, f"account without a name: {accounts[0]}")
    second = client.accounts.list(page=2)
    check(second.result == [], f"page 2 of one account must be empty: {second.result}")
    small = client.accounts.list(per_page=5)
    check([a.id for a in small.result] == [ACCOUNT], f"per_page=5: {small.result}")
    raw = client.accounts.with_raw_response.list(page=2, per_page=5).http_response.json()
    check(raw["result_info"] == {"page": 2, "per_page": 5, "count": 0, "total_count": 1, "total_pages": 1}, f"result_info of page 2: {raw['result_info']}")
    named = client.accounts.list(name="no such account").result
    check(named == [], f"name filter: {named}")
    expect_error(cloudflare.BadRequestError, 400, lambda: client.accounts.list(page=0), code=12091)
    covers("accounts.list")


def test_user_tokens():
    step("user.tokens.verify")
    verified = client.user.tokens.verify()
    check(verified.status == "active" and verified.id, f"verify: {verified}")
    wrong = Cloudflare(api_token="wrong-token", max_retries=0)
    expect_error(cloudflare.AuthenticationError, 401, lambda: wrong.user.tokens.verify(), code=1000)
    covers("user.tokens.verify")

    step("user.tokens management is not supported")
    tokens = client.user.tokens
    token_id = uuid.uuid4().hex
    names = "user.tokens"
    not_supported("user.tokens.create", lambda: tokens.create(name="x", policies=[]), names)
    not_supported("user.tokens.list", lambda: tokens.list(), names)
    not_supported("user.tokens.get", lambda: tokens.get(token_id), names)
    not_supported("user.tokens.update", lambda: tokens.update(token_id, name="x", policies=[]), names)
    not_supported("user.tokens.delete", lambda: tokens.delete(token_id), names)
    not_supported("user.tokens.value.update", lambda: tokens.value.update(token_id), names)
    not_supported("user.tokens.permission_groups.list", lambda: tokens.permission_groups.list(), names)


# --- service tokens ----------------------------------------------------------------------------


def test_service_tokens():
    step("service_tokens: create, get, list, update, refresh, delete")
    tokens = access.service_tokens
    created = fields(tokens.create(account_id=ACCOUNT, name=f"surface-{RUN}", duration="8760h"))
    check(created.get("client_secret"), f"create returns the secret: {created}")
    got = fields(tokens.get(created["id"], account_id=ACCOUNT))
    check(got["client_id"] == created["client_id"] and got.get("client_secret") is None, f"get: {got}")
    listed = drain(tokens.list(account_id=ACCOUNT, search=f"surface-{RUN}", per_page=1))
    check([t.id for t in listed] == [created["id"]], f"list: {[t.id for t in listed]}")
    updated = fields(tokens.update(created["id"], account_id=ACCOUNT, name=f"surface-{RUN}-renamed"))
    check(updated["name"].endswith("-renamed"), f"update: {updated}")
    refreshed = fields(tokens.refresh(created["id"], account_id=ACCOUNT))
    check(refreshed["id"] == created["id"] and refreshed.get("client_secret") is None, f"refresh: {refreshed}")
    expect_error(cloudflare.BadRequestError, 400, lambda: tokens.create(account_id=ACCOUNT, name="bad", duration="banana"), code=12130)
    expect_error(cloudflare.NotFoundError, 404, lambda: tokens.get(str(uuid.uuid4()), account_id=ACCOUNT))
    read_only = Cloudflare(api_token=READONLY_TOKEN, max_retries=0).zero_trust.access.service_tokens
    expect_error(cloudflare.PermissionDeniedError, 403, lambda: read_only.delete(created["id"], account_id=ACCOUNT), code=9109)
    deleted = fields(tokens.delete(created["id"], account_id=ACCOUNT))
    check(deleted["id"] == created["id"], f"delete: {deleted}")
    expect_error(cloudflare.NotFoundError, 404, lambda: tokens.get(created["id"], account_id=ACCOUNT))
    not_supported("zone-scoped", lambda: tokens.list(zone_id="0" * 32), "zone-scoped")
    covered.discard("zone-scoped")
    covers(*(f"zero_trust.access.service_tokens.{m}" for m in ("create", "get", "list", "update", "refresh", "delete")))


def token_app(host, token, name):
    """An application at `host` forwarding to ORIGIN, admitting `token` only."""
    policy = {"name": f"{name} token", "decision": "non_identity", "include": [{"service_token": {"token_id": token["id"]}}]}
    app = access.applications.create(account_id=ACCOUNT, name=name, domain=host, type="self_hosted", policies=[policy], extra_body={"origin": ORIGIN})
    return fields(app)


def test_rotation():
    step("rotate without previous_client_secret_expires_at (issue 19, point 5)")
    tokens = access.service_tokens
    token = fields(tokens.create(account_id=ACCOUNT, name=f"rotate-{RUN}"))
    host = f"rotate-{RUN}.example.com"
    token_app(host, token, f"rotate-{RUN}")
    first = token["client_secret"]
    eventually(host, token["client_id"], first, 200, "the token before any rotation")

    raw = tokens.with_raw_response.rotate(token["id"], account_id=ACCOUNT)
    envelope = raw.http_response.json()
    rotated = fields(raw.parse())
    second = rotated["client_secret"]
    check(rotated["client_secret_version"] == 2 and second != first, f"rotate: {rotated}")
    check(rotated.get("previous_client_secret_expires_at") is None, f"no deadline was given: {rotated}")
    codes = {m["code"]: m["message"] for m in envelope["messages"]}
    check(12150 in codes, f"rotate without a deadline must say how long the old secret lives: messages {envelope['messages']}")
    check("until the new one is first used" in codes[12150], f"message 12150: {codes[12150]!r}")
    # The SDK documents "expires immediately"; gatehouse keeps the user guide's behaviour.
    stays(host, token["client_id"], first, 200, "the previous secret before the new one is used")
    eventually(host, token["client_id"], second, 200, "the new secret")
    eventually(host, token["client_id"], first, 403, "the previous secret once the new one was used")

    step("rotate with previous_client_secret_expires_at in the future")
    deadline = utc_text(datetime.now(timezone.utc) + timedelta(hours=1))
    raw = tokens.with_raw_response.rotate(token["id"], account_id=ACCOUNT, previous_client_secret_expires_at=deadline)
    envelope = raw.http_response.json()
    graced = fields(raw.parse())
    third = graced["client_secret"]
    check(graced["previous_client_secret_expires_at"] == deadline, f"deadline echoed: {graced}")
    check(all(m["code"] != 12150 for m in envelope["messages"]), f"a rotation with a deadline needs no message: {envelope['messages']}")
    eventually(host, token["client_id"], third, 200, "the new secret")
    stays(host, token["client_id"], second, 200, "the previous secret before its deadline, after the new one was used")

    step("rotate with previous_client_secret_expires_at now: the previous secret ends at once")
    now = utc_text(datetime.now(timezone.utc) - timedelta(seconds=1))
    ended = fields(tokens.rotate(token["id"], account_id=ACCOUNT, previous_client_secret_expires_at=now))
    fourth = ended["client_secret"]
    eventually(host, token["client_id"], third, 403, "the previous secret with a past deadline")
    eventually(host, token["client_id"], fourth, 200, "the newest secret")
    expect_error(cloudflare.BadRequestError, 400, lambda: tokens.rotate(token["id"], account_id=ACCOUNT, previous_client_secret_expires_at="soon"), code=12130)
    covers("zero_trust.access.service_tokens.rotate")


# --- applications ------------------------------------------------------------------------------


def test_applications():
    step("applications: create, get, list, update, revoke_tokens, delete")
    apps = access.applications
    token = fields(access.service_tokens.create(account_id=ACCOUNT, name=f"apps-{RUN}"))
    host = f"app-{RUN}.example.com"
    app = token_app(host, token, f"app-{RUN}")
    check(app.get("origin") == ORIGIN and len(app.get("aud", "")) == 64, f"create: {app}")
    check(app["policies"][0]["decision"] == "non_identity", f"inline policy: {app['policies']}")
    got = fields(apps.get(app["id"], account_id=ACCOUNT))
    check(got["id"] == app["id"] and got["domain"] == host, f"get: {got}")
    for i in range(3):
        apps.create(account_id=ACCOUNT, name=f"app-{RUN}-page-{i}", domain=f"page{i}-{RUN}.example.com", type="self_hosted")
    paged = drain(apps.list(account_id=ACCOUNT, search=f"app-{RUN}-page", per_page=2))
    check(sorted(a.name for a in paged) == [f"app-{RUN}-page-{i}" for i in range(3)], f"list per_page=2: {[a.name for a in paged]}")
    by_domain = [a.id for a in drain(apps.list(account_id=ACCOUNT, domain=host))]
    check(by_domain == [app["id"]], f"list by domain: {by_domain}")
    eventually(host, token["client_id"], token["client_secret"], 200, "the app before the rename")

    step("applications.update without origin keeps it (issue 19, point 2)")
    renamed = fields(apps.update(app["id"], account_id=ACCOUNT, name=f"app-{RUN}-renamed", domain=host, type="self_hosted"))
    check(renamed["name"] == f"app-{RUN}-renamed", f"update: {renamed}")
    check(renamed.get("origin") == ORIGIN, f"an update that does not mention origin must keep it: {renamed}")
    check(fields(apps.get(app["id"], account_id=ACCOUNT)).get("origin") == ORIGIN, "origin after update, as stored")
    stays(host, token["client_id"], token["client_secret"], 200, "the app right after a rename through the SDK")

    revoked = apps.revoke_tokens(app["id"], account_id=ACCOUNT)
    check(revoked is None, f"revoke_tokens: {revoked!r}")
    expect_error(cloudflare.BadRequestError, 400, lambda: apps.create(account_id=ACCOUNT, domain="", type="self_hosted"), code=12130)
    expect_error(cloudflare.NotFoundError, 404, lambda: apps.get(str(uuid.uuid4()), account_id=ACCOUNT), code=11021)
    covers(*(f"zero_trust.access.applications.{m}" for m in ("create", "get", "list", "update", "revoke_tokens")))
    return app, token, host


def test_app_policies(app, token):
    step("applications.policies: create, list, get, update, delete")
    policies = access.applications.policies
    rule = [{"service_token": {"token_id": token["id"]}}]
    created = fields(policies.create(app["id"], account_id=ACCOUNT, name="second", decision="non_identity", include=rule, precedence=2))
    check(created["name"] == "second" and created.get("precedence") == 2, f"create: {created}")
    listed = drain(policies.list(app["id"], account_id=ACCOUNT, per_page=1))
    check(len(listed) == 2, f"list per_page=1: {[p.name for p in listed]}")
    got = fields(policies.get(created["id"], app_id=app["id"], account_id=ACCOUNT))
    check(got["id"] == created["id"], f"get: {got}")
    updated = fields(policies.update(created["id"], app_id=app["id"], account_id=ACCOUNT, name="second renamed", decision="non_identity", include=rule, precedence=2))
    check(updated["name"] == "second renamed", f"update: {updated}")
    expect_error(cloudflare.BadRequestError, 400, lambda: policies.create(app["id"], account_id=ACCOUNT, name="bad", decision="maybe", include=rule), code=12130)
    deleted = policies.delete(created["id"], app_id=app["id"], account_id=ACCOUNT)
    check(deleted is not None and deleted.id == created["id"], f"delete: {deleted!r}")
    expect_error(cloudflare.NotFoundError, 404, lambda: policies.get(created["id"], app_id=app["id"], account_id=ACCOUNT), code=12134)
    covers(*(f"zero_trust.access.applications.policies.{m}" for m in ("create", "list", "get", "update", "delete")))


def test_app_unsupported(app):
    step("applications: certificates, settings, user policy checks, policy tests are not supported")
    apps = access.applications
    not_supported("zero_trust.access.applications.cas.create", lambda: apps.cas.create(app["id"], account_id=ACCOUNT))
    not_supported("zero_trust.access.applications.cas.get", lambda: apps.cas.get(app["id"], account_id=ACCOUNT))
    not_supported("zero_trust.access.applications.cas.list", lambda: apps.cas.list(account_id=ACCOUNT))
    not_supported("zero_trust.access.applications.cas.delete", lambda: apps.cas.delete(app["id"], account_id=ACCOUNT))
    not_supported("zero_trust.access.applications.settings.update", lambda: apps.settings.update(app["id"], account_id=ACCOUNT, allow_iframe=True))
    not_supported("zero_trust.access.applications.settings.edit", lambda: apps.settings.edit(app["id"], account_id=ACCOUNT, allow_iframe=True))
    not_supported("zero_trust.access.applications.user_policy_checks.list", lambda: apps.user_policy_checks.list(app["id"], account_id=ACCOUNT))
    test_id = str(uuid.uuid4())
    not_supported("zero_trust.access.applications.policy_tests.create", lambda: apps.policy_tests.create(account_id=ACCOUNT, policies=[]))
    not_supported("zero_trust.access.applications.policy_tests.get", lambda: apps.policy_tests.get(test_id, account_id=ACCOUNT))
    not_supported("zero_trust.access.applications.policy_tests.users.list", lambda: apps.policy_tests.users.list(test_id, account_id=ACCOUNT), "zero_trust.access.applications.policy_tests")


def test_app_delete(app):
    step("applications.delete")
    deleted = access.applications.delete(app["id"], account_id=ACCOUNT)
    check(deleted is not None and deleted.id == app["id"], f"delete: {deleted!r}")
    expect_error(cloudflare.NotFoundError, 404, lambda: access.applications.get(app["id"], account_id=ACCOUNT), code=11021)
    covers("zero_trust.access.applications.delete")


# --- reusable policies, groups -----------------------------------------------------------------


def test_policies():
    step("policies: create, list, get, update, delete")
    policies = access.policies
    made = [fields(policies.create(account_id=ACCOUNT, name=f"reusable-{RUN}-{i}", decision="allow", include=[{"everyone": {}}])) for i in range(3)]
    check(all(p.get("reusable") is True for p in made), f"create: {made}")
    listed = [p.id for p in drain(policies.list(account_id=ACCOUNT, per_page=2))]
    check(all(p["id"] in listed for p in made), f"list per_page=2: {listed}")
    got = fields(policies.get(made[0]["id"], account_id=ACCOUNT))
    check(got["name"] == made[0]["name"], f"get: {got}")
    updated = fields(policies.update(made[0]["id"], account_id=ACCOUNT, name=f"reusable-{RUN}-renamed", decision="deny", include=[{"everyone": {}}]))
    check(updated["decision"] == "deny", f"update: {updated}")
    expect_error(cloudflare.BadRequestError, 400, lambda: policies.create(account_id=ACCOUNT, name="bad", decision="allow", include=[]), code=12130)
    for policy in made:
        deleted = policies.delete(policy["id"], account_id=ACCOUNT)
        check(deleted is not None and deleted.id == policy["id"], f"delete: {deleted!r}")
    expect_error(cloudflare.NotFoundError, 404, lambda: policies.get(made[0]["id"], account_id=ACCOUNT), code=12134)
    covers(*(f"zero_trust.access.policies.{m}" for m in ("create", "list", "get", "update", "delete")))


def test_groups():
    step("groups: create, list, get, update, delete")
    groups = access.groups
    made = [fields(groups.create(account_id=ACCOUNT, name=f"group-{RUN}-{i}", include=[{"ip": {"ip": "10.0.0.0/8"}}])) for i in range(3)]
    listed = [g.id for g in drain(groups.list(account_id=ACCOUNT, search=f"group-{RUN}", per_page=2))]
    check(sorted(listed) == sorted(g["id"] for g in made), f"list per_page=2: {listed}")
    got = fields(groups.get(made[0]["id"], account_id=ACCOUNT))
    check(got["include"] == [{"ip": {"ip": "10.0.0.0/8"}}], f"get: {got}")
    updated = fields(groups.update(made[0]["id"], account_id=ACCOUNT, name=f"group-{RUN}-renamed", include=[{"everyone": {}}]))
    check(updated["name"] == f"group-{RUN}-renamed", f"update: {updated}")
    expect_error(cloudflare.BadRequestError, 400, lambda: groups.create(account_id=ACCOUNT, name="bad", include=[{"ip": {"ip": "not an ip"}}]), code=12130)
    for group in made:
        deleted = groups.delete(group["id"], account_id=ACCOUNT)
        check(deleted is not None and deleted.id == group["id"], f"delete: {deleted!r}")
    expect_error(cloudflare.NotFoundError, 404, lambda: groups.get(made[0]["id"], account_id=ACCOUNT), code=12109)
    covers(*(f"zero_trust.access.groups.{m}" for m in ("create", "list", "get", "update", "delete")))


# --- logs, keys, organizations, users, bookmarks -----------------------------------------------


def test_logs(host, token):
    step("logs.access_requests.list")
    gateway(host, token["client_id"], "wrong-secret")
    deadline = time.monotonic() + SETTLE
    while True:
        records = access.logs.access_requests.list(account_id=ACCOUNT, limit=100, direction="desc")
        check(isinstance(records, list), f"access_requests.list returns a list: {records!r}")
        mine = [r for r in records if r.app_domain == host]
        if any(r.allowed is False for r in mine) and any(r.allowed is True for r in mine):
            break
        check(time.monotonic() < deadline, f"no allowed and refused records for {host}: {[r.to_dict() for r in mine]}")
        time.sleep(0.2)
    check(all(r.ray_id and r.created_at for r in mine), f"records: {[r.to_dict() for r in mine]}")
    refused = access.logs.access_requests.list(account_id=ACCOUNT, allowed_op="eq", extra_query={"allowed": "false"}, limit=1000)
    check(refused and all(r.allowed is False for r in refused), "allowed=false filter")
    expect_error(cloudflare.BadRequestError, 400, lambda: access.logs.access_requests.list(account_id=ACCOUNT, limit=0), code=12091)
    covers("zero_trust.access.logs.access_requests.list")
    not_supported("zero_trust.access.logs.scim.updates.list", lambda: access.logs.scim.updates.list(account_id=ACCOUNT, idp_id=["x"]), "zero_trust.access.logs.scim")


def test_keys():
    step("keys: get, update, rotate")
    keys = access.keys
    got = keys.get(account_id=ACCOUNT)
    check(got is not None and got.key_rotation_interval_days, f"get: {got!r}")
    updated = keys.update(account_id=ACCOUNT, key_rotation_interval_days=45)
    check(updated is not None and updated.key_rotation_interval_days == 45, f"update: {updated!r}")
    rotated = keys.rotate(account_id=ACCOUNT)
    check(rotated is not None and rotated.last_key_rotation_at is not None, f"rotate: {rotated!r}")
    expect_error(cloudflare.BadRequestError, 400, lambda: keys.update(account_id=ACCOUNT, key_rotation_interval_days=0), code=12130)
    covers(*(f"zero_trust.access.keys.{m}" for m in ("get", "update", "rotate")))


def test_organizations():
    step("organizations: list, update")
    orgs = client.zero_trust.organizations
    org = orgs.list(account_id=ACCOUNT)
    check(org is not None and org.auth_domain, f"list: {org!r}")
    updated = orgs.update(account_id=ACCOUNT, name=f"org-{RUN}")
    check(updated is not None and updated.name == f"org-{RUN}" and updated.auth_domain == org.auth_domain, f"update: {updated!r}")
    expect_error(cloudflare.BadRequestError, 400, lambda: orgs.update(account_id=ACCOUNT, service_token_inactivity={"enabled": True, "inactivity_threshold_days": 1, "action": "disable"}), code=12130)
    covers("zero_trust.organizations.list", "zero_trust.organizations.update")

    step("organizations: revoke_users")
    revoked = orgs.revoke_users(account_id=ACCOUNT, email="someone@example.com")
    check(revoked is True, f"revoke_users: {revoked!r}")
    covers("zero_trust.organizations.revoke_users")

    step("organizations: create, doh are not supported")
    error = expect_error(cloudflare.APIStatusError, 405, lambda: orgs.create(account_id=ACCOUNT, auth_domain="x.example.com", name="x"), code=7001)
    check("zero_trust.organizations.create" in error.errors[0].message, f"405 message: {error.errors[0].message!r}")
    covers("zero_trust.organizations.create")
    not_supported("zero_trust.organizations.doh.get", lambda: orgs.doh.get(account_id=ACCOUNT))
    not_supported("zero_trust.organizations.doh.update", lambda: orgs.doh.update(account_id=ACCOUNT, doh_jwt_duration="800h", service_token_id=str(uuid.uuid4())))


def test_users_and_bookmarks():
    step("users: list is served (people who logged in or were revoked); the rest is not")
    users = access.users
    user_id = str(uuid.uuid4())
    names = "zero_trust.access.users"
    client.zero_trust.organizations.revoke_users(account_id=ACCOUNT, email="Listed@example.com")
    listed = list(users.list(account_id=ACCOUNT, email="listed@example.com"))
    check([u.email for u in listed] == ["listed@example.com"], f"users.list: {listed}")
    check(all(u.id and u.id == u.uid for u in listed), f"users.list ids: {listed}")
    covers("zero_trust.access.users.list")
    error = expect_error(cloudflare.APIStatusError, 405, lambda: users.create(account_id=ACCOUNT, email="someone@example.com"), code=7001)
    check("zero_trust.access.users.create" in error.errors[0].message, f"405 message: {error.errors[0].message!r}")
    covers("zero_trust.access.users.create")
    not_supported("zero_trust.access.users.get", lambda: users.get(user_id, account_id=ACCOUNT), names)
    not_supported("zero_trust.access.users.update", lambda: users.update(user_id, account_id=ACCOUNT, email="a@example.com", name="a"), names)
    not_supported("zero_trust.access.users.delete", lambda: users.delete(user_id, account_id=ACCOUNT), names)
    not_supported("zero_trust.access.users.active_sessions.list", lambda: users.active_sessions.list(user_id, account_id=ACCOUNT), names)
    not_supported("zero_trust.access.users.active_sessions.get", lambda: users.active_sessions.get("nonce", account_id=ACCOUNT, user_id=user_id), names)
    not_supported("zero_trust.access.users.failed_logins.list", lambda: users.failed_logins.list(user_id, account_id=ACCOUNT), names)
    not_supported("zero_trust.access.users.last_seen_identity.get", lambda: users.last_seen_identity.get(user_id, account_id=ACCOUNT), names)
    bookmarks = access.bookmarks
    bookmark_id = str(uuid.uuid4())
    names = "zero_trust.access.bookmarks"
    not_supported("zero_trust.access.bookmarks.list", lambda: bookmarks.list(account_id=ACCOUNT), names)
    not_supported("zero_trust.access.bookmarks.create", lambda: bookmarks.create(bookmark_id, account_id=ACCOUNT), names)
    not_supported("zero_trust.access.bookmarks.get", lambda: bookmarks.get(bookmark_id, account_id=ACCOUNT), names)
    not_supported("zero_trust.access.bookmarks.update", lambda: bookmarks.update(bookmark_id, account_id=ACCOUNT), names)
    not_supported("zero_trust.access.bookmarks.delete", lambda: bookmarks.delete(bookmark_id, account_id=ACCOUNT), names)


# --- every method was called -------------------------------------------------------------------


def sdk_methods():
    """Every public method of the SDK's resources in scope, as dotted paths."""
    found = set()

    def walk(resource, path):
        for name in dir(resource):
            if name.startswith("_") or name in ("with_raw_response", "with_streaming_response"):
                continue
            attr = getattr(resource, name)
            if inspect.ismethod(attr):
                if type(attr.__self__).__module__.startswith("cloudflare.resources"):
                    found.add(f"{path}.{name}")
            elif type(attr).__module__.startswith("cloudflare.resources"):
                walk(attr, f"{path}.{name}")

    for name in ("service_tokens", "applications", "policies", "groups", "logs", "keys", "users", "bookmarks"):
        walk(getattr(access, name), f"zero_trust.access.{name}")
    walk(client.zero_trust.organizations, "zero_trust.organizations")
    walk(client.user.tokens, "user.tokens")
    found.add("accounts.list")
    return found


def main():
    print(f"cloudflare {cloudflare.__version__} (Python {sys.version.split()[0]})", flush=True)
    check(cloudflare.__version__.startswith("5.9."), f"expected cloudflare 5.9.x, got {cloudflare.__version__}")
    # GATEHOUSE_SURFACE_ONLY=accounts,rotation,applications runs only those parts (to look at one
    # failure); the check that every method was called needs the whole run.
    only = {part for part in os.environ.get("GATEHOUSE_SURFACE_ONLY", "").split(",") if part}
    if only:
        parts = {"accounts": test_accounts, "rotation": test_rotation, "applications": test_applications}
        for part in sorted(only):
            parts[part]()
        print(f"python surface: {sorted(only)} passed", flush=True)
        return
    test_accounts()
    test_user_tokens()
    test_service_tokens()
    test_rotation()
    app, token, host = test_applications()
    test_app_policies(app, token)
    test_app_unsupported(app)
    test_logs(host, token)
    test_app_delete(app)
    test_policies()
    test_groups()
    test_keys()
    test_organizations()
    test_users_and_bookmarks()
    methods = sdk_methods()
    missing = sorted(methods - covered)
    check(not missing, f"SDK methods the surface test does not call: {missing}")
    unknown = sorted(covered - methods)
    check(not unknown, f"covered names that are not SDK methods: {unknown}")
    print(f"python surface: all checks passed; {len(covered)} SDK methods covered", flush=True)


if __name__ == "__main__":
    main()
