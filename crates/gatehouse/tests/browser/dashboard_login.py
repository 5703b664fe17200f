"""People log into the dashboard through the OpenID Provider, in Debian's chromium.

Environment (set by tests/e2e/dashboard_login.rs): DASH_URL (http://dash.localhost:PORT/dash/,
the API's loopback address by another name, so that the provider at 127.0.0.1 is another site),
LOGIN_PROVIDER (the provider's issuer URL), DASH_ARTIFACTS (screenshots go there). gatehouse
admits dev-alice@example.com through the admins' application and bob@example.com through the
viewers'.

Steps: dev-alice opens the dashboard, is sent to its login page, follows the provider's link,
signs in and consents at the provider, and lands on the dashboard's home page with the
SameSite=Strict session cookie (so the page after the callback must be reached by a navigation
of the dashboard's own origin); the tokens page shows her the write controls. bob gets the pages
without them. mallory is refused with a 403 page and gets no session. No page breaks the CSP.
Exits non-zero with the reason on any failure; prints "OK dashboard login" last.
"""

import os

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from browser import HOST_RULES, launch, loopback_only, run, shot, sign_in_at_provider, step

DASH = os.environ["DASH_URL"]
PROVIDER = os.environ["LOGIN_PROVIDER"].rstrip("/")
ARTIFACTS = os.environ["DASH_ARTIFACTS"]
SESSION = "__Host-gatehouse_session"


def person(browser: Browser, violations: list[str]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(timezone_id="UTC")
    loopback_only(context)
    page = context.new_page()

    def console(message):
        # The dashboard's pages only; the provider's own pages are not ours to police.
        if message.type == "error" and page.url.startswith(DASH) and "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", console)
    return context, page


def log_in(page: Page, login: str) -> None:
    """From the dashboard's login page through the provider's forms and back."""
    page.goto(DASH)
    page.wait_for_url(DASH + "login")
    button = page.get_by_role("link", name="Log in with Test OP")
    expect(button).to_be_visible()
    shot(page, ARTIFACTS, f"{login}-1-dashboard-login")
    button.click()
    sign_in_at_provider(page, PROVIDER, login)


def session_cookie(context: BrowserContext) -> dict | None:
    return {c["name"]: c for c in context.cookies(DASH)}.get(SESSION)


def main() -> None:
    violations: list[str] = []
    with sync_playwright() as p:
        browser = launch(p, (HOST_RULES,))

        step("dev-alice, an admin, logs in through the provider")
        alice_context, alice = person(browser, violations)
        log_in(alice, "dev-alice")
        alice.wait_for_url(DASH)
        expect(alice.get_by_text("dev-alice@example.com").first).to_be_visible()
        cookie = session_cookie(alice_context)
        assert cookie and cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict", cookie
        leftovers = [c["name"] for c in alice_context.cookies(DASH) if c["name"].startswith("gatehouse_dash_login_")]
        assert not leftovers, f"the state cookie is cleared: {leftovers}"
        shot(alice, ARTIFACTS, "dev-alice-2-home")
        alice.goto(DASH + "tokens")
        expect(alice.get_by_role("link", name="Create service token")).to_be_visible()
        shot(alice, ARTIFACTS, "dev-alice-3-tokens")

        step("bob, a viewer, logs in and sees no write controls")
        bob_context, bob = person(browser, violations)
        log_in(bob, "bob")
        bob.wait_for_url(DASH)
        bob.goto(DASH + "tokens")
        expect(bob.get_by_text("bob@example.com").first).to_be_visible()
        expect(bob.get_by_role("heading", name="Service tokens", level=1)).to_be_visible()
        assert bob.get_by_role("link", name="Create service token").count() == 0, "read-only"
        assert bob.get_by_role("button", name="Create service token").count() == 0, "read-only"
        shot(bob, ARTIFACTS, "bob-tokens-read-only")

        step("mallory, in neither policy, is refused")
        mallory_context, mallory = person(browser, violations)
        log_in(mallory, "mallory")
        expect(mallory.get_by_text("mallory@example.com is not allowed to use this dashboard")).to_be_visible()
        shot(mallory, ARTIFACTS, "mallory-refused")
        assert session_cookie(mallory_context) is None, "no session for mallory"
        mallory.goto(DASH + "tokens")
        mallory.wait_for_url(DASH + "login")

        assert not violations, f"CSP violations: {violations}"
        print(f"OK dashboard login chromium {browser.version}")
        browser.close()


if __name__ == "__main__":
    run(main)
