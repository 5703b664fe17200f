"""The dashboard in Debian's chromium: every screen, as an operator uses it.

Environment (set by tests/e2e/dashboard.rs): DASH_URL (http://127.0.0.1:PORT/dash/),
DASH_ADMIN_TOKEN, DASH_READ_ONLY_TOKEN, DASH_ARTIFACTS (screenshots go there), DASH_DOCS_IMAGES
(when not empty: the home, tokens and create screenshots also go there, for docs/dashboard.md),
DASH_SECRETS_FILE (the secrets shown are written there, so the caller can check that the server
never logged them). Exits non-zero, with the reason, on any failure; prints "OK dashboard" last.
"""

import os
import re
import sys

from playwright.sync_api import Page, expect, sync_playwright

from browser import launch

URL = os.environ["DASH_URL"]
BASE = URL.rstrip("/").rsplit("/dash", 1)[0]
ADMIN = os.environ["DASH_ADMIN_TOKEN"]
READ_ONLY = os.environ["DASH_READ_ONLY_TOKEN"]
ARTIFACTS = os.environ["DASH_ARTIFACTS"]
DOCS = os.environ.get("DASH_DOCS_IMAGES", "")
SECRETS_FILE = os.environ["DASH_SECRETS_FILE"]
XSS_NAME = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>\"'&"
CSP = "default-src 'none'; script-src 'self'; style-src 'self'"

# Collected while browsing: console errors, CSP violations, alert()s, GET URLs of dashboard pages.
problems: list[str] = []
visited: set[str] = set()
# HTTP statuses that the current step causes on purpose (a refused form answers 400), which
# chromium reports on the console.
expected_statuses: set[int] = set()


def step(text: str) -> None:
    print(f"- {text}", flush=True)


def shot(page: Page, name: str, docs: bool = False) -> None:
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)
    if docs and DOCS:
        page.screenshot(path=os.path.join(DOCS, f"dashboard-{name}.png"))


def watch(page: Page) -> None:
    """Records every CSP violation, console error and dialog, and checks every dashboard response."""

    def on_console(message):
        # The refused login answers 401 on purpose; chromium reports that status on the console.
        if "status of 401" in message.text:
            return
        if any(f"status of {status} " in message.text for status in expected_statuses):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(f"console {message.type}: {message.text}")

    def on_response(response):
        if "/dash" not in response.url:
            return
        headers = response.headers
        if headers.get("cache-control") != "no-store":
            problems.append(f"{response.url}: Cache-Control {headers.get('cache-control')!r}")
        if not headers.get("content-security-policy", "").startswith(CSP):
            problems.append(f"{response.url}: CSP {headers.get('content-security-policy')!r}")
        if response.request.method == "GET":
            visited.add(response.url)

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("dialog", lambda d: (problems.append(f"unexpected dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # Runs before the page's own code and outside its CSP: counts violations the page causes.
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )


def csp_violations(page: Page) -> list:
    return page.evaluate("window.__csp || []")


def storage_is_empty(page: Page) -> None:
    lengths = page.evaluate("[sessionStorage.length, localStorage.length]")
    assert lengths == [0, 0], f"web storage holds {lengths} items"


def login_with_keyboard(page: Page, token: str) -> None:
    """Logs in with the keyboard only: Tab to the labelled field, type, Enter."""
    page.goto(URL)
    expect(page).to_have_url(re.compile(r"/dash/login$"))
    tree = page.locator("form").aria_snapshot()
    assert 'textbox "Management API token"' in tree and 'button "Log in"' in tree, tree
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "token":
            break
    else:
        raise AssertionError("Tab never reached the token field")
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()


def main() -> None:
    secrets: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="UTC")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=BASE)
        page = context.new_page()
        watch(page)

        step("a wrong token is refused; the admin token logs in")
        page.goto(URL)
        expect(page).to_have_url(re.compile(r"/dash/login$"))
        shot(page, "login")
        page.get_by_label("Management API token").fill("not-a-real-token")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("not valid")
        page.get_by_label("Management API token").fill(ADMIN)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
        (cookie,) = [c for c in context.cookies() if c["name"] == "__Host-gatehouse_session"]
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict", cookie
        assert cookie["path"] == "/", cookie
        assert page.evaluate("document.cookie") == "", "the session cookie is HttpOnly"

        step("home: counts and the 24 h chart")
        expect(page.get_by_role("link", name=re.compile(r"^3 service tokens"))).to_be_visible()
        expect(page.get_by_role("link", name=re.compile(r"^1 expire within 30 days"))).to_be_visible()
        expect(page.get_by_role("img", name="requests per hour over the last 24 hours")).to_be_visible()
        expect(page.get_by_role("cell", name="wrong_secret")).to_be_visible()
        shot(page, "home", docs=True)

        step("tokens list: badges, never used, sparklines, filters, search")
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Service tokens").click()
        expect(page.get_by_role("heading", name="Service tokens", level=1)).to_be_visible()
        deploy_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="ci-deploy"))
        expect(deploy_row.get_by_role("img", name="last 24 hours: 6 allowed, 3 denied")).to_be_visible()
        cron_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="old-cron"))
        expect(cron_row.get_by_text("expires soon")).to_be_visible()
        expect(cron_row.get_by_text("never used")).to_be_visible()
        shot(page, "tokens", docs=True)
        page.get_by_label("Show").select_option("expiring")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_text("1 token", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="old-cron")).to_be_visible()
        page.get_by_label("Show").select_option("unused")
        page.get_by_label("Search").fill("backup")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_text("1 token", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="nightly-backup")).to_be_visible()
        page.goto(URL + "tokens")

        step("create: the secret is shown once, with the header lines and copy buttons")
        page.get_by_role("link", name="Create service token").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        tree = dialog.aria_snapshot()
        assert 'textbox "Name"' in tree and 'combobox "Lifetime"' in tree, tree
        expect(dialog.get_by_label("Name")).to_be_focused()
        page.keyboard.type("dash-created")
        dialog.get_by_role("button", name="Create").click()
        expect(dialog.get_by_text("You will not see this secret again")).to_be_visible()
        secret = page.locator("#secret-value").inner_text()
        client_id = page.locator("#client-id-value").inner_text()
        assert len(secret) >= 40 and client_id.endswith(".access"), (len(secret), client_id)
        secrets.append(secret)
        headers = page.locator("#header-lines").inner_text()
        assert headers == f"CF-Access-Client-Id: {client_id}\nCF-Access-Client-Secret: {secret}", headers
        dialog.get_by_role("button", name="Copy client secret").click()
        expect(dialog.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == secret
        storage_is_empty(page)
        assert secret not in page.url
        shot(page, "create", docs=True)
        page.reload()
        expect(page.get_by_role("link", name="dash-created")).to_be_visible()
        assert secret not in page.content(), "the secret is back after a reload"
        storage_is_empty(page)

        step("an XSS attempt through a token name is shown as text")
        page.get_by_role("link", name="Create service token").click()
        page.get_by_role("dialog").get_by_label("Name").fill(XSS_NAME)
        page.get_by_role("dialog").get_by_role("button", name="Create").click()
        expect(page.locator("#secret-value")).to_be_visible()
        secrets.append(page.locator("#secret-value").inner_text())
        page.keyboard.press("Escape")  # closing the dialog forgets the secret and reloads
        expect(page.get_by_role("link", name=XSS_NAME)).to_be_visible()
        assert page.evaluate("window.__xss") is None, "a script from a token name ran"
        assert page.locator("img[src=x]").count() == 0, "markup from a token name was parsed"

        step("token detail: recent requests; rotate with a grace period; both secrets' last use")
        page.get_by_role("link", name="ci-deploy").click()
        expect(page.get_by_role("heading", name="Recent requests")).to_be_visible()
        expect(page.get_by_role("cell", name="wrong_secret").first).to_be_visible()
        page.get_by_label("Old secret keeps working").select_option("24")
        page.get_by_role("button", name="Rotate secret").click()
        rotated = page.locator("#secret-value")
        expect(rotated).to_be_visible()
        secrets.append(rotated.inner_text())
        assert secrets[-1] != secrets[0]
        shot(page, "rotate")
        page.get_by_role("link", name="I have saved it").click()
        expect(page.get_by_role("cell", name="previous (version 1)")).to_be_visible()
        expect(page.get_by_role("cell", name=re.compile(r"^until \d{4}-"))).to_be_visible()
        assert secrets[-1] not in page.content()
        shot(page, "token")

        step("disable, enable, refresh")
        page.get_by_role("button", name="Disable").click()
        expect(page.locator(".facts").get_by_text("disabled", exact=True)).to_be_visible()
        page.get_by_role("button", name="Enable").click()
        expect(page.locator(".facts").get_by_text("active", exact=True)).to_be_visible()
        page.get_by_role("button", name=re.compile(r"^Refresh expiry")).click()
        expect(page.get_by_role("heading", name="Secrets")).to_be_visible()

        step("delete: only once the name is typed")
        page.goto(URL + "tokens")
        page.get_by_role("link", name="dash-created").click()
        delete = page.get_by_role("button", name="Delete token")
        expect(delete).to_be_disabled()
        page.get_by_label("Type the token's name to delete it").fill("dash-create")
        expect(delete).to_be_disabled()
        page.get_by_label("Type the token's name to delete it").fill("dash-created")
        expect(delete).to_be_enabled()
        delete.click()
        expect(page.get_by_role("heading", name="Service tokens", level=1)).to_be_visible()
        expect(page.get_by_role("link", name="dash-created")).to_have_count(0)

        step("access logs with the denial reason; filters; explain a record")
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Access logs").click()
        expect(page.get_by_role("cell", name="wrong_secret").first).to_be_visible()
        expect(page.get_by_role("cell", name="missing_credentials")).to_be_visible()
        allowed_row = page.get_by_role("row").filter(has=page.get_by_text("allowed", exact=True)).first
        allowed_row.get_by_role("link", name=re.compile(r"^Explain request ")).click()
        expect(page.get_by_role("heading", name=re.compile(r"^Why request "), level=1)).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("by policy 'Service tokens'")
        expect(page.get_by_role("heading", name=re.compile(r"^Service tokens"), level=4)).to_be_visible()
        shot(page, "explain")
        page.go_back()
        page.get_by_label("Decision").select_option("allowed")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_text("6 records", exact=True)).to_be_visible()
        shot(page, "logs")

        step("applications, groups, audit log with its verification")
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Applications").click()
        page.get_by_role("link", name="dash.example.test").click()
        expect(page.get_by_role("heading", name=re.compile(r"^Service tokens"), level=3)).to_be_visible()
        shot(page, "app")

        step("create an application and a policy with the keyboard; bad input is named")
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Applications").click()
        form = page.get_by_role("form", name="Create an application")
        tree = form.aria_snapshot()
        for control in ('textbox "Name"', 'textbox "Domain"', 'combobox "Type"', 'textbox "Session duration"'):
            assert control in tree, tree
        form.get_by_label("Name").focus()
        page.keyboard.type("Payroll")
        page.keyboard.press("Tab")
        expect(form.get_by_label("Domain")).to_be_focused()
        page.keyboard.type("payroll.example.test")
        form.get_by_label("Session duration").fill("8h")
        form.get_by_label("Name").press("Enter")
        expect(page.get_by_role("heading", name="Application Payroll", level=1)).to_be_visible()
        page.get_by_role("link", name="Add a policy").click()
        policy_form = page.get_by_role("form", name="A new policy")
        tree = policy_form.aria_snapshot()
        for control in ('group "Include"', 'group "Require"', 'group "Exclude"', 'combobox "Decision"',
                        'textbox "Include: specific service tokens"', 'textbox "Exclude: IP ranges"',
                        'checkbox "Any valid service token"', 'button "Create policy"'):
            assert control in tree, tree
        policy_form.get_by_label("Name", exact=True).fill("Deploy from the office")
        policy_form.get_by_label("Name", exact=True).press("Tab")
        expect(policy_form.get_by_label("Decision")).to_be_focused()
        policy_form.get_by_label("Decision").select_option("non_identity")
        policy_form.get_by_label("Any valid service token").first.uncheck()
        policy_form.get_by_label("Include: specific service tokens").fill("ci-deploy")
        policy_form.get_by_label("Require: IP ranges").fill("10.0.0.300/8")
        expected_statuses.add(400)
        policy_form.get_by_role("button", name="Create policy").click()
        expect(page.get_by_role("alert")).to_contain_text("Require, IP ranges, line 1")
        expect(page.get_by_label("Include: specific service tokens")).to_have_value("ci-deploy")
        page.get_by_label("Require: IP ranges").fill("127.0.0.0/8")
        page.get_by_label("Include: specific service tokens").fill("no-such-token")
        page.get_by_role("button", name="Create policy").click()
        expect(page.get_by_role("alert")).to_contain_text("no service token is named 'no-such-token'")
        page.get_by_label("Include: specific service tokens").fill("ci-deploy")
        page.get_by_role("button", name="Create policy").click()
        expect(page.get_by_role("heading", name="Application Payroll", level=1)).to_be_visible()
        expected_statuses.clear()
        policy = page.get_by_role("article").filter(
            has=page.get_by_role("heading", name=re.compile(r"^Deploy from the office"), level=3))
        expect(policy.get_by_text("service token ci-deploy")).to_be_visible()
        expect(policy.get_by_text("IP 127.0.0.0/8")).to_be_visible()
        shot(page, "app-policy")
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Applications").click()
        payroll = page.get_by_role("row").filter(has=page.get_by_role("link", name="Payroll"))
        expect(payroll.get_by_role("cell", name="payroll.example.test")).to_be_visible()
        expect(payroll.get_by_role("cell", name="1", exact=True)).to_be_visible()
        shot(page, "apps")
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Groups").click()
        expect(page.get_by_role("heading", name="Deployers")).to_be_visible()
        shot(page, "groups")
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Audit log").click()
        expect(page.get_by_role("cell", name="rotate", exact=True).first).to_be_visible()
        page.get_by_role("button", name="Verify the chain").click()
        expect(page.get_by_role("status")).to_contain_text("verified")
        shot(page, "audit")

        step("writes from elsewhere are refused")
        for headers in ({}, {"Origin": "http://evil.example"}):
            reply = context.request.post(URL + "tokens", form={"name": "csrf"}, headers=headers)
            assert reply.status == 403, (headers, reply.status)

        step("every page seen: no secret in any GET response")
        for url in sorted(visited):
            body = context.request.get(url).text()
            for shown in secrets:
                assert shown not in body, f"a secret is in GET {url}"
                assert shown not in url, "a secret is in a URL"

        violations = csp_violations(page)
        step("log out")
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r"/dash/login$"))
        page.goto(URL + "tokens")
        expect(page).to_have_url(re.compile(r"/dash/login$"))

        step("a read-only token sees no write controls, and the server refuses its writes")
        ro = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="UTC")
        ro_page = ro.new_page()
        watch(ro_page)
        login_with_keyboard(ro_page, READ_ONLY)
        ro_page.goto(URL + "tokens")
        expect(ro_page.get_by_text("read-only", exact=True)).to_be_visible()
        expect(ro_page.get_by_role("link", name="Create service token")).to_have_count(0)
        ro_page.get_by_role("link", name="ci-deploy").click()
        expect(ro_page.get_by_role("heading", name="Secrets")).to_be_visible()
        expect(ro_page.get_by_role("button", name="Rotate secret")).to_have_count(0)
        expect(ro_page.get_by_role("button", name="Delete token")).to_have_count(0)
        shot(ro_page, "read-only")
        token_url = ro_page.url
        reply = ro.request.post(token_url + "/rotate", form={"grace_hours": ""}, headers={"Origin": BASE})
        assert reply.status == 403 and "9109" in reply.text(), (reply.status, reply.text()[:300])
        reply = ro.request.post(URL + "tokens", form={"name": "ro"}, headers={"Origin": BASE})
        assert reply.status == 403, reply.status
        violations += csp_violations(ro_page)
        storage_is_empty(ro_page)

        assert not violations, f"CSP violations: {violations}"
        assert not problems, "\n".join(problems)
        with open(SECRETS_FILE, "w", encoding="utf-8") as out:
            out.write("\n".join(secrets) + "\n")
        print(f"OK dashboard: chromium {browser.version}, {len(visited)} pages checked, 0 CSP violations")
        browser.close()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - the reason is the test's output
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        raise
