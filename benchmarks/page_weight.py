"""Page weight of a built book: bytes a browser with an empty cache transfers for each page.

Why a script and not a test: the numbers depend on the machine and its load (Lighthouse's
performance score especially), so they are recorded in benchmarks/README.md with the command that
produced them. tests/browser/test_page_weight.py checks the properties that make pages light.

    .venv/bin/python benchmarks/page_weight.py _build/html                      # every page
    .venv/bin/python benchmarks/page_weight.py _build/html --lighthouse         # and Lighthouse on the sample
                                                      # (after `npm ci --include=dev`, see lighthouse())

The site is served by Python's http.server on 127.0.0.1 (no compression, as the issue's figures were
measured). Each page opens in a fresh browser context (an empty cache) of Debian's Chromium through
Playwright; the transfer is the sum over the page's network responses of headers and body bytes,
after the network is idle. Lighthouse (npm `lighthouse` from node_modules, desktop preset) runs
offline against the same Chromium (CHROME_PATH) on the sample pages: the landing page, an executive
summary, an atlas profile and each explorer.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIGHTHOUSE = REPO / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = os.environ.get("CITYCONV_CHROMIUM", "/usr/bin/chromium")
EXPLORER_MARK = "data-cityconv-explorer="
#: The Lighthouse sample besides the explorer pages: the first existing page matching each pattern.
SAMPLE_PATTERNS = {"landing": ["book/index.html"],
                   "executive summary": ["book/generated/**/*executive*.html", "book/generated/**/*summary*.html"],
                   "atlas profile": ["book/generated/atlas/e0*/01-ward-profile.html"]}


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A quiet static server for `site` on a free local port."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def pages(site: Path) -> list[str]:
    """Every page Sphinx wrote (relative paths): not the redirect at the root, the general index or the
    field kits' print documents."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not p.relative_to(site).parts[0].startswith("_") and p.name != "genindex.html"
                  and "documentation_options.js" in p.read_text(encoding="utf-8", errors="replace"))


def explorer_pages(site: Path, names: list[str]) -> list[str]:
    return [n for n in names if EXPLORER_MARK in (site / n).read_text(encoding="utf-8", errors="replace")]


def sample_pages(site: Path, names: list[str]) -> dict[str, str]:
    sample = {}
    for label, patterns in SAMPLE_PATTERNS.items():
        for pattern in patterns:
            found = sorted(p.relative_to(site).as_posix() for p in site.glob(pattern))
            if found:
                sample[label] = found[0]
                break
    for page in explorer_pages(site, names):
        sample[f"explorer {Path(page).stem}"] = page
    return sample


def transfer_sizes(base_url: str, names: list[str], used: set[str] = frozenset()) -> dict[str, dict]:
    """{page: {"bytes": total, "requests": n, "largest": [(url, bytes), ...]}} with an empty cache each.

    A page in `used` (an explorer) also gets "used_bytes": the transfer once the reader has focused its
    first control and the live chart is drawn, which is when explorers.js fetches Vega."""
    from playwright.sync_api import sync_playwright

    out: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for name in names:
                context = browser.new_context(viewport={"width": 1350, "height": 940})
                page = context.new_page()
                finished = []
                page.on("requestfinished", lambda request, done=finished: done.append(request))
                page.goto(base_url + name, wait_until="networkidle")
                sizes = response_sizes(finished, base_url)
                out[name] = {"bytes": sum(b for _, b in sizes), "requests": len(sizes), "largest": sizes[:5]}
                if name in used:
                    page.focus("[data-cityconv-explorer] form input, [data-cityconv-explorer] form select")
                    page.wait_for_function("() => Number(document.querySelector('[data-cityconv-explorer]').dataset.renders) >= 1")
                    page.wait_for_load_state("networkidle")
                    out[name]["used_bytes"] = sum(b for _, b in response_sizes(finished, base_url))
                context.close()
        finally:
            browser.close()
    return out


def response_sizes(finished: list, base_url: str) -> list[tuple[str, int]]:
    """(url, header and body bytes) of each finished request, largest first."""
    sizes = []
    for request in finished:
        s = request.sizes()
        sizes.append((request.url.removeprefix(base_url), s["responseBodySize"] + s["responseHeadersSize"]))
    return sorted(sizes, key=lambda x: -x[1])


def lighthouse(url: str) -> dict[str, float]:
    """Lighthouse category scores (0-100) and LCP (s) for one URL, desktop preset, offline Chromium."""
    if not LIGHTHOUSE.is_file():
        raise SystemExit("page_weight: node_modules/lighthouse is missing: it is a dev dependency, which make "
                         "leaves out; run `npm ci --include=dev && touch node_modules/.cityconv-installed` "
                         "(the stamp keeps make from installing without it again)")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    run = subprocess.run(
        ["node", str(LIGHTHOUSE), url, "--preset=desktop", "--output=json", "--quiet",
         "--only-categories=performance,accessibility,seo,best-practices",
         "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
        capture_output=True, text=True, env=env, check=False)
    if run.returncode != 0:
        raise SystemExit(f"page_weight: lighthouse failed on {url}: {run.stderr.strip()[-400:]}")
    report = json.loads(run.stdout)
    scores = {k: round(100 * v["score"]) for k, v in report["categories"].items()}
    scores["lcp_s"] = round(report["audits"]["largest-contentful-paint"]["numericValue"] / 1000, 2)
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built HTML folder (_build/html)")
    parser.add_argument("--lighthouse", action="store_true", help="also run Lighthouse on the sample pages")
    parser.add_argument("--json", type=Path, help="write the full results here")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    if not (site / "book" / "index.html").is_file():
        print(f"page_weight: {site} holds no built book (book/index.html missing)", file=sys.stderr)
        return 2
    names = pages(site)
    server, base = serve(site)
    try:
        weights = transfer_sizes(base, names, used=set(explorer_pages(site, names)))
        sample = sample_pages(site, names)
        scores = {label: lighthouse(base + page) for label, page in sample.items()} if args.lighthouse else {}
    finally:
        server.shutdown()
    kib = {n: w["bytes"] / 1024 for n, w in weights.items()}
    explorers = explorer_pages(site, names)
    print(f"pages: {len(kib)}; median {statistics.median(kib.values()):,.0f} KiB; "
          f"max {max(kib.values()):,.0f} KiB ({max(kib, key=kib.__getitem__)})")
    for page in explorers:
        html_kib = (site / page).stat().st_size / 1024
        used = weights[page].get("used_bytes", 0) / 1024
        print(f"explorer {page}: {kib[page]:,.0f} KiB transferred, {used:,.0f} KiB once used (Vega loaded; "
              f"{weights[page].get('used_bytes', 0):,} bytes), HTML {html_kib:,.0f} KiB")
    for label, page in sample.items():
        line = f"{label:28} {page}: {kib[page]:,.0f} KiB"
        if label in scores:
            line += "  " + ", ".join(f"{k} {v}" for k, v in scores[label].items())
        print(line)
    largest = weights[sample.get("landing", names[0])]["largest"]
    print("largest responses on the landing page: " + "; ".join(f"{u} {b / 1024:,.0f} KiB" for u, b in largest))
    if args.json:
        args.json.write_text(json.dumps({"weights": weights, "sample": sample, "lighthouse": scores}, indent=1),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
