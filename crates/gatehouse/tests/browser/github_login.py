"""People log in with GitHub in Debian's chromium, as on Cloudflare Access.

Environment (set by tests/e2e/github.rs): GH_APP (the application's origin, whose login page
lists the providers), GH_TEAM_APP (an application for acme's platform team, which goes straight
to GitHub), GH_GITHUB (the loopback stand-in GitHub), GH_ARTIFACTS (screenshots go there), GH_OUT
(a file: what the origin received, as JSON, for the caller to verify). The hosts *.localhost are
the gateway's loopback address.

Steps: octocat opens a page of the application, is sent to its login page, picks GitHub, signs
in to GitHub, clicks "Authorize", and is back at the page asked for, with the CF_Authorization
cookie; the origin's echo is saved; get-identity shows her GitHub account. mallory, outside the
acme organization, and hubot, in acme but not in its platform team, are refused with 403.
Exits non-zero with the reason on any failure; prints "OK github login" last.
"""

import os

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from browser import HOST_RULES, back_at_application, get_identity, launch, loopback_only, run, shot, step

APP = os.environ["GH_APP"].rstrip("/")
TEAM_APP = os.environ["GH_TEAM_APP"].rstrip("/")
GITHUB = os.environ["GH_GITHUB"].rstrip("/")
ARTIFACTS = os.environ["GH_ARTIFACTS"]
OUT = os.environ["GH_OUT"]
PAGE = "/reports?q=1"


def person(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context(timezone_id="UTC")
    loopback_only(context)
    return context, context.new_page()


def sign_in_at_github(page: Page, login: str) -> None:
    """At GitHub's sign-in form: signs in as `login`, then authorizes the OAuth app."""
    page.wait_for_url(GITHUB + "/login/oauth/authorize?**")
    expect(page.get_by_role("heading", name="Sign in to GitHub")).to_be_visible()
    shot(page, ARTIFACTS, f"{login}-2-github-sign-in")
    page.get_by_label("Username or email address").fill(login)
    page.get_by_label("Password").fill("any password")
    page.get_by_role("button", name="Sign in").click()
    authorize = page.get_by_role("button", name="Authorize")
    expect(authorize).to_be_visible()
    expect(page.get_by_text(f"Signed in as {login}")).to_be_visible()
    shot(page, ARTIFACTS, f"{login}-3-github-authorize")
    authorize.click()
    page.wait_for_load_state("load")


def log_in(page: Page, login: str) -> None:
    """From the application's page to its login page, GitHub's forms, and back."""
    page.goto(APP + PAGE)
    choice = page.get_by_role("link", name="Log in with GitHub")
    expect(choice).to_be_visible()
    assert "/cdn-cgi/access/login/" in page.url, f"at the login page: {page.url}"
    shot(page, ARTIFACTS, f"{login}-1-login-page")
    choice.click()
    sign_in_at_github(page, login)


def authorized_statuses(page: Page, origin: str) -> list[int]:
    """The statuses of the application's `authorized` step, as the page navigates through it."""
    statuses: list[int] = []

    def seen(response):
        if response.request.is_navigation_request() and response.url.startswith(
            origin + "/cdn-cgi/access/authorized"
        ):
            statuses.append(response.status)

    page.on("response", seen)
    return statuses


def main() -> None:
    with sync_playwright() as p:
        browser = launch(p, (HOST_RULES,))

        step("octocat opens the application, picks GitHub, signs in and authorizes")
        octocat_context, octocat = person(browser)
        log_in(octocat, "octocat")
        back_at_application(octocat, octocat_context, APP, PAGE, OUT)
        shot(octocat, ARTIFACTS, "octocat-4-application")

        step("get-identity shows her GitHub account")
        identity = get_identity(octocat, APP)
        assert identity["email"] == "octocat@example.com", identity
        assert identity["idp"]["type"] == "github", identity
        assert identity["github"]["login"] == "octocat", identity

        step("mallory, outside the acme organization, is refused")
        mallory_context, mallory = person(browser)
        statuses = authorized_statuses(mallory, APP)
        log_in(mallory, "mallory")
        expect(mallory.get_by_text("You do not have access to this application.")).to_be_visible()
        assert statuses == [403], statuses
        shot(mallory, ARTIFACTS, "mallory-refused")
        assert "CF_Authorization" not in {c["name"] for c in mallory_context.cookies(APP)}

        step("hubot, in acme but not in its platform team, is refused at the team's application")
        hubot_context, hubot = person(browser)
        statuses = authorized_statuses(hubot, TEAM_APP)
        hubot.goto(TEAM_APP + "/")
        sign_in_at_github(hubot, "hubot")
        expect(hubot.get_by_text("You do not have access to this application.")).to_be_visible()
        assert statuses == [403], statuses
        shot(hubot, ARTIFACTS, "hubot-refused")
        assert "CF_Authorization" not in {c["name"] for c in hubot_context.cookies(TEAM_APP)}

        print(f"OK github login chromium {browser.version}")
        browser.close()


if __name__ == "__main__":
    run(main)
