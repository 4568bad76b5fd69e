"""Labels travel with the data: a synthetic ward's pages borrow nothing from Clubmoor and say what they are.

A ward made the way a user makes one (`cityconv new-ward`, then `cityconv simulate`) in a scratch
project, run through papermill with the real chapter templates (`cityconv run`). Then every piece of
text a reader can see or copy out of its pages is read: the templates' own Markdown, the generated
Markdown and HTML, figure alt text and captions, and the CSV behind every download link. None may
mention MyClubmoor, the findings slides or Clubmoor's places; every CSV must say "synthetic"; every
figure built from the synthetic records must say so in its caption.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cityconv.pipeline.book import TOC_BEGIN, TOC_END
from cityconv.present.figures import FIGURE_METADATA_KEY

REPO = Path(__file__).resolve().parents[1]
CITYCONV = str(Path(sys.executable).with_name("cityconv"))
WARD, WARD_ID = "Kirkdale", "kirkdale"

#: What a synthetic ward must never say: Clubmoor's partner, the study's slides, Clubmoor's places and
#: Clubmoor-named labels. (Anfield and Kirkdale may still *border* Clubmoor: the profile names neighbours.)
LEAKS = re.compile(r"MyClubmoor|\bslides?\b|\b(?:about|Recommending|for) Clubmoor\b|Clubmoor's", re.IGNORECASE)
#: Clubmoor's survey wording: it lives in Clubmoor's own questionnaire file, never in a shared schema.
QUESTIONNAIRE_LEAKS = re.compile(r"\bDucky\b|recommend Clubmoor", re.IGNORECASE)
#: A synthetic ward has published nothing: its qualitative chapters' prose never says "published".
PUBLISHED = re.compile(r"\bpublish", re.IGNORECASE)
QUALITATIVE = ("05-interviews", "06-social-media", "07-practitioners", "08-sense-check")
CSV_LINK = re.compile(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"')


pytestmark = pytest.mark.slow  # every test reads the real chapters of a simulated ward, run here


def _in_process(root: Path, *args: str) -> None:
    """A set-up command (`new-ward`, `simulate`) through the real command line, in this process: what it
    writes matters here, not its process boundary, and a fresh `cityconv` costs about 2.5 CPU s of imports."""
    from typer.testing import CliRunner

    from cityconv import cli

    result = CliRunner().invoke(cli.app, [*args, "--root", str(root)])
    assert result.exit_code == 0, f"cityconv {' '.join(args)} failed:\n{result.output[-4000:]}"


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([CITYCONV, *args, "--root", str(root)], capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, f"cityconv {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def synthetic_pages(tmp_path_factory) -> list[Path]:
    """The executed chapters of a ward made by `cityconv new-ward` + `cityconv simulate`."""
    root = tmp_path_factory.mktemp("synthetic") / "project"
    root.mkdir()
    for name in ("_config.yml", "references.bib"):
        shutil.copy(REPO / name, root / name)
    (root / "_toc.yml").write_text(f"format: jb-book\nroot: book/index\nparts:\n{TOC_BEGIN}\n{TOC_END}\n", encoding="utf-8")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    for folder in ("context", "city", "evidence", "recommendations"):
        shutil.copytree(REPO / "data" / folder, root / "data" / folder)
    (root / "params").mkdir()
    _in_process(root, "new-ward", WARD, "--boundary-set", "2004-2023")
    _in_process(root, "simulate", WARD_ID, "--n", "80", "--seed", "11")
    _run(root, "run", WARD_ID)  # the chapters in a fresh process, as a researcher runs them
    pages = sorted((root / "book" / "generated" / WARD_ID).glob("*.ipynb"))
    assert len(pages) >= 10, f"expected every ward chapter, got {[p.name for p in pages]}"
    return pages


def _reader_texts(page: Path):
    """(where, text) for everything a reader sees or downloads from one executed chapter."""
    nb = nbformat.read(page, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            yield f"{page.name} cell {i} (Markdown)", cell.source
        for output in cell.get("outputs", []):
            figure = output.get("metadata", {}).get(FIGURE_METADATA_KEY)
            if figure:
                yield f"{page.name} cell {i} (figure alt)", figure["alt"]
                yield f"{page.name} cell {i} (figure caption)", figure.get("caption", "")
            data = output.get("data", {})
            for mime in ("text/markdown", "text/html"):
                if mime in data:
                    text = data[mime]
                    for j, encoded in enumerate(CSV_LINK.findall(text)):
                        yield f"{page.name} cell {i} (CSV {j + 1})", base64.b64decode(encoded).decode("utf-8-sig")
                    yield f"{page.name} cell {i} ({mime})", re.sub(r'href="data:[^"]+"', 'href=""', text)
            if output.get("output_type") == "stream":
                yield f"{page.name} cell {i} (printed)", output.get("text", "")


def _hits(pages: list[Path], pattern: re.Pattern) -> list[str]:
    hits = []
    for page in pages:
        for where, text in _reader_texts(page):
            for match in pattern.finditer(text):
                context = " ".join(text[max(0, match.start() - 70): match.end() + 70].split())
                hits.append(f"{where}: …{context}…")
    return hits


def test_synthetic_pages_borrow_nothing_from_clubmoor(synthetic_pages: list[Path]) -> None:
    hits = _hits(synthetic_pages, LEAKS)
    assert not hits, "Clubmoor wording on a synthetic ward's pages:\n" + "\n".join(hits)


def test_synthetic_pages_use_their_own_questionnaire_wording(synthetic_pages: list[Path]) -> None:
    hits = _hits(synthetic_pages, QUESTIONNAIRE_LEAKS)
    assert not hits, "Clubmoor's survey wording on a synthetic ward's pages:\n" + "\n".join(hits)


def test_synthetic_qualitative_chapters_claim_nothing_published(synthetic_pages: list[Path]) -> None:
    """Interviews, social media, practitioners and sense check: the prose a reader reads (not the
    provenance box, not the tables of the citywide consultation, which is a published city-level source)."""
    pages = [p for p in synthetic_pages if p.stem in QUALITATIVE]
    assert len(pages) == len(QUALITATIVE), [p.name for p in synthetic_pages]
    hits = []
    for page in pages:
        for where, text in _reader_texts(page):
            if "(CSV" in where or "text/html" in where or text.lstrip().startswith("**Table:") \
                    or "Provenance of this chapter" in text:
                continue
            hits += [f"{where}: …{' '.join(text[max(0, m.start() - 70): m.end() + 70].split())}…"
                     for m in PUBLISHED.finditer(text)]
    assert not hits, "a synthetic ward's qualitative chapters speak of published material:\n" + "\n".join(hits)


def test_every_csv_on_a_synthetic_page_says_synthetic(synthetic_pages: list[Path]) -> None:
    csvs = [(where, text) for page in synthetic_pages for where, text in _reader_texts(page) if "(CSV" in where]
    assert len(csvs) >= 15, f"expected the chapters' tables to offer CSV downloads, found {len(csvs)}"
    unlabelled = [where for where, text in csvs if "synthetic" not in "\n".join(
        line for line in text.split("\n") if line.startswith("#")).lower()]
    assert not unlabelled, "CSV downloads whose opening rows do not say synthetic: " + ", ".join(unlabelled)
    for where, text in csvs:
        first = text.split("\n", 1)[0]
        skip = int(re.match(r"# The first (\d+) lines are notes", first).group(1))
        assert all(line.startswith("# ") for line in text.split("\n")[:skip]), where
        assert not text.split("\n")[skip].startswith("#"), where  # the header row follows the notes


def test_every_figure_from_synthetic_records_says_so(synthetic_pages: list[Path]) -> None:
    figures = []
    for page in synthetic_pages:
        nb = nbformat.read(page, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                figure = output.get("metadata", {}).get(FIGURE_METADATA_KEY)
                if figure:
                    figures.append((page.name, figure))
    from_records = [(name, f) for name, f in figures if f.get("status") != "published"]
    assert len(from_records) >= 5, f"expected figures built from the records, found {len(from_records)}"
    assert all(f.get("status") == "synthetic" for _, f in from_records), [f.get("status") for _, f in from_records]
    unlabelled = [f"{name}: {f.get('caption')!r}" for name, f in from_records if "synthetic" not in f.get("caption", "").lower()]
    assert not unlabelled, "figures from synthetic records whose caption does not say so:\n" + "\n".join(unlabelled)
