"""The headless Chromium every PDF of ours is printed with (book, briefings, profiles, field kits).

Debian's package, never a downloaded browser; kept apart from the book printer so that modules
which print stand-alone pages need not import the book build.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Debian's Chromium; override with $CITYCONV_CHROMIUM.
CHROMIUM = Path(os.environ.get("CITYCONV_CHROMIUM", "/usr/bin/chromium"))
#: Flags for a quiet, offline, sandbox-free headless Chromium (containers and CI runners).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class PdfError(RuntimeError):
    """The PDF could not be made (no Chromium, a failed render, a chapter missing from the page)."""


def launch(playwright):
    """Chromium through Playwright's sync API, or PdfError saying how to install it."""
    if not CHROMIUM.exists():
        raise PdfError(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium) "
            "or set CITYCONV_CHROMIUM; the PDF is printed by headless Chromium"
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
