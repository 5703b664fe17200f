"""Audit log contract, checked through the official Python SDK (`cloudflare` 5.9.x) only.

Run by `crates/gatehouse/tests/e2e/sdk.rs` against a fresh gatehouse server with the environment
of `python_contract.py` (CLOUDFLARE_BASE_URL, CLOUDFLARE_API_TOKEN, GATEHOUSE_ACCOUNT_ID).
Every check runs; the script lists each broken expectation and exits non-zero if there is any.
"""

import os
import sys

from cloudflare import Cloudflare

ACCOUNT = os.environ["GATEHOUSE_ACCOUNT_ID"]
# Cloudflare's schema of `actor.type`.
ACTOR_TYPES = {"user", "admin", "Cloudflare"}

client = Cloudflare(max_retries=0)


failures = []


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}", flush=True)
        failures.append(message)
    return condition


def step(title):
    print(f"--- {title}", flush=True)


step("two changes leave two records")
tokens = client.zero_trust.access.service_tokens
created = tokens.create(account_id=ACCOUNT, name="audited")
tokens.update(created.id, account_id=ACCOUNT, name="audited, renamed")
records = client.audit_logs.list(account_id=ACCOUNT, per_page=100).result
mine = [r for r in records if r.resource is not None and r.resource.id == created.id]
if not check(len(mine) == 2, f"expected a create and an update record of {created.id}, got {len(mine)}"):
    sys.exit("python_audit.py: no records to check")

step("actor.type uses Cloudflare's vocabulary; the token is named beside it")
for record in mine:
    actor = record.to_dict(mode="json")["actor"]
    check(actor["type"] in ACTOR_TYPES, f"actor.type {actor['type']!r} is not one of {sorted(ACTOR_TYPES)}")
    check(actor.get("context") == "api_token", f"actor.context is not api_token: {actor}")
    check(actor.get("token_id") == actor["id"] and actor.get("token_name"), f"the API token is not named: {actor}")

step("list(id=X) returns that record only")
wanted = mine[-1]
by_id = client.audit_logs.list(account_id=ACCOUNT, id=wanted.id).result
if check([r.id for r in by_id] == [wanted.id], f"list(id={wanted.id}) returned {[r.id for r in by_id]}"):
    check(by_id[0].action.type == wanted.action.type, "the filtered record is the same record")
none = client.audit_logs.list(account_id=ACCOUNT, id="0" * 32).result
check(none == [], f"an unknown id matches nothing, got {len(none)} records")

if failures:
    sys.exit(f"python_audit.py: {len(failures)} broken expectation(s)")
print("python_audit.py: all checks passed", flush=True)
