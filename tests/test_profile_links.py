"""Tools that connect: the boundary-overlap tables, the studies a ward overlaps and the postcode finder
link to ward profiles the pipeline builds; atlas pages carry no book-wide figure numbers."""

from __future__ import annotations

import html
import json
import posixpath
import re
from pathlib import Path

import nbformat
import pytest

from cityconv.chapters import profile as P
from cityconv.chapters import ward_pages
from cityconv.core.paths import Project
from cityconv.data import context as ctx
from cityconv.pipeline import atlas as pipeline_atlas
from cityconv.pipeline.runner import build_plan
from cityconv.pipeline.tasks import RunTask

REPO = Path(__file__).resolve().parents[1]
CLUBMOOR_EAST, CLUBMOOR_WEST = "e05015290", "e05015291"


@pytest.fixture(scope="module")
def built_profiles() -> set[str]:
    """Every ward profile document the real project's plan builds (atlas pages and studies' own)."""
    plan = build_plan(Project(REPO))
    docs = {Path(t.output_path).relative_to(REPO).with_suffix("").as_posix()
            for t in plan.tasks if t.template_id == ward_pages.PROFILE_TEMPLATE_ID}
    assert len(docs) >= 94  # every ward of both sets
    return docs


def _resolve(from_doc: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(from_doc), href)).removesuffix(".html")


@pytest.mark.parametrize("study_id", ["clubmoor", CLUBMOOR_EAST, "e05000887"])
def test_overlap_table_links_every_ward_to_a_built_profile(study_id, built_profiles):
    p = P.load_profile(study_id, REPO)
    page = P.boundary_change_bundle(p)["text/html"]
    links = re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th>', page)
    assert len(links) == len(p.overlaps) > 0
    for href, label in links:
        assert _resolve(P.own_doc(p), href) in built_profiles, (label, href)
    assert P.own_doc(p) in built_profiles


@pytest.mark.parametrize("study_id", ["clubmoor", "e05015312"])
def test_rank_table_names_link_every_ward_to_a_built_profile(study_id, built_profiles):
    """The rank strips' table: the wards ranked highest, next higher, next lower and lowest on each
    headline figure, each name a link to a profile the plan builds, with that ward's share after it."""
    p = P.load_profile(study_id, REPO)
    page = P.rank_table_bundle(p)["text/html"]
    rows = P.rank_table_rows(p)
    links = re.findall(r'<td data-label="([^"]+)"><a href="([^"]+)">([^<]+)</a> \(([^)]+)\)</td>', page)
    named = sum(near[c] is not None for _, near in rows for c in P.NEIGHBOUR_COLUMNS)
    assert len(rows) >= 10 and len(links) == named > 0
    by_name = {(r["ward_name"], P.fmt_pct(r["share"], 1)): r for r in p.indicators.to_dict("records")}
    for column, href, name, share in links:
        assert column in P.NEIGHBOUR_COLUMNS
        name = html.unescape(name)  # the name is escaped in the page (St Michael's)
        assert (name, share) in by_name, (name, share)  # the share shown is that ward's own
        target = _resolve(P.own_doc(p), href)
        assert target in built_profiles and target == p.pages.doc(by_name[(name, share)]["ward_code"], p.boundary_set)


def test_rank_table_neighbours_are_the_wards_ranked_either_side():
    p = P.load_profile("e05015312", REPO)
    for row, near in P.rank_table_rows(p):
        same = p.indicators[(p.indicators["indicator"] == row["indicator"]) & (p.indicators["category"] == row["category"])]
        assert near["Highest"]["rank"] == same["rank"].min() and near["Lowest"]["rank"] == same["rank"].max()
        if near["Next higher"] is not None:
            assert near["Next higher"]["rank"] == same.loc[same["rank"] < row["rank"], "rank"].max()
        else:
            assert row["rank"] == same["rank"].min()  # this ward is (joint) highest
        if near["Next lower"] is not None:
            assert near["Next lower"]["rank"] == same.loc[same["rank"] > row["rank"], "rank"].min()
        else:
            assert row["rank"] == same["rank"].max()


def test_link_cells_links_the_name_and_escapes_the_rest():
    page = '<td>A &amp; B (5.0%)</td><td data-label="x">C (1.0%)</td>'
    linked = ward_pages.link_cells(page, {"A & B (5.0%)": ("A & B", "../a.html")})
    assert linked.startswith('<td><a href="../a.html">A &amp; B</a> (5.0%)</td>')
    with pytest.raises(ValueError, match="does not start with"):
        ward_pages.link_cells(page, {"C (1.0%)": ("D", "d.html")})


@pytest.mark.parametrize("study_id", [CLUBMOOR_EAST, CLUBMOOR_WEST])
def test_clubmoor_east_and_west_link_to_the_clubmoor_study(study_id):
    text = P.study_links_text(P.load_profile(study_id, REPO))
    assert "{doc}`the Clubmoor study </book/generated/clubmoor/01-ward-profile>`" in text
    assert "lived in Clubmoor on the boundaries used from 2004 to May 2023" in text


def test_a_ward_overlapping_no_study_has_no_study_links():
    assert P.study_links_text(P.load_profile("e05000887", REPO)) == ""  # Anfield 2004-2023


def test_postcode_results_link_every_ward_to_a_built_profile(built_profiles):
    """Every ward the finder can answer with has a link, and each link is a profile the plan builds."""
    links = pipeline_atlas.profile_links(Project(REPO))
    script = (REPO / "data" / "context" / "postcode-index.js").read_text(encoding="utf-8")
    index = json.loads(script[script.index("{"): script.rindex("}") + 1])
    answered = {code for wards in index["wards"].values() for code, _ in wards}
    assert answered and answered <= set(links)
    for code, href in links.items():
        assert _resolve(pipeline_atlas.FINDER_DOC, href) in built_profiles, (code, href)
    assert links["E05000892"] == "generated/clubmoor/01-ward-profile.html"
    assert links["E05015290"] == "generated/atlas/e05015290/01-ward-profile.html"
    block = pipeline_atlas.profile_links_markdown(Project(REPO))
    assert block.startswith("```{raw} html\n<script>window.CITYCONV_PROFILE_LINKS = {") and "</script>\n```" in block
    finder = (REPO / "book" / "postcode-finder.md").read_text(encoding="utf-8")
    assert f"```{{include}} generated/{pipeline_atlas.PROFILE_LINKS_FILE}" in finder
    assert "CITYCONV_PROFILE_LINKS" in (REPO / "book" / "_static" / "postcode-finder.js").read_text(encoding="utf-8")


def _task(data_status: str, template_id: str) -> RunTask:
    return RunTask(root=REPO, study_id="e05015290", study_title="Clubmoor East", data_status=data_status, banner=False,
                   template_id=template_id, template_title="Ward profile", template_path=REPO / "notebooks" / "x.ipynb",
                   params_path=REPO / "data" / "context" / "wards.csv", output_path=REPO / "x.ipynb", parameters={})


def _notebook_with_a_named_figure():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Ward profile"),
                nbformat.v4.new_code_cell("show(chart)", metadata={"mystnb": {"figure": {"caption": "A map.", "name": "x-map"}}})]
    return nb


def test_atlas_figures_are_not_numbered_but_keep_their_captions():
    """Sphinx numbers every captioned figure book-wide ("Fig. 490"); an atlas page's figures lose the figure
    caption, which follows the image as text, so they carry no number; a study's own pages keep theirs."""
    atlas_nb = _notebook_with_a_named_figure()
    pipeline_atlas.finalize_atlas_page(atlas_nb, _task(pipeline_atlas.ATLAS_DATA_STATUS, "ward-profile"))
    assert "figure" not in atlas_nb.cells[1].metadata["mystnb"]
    caption = atlas_nb.cells[2]
    assert caption.cell_type == "markdown" and caption.source == "*A map.*"
    assert caption.metadata["tags"] == [pipeline_atlas.CAPTION_TAG]
    assert atlas_nb.cells[0].source == "# Ward profile: Clubmoor East"
    study_nb = _notebook_with_a_named_figure()
    pipeline_atlas.finalize_atlas_page(study_nb, _task("reconstructed", "ward-profile"))
    assert study_nb.cells[1].metadata["mystnb"]["figure"]["name"] == "x-map"


def test_ward_pages_place_studied_wards_in_their_study_and_others_in_the_atlas():
    where = ward_pages.load_ward_pages(Project(REPO))
    assert where.doc("E05000892", ctx.SET_OLD) == "book/generated/clubmoor/01-ward-profile"
    assert where.doc("E05015290", ctx.SET_NEW) == "book/generated/atlas/e05015290/01-ward-profile"
    assert ward_pages.href("book/generated/atlas/e05015290/01-ward-profile", "book/generated/clubmoor/01-ward-profile") \
        == "../../clubmoor/01-ward-profile.html"
    assert not where.has_page("E05999999", ctx.SET_NEW)
