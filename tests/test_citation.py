"""Citation metadata: CITATION.cff is valid CFF 1.2.0, and it, .zenodo.json, pyproject.toml and
_config.yml agree on title, version, year and licence; licences are stated where readers see them."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import jinja2
import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
CFF = REPO / "CITATION.cff"
ZENODO = REPO / ".zenodo.json"
CFFCONVERT = REPO / ".venv-cffconvert" / "bin" / "cffconvert"
OGL = "Contains public sector information licensed under the Open Government Licence v3.0"
OS = "Contains OS data © Crown copyright and database right"


def _yaml(path: Path):
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cff() -> dict:
    return _yaml(CFF)


@pytest.fixture(scope="module")
def zenodo() -> dict:
    return json.loads(ZENODO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def config() -> dict:
    return _yaml(REPO / "_config.yml")


@pytest.fixture(scope="module")
def version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _cffconvert(*args: str) -> subprocess.CompletedProcess:
    if not CFFCONVERT.exists():
        pytest.skip(f"cffconvert not installed at {CFFCONVERT.relative_to(REPO)}: run `make .venv-cffconvert/.installed` "
                    "(it needs its own venv because it pins jsonschema<4)")
    return subprocess.run([str(CFFCONVERT), *args], capture_output=True, text=True, timeout=120)


def test_citation_cff_is_valid() -> None:
    result = _cffconvert("--validate", "-i", str(CFF))
    assert result.returncode == 0, result.stdout + result.stderr


def test_cffconvert_rejects_an_invalid_file(tmp_path: Path) -> None:
    """The validator really validates: a file without authors fails."""
    bad = tmp_path / "CITATION.cff"
    bad.write_text('cff-version: 1.2.0\nmessage: "x"\ntitle: "x"\n', encoding="utf-8")
    result = _cffconvert("--validate", "-i", str(bad))
    assert result.returncode != 0


def test_cff_content(cff: dict, version: str) -> None:
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == version
    assert cff["authors"] and all(a.get("name") or a.get("family-names") for a in cff["authors"])
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}
    pref = cff["preferred-citation"]
    assert pref["type"] == "book" and pref["title"] == cff["title"] and pref["version"] == version
    assert str(pref["year"]) == str(cff["date-released"])[:4]
    assert "repository-code" not in cff or str(cff["repository-code"]).startswith("https://")


def test_zenodo_json_agrees_with_cff(cff: dict, zenodo: dict) -> None:
    for field in ("title", "creators", "license", "version"):
        assert zenodo.get(field), f".zenodo.json: {field} missing"
    assert zenodo["title"] == cff["title"]
    assert zenodo["version"] == cff["version"]
    licences = cff["license"] if isinstance(cff["license"], list) else [cff["license"]]
    assert zenodo["license"].lower() in {lic.lower() for lic in licences}
    assert zenodo["license"] == cff["preferred-citation"]["license"]
    assert [c["name"] for c in zenodo["creators"]] == [a["name"] for a in cff["authors"]]
    assert zenodo["publication_date"] == str(cff["date-released"])


def test_book_version_is_one_version(config: dict, cff: dict, version: str) -> None:
    subs = config["parse"]["myst_substitutions"]
    assert subs["version"] == version == cff["version"]
    assert subs["year"] == str(cff["date-released"])[:4] == str(config["copyright"])
    assert subs["date_released"] == str(cff["date-released"])
    footer = config["html"]["extra_footer"]
    assert f"Version {version}," in footer
    assert sorted(set(re.findall(r"\b\d+\.\d+\.\d+\b", footer))) == [version], "another version in the footer"
    assert config["title"] == cff["title"]
    assert config["sphinx"]["config"]["html_last_updated_fmt"], "the build date must be shown on every page"


def test_how_to_cite_takes_version_and_year_from_the_config(config: dict, version: str) -> None:
    """No literal version on the page; its substitutions render to BibTeX with the current version."""
    page = (REPO / "book" / "how-to-cite.md").read_text(encoding="utf-8")
    assert version not in page and not re.search(r"\b\d+\.\d+\.\d+\b", page), "hard-coded version in how-to-cite.md"
    subs = config["parse"]["myst_substitutions"]
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    expressions = re.findall(r"\{\{(.+?)\}\}", page)
    assert expressions
    rendered = [env.from_string("{{" + e + "}}").render(subs) for e in expressions]
    bibtex = [r for r in rendered if r.startswith("```bibtex")]
    assert len(bibtex) == 2, "expected BibTeX for the book and for one chapter"
    for block in bibtex:
        assert f'version = "{version}"' in re.sub(r"\s+", " ", block)
        assert f"year = {subs['year']}," in re.sub(r"\s+", " ", block)
        assert block.count("{") == block.count("}"), block


def test_bibtex_config_and_offline_assets(config: dict) -> None:
    assert config["bibtex_bibfiles"] == ["references.bib"]
    sphinx = config["sphinx"]["config"]
    assert sphinx["bibtex_reference_style"] and sphinx["bibtex_default_style"]
    assert not str(sphinx.get("mathjax_path", "https://")).startswith(("http://", "https://", "//")), \
        "MathJax must not be loaded from a CDN"
    assert config["execute"]["execute_notebooks"] == "off" and config["only_build_toc_files"] is True
    assert ["latex", "text/html", None] in sphinx["nb_mime_priority_overrides"]
    assert sphinx["nb_render_markdown_format"] == "myst"
    assert sphinx["html_theme_options"]["use_download_button"] is True


def test_licences_are_stated() -> None:
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    text_licence = " ".join((REPO / "LICENSE-text.md").read_text(encoding="utf-8").split())
    assert "CC BY 4.0" in text_licence and OGL in text_licence
    page = " ".join((REPO / "book" / "licences.md").read_text(encoding="utf-8").split())
    for phrase in ("CC BY 4.0", "MIT", OGL, OS):
        assert phrase in page, phrase
    footer = " ".join(_yaml(REPO / "_config.yml")["html"]["extra_footer"].split())
    for phrase in ("MIT", "CC BY 4.0", OGL, OS):
        assert phrase in footer, phrase
