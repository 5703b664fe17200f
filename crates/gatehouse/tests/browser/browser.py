"""Shared launch settings for the browser tests: Debian's chromium driven by Playwright.

Every browser test script imports `launch` from here, so all of them start the system browser the
same way (no browser download, no background network traffic, UTC, a fresh profile).
"""

import os

from playwright.sync_api import Browser, Playwright

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
