"""Issue 27, "done when": the payload fixture ward builds, and nothing from its data executes.

A copy of the project whose only ward (`payload`, see tests/payload_ward.py) carries HTML, script,
MyST, Jinja, maths and formula strings in every text field of every file, its questionnaire and its
title, is built with the real command line (exit 0). Chromium then opens every page of the book and
finds no element, script, directive output or maths that came from the data, and every CSV and XLSX
download (carried in the pages as data URIs, or written as files) holds no formula.
"""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from payload_ward import MARK, WARD, cityconv, make_payload_project
from served import serve

from cityconv.pipeline.chromium import CHROMIUM, CHROMIUM_ARGS
from real_book import require_chromium

pytestmark = pytest.mark.browser
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: Run in each page: everything that would show a payload became live instead of staying text.
FINDINGS_JS = """
(mark) => {
  const found = [];
  const text = (el) => (el.textContent || '');
  for (const el of document.querySelectorAll(`.${mark}, [class*="${mark}"]`)) found.push('element with class from data: ' + el.outerHTML.slice(0, 120));
  for (const el of document.querySelectorAll('img[src="x"], img[src*="example.invalid"]')) found.push('image from data: ' + el.outerHTML.slice(0, 120));
  for (const el of document.querySelectorAll('a[href^="javascript:"]')) found.push('javascript link: ' + el.outerHTML.slice(0, 120));
  for (const el of document.querySelectorAll('script')) if (text(el).includes(mark) && !(el.type || '').includes('json')) found.push('script from data');
  for (const el of document.querySelectorAll('script[type*="json"]')) if (text(el).includes('</script')) found.push('script data that closes its element');
  for (const el of document.querySelectorAll('.admonition-title, .admonition > p:first-child')) if (text(el).includes(mark + ' directive')) found.push('directive from data: ' + text(el).slice(0, 80));
  for (const el of document.querySelectorAll('.admonition')) if (text(el).includes(mark + ' warning') && !text(el).includes('{warning}')) found.push('warning directive from data');
  for (const el of document.querySelectorAll('.math, mjx-container, .MathJax')) if (text(el).includes('x^2') || text(el).includes('x2')) found.push('maths from data: ' + text(el).slice(0, 60));
  for (const el of document.querySelectorAll('b, strong')) if (['raw role', 'fenced raw'].includes(text(el).trim())) found.push('raw HTML from data: ' + el.outerHTML);
  const body = document.body ? document.body.innerText : '';
  if (body.includes('49 {% raw') || body.includes('49 jinja')) found.push('Jinja from data was evaluated');
  if (document.title === mark) found.push('script from data ran (document.title)');
  const downloads = [];
  for (const a of document.querySelectorAll('a[href^="data:"]')) downloads.push([a.getAttribute('download') || '', a.getAttribute('href')]);
  return {found, downloads, mentions: body.includes(mark)};
}
"""


@pytest.fixture(scope="module")
def payload_site(tmp_path_factory) -> Path:
    require_chromium()
    root = make_payload_project(tmp_path_factory.mktemp("payload"))
    # No field kit is printed (`--skip pdf`): the kit's pages are built and visited; its PDFs are tested by
    # tests/test_field_kit_print.py, and a PDF runs no script and fetches nothing.
    result = cityconv(root, "build", WARD, "--skip", "pdf", timeout=1200)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert "Traceback" not in log, log[-6000:]
    return root / "_build" / "html"


def _csv_formulas(name: str, data: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    return [f"{name}: {cell[:40]!r}" for row in rows for cell in row if cell.startswith(TRIGGERS)]


def _xlsx_formulas(name: str, data: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [f"{name}: {ws.title}!{c.coordinate}" for ws in book for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def _decode(uri: str) -> bytes:
    head, _, body = uri.partition(",")
    return base64.b64decode(body) if head.endswith(";base64") else unquote(body).encode("utf-8")


def test_payload_ward_builds_and_nothing_from_its_data_executes(payload_site: Path) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    pages = sorted(p.relative_to(payload_site).as_posix() for p in payload_site.rglob("*.html")
                   if "_static" not in p.parts and "_sources" not in p.parts)
    problems: list[str] = []
    mentions = 0
    with serve(payload_site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("dialog", lambda dialog: (problems.append(f"dialog from data: {dialog.message}"), dialog.dismiss()))
        for path in pages:
            page.goto(base + path, wait_until="load")
            try:
                result = page.evaluate(FINDINGS_JS, MARK)
            except PlaywrightError:  # a redirect page (the root index.html) navigated away: read its target
                page.wait_for_load_state("load")
                result = page.evaluate(FINDINGS_JS, MARK)
            mentions += bool(result["mentions"])
            problems += [f"{path}: {f}" for f in result["found"]]
            for name, uri in result["downloads"]:
                data = _decode(uri)
                if name.endswith(".csv") or uri.startswith("data:text/csv"):
                    problems += _csv_formulas(f"{path} {name}", data)
                elif name.endswith(".xlsx"):
                    problems += _xlsx_formulas(f"{path} {name}", data)
        browser.close()
    for path in payload_site.rglob("*.csv"):
        problems += _csv_formulas(str(path.relative_to(payload_site)), path.read_bytes())
    for path in payload_site.rglob("*.xlsx"):
        problems += _xlsx_formulas(str(path.relative_to(payload_site)), path.read_bytes())
    assert mentions >= 5, f"the payload text reached only {mentions} page(s): the fixture did not reach the book"
    assert not problems, "\n".join(problems[:60])
