"""A build of some of the atlas's profile pages ($CITYCONV_ATLAS_WARDS), and the plan of all of them.

Without the variable the plan has a profile-only page for every ward code of both boundary sets that no
params file covers: the real book's 92 (94 ward codes, Anfield and Clubmoor among their studies). The
session's copy of the real book builds a declared sample only (tests/real_book.py), so the full plan is
checked here, without a run. With the variable, only the named wards get a page, every page links only
to pages that are built, a code that is no ward is a problem of the plan, and a change of the selection
makes the runs out of date (a page's links depend on it).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from cityconv.chapters import atlas as atlas_pages
from cityconv.chapters import overview, ward_pages
from cityconv.core.params import load_all
from cityconv.core.paths import Project
from cityconv.data import context as ctx
from cityconv.pipeline import atlas, cache
from cityconv.pipeline.templates import discover

REPO = Path(__file__).resolve().parents[1]
PROJECT = Project(REPO)
ENV = ctx.ATLAS_WARDS_ENV


@pytest.fixture
def no_selection(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


def _wards() -> dict[str, str]:
    """Ward code -> boundary set, for both sets of the real ward index."""
    index = ctx.ward_index(PROJECT.context_dir)
    return {code: s for code, s in zip(index["code"], index["boundary_set"]) if s in ctx.BOUNDARY_SETS}


def _profile_tasks() -> list:
    studies, _ = load_all(PROJECT)
    templates, _ = discover(PROJECT)
    return [t for t in atlas.atlas_tasks(PROJECT, studies, templates) if t.template_id == ward_pages.PROFILE_TEMPLATE_ID]


@pytest.mark.parametrize("value, expected", [
    ("", None), ("  ", None), ("all", None), ("ALL", None), ("none", frozenset()),
    ("e05000886", frozenset({"E05000886"})), ("E05000886, e05015291", frozenset({"E05000886", "E05015291"})),
    ("E05000886 E05015291,,E05000888", frozenset({"E05000886", "E05015291", "E05000888"})),
])
def test_the_selection_reads_codes_in_any_case_separated_by_commas_or_spaces(value, expected):
    assert ctx.atlas_selection(value) == expected
    if expected is not None:  # what a kernel is handed reads back as the same selection
        assert ctx.atlas_selection(ctx.atlas_selection_text(expected)) == expected


def test_without_a_selection_the_plan_has_a_profile_page_for_every_ward_code_without_a_study(no_selection):
    studied = ward_pages.studied_wards(PROJECT)
    wards = _wards()
    assert len(wards) == 94 and len(studied) == 2
    planned = {t.study_id for t in _profile_tasks()}
    assert planned == {code.lower() for code, s in wards.items() if (s, code) not in studied}
    assert len(planned) == 92


def test_a_selection_plans_only_its_wards_and_hands_them_to_the_kernel(monkeypatch):
    monkeypatch.setenv(ENV, "E05000888 e05015291")
    tasks = _profile_tasks()
    assert {t.study_id for t in tasks} == {"e05000888", "e05015291"}
    studies, _ = load_all(PROJECT)
    templates, _ = discover(PROJECT)
    every = atlas.atlas_tasks(PROJECT, studies, templates)
    assert {t.study_id for t in every} - {t.study_id for t in tasks} == {
        atlas.index_study_id(s) for s in ctx.BOUNDARY_SETS} | {atlas.OVERVIEW_ID}  # the index pages stay
    # The plan hands each task its selection (`build_plan`); the kernel finds it in its environment.
    assert replace(tasks[0], atlas_wards=ctx.atlas_selection()).kernel_environment()[ENV] == "E05000888 E05015291"
    assert replace(tasks[0], atlas_wards=None).kernel_environment()[ENV] == ""  # every ward


def test_none_plans_no_profile_only_page(monkeypatch):
    monkeypatch.setenv(ENV, "none")
    assert _profile_tasks() == []


def test_a_code_that_is_no_ward_is_a_problem_naming_it(monkeypatch):
    monkeypatch.setenv(ENV, "E05000888, E05999999")
    problems = atlas.atlas_selection_problems(PROJECT)
    assert len(problems) == 1
    text = str(problems[0])
    assert ENV in text and "E05999999" in text and "E05000888" not in text and "ward codes such as" in text
    monkeypatch.setenv(ENV, "E05000888")
    assert atlas.atlas_selection_problems(PROJECT) == []


def test_pages_link_only_to_the_profiles_that_are_built(monkeypatch):
    monkeypatch.setenv(ENV, "E05000888")
    pages = ward_pages.load_ward_pages(PROJECT)
    assert pages.has_page("E05000888", "2004-2023") and not pages.has_page("E05000889", "2004-2023")
    assert pages.has_page("E05000892", "2004-2023")  # Clubmoor: its study's own profile
    index = atlas_pages.load_index("2004-2023", REPO)
    assert set(index.hrefs) == {"E05000888", "E05000887", "E05000892"}  # the selection and the two studies
    finder = atlas.profile_links(PROJECT)
    assert set(finder) == {"E05000888", "E05000887", "E05000892"}
    table = overview.overview_table_bundle(overview.load_overview("2004-2023", REPO))["text/html"]
    linked = set(re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', table))
    assert len(linked) == 3 and any("Belle Vale" in name for name in linked)


def test_without_a_selection_every_ward_is_linked(no_selection):
    index = atlas_pages.load_index("2023-", REPO)
    assert len(index.hrefs) == 64
    assert len(atlas.profile_links(PROJECT)) == 94


def test_a_change_of_selection_makes_a_run_out_of_date(tmp_path):
    from cityconv.pipeline.tasks import RunTask

    (tmp_path / "t.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "out.ipynb").write_text("{}", encoding="utf-8")
    task = RunTask(root=tmp_path, study_id="e05000888", study_title="Belle Vale", data_status="open data only",
                   banner=False, template_id="ward-profile", template_title="Ward profile",
                   template_path=tmp_path / "t.ipynb", params_path=tmp_path / "wards.csv",
                   output_path=tmp_path / "out.ipynb", parameters={"study_id": "e05000888"})
    digests = cache.Digests(tmp_path)
    everything = cache.entry_for(task, {}, digests)
    assert "atlas_wards" not in everything  # a build of the whole atlas keys as before
    assert cache.stale_reason(task, everything, digests) is None
    sampled = replace(task, atlas_wards=frozenset({"E05000888"}))
    assert cache.stale_reason(sampled, everything, digests) == "the atlas pages built changed"
    entry = cache.entry_for(sampled, {}, digests)
    assert cache.stale_reason(sampled, entry, digests) is None
    assert cache.stale_reason(replace(task, atlas_wards=frozenset({"E05000889"})), entry, digests) is not None
    assert cache.stale_reason(task, entry, digests) == "the atlas pages built changed"
