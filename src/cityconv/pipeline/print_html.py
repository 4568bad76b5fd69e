"""Print stand-alone HTML pages to A4 PDFs with the headless Chromium the book's PDF uses.

For pages made outside the book (the field kit's documents, the one-page ward profiles): no Sphinx
build, no scripts needed, nothing fetched. Each PDF is written to a temporary name and renamed into
place, so a failed print never leaves half a PDF where the last good one was.

Starting Chromium costs more than printing a short document, so a build prints all its kits with one
browser: inside `one_browser()` (the artifact build opens it), `print_pages` borrows the block's
browser, started on first use, instead of starting its own.

PRINT CACHE (issue 21). Most kits printed are the same pages again (the blank `new-ward` kit of every
project, a rebuilt or unpacked project's kits, the test suite's thirty scratch projects), at about 1.7
CPU s a kit plus 1 s to start Chromium. So a printed PDF is kept under a key made of everything that
decides it: the page's bytes and file name (Chromium's title when the page has none), the footer, the
print and browser-context options, and the Chromium binary (path, size, modification time: known
without starting it) with the Playwright version. A page whose key was printed before is copied from
the cache; when every page is, no browser starts. Only a self-contained page is cached
(`self_contained`): one that loads or links any other file is printed every time, since that file is
not in the key; so is a page whose footer shows the date (`class="date"`). Fonts installed on the
machine are not in the key: after changing them, delete the cache folder.

Where: `$CITYCONV_PRINT_CACHE` (a folder), else `$XDG_CACHE_HOME/cityconv/print` (`~/.cache/cityconv/
print`); `CITYCONV_PRINT_CACHE=0` turns it off (an empty value counts as unset, as XDG's do). Entries
are written to a temporary name and renamed, so two processes printing the same page never leave half
an entry; past `MAX_ENTRIES` the least recently used (oldest modification time; a hit touches its
entry) are deleted. The cache only ever saves time: a folder that cannot be read or written (or a full
disk) means printing as if there were none, never a failed build.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cityconv.pipeline import chromium
from cityconv.pipeline.chromium import launch

#: The browsers of the open `one_browser()` blocks, innermost last (None until something prints in it).
_blocks: list[dict] = []

#: Environment variable naming the print cache's folder ("0": no cache).
CACHE_ENV = "CITYCONV_PRINT_CACHE"
#: Entries kept in the print cache (about 0.1 MB each: a kit's documents are 50 to 400 kB).
MAX_ENTRIES = 500
#: Bumped when the key's recipe or an entry's meaning changes, so old entries are never hit.
KEY_VERSION = 1
#: The browser context every page is printed in (part of the key).
CONTEXT_OPTIONS = {"offline": True, "color_scheme": "light"}
#: A temporary entry older than this (seconds) was left by a process that died mid-store.
_STALE_TEMPORARY = 3600

# A reference in HTML (attribute value) or CSS (`url(`, `@import`, `image-set(`). Matched over the whole
# text, tags or not: a stray match in prose only costs a print, a missed reference would give a wrong PDF.
_ATTRIBUTE = re.compile(r"""(?<![\w:-])(?:src|href|srcset|data|poster|background|xlink:href)\s*=\s*"""
                        r"""("[^"]*"|'[^']*'|[^\s>]*)""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*("[^"]*"|'[^']*'|[^)]*)""", re.IGNORECASE)
_ALWAYS_LOADS = re.compile(r"@import|image-set\(|<script|http-equiv\s*=\s*[\"']?refresh", re.IGNORECASE)
#: References that load no file: this page's anchors, inline data, mail links, and web addresses (the
#: offline context refuses them, the same way every time).
_HARMLESS = ("#", "data:", "mailto:", "http:", "https:")
_FOOTER_FIELD = re.compile(r"""class\s*=\s*["'][^"']*\b(date|url)\b""", re.IGNORECASE)


def self_contained(html: str) -> bool:
    """Whether a page loads and links no other file, so its bytes alone decide its PDF (and it may be cached).

    Refused: any `src`/`href`/`srcset`/`data`/`poster`/`background` value other than `#…`, `data:`,
    `mailto:` or an http(s) address; CSS `url(…)` to anything else; `@import`, `image-set(`, scripts and
    meta refreshes, whatever they point at.
    """
    if _ALWAYS_LOADS.search(html):
        return False
    for pattern, srcset in ((_ATTRIBUTE, True), (_CSS_URL, False)):
        for match in pattern.finditer(html):
            value = match.group(1).strip().strip("\"'").strip()
            if srcset and match.group(0).lower().startswith("srcset") and value:
                return False  # a list of images: one may be a file, and data: URLs hold commas
            if value and not value.lower().startswith(_HARMLESS):
                return False
    return True


def cache_folder() -> Path | None:
    """The print cache's folder (`$CITYCONV_PRINT_CACHE`, else `$XDG_CACHE_HOME/cityconv/print`), or None if off."""
    chosen = os.environ.get(CACHE_ENV, "")
    if chosen == "0":
        return None
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    try:
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # XDG: a relative path is ignored
    except RuntimeError:  # no home folder to be found
        return None
    return base / "cityconv" / "print"


def pdf_options(footer: str | None) -> dict:
    """What `page.pdf` is given besides the path (part of the key)."""
    return {"format": "A4", "prefer_css_page_size": True, "print_background": True, "tagged": True,
            "outline": True, "display_header_footer": footer is not None,
            "header_template": "<span></span>", "footer_template": footer or "<span></span>"}


def chromium_identity() -> list | None:
    """What says which browser prints, without starting it: the binary's path, size and modification
    time, its flags and the Playwright version (None when there is no Chromium: no print, no cache)."""
    try:
        stat = os.stat(chromium.CHROMIUM)
    except OSError:
        return None
    try:
        playwright = importlib.metadata.version("playwright")
    except importlib.metadata.PackageNotFoundError:
        playwright = None
    return [str(chromium.CHROMIUM), os.path.realpath(chromium.CHROMIUM), stat.st_size, stat.st_mtime_ns,
            chromium.CHROMIUM_ARGS, playwright]


@dataclass(frozen=True)
class PrintCache:
    """The PDFs printed before, one file `<key>.pdf` per key, in `folder`."""

    folder: Path
    browser: list

    @classmethod
    def from_environment(cls) -> PrintCache | None:
        folder, browser = cache_folder(), chromium_identity()
        return None if folder is None or browser is None else cls(folder, browser)

    def key(self, page_path: Path, footer: str | None) -> str | None:
        """The page's key, or None when it must be printed every time (or cannot be read: printing says why)."""
        try:
            html = Path(page_path).read_bytes()
        except OSError:
            return None
        footer_fields = set(_FOOTER_FIELD.findall(footer or ""))
        if "date" in footer_fields or not self_contained(html.decode("utf-8", "replace")):
            return None
        if footer and not self_contained(footer):
            return None
        where = Path(page_path).resolve().as_uri() if "url" in footer_fields else None
        recipe = json.dumps([KEY_VERSION, self.browser, CONTEXT_OPTIONS, pdf_options(footer),
                             Path(page_path).name, where], sort_keys=True)
        return hashlib.sha256(recipe.encode() + b"\0" + html).hexdigest()

    def fetch(self, key: str, target: Path) -> bool:
        """Copy the entry to `target` (through a temporary name); False on a miss or any failure."""
        entry = self.folder / f"{key}.pdf"
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            if entry.stat().st_size == 0:  # never stored so, but a crash may leave an empty file
                return False
            shutil.copyfile(entry, tmp)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            return False
        with contextlib.suppress(OSError):
            os.utime(entry)  # recently used: pruned last
        return True

    def store(self, key: str, pdf: Path) -> None:
        """Keep a copy of the printed `pdf` under `key`, then prune; a failure is ignored (the PDF is printed)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{key}.", suffix=".tmp")
            os.close(handle)
            try:
                shutil.copyfile(pdf, tmp)
                os.replace(tmp, self.folder / f"{key}.pdf")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self.prune()
        except OSError:
            pass

    def prune(self, keep: int | None = None) -> None:
        """Delete the least recently used entries beyond `keep` (MAX_ENTRIES), and temporaries left by a crash."""
        keep = MAX_ENTRIES if keep is None else keep
        entries = []
        for path in self.folder.iterdir():
            with contextlib.suppress(OSError):  # another process may delete it meanwhile
                modified = path.stat().st_mtime
                if path.suffix == ".pdf":
                    entries.append((modified, path.name, path))
                elif path.suffix == ".tmp" and modified < time.time() - _STALE_TEMPORARY:
                    path.unlink()
        entries.sort()
        for _, _, path in entries[:max(len(entries) - keep, 0)]:
            with contextlib.suppress(OSError):
                path.unlink()


def _launched(stack: contextlib.ExitStack):
    """Start Playwright and Chromium, closed (browser, then Playwright) when `stack` closes; if the launch
    fails, Playwright is stopped at once."""
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as attempt:
        browser = launch(attempt.enter_context(sync_playwright()))
        attempt.callback(browser.close)
        stack.enter_context(attempt.pop_all())
    return browser


@contextlib.contextmanager
def one_browser() -> Iterator[None]:
    """Print every page asked for inside this block with one Chromium, started only if something prints."""
    with contextlib.ExitStack() as stack:
        _blocks.append({"stack": stack, "browser": None})
        try:
            yield
        finally:
            _blocks.pop()


@contextlib.contextmanager
def _browser() -> Iterator:
    """The open block's browser (started now if it has none yet), else a browser of this call's own."""
    if _blocks:
        block = _blocks[-1]
        if block["browser"] is None:
            block["browser"] = _launched(block["stack"])
        yield block["browser"]
        return
    with contextlib.ExitStack() as stack:
        yield _launched(stack)


def print_pages(pages: list[tuple[Path, Path]], footer: str | None = None) -> list[Path]:
    """Print each (HTML page, PDF path) pair, or copy its PDF from the print cache; returns the PDFs, in order.

    Raises PdfError when Chromium is missing (see `cityconv.pipeline.chromium`).
    """
    if not pages:
        return []
    cache = PrintCache.from_environment()
    written, to_print = [], []
    for page_path, target in pages:
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        key = cache.key(Path(page_path), footer) if cache else None
        if cache is None or key is None or not cache.fetch(key, target):
            to_print.append((Path(page_path), target, key))
        written.append(target)
    if not to_print:
        return written
    options = pdf_options(footer)
    with _browser() as browser:
        # One offline context and one tab for all the pages: each page is a static file loaded afresh, so
        # nothing carries over, and a context per page cost about three times the CPU (a kit of eight
        # documents: 4 s against 1.7 s; benchmarks/README.md, "Where the CPU goes").
        context = browser.new_context(**CONTEXT_OPTIONS)
        try:
            page = context.new_page()
            for page_path, target, key in to_print:
                page.goto(page_path.resolve().as_uri(), wait_until="load")
                tmp = target.with_name(f".{target.name}.tmp")
                page.pdf(path=str(tmp), **options)
                os.replace(tmp, target)
                if cache is not None and key is not None:
                    cache.store(key, target)
        finally:
            context.close()
    return written
