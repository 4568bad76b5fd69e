"""The ward atlas: profile-only runs for every ward code, the two index pages, the boundary overlaps.

Fast checks use the real derived tables; the pipeline test runs the real templates on a handful of
wards (a trimmed `wards.csv`), so `make test` stays quick. The full atlas of 94 wards is built once,
by the real-book build the browser tests share (tests/browser/).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from cityconv.chapters import atlas as pages
from cityconv.chapters import profile
from cityconv.core.paths import Project
from cityconv.data import context as ctx
from cityconv.data import context_derive
from cityconv.pipeline.atlas import atlas_toc_parts, profile_only_wards
from cityconv.pipeline.runner import build_plan

REPO = Path(__file__).resolve().parents[1]
CONTEXT = REPO / "data" / "context"
OPEN_DATA = (REPO / ".." / "shared" / "open-data").resolve()
CITYCONV = str(Path(sys.executable).with_name("cityconv"))
CLUBMOOR, CLUBMOOR_EAST, CLUBMOOR_WEST = "E05000892", "E05015290", "E05015291"


# --------------------------------------------------------------------------- boundary overlaps


@pytest.fixture(scope="module")
def overlaps() -> pd.DataFrame:
    return pd.read_csv(CONTEXT / f"{ctx.OVERLAPS}.csv", dtype={"ward_code": str, "other_ward_code": str})


def test_every_ward_shares_sum_to_one_in_both_directions(overlaps):
    wards = ctx.ward_index(CONTEXT)
    for boundary_set, n_wards in ((ctx.SET_OLD, 30), (ctx.SET_NEW, 64)):
        rows = overlaps[overlaps["boundary_set"] == boundary_set]
        assert set(rows["other_boundary_set"]) == set(ctx.BOUNDARY_SETS) - {boundary_set}
        codes = set(wards.loc[wards["boundary_set"] == boundary_set, "code"])
        assert len(codes) == n_wards
        assert set(rows["ward_code"]) == codes  # from output areas every ward has residents, Waterfront North too
        sums = rows.groupby("ward_code")["share"].agg(["sum", "size"])
        for code, (total, k) in sums.iterrows():
            assert abs(total - 1) <= 0.00005 * k + 1e-9, (code, total)  # each share rounded to 4 d.p.


def test_overlap_populations_agree_with_the_ward_table_and_each_other(overlaps):
    wards = pd.read_csv(CONTEXT / "wards.csv", dtype={"ward_code": str}).set_index("ward_code")
    by_ward = overlaps.groupby("ward_code")["population_2021"].sum()
    for code, population in by_ward.items():
        assert population == wards.loc[code, "population_2021"], code
    forward = overlaps.set_index(["ward_code", "other_ward_code"])["population_2021"]
    backward = overlaps.set_index(["other_ward_code", "ward_code"])["population_2021"]
    backward.index.names = forward.index.names
    assert forward.sort_index().equals(backward.sort_index())  # the same LSOAs seen from each side
    assert overlaps["population_2021"].sum() == 2 * wards.loc[ctx.CITY_CODE, "population_2021"]


def test_clubmoor_relates_to_today_s_wards(overlaps):
    clubmoor = overlaps[overlaps["ward_code"] == CLUBMOOR].set_index("other_ward_code")
    assert {CLUBMOOR_EAST, CLUBMOOR_WEST} <= set(clubmoor.index)
    assert clubmoor["share"].idxmax() == CLUBMOOR_EAST
    p = profile.ward_profile(ctx.load_context(CONTEXT, CLUBMOOR), CONTEXT)
    text = profile.boundary_change_text(p)
    assert "Since May 2023" in text and "Clubmoor East" in text and "Clubmoor West" in text
    table = profile.boundary_change_table(p)
    # how the shares were found is printed once, in the table's notes (it was also in the text)
    assert ctx.OVERLAP_METHOD in table.notes and ctx.OVERLAP_CAVEAT in table.notes
    assert ctx.OVERLAP_METHOD not in text and "Approximate" not in text and "notes under the table" in text
    east = table.frame.iloc[0]
    assert east.iloc[0] == f"Clubmoor East ({CLUBMOOR_EAST})"
    assert east.iloc[1] == profile.fmt_pct(clubmoor.loc[CLUBMOOR_EAST, "share"], 1)
    assert east.iloc[3] == "100.0%"  # all of Clubmoor East's residents lived in Clubmoor


def test_new_ward_and_waterfront_north_boundary_text():
    east = profile.ward_profile(ctx.load_context(CONTEXT, CLUBMOOR_EAST), CONTEXT)
    assert profile.boundary_change_text(east).startswith("Before May 2023, all of Clubmoor East's residents lived in one ward")
    wn = profile.ward_profile(ctx.load_context(CONTEXT, ctx.WATERFRONT_NORTH), CONTEXT)
    assert "all of Waterfront North's residents lived in one ward of the wards used from 2004: Kirkdale" in \
        profile.boundary_change_text(wn)
    assert list(profile.boundary_change_table(wn).frame.iloc[:, 0]) == ["Kirkdale (E05000900)"]


def test_study_params_name_the_boundary_set_of_findings():
    p = profile.load_profile("clubmoor", REPO)
    assert p.findings_boundary_set == ctx.SET_OLD
    assert "This study reports its findings on the boundaries used from 2004 to May 2023" in profile.boundary_change_text(p)


def test_overlaps_rederive_byte_for_byte(tmp_path):
    if not OPEN_DATA.is_dir():
        pytest.skip(f"open data not found at {OPEN_DATA}")
    context_derive.derive_all(OPEN_DATA, tmp_path)
    name = f"{ctx.OVERLAPS}.csv"
    assert (tmp_path / name).read_bytes() == (CONTEXT / name).read_bytes()


def test_overlaps_validate_against_their_schema():
    import json

    from frictionless import Resource, Schema

    schema = Schema.from_descriptor(json.loads(ctx.schema_path(ctx.OVERLAPS).read_text(encoding="utf-8")))
    report = Resource(path=f"{ctx.OVERLAPS}.csv", basepath=str(CONTEXT), schema=schema).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])[:5]


# --------------------------------------------------------------------------- index pages


def test_indicators_cover_every_ward_of_each_set():
    for boundary_set, n_wards in ((ctx.SET_OLD, 30), (ctx.SET_NEW, 64)):
        frame = pages.ward_indicators(CONTEXT, boundary_set)
        assert len(frame) == n_wards + 1 and frame["ward_code"].iloc[-1] == ctx.CITY_CODE
        clubmoor = frame[frame["ward_code"] == (CLUBMOOR if boundary_set == ctx.SET_OLD else CLUBMOOR_EAST)].iloc[0]
        context = ctx.load_context(CONTEXT, clubmoor["ward_code"])
        ward_rows = context.tenure[context.tenure["ward_code"] == clubmoor["ward_code"]].set_index("category")
        assert clubmoor["social_rented"] == pytest.approx(ward_rows.loc["Social rented", "share"])
    new = pages.ward_indicators(CONTEXT, ctx.SET_NEW).set_index("ward_code")
    assert new.loc[ctx.WATERFRONT_NORTH, ["population_2021", "aged_65_plus"]].notna().all()  # from output areas
    assert new.loc[ctx.WATERFRONT_NORTH, ["imd2019_decile1", "imd2025_decile1"]].isna().all()  # no LSOA of its own


def test_index_table_links_every_ward_to_its_profile_and_is_sortable():
    studied = {(ctx.SET_OLD, CLUBMOOR): "clubmoor"}
    indicators = pages.ward_indicators(CONTEXT, ctx.SET_OLD)
    hrefs = {c: pages.profile_href(c, ctx.SET_OLD, studied, "01-ward-profile")
             for c in indicators.loc[indicators["boundary_set"] == ctx.SET_OLD, "ward_code"]}
    index = pages.AtlasIndex(ctx.SET_OLD, indicators, hrefs)
    html = pages.index_table_bundle(index)["text/html"]
    links = re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th>', html)
    assert len(links) == 30
    assert ("../clubmoor/01-ward-profile.html", f"Clubmoor ({CLUBMOOR})") in links
    assert ("e05000887/01-ward-profile.html", "Anfield (E05000887)") in links
    assert f'class="table cityconv-table {pages.SORTABLE_CLASS}"' in html
    assert '<tr class="cityconv-sort-fixed"><th scope="row">Liverpool</th>' in html
    markdown = pages.index_table_bundle(index)["text/markdown"]
    assert "| Clubmoor (E05000892) |" in markdown  # the PDF gets the same table without links


def test_atlas_ids_round_trip():
    assert pages.atlas_id(CLUBMOOR_EAST) == "e05015290" and pages.ward_code_of("e05015290") == CLUBMOOR_EAST
    with pytest.raises(ValueError):
        pages.ward_code_of("clubmoor")


# --------------------------------------------------------------------------- the pipeline, on a handful of wards

HANDFUL = {CLUBMOOR, "E05000887", CLUBMOOR_EAST, ctx.WATERFRONT_NORTH}


def _atlas_project(root: Path) -> Path:
    """The real templates, Clubmoor's params and data, and a context whose ward list is a handful."""
    for name in ("_config.yml", "_toc.yml", "references.bib"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "book", root / "book", ignore=shutil.ignore_patterns("generated"))
    (root / "notebooks").mkdir()
    for template in ("01-ward-profile", "50-ward-atlas-2004-2023", "51-ward-atlas-2023"):
        shutil.copy(REPO / "notebooks" / f"{template}.ipynb", root / "notebooks")
    shutil.copytree(CONTEXT, root / "data" / "context")
    wards = pd.read_csv(CONTEXT / "wards.csv", dtype=str, keep_default_na=False)
    keep = wards["ward_code"].isin(HANDFUL | {ctx.CITY_CODE})
    wards[keep].to_csv(root / "data" / "context" / "wards.csv", index=False, lineterminator="\n")
    shutil.copytree(REPO / "data" / "clubmoor", root / "data" / "clubmoor")
    (root / "params").mkdir()
    shutil.copy(REPO / "params" / "clubmoor.yml", root / "params")
    return root


def test_plan_runs_a_profile_for_every_ward_without_params(tmp_path):
    root = _atlas_project(tmp_path)
    plan = build_plan(Project(root))
    assert plan.problems == []
    labels = [t.label for t in plan.tasks]
    assert "clubmoor/ward-profile" in labels  # Clubmoor's own profile, among its chapters
    assert sorted(label for label in labels if label.startswith("e05")) == [
        "e05000887/ward-profile", "e05015290/ward-profile", "e05015332/ward-profile"]
    assert labels[-2:] == ["atlas-2004-2023/ward-atlas-2004-2023", "atlas-2023/ward-atlas-2023"]
    only = build_plan(Project(root), ["e05000887", "atlas-2023"])
    assert [t.label for t in only.tasks] == ["e05000887/ward-profile", "atlas-2023/ward-atlas-2023"]
    studies_only = build_plan(Project(root), ["clubmoor"])
    assert not any(t.label.startswith(("e05", "atlas-")) for t in studies_only.tasks)
    # A ward code as ONS writes it is the same ward; an unknown id names the atlas's ids too.
    assert [t.label for t in build_plan(Project(root), ["E05000887"]).tasks] == ["e05000887/ward-profile"]
    wrong = build_plan(Project(root), ["E0500088"])
    assert wrong.tasks == [] and len(wrong.problems) == 1
    assert "unknown ward or study 'E0500088'" in wrong.problems[0].message
    assert "a ward code from data/context/wards.csv (e.g. E05000887)" in wrong.problems[0].expected


def cityconv(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CITYCONV, *args, "--root", str(root)], capture_output=True, text=True, timeout=900)


@pytest.mark.slow  # runs a real chapter template
def test_atlas_and_a_not_started_ward_build_on_a_handful_of_wards(tmp_path):
    """new-ward then run: the scaffolded ward gets its profile only and one summary line; the atlas
    pages are nested under their index in the contents; a new params file moves a ward out of the atlas."""
    root = _atlas_project(tmp_path)
    assert cityconv(root, "new-ward", "Clubmoor East").returncode == 0
    wanted = ["clubmoor-east", "e05000887", "e05015332", "atlas-2004-2023", "atlas-2023"]
    result = cityconv(root, "run", *wanted)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Not started: clubmoor-east" in result.stdout
    assert "no data rows" not in result.stdout + result.stderr
    ran = sorted(re.findall(r"\] ran\s+(\S+)", result.stdout))
    assert ran == ["atlas-2004-2023/ward-atlas-2004-2023", "atlas-2023/ward-atlas-2023",
                   "clubmoor-east/ward-profile", "e05000887/ward-profile", "e05015332/ward-profile"]

    generated = root / "book" / "generated"
    anfield = nbformat.read(generated / "atlas" / "e05000887" / "01-ward-profile.ipynb", as_version=4)
    assert anfield.cells[0].source.startswith("# Ward profile: Anfield")
    assert not any(c.metadata.get("tags", []) == ["cityconv-banner"] for c in anfield.cells)  # open data only

    index = nbformat.read(generated / "atlas" / "index-2023.ipynb", as_version=4)
    html = "".join(o["data"].get("text/html", "") for c in index.cells for o in c.get("outputs", []) if "data" in o)
    assert '<a href="../clubmoor-east/01-ward-profile.html">Clubmoor East (E05015290)</a>' in html
    assert '<a href="e05015332/01-ward-profile.html">Waterfront North (E05015332)</a>' in html

    (part,) = atlas_toc_parts(Project(root))
    assert part["caption"] == "Ward atlas"
    old, new, finder = part["chapters"]
    assert finder == {"file": "book/postcode-finder"}
    assert old["file"] == "book/generated/atlas/index-2004-2023"
    assert [s["file"] for s in old["sections"]] == ["book/generated/atlas/e05000887/01-ward-profile"]
    assert [s["file"] for s in new["sections"]] == ["book/generated/atlas/e05015332/01-ward-profile"]
    assert {code for code, _, _ in profile_only_wards(Project(root), {})} == HANDFUL


def _index_links(root: Path, boundary_set: str) -> dict[str, str]:
    index = nbformat.read(root / "book" / "generated" / "atlas" / f"{pages.index_stem(boundary_set)}.ipynb", as_version=4)
    html = "".join(o["data"].get("text/html", "") for c in index.cells for o in c.get("outputs", []) if "data" in o)
    return {code: href for href, code in re.findall(r'<a href="([^"]+)">[^<(]+\((E05\d+)\)</a>', html)}


def _toc_files(root: Path) -> set[str]:
    import yaml

    def walk(entries):
        for entry in entries or []:
            yield entry["file"]
            yield from walk(entry.get("sections"))

    toc = yaml.safe_load((root / "_build" / "toc.yml").read_text(encoding="utf-8"))
    return {f for part in toc["parts"] for f in walk(part["chapters"])}


@pytest.mark.slow  # runs a real chapter template
def test_a_ward_given_params_is_linked_to_its_own_profile_not_a_missing_atlas_page(tmp_path):
    """The earlier failure: the atlas index linked Anfield (E05000887) to its atlas page after Anfield
    got a params file, whose profile is then among its own chapters and the atlas page is not built.
    Running only the ward's chapters now keeps the published index current; every index link is a
    page of the contents."""
    root = _atlas_project(tmp_path)
    first = cityconv(root, "run", "e05000887", "atlas-2004-2023", "--jobs", "1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert _index_links(root, ctx.SET_OLD)["E05000887"] == "e05000887/01-ward-profile.html"

    shutil.copy(REPO / "params" / "anfield.yml", root / "params")
    shutil.copytree(REPO / "data" / "anfield", root / "data" / "anfield")
    second = cityconv(root, "run", "anfield", "--jobs", "1")
    assert second.returncode == 0, second.stdout + second.stderr
    assert re.search(r"\] ran\s+atlas-2004-2023/ward-atlas-2004-2023", second.stdout), second.stdout
    links = _index_links(root, ctx.SET_OLD)
    assert links["E05000887"] == "../anfield/01-ward-profile.html"
    in_toc = _toc_files(root)
    assert "book/generated/atlas/e05000887/01-ward-profile" not in in_toc
    index_dir = root / "book" / "generated" / "atlas"
    for code, href in links.items():
        page = (index_dir / href).resolve().relative_to(root).with_suffix("")
        if code == "E05000887" or (root / page.with_suffix(".ipynb")).exists():
            assert page.as_posix() in in_toc, (code, href)  # a link to a page that is built
