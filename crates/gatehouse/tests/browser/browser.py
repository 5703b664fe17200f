"""Shared settings and steps of the browser tests: Debian's chromium driven by Playwright.

Every browser test script imports `launch` from here, so all of them start the system browser the
same way (no browser download, no background network traffic, UTC, a fresh profile). The login
scripts also share the loopback-only routing, the screenshots and the OpenID Provider's forms.
"""

import json
import os
import sys
from collections.abc import Callable
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

CHROMIUM = os.environ.get("GATEHOUSE_CHROMIUM", "/usr/bin/chromium")

# Without the background-networking flags chromium keeps trying to reach hosts this machine
# cannot reach; Playwright adds --no-sandbox and --headless itself.
ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Playwright, extra_args: tuple[str, ...] = ()) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + list(extra_args))


# Every *.localhost name (an auth domain, an application, the dashboard) is gatehouse on loopback.
HOST_RULES = "--host-resolver-rules=MAP *.localhost 127.0.0.1"


def step(text: str) -> None:
    print(f"- {text}", flush=True)


def shot(page: Page, folder: str, name: str) -> None:
    page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def loopback_only(context: BrowserContext) -> None:
    """Refuses every request off this machine (the provider's page imports a web font)."""

    def route(route):
        host = urlsplit(route.request.url).hostname or ""
        if host in ("127.0.0.1", "localhost") or host.endswith(".localhost"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)


def sign_in_at_provider(page: Page, provider: str, login: str, shots: str | None = None) -> None:
    """At the OpenID Provider's login form (tests/op/op.mjs): signs in as `login` (any password
    works) and consents, leaving the page at wherever the provider sends the browser back to.
    With `shots`, the form and the consent page are screenshotted into that folder."""
    page.wait_for_url(provider + "/interaction/**")
    expect(page.locator("input[name=login]")).to_be_visible()
    if shots:
        shot(page, shots, f"{login}-1-provider-login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").first.click()
    expect(page.get_by_role("button", name="Continue")).to_be_visible()
    if shots:
        shot(page, shots, f"{login}-2-provider-consent")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")


def back_at_application(page: Page, context: BrowserContext, app: str, path: str, out: str) -> dict:
    """After a login: checks the browser is back at `app` + `path`, showing the echo origin's
    description of its request, with an HttpOnly, SameSite=Lax CF_Authorization cookie; writes
    the echo and the cookie's value as JSON to the file `out`, for the calling test to verify."""
    assert page.url == app + path, f"back at the page asked for: {page.url}"
    echo = json.loads(page.locator("body").inner_text())
    assert echo["path"] == path, echo
    cookies = {c["name"]: c for c in context.cookies(app)}
    session = cookies.get("CF_Authorization")
    assert session and session["httpOnly"] and session["sameSite"] == "Lax", cookies
    with open(out, "w", encoding="utf-8") as file:
        json.dump({"echo": echo, "cookie": session["value"]}, file)
    return echo


def get_identity(page: Page, app: str) -> dict:
    """What `/cdn-cgi/access/get-identity` of `app` says of the page's session."""
    page.goto(app + "/cdn-cgi/access/get-identity")
    return json.loads(page.locator("body").inner_text())


def run(main: Callable[[], None]) -> None:
    """Runs a script's `main`, printing the reason of a failure last, for the test's message."""
    try:
        main()
    except Exception as error:
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        raise
