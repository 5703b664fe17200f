"""Zero Trust lists through the official Python SDK (`cloudflare` 5.9.x) only:
`client.zero_trust.gateway.lists` create, get, list (with the `type` filter), update (PUT),
edit (PATCH append and remove) and delete, `lists.items.list` paged; an `email_list` policy rule
naming the list, which keeps it from being deleted until the policy is gone.

Run by `crates/gatehouse/tests/e2e/sdk.rs` against a fresh gatehouse server with the environment
of `python_contract.py` (CLOUDFLARE_BASE_URL, CLOUDFLARE_API_TOKEN, GATEHOUSE_ACCOUNT_ID).
Every check runs; the script lists each broken expectation and exits non-zero if there is any.
"""

import os
import sys

import cloudflare
from cloudflare import Cloudflare

ACCOUNT = os.environ["GATEHOUSE_ACCOUNT_ID"]

client = Cloudflare(max_retries=0)
lists = client.zero_trust.gateway.lists
failures = []


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}", flush=True)
        failures.append(message)
    return condition


def step(title):
    print(f"--- {title}", flush=True)


def values(model):
    return [item.value for item in (model.items or [])]


step("create an EMAIL list and an IP list")
staff = lists.create(
    account_id=ACCOUNT, name="staff", type="EMAIL", description="people of the staff",
    items=[{"value": "Alice@Example.com", "description": "lead"}, {"value": "bob@example.com"}],
)
check(bool(staff.id) and staff.name == "staff" and staff.type == "EMAIL", f"created: {staff}")
check(values(staff) == ["alice@example.com", "bob@example.com"], f"items in lowercase: {values(staff)}")
check(staff.items[0].description == "lead" and staff.items[0].created_at is not None, f"{staff.items}")
office = lists.create(account_id=ACCOUNT, name="office", type="IP", items=[{"value": "192.0.2.0/24"}])
check(office.type == "IP", f"created: {office}")

step("get and list")
got = lists.get(staff.id, account_id=ACCOUNT)
check(got.id == staff.id and got.count == 2 and got.description == "people of the staff", f"get: {got}")
listed = list(lists.list(account_id=ACCOUNT))
check([l.id for l in listed] == [staff.id, office.id], f"list: {listed}")
check(all(l.items is None for l in listed), f"the collection holds no items: {listed}")
check([l.count for l in listed] == [2, 1], f"counts: {[l.count for l in listed]}")
only_email = list(lists.list(account_id=ACCOUNT, type="EMAIL"))
check([l.id for l in only_email] == [staff.id], f"type=EMAIL: {only_email}")

step("edit: remove and append")
edited = lists.edit(
    staff.id, account_id=ACCOUNT, remove=["bob@example.com"],
    append=[{"value": "carol@example.com"}, {"value": "dan@example.com", "description": "new"}],
)
check(values(edited) == ["alice@example.com", "carol@example.com", "dan@example.com"], f"edit: {values(edited)}")
check(edited.count == 3, f"count after edit: {edited.count}")

step("items, a page at a time")
page = lists.items.list(staff.id, account_id=ACCOUNT, per_page=2)
check([i.value for i in page.result] == ["alice@example.com", "carol@example.com"], f"page 1: {page.result}")
check(page.result_info is not None and page.result_info.total_count == 3, f"result_info: {page.result_info}")
every = [i.value for i in lists.items.list(staff.id, account_id=ACCOUNT, per_page=2)]
check(every == ["alice@example.com", "carol@example.com", "dan@example.com"], f"auto-paged: {every}")

step("update (PUT): renamed, items replaced")
updated = lists.update(
    staff.id, account_id=ACCOUNT, name="core staff", description="the core",
    items=[{"value": "carol@example.com"}, {"value": "erin@example.com"}],
)
check(updated.name == "core staff" and updated.description == "the core", f"update: {updated}")
check(values(updated) == ["carol@example.com", "erin@example.com"], f"items replaced: {values(updated)}")

step("bad input is a 400")
try:
    lists.create(account_id=ACCOUNT, name="bad", type="EMAIL", items=[{"value": "not an address"}])
    check(False, "an EMAIL list with a non-address was accepted")
except cloudflare.BadRequestError as error:
    check("items[0].value" in str(error), f"the error names the item: {error}")

step("an email_list rule names the list, which then cannot be deleted")
rule = {"email_list": {"id": staff.id}}
policy = client.zero_trust.access.policies.create(account_id=ACCOUNT, name="staff", decision="allow", include=[rule])
check(policy.to_dict(mode="json")["include"] == [rule], f"the rule round-trips: {policy}")
try:
    client.zero_trust.access.policies.create(
        account_id=ACCOUNT, name="ip list", decision="allow", include=[{"email_list": {"id": office.id}}],
    )
    check(False, "an email_list rule naming an IP list was accepted")
except cloudflare.BadRequestError as error:
    check("EMAIL list" in str(error), f"the error says why: {error}")
try:
    lists.delete(staff.id, account_id=ACCOUNT)
    check(False, "a list an email_list rule names was deleted")
except cloudflare.ConflictError as error:
    check("list_in_use" in str(error), f"the error says why: {error}")
client.zero_trust.access.policies.delete(policy.id, account_id=ACCOUNT)

step("delete")
lists.delete(staff.id, account_id=ACCOUNT)
lists.delete(office.id, account_id=ACCOUNT)
try:
    lists.get(staff.id, account_id=ACCOUNT)
    check(False, "a deleted list is still found")
except cloudflare.NotFoundError:
    pass
check(list(lists.list(account_id=ACCOUNT)) == [], "no list is left")

if failures:
    sys.exit(f"python_lists.py: {len(failures)} broken expectation(s)")
print("python_lists.py: all checks passed", flush=True)
