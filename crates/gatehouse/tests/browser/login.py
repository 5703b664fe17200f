"""A person logs in through the OpenID Provider in Debian's chromium, as on Cloudflare Access.

Environment (set by tests/e2e/identity.rs): LOGIN_APP (the application's origin,
http://app.localhost:PORT), LOGIN_PROVIDER (the provider's issuer URL), LOGIN_ARTIFACTS
(screenshots go there), LOGIN_OUT (a file: what the origin received, as JSON, for the caller to
verify). The hosts *.localhost are the gateway's loopback address.

Steps: the developer opens a page of the application, is sent to the provider's login form,
signs in, consents, and is back at the page asked for, with the CF_Authorization cookie; the
origin's echo is saved; get-identity names her; a person outside the group logs in and is
refused; logout. Exits non-zero with the reason on any failure; prints "OK login" last.
"""

import os

from playwright.sync_api import Page, expect, sync_playwright

from browser import (
    HOST_RULES,
    back_at_application,
    get_identity,
    launch,
    loopback_only,
    run,
    shot,
    sign_in_at_provider,
    step,
)

APP = os.environ["LOGIN_APP"].rstrip("/")
PROVIDER = os.environ["LOGIN_PROVIDER"].rstrip("/")
ARTIFACTS = os.environ["LOGIN_ARTIFACTS"]
OUT = os.environ["LOGIN_OUT"]
PAGE = "/reports?q=1"


def log_in(page: Page, login: str) -> None:
    """From the application's page to the provider's forms and back through the gateway."""
    page.goto(APP + PAGE)
    assert page.url.startswith(PROVIDER + "/interaction/"), f"sent to the provider: {page.url}"
    sign_in_at_provider(page, PROVIDER, login, ARTIFACTS)


def main() -> None:
    with sync_playwright() as p:
        browser = launch(p, (HOST_RULES,))
        alice_context = browser.new_context(timezone_id="UTC")
        loopback_only(alice_context)
        alice = alice_context.new_page()

        step("dev-alice opens the application and logs in at the provider")
        log_in(alice, "dev-alice")
        back_at_application(alice, alice_context, APP, PAGE, OUT)
        shot(alice, ARTIFACTS, "dev-alice-3-application")

        step("get-identity describes her")
        identity = get_identity(alice, APP)
        assert identity["email"] == "dev-alice@example.com", identity
        assert [g["name"] for g in identity["groups"]] == ["developers"], identity

        step("mallory, outside the group, logs in and is refused")
        mallory_context = browser.new_context(timezone_id="UTC")
        loopback_only(mallory_context)
        mallory = mallory_context.new_page()
        log_in(mallory, "mallory")
        expect(mallory.get_by_text("You do not have access to this application.")).to_be_visible()
        shot(mallory, ARTIFACTS, "mallory-refused")
        assert "CF_Authorization" not in {c["name"] for c in mallory_context.cookies(APP)}

        step("dev-alice logs out")
        alice.goto(APP + "/cdn-cgi/access/logout")
        expect(alice.get_by_text("You have been logged out.")).to_be_visible()
        assert "CF_Authorization" not in {c["name"] for c in alice_context.cookies(APP)}
        shot(alice, ARTIFACTS, "dev-alice-4-logged-out")

        print(f"OK login chromium {browser.version}")
        browser.close()


if __name__ == "__main__":
    run(main)
