"""The built book in a real browser: every page loads cleanly, links and images work, search works,
axe-core finds no serious or critical accessibility problem (WCAG 2.1 A and AA), and no page scrolls
sideways on a phone.

A session fixture builds the real book in a temporary copy of the repository (tests/real_book.py), serves
`_build/html` on 127.0.0.1 and opens every page once in headless Debian Chromium (Playwright's Python API,
no browser download; a few tabs at a time, each visiting its pages in turn): at 1280 px for the desktop checks, then, in the same visit, narrowed to 390 px
(an iPhone 12–15 in portrait) for the phone checks. Requests that leave 127.0.0.1 are blocked and
reported: the book must work offline. Screenshots and the full axe report go to `test-artifacts/`
(gitignored).

The ward atlas's 90-odd profile pages are one template run per ward: the browser opens a declared sample
that covers every shape of page (`ATLAS_SAMPLE`); tests/realbook/test_atlas_profiles_html.py checks all of
them as HTML and that each has the shape of a sampled one.

Skips with a reason when Chromium or `node_modules/axe-core` is absent; fails instead when
CITYCONV_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from served import AXE_PATH

from atlas_sample import ATLAS_PROFILE, ATLAS_SAMPLE, atlas_ward
from cityconv.pipeline.chromium import CHROMIUM, CHROMIUM_ARGS
from real_book import ARTIFACTS, AXE, built_once

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
VIEWPORT = {"width": 1280, "height": 900}
#: An iPhone 12–15 in portrait, in CSS pixels: the phone checks narrow the page to this in the same visit.
PHONE = {"width": 390, "height": 844}

_COLLECT_JS = """() => ({
  links: Array.from(document.querySelectorAll('a[href]')).map((a) => a.href),
  images: Array.from(document.querySelectorAll('img')).map((img) => ({
    src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth,
  })),
})"""


@dataclass
class PageReport:
    path: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    offsite_requests: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    axe: list[dict] = field(default_factory=list)
    phone: dict | None = None  # what the page measured at 390 px wide (None for a redirect page)


#: The widest elements reaching past the right edge of the screen, outermost first, skipping those inside
#: a box that scrolls on its own (they cannot widen the page).
_OVERFLOW_JS = """() => {
  const root = document.scrollingElement;
  const limit = root.clientWidth;
  const scrollsOnItsOwn = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    Array.from(el.classList).slice(0, 3).map((c) => '.' + c).join('');
  const offenders = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= limit + 1 || scrollsOnItsOwn(el)) continue;
    if (getComputedStyle(el).position === 'fixed') continue;
    offenders.push(`${name(el)} (right edge ${Math.round(box.right)} px)`);
    if (offenders.length >= 5) break;
  }
  return {scrollWidth: root.scrollWidth, clientWidth: limit, offenders};
}"""

#: Every wide table box: scrolled to its right end, is its first column still at the box's left edge?
_STICKY_JS = """() => Array.from(document.querySelectorAll('div.cityconv-table-scroll'))
  .filter((box) => box.scrollWidth > box.clientWidth + 1)
  .map((box) => {
    box.scrollLeft = box.scrollWidth;
    const first = box.querySelector('tbody tr > :first-child');
    const title = (box.querySelector('caption strong') || box).textContent.trim().slice(0, 60);
    if (!first) return {title, offset: null, position: null};
    const offset = first.getBoundingClientRect().left - box.getBoundingClientRect().left;
    box.scrollLeft = 0;
    return {title, offset: Math.round(offset), position: getComputedStyle(first).position};
  })"""

#: Two animation frames: the theme's resize handlers have run and the narrowed page is laid out.
_SETTLE_JS = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def html_pages(site: Path) -> list[str]:
    """Every page of the built site (Sphinx's own template fragments in _static are not pages)."""
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not p.relative_to(site).parts[0].startswith("_")
    )


def audited_pages(site: Path) -> list[str]:
    """The pages the browser audits open: every page, with the declared sample of the atlas profiles."""
    return [p for p in html_pages(site) if not ATLAS_PROFILE.match(p) or atlas_ward(p) in ATLAS_SAMPLE]


def redirect_target(page: Path) -> str | None:
    match = re.search(r'<meta\s+http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"', page.read_text(encoding="utf-8"), re.I)
    return match.group(1) if match else None


def _watch(page, current: Callable[[], PageReport]) -> None:
    """Record in the report `current()` names (the page being audited) the page's console errors,
    uncaught exceptions and failed requests (a request blocked for leaving the site is reported as
    off-site, not as failed); either of Playwright's APIs."""
    page.on("console", lambda msg: current().console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: current().console_errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: None if req.url in current().offsite_requests
            else current().failed_requests.append(f"{req.url} ({req.failure})"))
    page.on("response", lambda res: current().failed_requests.append(f"{res.url} (HTTP {res.status})")
            if res.status >= 400 else None)


def _offsite(base_url: str) -> re.Pattern[str]:
    """Every URL that does not start with `base_url`. Playwright matches a pattern in its driver, so only
    the requests that leave the site reach Python (the site's own go on without a round trip to it)."""
    return re.compile("^(?!" + re.escape(base_url) + ")")


def new_page(browser, base_url: str, report: PageReport):
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light", service_workers="block")

    def block(route) -> None:
        report.offsite_requests.append(route.request.url)
        route.abort()

    context.route(_offsite(base_url), block)
    page = context.new_page()
    _watch(page, lambda: report)
    return context, page


_AXE_JS = "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"


def _violations(result: dict) -> list[dict]:
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


def run_axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return _violations(page.evaluate(_AXE_JS, WCAG_TAGS))


async def measure_on_a_phone(page) -> dict:
    """Narrow the open page (async API) to a phone's width and measure what sticks out (the phone checks below)."""
    await page.set_viewport_size(PHONE)
    await page.evaluate(_SETTLE_JS)
    measured = await page.evaluate(_OVERFLOW_JS)
    measured["wide_tables"] = await page.evaluate(_STICKY_JS)
    return measured


#: Stands for the address the site was served on while the audit ran: each xdist worker serves the
#: site on its own port, and the checks compare URLs with their own `base_url`.
RECORDED_SITE = "http://recorded-site.invalid/"


def _swap_address(value, old: str, new: str):
    """`value` (a report's JSON-able fields) with every occurrence of the address `old` written as `new`."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_swap_address(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _swap_address(v, old, new) for k, v in value.items()}
    return value


#: How many pages the audit has open at once, each lane a tab of its own in one Chromium: while one page
#: waits for the network to go quiet (`networkidle`: 500 ms without a request) the others are laid out
#: and checked. Measured on the 2-core machine, 85 pages, a tab per lane: 2 lanes 65 s of wall clock,
#: 3 55 s, 4 54 s (benchmarks/README.md, stop 36).
AUDIT_PAGES_AT_ONCE = 3


class _Lane:
    """One tab of the audit, visiting its pages one after another (a reader following links does the
    same). A context and a tab per page cost twice the CPU: each new tab is a new renderer process that
    parses and compiles the theme's scripts and styles afresh (85 pages: 205 CPU s for Chromium, the
    driver and pytest against 103, measured with /proc/stat; benchmarks/README.md, stop 36). Each visit
    starts at the desktop width; the listeners, attached once, write to the page being audited."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.report = PageReport("")

    async def open(self, browser) -> None:
        self.context = await browser.new_context(viewport=VIEWPORT, color_scheme="light", service_workers="block")

        async def block(route) -> None:
            self.report.offsite_requests.append(route.request.url)
            await route.abort()

        await self.context.route(_offsite(self.base_url), block)
        self.page = await self.context.new_page()
        _watch(self.page, lambda: self.report)

    async def audit(self, report: PageReport) -> None:
        """Load `report`'s page at desktop width, wait for the network to go quiet, and fill in `report`:
        links and images, axe-core's violations (as `run_axe`), then the phone's measurements."""
        self.report = report
        page = self.page
        await page.set_viewport_size(VIEWPORT)
        await page.goto(self.base_url + report.path, wait_until="load")
        await page.wait_for_load_state("networkidle")
        collected = await page.evaluate(_COLLECT_JS)
        report.links, report.images = collected["links"], collected["images"]
        await page.add_script_tag(url=self.base_url + AXE_PATH)  # from the cache after the first page (served.py)
        report.axe = _violations(await page.evaluate(_AXE_JS, WCAG_TAGS))
        report.phone = await measure_on_a_phone(page)


async def _audit_pages(base_url: str, reports: list[PageReport], at_once: int) -> None:
    """Audit every report's page in one Chromium of its own, `at_once` lanes (tabs) at a time."""
    from playwright.async_api import async_playwright

    waiting = list(reversed(reports))

    async def run(lane: _Lane, browser) -> None:
        await lane.open(browser)
        try:
            while waiting:
                await lane.audit(waiting.pop())
        finally:
            await lane.context.close()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(run(_Lane(base_url), browser) for _ in range(at_once)))
        finally:
            await browser.close()


def _run_audit(site: Path, base_url: str, at_once: int = AUDIT_PAGES_AT_ONCE) -> dict[str, PageReport]:
    """Open every page once; record console errors, requests, links, images and axe results at desktop
    width, then narrow the same page to 390 px and record what sticks out past a phone's screen.

    The pages are opened `at_once` at a time through Playwright's async API, in a thread of its own: the
    module's sync-API `browser` (used by the other tests) may already be open in this one, and its event
    loop cannot host another."""
    reports: dict[str, PageReport] = {}
    visits: list[PageReport] = []
    for path in audited_pages(site):
        report = reports[path] = PageReport(path)
        if redirect_target(site / path):  # a meta-refresh page: its target is checked as a link
            report.links.append(base_url + redirect_target(site / path))
        else:
            visits.append(report)
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, _audit_pages(base_url, visits, at_once)).result()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe-report.json").write_text(
        json.dumps({p: r.axe for p, r in reports.items()}, indent=1), encoding="utf-8"
    )
    return reports


@pytest.fixture(scope="module")
def audit(tmp_path_factory, site: Path, base_url: str) -> dict[str, PageReport]:
    """The audit of every page, made once per session (the first worker to ask runs it; under xdist the
    other reads it, with the addresses written for its own server) rather than once per worker."""

    def record(_folder: Path) -> dict:
        reports = _run_audit(site, base_url)
        return {path: _swap_address(asdict(report), base_url, RECORDED_SITE) for path, report in reports.items()}

    recorded = built_once(tmp_path_factory, "browser-audit", record)
    return {path: PageReport(**_swap_address(fields, RECORDED_SITE, base_url)) for path, fields in recorded.items()}


# --------------------------------------------------------------------------- tests


def test_every_chapter_of_the_toc_is_a_page(site: Path, audit) -> None:
    from cityconv.core.paths import Project
    from cityconv.pipeline.pdf import read_toc

    root_doc, parts = read_toc(Project(site.parents[1]))
    wanted = [root_doc] + [d for part in parts for d in part.docnames]
    missing = [d for d in wanted if not (site / f"{d}.html").is_file()]
    assert not missing, f"chapters listed in _toc.yml without a page: {missing}"


def test_no_console_errors(audit) -> None:
    problems = [f"{p}: {e}" for p, r in audit.items() for e in r.console_errors]
    assert not problems, "console errors:\n" + "\n".join(problems)


def test_nothing_fetched_off_site_and_no_failed_requests(audit) -> None:
    offsite = sorted({f"{p}: {u}" for p, r in audit.items() for u in r.offsite_requests})
    failed = [f"{p}: {u}" for p, r in audit.items() for u in r.failed_requests]
    assert not offsite, "requests leaving the site (the book must work offline):\n" + "\n".join(offsite)
    assert not failed, "failed requests to our own pages or assets:\n" + "\n".join(failed)


def _ids(page: Path, cache: dict[Path, set[str]]) -> set[str]:
    if page not in cache:
        cache[page] = set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8", errors="replace")))
    return cache[page]


def test_internal_links_and_images_resolve(site: Path, base_url: str, audit) -> None:
    broken: list[str] = []
    ids: dict[Path, set[str]] = {}
    checked = 0
    for path, report in audit.items():
        for url in report.links:
            if not url.startswith(base_url):
                continue  # external links, mailto:, data: downloads
            checked += 1
            parts = urlsplit(url)
            target = site / unquote(parts.path.lstrip("/"))
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{path}: link to missing {parts.path}")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _ids(target, ids):
                broken.append(f"{path}: link to missing anchor {parts.path}#{parts.fragment}")
        for image in report.images:
            src = image["src"]
            if src.startswith("data:"):
                continue
            if not src.startswith(base_url):
                broken.append(f"{path}: image from outside the site {src}")
                continue
            if not (site / unquote(urlsplit(src).path.lstrip("/"))).is_file():
                broken.append(f"{path}: missing image {src}")
            elif image["complete"] and image["width"] == 0:
                broken.append(f"{path}: image does not decode {src}")
    assert checked > len(audit), f"only {checked} internal links checked: are the audit's addresses this server's?"
    assert not broken, f"{len(broken)} broken internal link(s) or image(s):\n" + "\n".join(sorted(set(broken)))


def _axe_problems(reports: dict[str, list[dict]]) -> list[str]:
    return [
        f"{path}: {v['id']} ({v['impact']}: {v['help']}) at {', '.join(' '.join(t) for t in v['targets'][:5])}"
        for path, violations in reports.items()
        for v in violations
        if v["impact"] in BLOCKING
    ]


def test_no_serious_or_critical_accessibility_violations(audit) -> None:
    problems = _axe_problems({p: r.axe for p, r in audit.items()})
    assert not problems, (
        f"axe-core (WCAG 2.1 A/AA) found {len(problems)} serious/critical violation(s); "
        f"full report in {ARTIFACTS / 'axe-report.json'}:\n" + "\n".join(problems)
    )


def test_search_finds_the_clubmoor_chapter(site: Path, base_url: str, browser) -> None:
    report = PageReport("search.html?q=Clubmoor")
    context, page = new_page(browser, base_url, report)
    try:
        page.goto(base_url + "search.html?q=Clubmoor", wait_until="load")
        page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
        # Sphinx adds results one at a time; the status line says when all are in.
        page.wait_for_function("() => /Search finished/.test(document.body.innerText)", timeout=120_000)
        hrefs = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map((a) => a.href)")
        axe = run_axe(page)
    finally:
        context.close()
    if (site / "book" / "generated" / "clubmoor").is_dir():
        assert any("/generated/clubmoor/" in h for h in hrefs), f"no Clubmoor chapter among the results: {hrefs}"
    else:
        assert any("clubmoor" in h.lower() or "index" in h for h in hrefs), hrefs
    assert not report.console_errors, report.console_errors
    problems = _axe_problems({report.path: axe})
    assert not problems, "\n".join(problems)


def test_screenshots_of_landing_page_and_a_chapter(site: Path, base_url: str, browser, audit) -> None:
    chapters = [p for p in audit if p.startswith("book/generated/clubmoor/")] or \
               [p for p in audit if p.startswith("book/generated/")] or \
               [p for p in audit if p.startswith("book/") and p != "book/index.html"]
    targets = {"landing-page.png": "book/index.html" if "book/index.html" in audit else "index.html",
               "chapter.png": chapters[0]}
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in targets.items():
        report = PageReport(path)
        context, page = new_page(browser, base_url, report)
        try:
            page.goto(base_url + path, wait_until="networkidle")
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        finally:
            context.close()
        assert (ARTIFACTS / name).stat().st_size > 10_000, f"{name} looks empty"


def _phone_widths(audit: dict[str, PageReport]) -> dict[str, dict]:
    return {path: report.phone for path, report in audit.items() if report.phone is not None}


def test_no_page_scrolls_sideways_on_a_phone(audit) -> None:
    """No page is wider than the screen at 390 CSS pixels: `scrollWidth <= clientWidth` of the document.
    A wide table may still scroll inside its own box (`div.cityconv-table-scroll`): checked below."""
    phone_widths = _phone_widths(audit)
    assert len(phone_widths) >= 20, f"expected every page of the book, measured {len(phone_widths)}"
    wide = {path: m for path, m in phone_widths.items() if m["scrollWidth"] > m["clientWidth"]}
    assert not wide, "pages wider than a 390 px phone screen:\n" + "\n".join(
        f"- {path}: {m['scrollWidth']} px > {m['clientWidth']} px; sticking out: "
        f"{', '.join(m['offenders']) or 'nothing found outside a scrolling box'}"
        for path, m in sorted(wide.items())
    )


def test_wide_tables_scroll_in_their_own_box_with_the_first_column_in_view(audit) -> None:
    tables = [(path, t) for path, m in _phone_widths(audit).items() for t in m["wide_tables"]]
    assert tables, "expected at least one table wider than a phone screen (the survey and comparison tables are)"
    lost = [f"- {path}: {t['title']!r} (first column {t['position']}, {t['offset']} px from the box's edge)"
            for path, t in tables if t["position"] != "sticky" or t["offset"] is None or abs(t["offset"]) > 1]
    assert not lost, "wide tables whose first column scrolls out of view:\n" + "\n".join(lost)
