"""Service-token contract, checked through the official Python SDK (`cloudflare` 5.9.x) only.

Run by `crates/gatehouse/tests/e2e/sdk.rs` against a fresh gatehouse server with:
  CLOUDFLARE_BASE_URL        <api>/client/v4
  CLOUDFLARE_API_TOKEN       an API token with edit permission
  GATEHOUSE_ACCOUNT_ID       the account id
  GATEHOUSE_READONLY_TOKEN   an API token with read permission only
Exits non-zero (with a traceback) on the first broken expectation.
"""

import os
import re
import secrets
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import cloudflare
from cloudflare import Cloudflare

ACCOUNT = os.environ["GATEHOUSE_ACCOUNT_ID"]
READONLY_TOKEN = os.environ["GATEHOUSE_READONLY_TOKEN"]
FOREVER = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
CLIENT_ID = re.compile(r"^[0-9a-f]{32}\.access$")
# Timestamps have second precision, and the server's clock is read a moment apart from ours.
SLACK = timedelta(seconds=5)
PAGINATED = 250

# Retries would only hide failures and slow the run down.
client = Cloudflare(max_retries=0)
tokens = client.zero_trust.access.service_tokens


def step(title):
    print(f"--- {title}", flush=True)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def fields(model):
    """The token as the API sent it, extra (undeclared) fields included."""
    check(model is not None, "the SDK returned None: the response had no `result`")
    return model.to_dict(mode="json")


def when(value):
    """An RFC 3339 timestamp (string or datetime) as an aware datetime."""
    if isinstance(value, datetime):
        parsed = value
    else:
        check(isinstance(value, str), f"expected an RFC 3339 timestamp, got {value!r}")
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    check(parsed.tzinfo is not None, f"timestamp without a zone: {value!r}")
    return parsed


def utcnow():
    return datetime.now(timezone.utc)


def check_near(value, low, high, what):
    got = when(value)
    check(low - SLACK <= got <= high + SLACK, f"{what}: {got.isoformat()} not within [{low.isoformat()}, {high.isoformat()}]")


def expect_error(error_class, status, call, code=None):
    """Runs `call`, which must raise `error_class` with `status` (and `code` among its errors)."""
    try:
        result = call()
    except error_class as error:
        check(error.status_code == status, f"{error_class.__name__}: status {error.status_code}, expected {status}")
        if code is not None:
            codes = [e.code for e in error.errors]
            check(code in codes, f"{error_class.__name__}: error codes {codes}, expected {code}; body {error.body!r}")
        return error
    except cloudflare.APIStatusError as error:
        raise AssertionError(f"expected {error_class.__name__} ({status}), got {type(error).__name__} {error.status_code}: {error.body!r}")
    raise AssertionError(f"expected {error_class.__name__} ({status}), but the call succeeded: {result!r}")


def test_create():
    step("create with duration 8760h")
    before = utcnow()
    created = fields(tokens.create(account_id=ACCOUNT, name="py-ci", duration="8760h"))
    after = utcnow()
    check(CLIENT_ID.match(created.get("client_id") or ""), f"client_id format: {created.get('client_id')!r}")
    check(bool(created.get("client_secret")), f"create must return a client_secret: {created}")
    check(created.get("name") == "py-ci", f"name: {created}")
    check(created.get("duration") == "8760h", f"duration: {created}")
    check(bool(created.get("id")), f"id: {created}")
    check_near(created["expires_at"], before + timedelta(hours=8760), after + timedelta(hours=8760), "expires_at of an 8760h token")

    step("create with duration forever")
    forever = fields(tokens.create(account_id=ACCOUNT, name="py-forever", duration="forever"))
    check(forever.get("duration") == "forever", f"duration: {forever}")
    check(when(forever["expires_at"]) == FOREVER, f"expires_at of a forever token: {forever['expires_at']!r}")
    return created


def test_get(created):
    step("get")
    got = fields(tokens.get(created["id"], account_id=ACCOUNT))
    check(got.get("id") == created["id"], f"id: {got}")
    check(got.get("name") == created["name"], f"name: {got}")
    check(got.get("client_id") == created["client_id"], f"client_id: {got}")
    check(got.get("client_secret") is None, f"get must not return the client_secret: {got}")
    check("last_seen_at" in got and got["last_seen_at"] is None, f"last_seen_at must be present and null: {got}")
    check(got.get("client_secret_version") == 1, f"client_secret_version: {got}")
    check(got.get("enabled") is True, f"enabled: {got}")
    for key in ("created_at", "updated_at", "expires_at"):
        when(got.get(key))
    check(when(got["expires_at"]) == when(created["expires_at"]), f"expires_at changed between create and get: {got}")


def test_update(created):
    step("update name and duration")
    before = utcnow()
    updated = fields(tokens.update(created["id"], account_id=ACCOUNT, name="py-renamed", duration="17520h"))
    after = utcnow()
    check(updated.get("name") == "py-renamed", f"name after update: {updated}")
    check(updated.get("duration") == "17520h", f"duration after update: {updated}")
    check(when(updated["expires_at"]) > when(created["expires_at"]), f"expires_at did not move: {updated}")
    check_near(updated["expires_at"], before + timedelta(hours=17520), after + timedelta(hours=17520), "expires_at after update")
    check(updated.get("client_id") == created["client_id"], f"update changed the client_id: {updated}")
    check(updated.get("client_secret") is None, f"a plain update must not return a secret: {updated}")

    step("update enabled=false")
    disabled = fields(tokens.update(created["id"], account_id=ACCOUNT, enabled=False))
    check(disabled.get("enabled") is False, f"enabled after update: {disabled}")
    check(disabled.get("name") == "py-renamed", f"an update without name must keep it: {disabled}")
    again = fields(tokens.get(created["id"], account_id=ACCOUNT))
    check(again.get("enabled") is False, f"enabled=false not stored: {again}")
    return updated


def test_rotate(created):
    step("rotate")
    rotated = fields(tokens.rotate(created["id"], account_id=ACCOUNT))
    check(bool(rotated.get("client_secret")), f"rotate must return a client_secret: {rotated}")
    check(rotated["client_secret"] != created["client_secret"], "rotate returned the old secret")
    check(rotated.get("client_secret_version") == 2, f"client_secret_version after rotate: {rotated}")
    check(rotated.get("client_id") == created["client_id"], f"rotate changed the client_id: {rotated}")

    step("rotate with previous_client_secret_expires_at")
    grace_end = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    grace_text = grace_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    graced = fields(tokens.rotate(created["id"], account_id=ACCOUNT, previous_client_secret_expires_at=grace_text))
    check(bool(graced.get("client_secret")), f"rotate must return a client_secret: {graced}")
    check(graced["client_secret"] not in (created["client_secret"], rotated["client_secret"]), "rotate reused a secret")
    check(graced.get("client_secret_version") == 3, f"client_secret_version after a second rotate: {graced}")
    echoed = graced.get("previous_client_secret_expires_at")
    check(echoed is not None and when(echoed) == grace_end, f"previous_client_secret_expires_at: sent {grace_text}, got {echoed!r}")


def test_refresh(created):
    step("refresh")
    previous = fields(tokens.get(created["id"], account_id=ACCOUNT))
    before = utcnow()
    refreshed = fields(tokens.refresh(created["id"], account_id=ACCOUNT))
    after = utcnow()
    check(refreshed.get("id") == created["id"], f"id: {refreshed}")
    check(refreshed.get("client_secret") is None, f"refresh must not return a secret: {refreshed}")
    check(when(refreshed["expires_at"]) >= when(previous["expires_at"]), f"refresh moved expires_at back: {previous['expires_at']} -> {refreshed['expires_at']}")
    hours = 17520  # the duration set by test_update
    check_near(refreshed["expires_at"], before + timedelta(hours=hours), after + timedelta(hours=hours), "expires_at after refresh")


def create_many(prefix):
    def one(i):
        return fields(tokens.create(account_id=ACCOUNT, name=f"{prefix}{i:03d}", duration="1h"))["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(one, range(PAGINATED)))
    check(len(set(ids)) == PAGINATED, f"created {len(set(ids))} distinct ids, expected {PAGINATED}")
    return set(ids)


def collect(prefix, **params):
    """Iterates the auto-paginating list and returns the ids, failing instead of looping forever."""
    seen = []
    for token in tokens.list(account_id=ACCOUNT, search=prefix, **params):
        check(token.name.startswith(prefix), f"search={prefix!r} returned {token.name!r}")
        seen.append(token.id)
        check(len(seen) <= 4 * PAGINATED, f"pagination does not end: {len(seen)} items so far")
    return seen


def test_pagination():
    prefix = f"py-page-{secrets.token_hex(4)}-"
    step(f"create {PAGINATED} tokens named {prefix}NNN")
    created = create_many(prefix)

    step("auto-paginate with per_page=100")
    first = tokens.list(account_id=ACCOUNT, search=prefix, per_page=100)
    check(len(first.result) == 100, f"first page has {len(first.result)} items, expected 100")
    paged = collect(prefix, per_page=100)
    check(len(paged) == PAGINATED and set(paged) == created, f"per_page=100 yielded {len(paged)} ids ({len(set(paged))} distinct), expected the {PAGINATED} created")

    step("auto-paginate with the default page size")
    default = collect(prefix)
    check(len(default) == PAGINATED and set(default) == created, f"default page size yielded {len(default)} ids ({len(set(default))} distinct)")

    step("a page past the end is empty")
    past = tokens.list(account_id=ACCOUNT, search=prefix, per_page=100, page=4)
    check(past.result == [], f"page 4 of 3 must be empty, got {len(past.result)} items")

    step("name filter")
    wanted = f"{prefix}007"
    named = [t.name for t in tokens.list(account_id=ACCOUNT, name=wanted)]
    check(named == [wanted], f"name={wanted!r} returned {named}")


def test_delete():
    step("delete")
    doomed = fields(tokens.create(account_id=ACCOUNT, name="py-doomed"))
    deleted = fields(tokens.delete(doomed["id"], account_id=ACCOUNT))
    check(deleted.get("id") == doomed["id"], f"delete must return the deleted token: {deleted}")
    check(deleted.get("name") == "py-doomed", f"delete must return the deleted token: {deleted}")
    expect_error(cloudflare.NotFoundError, 404, lambda: tokens.get(doomed["id"], account_id=ACCOUNT))


def test_errors():
    step("invalid durations -> 400 / 12130")
    for bad in ("0s", "banana"):
        expect_error(cloudflare.BadRequestError, 400, lambda bad=bad: tokens.create(account_id=ACCOUNT, name="py-bad", duration=bad), code=12130)

    # 10000 "Authentication error" is what Cloudflare answers for an unknown token on a resource
    # (spec §1.2); 1000 "Invalid API Token" belongs to /tokens/verify.
    step("wrong API token -> 401 / 10000")
    wrong = Cloudflare(api_token="wrong", max_retries=0).zero_trust.access.service_tokens
    expect_error(cloudflare.AuthenticationError, 401, lambda: list(wrong.list(account_id=ACCOUNT)), code=10000)

    step("read-only token: list works, create -> 403 / 9109")
    read_only = Cloudflare(api_token=READONLY_TOKEN, max_retries=0).zero_trust.access.service_tokens
    listed = list(read_only.list(account_id=ACCOUNT, per_page=5, search="py-renamed"))
    check(len(listed) == 1, f"read-only list: {listed}")
    expect_error(cloudflare.PermissionDeniedError, 403, lambda: read_only.create(account_id=ACCOUNT, name="py-denied"), code=9109)

    step("unknown id -> 404")
    expect_error(cloudflare.NotFoundError, 404, lambda: tokens.get(str(uuid.uuid4()), account_id=ACCOUNT))


def main():
    print(f"cloudflare {cloudflare.__version__} (Python {sys.version.split()[0]})", flush=True)
    check(cloudflare.__version__.startswith("5.9."), f"expected cloudflare 5.9.x, got {cloudflare.__version__}")
    created = test_create()
    test_get(created)
    test_update(created)
    test_rotate(created)
    test_refresh(created)
    test_pagination()
    test_delete()
    test_errors()
    print("python contract: all checks passed", flush=True)


if __name__ == "__main__":
    main()
