"""The browser harness works: chromium loads the gateway's public keys page and sees JSON.

Usage: smoke.py <gateway base URL>. Exits non-zero (with the reason) on any failure.
"""

import json
import sys

from playwright.sync_api import sync_playwright

from browser import launch


def main() -> None:
    gateway = sys.argv[1].rstrip("/")
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(timezone_id="UTC")
        response = page.goto(f"{gateway}/cdn-cgi/access/certs")
        assert response is not None and response.status == 200, response and response.status
        keys = json.loads(page.locator("body").inner_text())
        assert keys["keys"] and all(k["kty"] == "RSA" for k in keys["keys"]), keys
        print(f"OK chromium {browser.version}: {len(keys['keys'])} signing key(s)")
        browser.close()


if __name__ == "__main__":
    main()
