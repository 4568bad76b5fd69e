"""The residents' survey and who-took-part chapters: package functions and the two templates end to end."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cityconv.chapters import survey as S  # noqa: E402
from cityconv.chapters import who_took_part as R  # noqa: E402
from cityconv.chapters.loader import open_chapter  # noqa: E402
from cityconv.methods.disclosure import SUPPRESSED, assert_publishable  # noqa: E402
from cityconv.methods.stats import representation_table  # noqa: E402
from nbtools import REPO, run_notebook  # noqa: E402

# A count of people from 1 to 4 stated in prose, e.g. "3 respondents", "2 of the 48 respondents".
SMALL_IN_PROSE = re.compile(
    r"(?<![\d.,%±-])\b[1-4]\s+(?:of the [\d,]+\s+)?(?:respondents?|people|residents?|participants?|interviewees?|"
    r"women|men|persons?|responses?)\b", re.IGNORECASE)
SMALL_IN_HTML_CELL = re.compile(r"<td[^>]*>\s*[1-4]\s*</td>")


def prose_is_safe(text: str) -> bool:
    return SMALL_IN_PROSE.search(text) is None


def table_is_safe(table) -> None:
    assert_publishable(table.frame)
    for column in table.frame.columns:
        if "respondent" in str(column).lower() and "%" not in str(column):
            for value in table.frame[column]:
                assert not re.fullmatch(r"[1-4]", str(value).strip()), (table.title, column, value)


@pytest.fixture(scope="module")
def ch():
    return open_chapter("clubmoor", REPO)


@pytest.fixture(scope="module")
def sv(ch):
    return S.from_chapter(ch)


@pytest.fixture(scope="module")
def comp(ch, sv):
    return R.composition(sv, ch.context)


# --------------------------------------------------------------------------- survey: Clubmoor


def test_published_total_comes_from_the_records(sv):
    assert sv.n == 48 == sv.published["survey_responses"]
    text = S.availability_text(sv)
    assert "**48** responses (the published figure)" in text
    assert "±14 percentage points" in text  # from stats.precision_statement(48)


def test_multi_response_shares_use_every_respondent_as_base(sv):
    fr = S.frequencies(sv, "best_things")
    green = fr.table.set_index("category").loc["green_spaces"]
    m = sv.mentions
    expected = m[(m["question"] == "best_things") & (m["code"] == "green_spaces")]["response_id"].nunique()
    assert green["count"] == expected and green["base"] == 48
    assert green["share"] == pytest.approx(expected / 48)
    # shares add to more than 100%: a multi-response question counts people, not ticks
    assert fr.table.loc[fr.table["category"] != S.NO_ANSWER, "share"].sum() > 1
    # the no-answer row makes the counts cover everyone
    answered = m[m["question"] == "best_things"]["response_id"].nunique()
    assert fr.table.set_index("category").loc[S.NO_ANSWER, "count"] == 48 - answered


def test_frequency_tables_suppress_small_counts_and_their_percentages(sv):
    for question in S.MULTI_QUESTIONS + S.SINGLE_QUESTIONS:
        fr = S.frequencies(sv, question)
        table = S.frequency_table_display(sv, question)
        table_is_safe(table)
        by_label = table.frame
        for _, row in fr.table.iterrows():
            shown = by_label.loc[row["label"]]
            if 1 <= row["count"] < 5:
                assert shown["Respondents"] == SUPPRESSED
                assert shown["% of all respondents"] == SUPPRESSED
                assert shown["95% confidence interval"] == SUPPRESSED
            elif shown["Respondents"] != SUPPRESSED:
                assert shown["Respondents"] == str(row["count"])


def test_single_answer_table_has_secondary_suppression(sv):
    # change_5yr: "don't know" and "no answer" are small; the table adds up to 48, so nothing can be derived
    table = S.frequency_table_display(sv, "change_5yr")
    col = table.frame["Respondents"]
    assert (col == SUPPRESSED).sum() >= 2
    assert col["All respondents"] == "48"


def test_headline_sentences_follow_the_data(sv):
    text = S.multi_response_text(sv, "best_things")
    assert "**Green spaces and parks**" in text and "24 of the 48 respondents (50%" in text  # labels keep their case
    assert prose_is_safe(text)
    rec = S.single_answer_text(sv, "recommend")
    assert "**Yes**" in rec and "33 of the 48 respondents (69%" in rec
    covid = S.single_answer_text(sv, "covid_community_spirit")
    # the table's own decision, in the same words for every [c] (small or protecting another)
    assert "Less community spirit and Don't know: \\[c\\] (withheld to protect the people counted)" in covid
    assert prose_is_safe(covid)


def test_published_statements_are_quoted_with_source(sv):
    text = S.published_comparison_text(sv, "best_things")
    assert "Green spaces and a sense of community were most often highlighted" in text
    assert "findings presentation" in text and "Not a test" in text and "These records agree" not in text


def test_methods_by_age_is_protected_together_with_the_overall_table(sv):
    mba = S.methods_by_age(sv)
    # every by-age cell with 1-4 respondents is withheld, in the table and in the overall counts
    for code in mba.counts.index:
        for group in (S.YOUNGER, S.OLDER):
            if 1 <= mba.counts.loc[code, group] < 5:
                assert mba.by_age.mask.loc[code, group]
    table = S.methods_by_age_table(sv)
    table_is_safe(table)
    # not everything is suppressed: collapsing the bands keeps cells publishable
    values = table.frame[f"{S.YOUNGER}: respondents"]
    assert (values != SUPPRESSED).sum() >= 3
    text = S.methods_by_age_text(sv)
    assert prose_is_safe(text) and "digital method" in text


def test_charts_have_alt_text_from_the_data(sv):
    chart = S.multi_response_chart(sv, "improve")
    assert "Crime and anti-social behaviour at 46%" in chart.alt
    assert "Answers withheld in the table ([c]: fewer than 5 respondents" in chart.alt
    assert S.single_answers_chart(sv) is not None and S.methods_by_age_chart(sv) is not None


# --------------------------------------------------------------------------- survey: absent sources


def test_absent_mentions_take_the_not_available_path(ch):
    data = dataclasses.replace(ch.data, survey_mentions=None)
    sv = S.from_data(data, "Testward", ch.rules)
    assert S.frequency_table_display(sv, "best_things") is None
    assert S.multi_response_chart(sv, "best_things") is None
    assert S.methods_by_age_table(sv) is None
    assert "Not available" in S.multi_response_text(sv, "best_things")
    assert "no coded answers" in S.availability_text(sv)
    assert S.frequency_table_display(sv, "recommend") is not None  # single-answer questions still work


def test_absent_survey_takes_the_not_available_path(ch):
    data = dataclasses.replace(ch.data, survey_responses=None, survey_mentions=None)
    sv = S.from_data(data, "Testward", ch.rules)
    assert "No survey records are available" in S.availability_text(sv)
    for q in S.MULTI_QUESTIONS + S.SINGLE_QUESTIONS:
        assert S.frequency_table_display(sv, q) is None
    assert S.single_answers_chart(sv) is None
    comp = R.composition(sv, ch.context)
    assert R.comparison_table(comp, "age") is None and R.weighting(comp) is None
    assert "No survey records" in R.availability_text(comp)


def test_small_survey_suppresses_everything_small(ch):
    """A 12-response copy: every count 1-4 is [c] everywhere, and no sentence states one."""
    small = ch.data.survey_responses.head(12).copy()
    mentions = ch.data.survey_mentions[ch.data.survey_mentions["response_id"].isin(small["response_id"])]
    data = dataclasses.replace(ch.data, survey_responses=small, survey_mentions=mentions)
    sv = S.from_data(data, "Testward", ch.rules)
    for q in S.MULTI_QUESTIONS + S.SINGLE_QUESTIONS:
        table = S.frequency_table_display(sv, q)
        table_is_safe(table)
        text = S.multi_response_text(sv, q) if q in S.MULTI_QUESTIONS else S.single_answer_text(sv, q)
        assert prose_is_safe(text), text
    table_is_safe(S.methods_by_age_table(sv))
    assert prose_is_safe(S.methods_by_age_text(sv))
    comp = R.composition(sv, ch.context)
    for dim in ("age", "sex", "ethnicity", "age_sex"):
        table = R.comparison_table(comp, dim)
        table_is_safe(table)
        assert prose_is_safe(R.representation_text(comp, dim))


# --------------------------------------------------------------------------- who took part


def test_collapse_sparse_merges_neighbours_until_each_group_is_large_enough():
    counts = pd.Series([2, 5, 9, 12, 11, 6, 2], index=R.SURVEY_AGE_BANDS)
    mapping = R.collapse_sparse(counts, 5)
    assert mapping["16-24"] == mapping["25-34"] == "People aged 16 to 34"
    assert mapping["65-74"] == mapping["75+"] == "People aged 65 and over"
    assert mapping["45-54"] == "People aged 45 to 54"
    merged = counts.groupby(counts.index.map(mapping)).sum()
    assert (merged >= 5).all()


def test_representation_verdicts_follow_the_numbers(comp):
    cmp = R.compare(comp, "age_sex")
    row = cmp.table.set_index("category").loc["Women aged 35 to 64"]
    # the verdict is the interval rule, applied to the numbers in the table
    assert row["ci_low"] > row["population_share"]
    assert row["verdict"] == "over-represented"
    recomputed = representation_table(cmp.counts, comp.age_sex_pop.reindex(cmp.counts.index, fill_value=0.0))
    assert list(recomputed["verdict"]) == list(cmp.table["verdict"])
    eth = R.compare(comp, "ethnicity").table.set_index("category").loc[R.MINORITY]
    assert eth["sample_share"] < eth["population_share"]
    assert eth["verdict"] == ("under-represented" if eth["ci_high"] < eth["population_share"] else "in line")


def test_representation_sentences_never_state_a_small_count(comp):
    text = R.representation_text(comp, "ethnicity")
    assert f"{R.MINORITY}: the respondents' count and share are withheld" in text  # same words for every [c]
    assert prose_is_safe(text)
    women = R.representation_text(comp, "age_sex")
    assert "Women aged 35 to 64 made up 48% of respondents against 26%" in women and "over-represented" in women
    for dim in ("age", "sex", "ethnicity", "age_sex"):
        table_is_safe(R.comparison_table(comp, dim))


def test_published_statement_is_quoted_and_compared(comp):
    text = R.published_statement_text(comp)
    assert "Some over-representation of middle-aged females" in text and "Under-representation of BAME" in text
    assert "of its 48 responses" in text
    assert "agrees with the published statement" in text


def test_goodness_of_fit_reports_the_small_sample_p_value(comp):
    age = R.fit(comp, "age")
    assert age.publishable and 0 < age.p_value <= 1 and "exact multinomial" in age.method
    eth = R.fit(comp, "ethnicity")
    assert not eth.publishable  # two groups, one small: the p-value would reveal it
    table = R.fit_table(comp)
    assert table.frame.loc["Ethnic group", "Small-sample p-value"] == "[x]"


def test_raking_matches_margins_and_reports_design_effect(comp):
    w = R.weighting(comp)
    res = w.result
    assert res.converged
    shares = res.weights.groupby(w.sample["age_group"]).sum() / res.weights.sum()
    pd.testing.assert_series_equal(shares.sort_index(), comp.age_pop.sort_index(), check_names=False, atol=1e-6)
    assert res.design_effect > 1
    assert res.effective_sample_size == pytest.approx(len(w.sample) / res.design_effect)
    text = R.weighting_text(comp)
    assert f"{res.design_effect:.2f}" in text and f"{res.effective_sample_size:.0f}" in text
    assert any("ethnic group" in d for d in w.dropped)


def test_weighting_works_when_an_age_group_all_preferred_not_to_say_their_sex(ch):
    """Issue 15: every respondent of one age group answered "prefer not to say" for sex, so the group has
    nobody left to weight; it used to raise "age groups without respondents". It is now merged with its
    neighbour for weighting, the margins still match, and the text says which groups were combined."""
    responses = ch.data.survey_responses.copy()
    oldest = responses["age_band"].astype(str).isin(["65-74", "75+"])
    responses["sex"] = responses["sex"].astype(object)
    responses.loc[oldest, "sex"] = S.NOT_STATED
    data = dataclasses.replace(ch.data, survey_responses=responses)
    comp = R.composition(S.from_data(data, "Testward", ch.rules), ch.context)
    assert "People aged 65 and over" in comp.age_groups  # the comparison groups themselves are unchanged
    w = R.weighting(comp)
    assert set(w.sample["age_group"]) == {"People aged 16 to 34", "People aged 35 to 44", "People aged 45 to 54",
                                          "People aged 55 and over"}
    res = w.result
    assert res.converged
    shares = res.weights.groupby(w.sample["age_group"]).sum() / res.weights.sum()
    expected = comp.age_pop["People aged 55 to 64"] + comp.age_pop["People aged 65 and over"]
    assert shares["People aged 55 and over"] == pytest.approx(expected, abs=1e-6)
    assert "aged 55 to 64 and those aged 65 and over weighted as one group" in R.weighting_text(comp)
    assert R.weighted_table(comp) is not None


def test_merge_empty_groups_joins_an_empty_group_with_its_smaller_neighbour():
    order = ["People aged 16 to 34", "People aged 35 to 54", "People aged 55 to 64", "People aged 65 and over"]
    values = pd.Series(["People aged 16 to 34"] * 3 + ["People aged 35 to 54"] * 9 + ["People aged 65 and over"] * 4)
    merged = R.merge_empty_groups(values, order)
    assert merged == {"People aged 55 to 64": "People aged 55 and over", "People aged 65 and over": "People aged 55 and over"}
    assert R.merge_empty_groups(values[values != "x"], ["People aged 16 to 34", "People aged 35 to 54"]) == {}


def test_weighted_comparison_withholds_small_cells(comp):
    data = R.weighted_comparison(comp)
    assert set(data["question"]) == set(S.SINGLE_QUESTIONS)
    small = data[(data["count"] >= 1) & (data["count"] < 5)]
    assert small["withheld"].all()
    table = R.weighted_table(comp)
    assert (table.frame["Weighted %"] == SUPPRESSED).sum() >= len(small)
    assert "percentage point" in R.weighted_text(comp)


def test_no_census_takes_the_not_available_path(sv):
    comp = R.composition(sv, None)
    assert not comp.has_census
    assert R.comparison_table(comp, "age") is None and R.comparison_chart(comp) is None
    assert "No Census 2021 figures" in R.availability_text(comp)


# --------------------------------------------------------------------------- templates end to end


def make_project(root: Path) -> Path:
    """Clubmoor, plus a second ward whose folder lacks the optional survey_mentions.csv."""
    for name in ("_config.yml", "_toc.yml", "pyproject.toml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "data" / "context", root / "data" / "context")
    shutil.copytree(REPO / "data" / "clubmoor", root / "data" / "clubmoor")
    shutil.copytree(REPO / "data" / "clubmoor", root / "data" / "beta")
    for name in ("survey_mentions.csv", "social_media_posts.csv", "published_figures.csv"):
        (root / "data" / "beta" / name).unlink()
    (root / "params").mkdir()
    shutil.copy(REPO / "params" / "clubmoor.yml", root / "params" / "clubmoor.yml")
    (root / "params" / "beta.yml").write_text(
        'id: beta\nkind: ward\ntitle: Beta\nward:\n  code: "E05000887"\n  name: Anfield\n'
        '  boundary_set: "2004-2023"\ndata_dir: data/beta\nsynthetic: true\n', encoding="utf-8")
    return root


def run_template(root: Path, template: str, study_id: str) -> nbformat.NotebookNode:
    return run_notebook(REPO / "notebooks" / template, root / f"{study_id}-{template}", {"study_id": study_id}, root)


def output_texts(nb: nbformat.NotebookNode) -> list[str]:
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                texts.append("Traceback " + out.get("ename", ""))
            if "text" in out:
                texts.append(str(out["text"]))
            for mime in ("text/markdown", "text/html", "text/plain"):
                if mime in out.get("data", {}):
                    texts.append(str(out["data"][mime]))
    return texts


def assert_outputs_safe(nb: nbformat.NotebookNode) -> str:
    texts = output_texts(nb)
    joined = "\n".join(texts)
    assert "Traceback" not in joined
    for text in texts:
        assert SMALL_IN_HTML_CELL.search(text) is None, SMALL_IN_HTML_CELL.search(text).group(0)
        assert prose_is_safe(text), SMALL_IN_PROSE.search(text).group(0)
    return joined


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("survey-project"))


@pytest.mark.parametrize("template", ["03-residents-survey.ipynb", "04-who-took-part.ipynb"])
def test_template_runs_for_clubmoor(real_book, template):
    """Clubmoor's chapter as the session's real-book build ran it."""
    from real_book import executed_chapter

    nb = executed_chapter(real_book, "clubmoor", template)
    joined = assert_outputs_safe(nb)
    assert "48" in joined
    assert "image/png" in str(nb.cells)


@pytest.mark.slow  # runs a real chapter template
@pytest.mark.parametrize("template", ["03-residents-survey.ipynb", "04-who-took-part.ipynb"])
def test_template_runs_for_a_ward_without_optional_files(project, template):
    nb = run_template(project, template, "beta")
    joined = assert_outputs_safe(nb)
    if template.startswith("03"):
        assert "no coded answers" in joined
    else:
        assert "What the project reported" not in joined  # no published summary for this ward
        assert "There is no report of this synthetic demonstration that says who took part" in joined
        assert "BAME" not in joined  # the project's own term, only beside its report


# --------------------------------------------------------------------------- a ward's own questionnaire


@pytest.fixture(scope="module")
def imported_project(tmp_path_factory) -> Path:
    """A ward made with new-ward, its questionnaire reworded and one question added, its survey imported
    from a Microsoft Forms export (invented answers, tests/exports.py)."""
    import exports
    from cityconv.core.paths import Project
    from cityconv.generate.import_survey import import_survey
    from cityconv.generate.scaffold import new_ward

    root = make_project(tmp_path_factory.mktemp("imported-project"))
    project = Project(root)
    new_ward(project, "Anfield")
    data = root / "data" / "anfield"
    q = data / "questionnaire.yml"
    text = q.read_text(encoding="utf-8").replace("Would you recommend Anfield as a place to live?",
                                                 "Would you recommend Anfield to a friend as a place to live?")
    q.write_text(text + exports.ADDED_QUESTION, encoding="utf-8")
    for path in data.glob("*.csv"):
        path.unlink()  # the empty templates: this ward has only its survey (and objectives, below)
    (data / "objectives.csv").write_bytes((REPO / "data" / "clubmoor" / "objectives.csv").read_bytes())
    export = exports.forms_xlsx(root / "forms.xlsx", exports.ANSWERS * 6)
    (root / "mapping.yml").write_text(exports.FORMS_MAPPING, encoding="utf-8")
    import_survey(data, export, root / "mapping.yml", root)
    return root


def test_imported_ward_uses_its_own_wording_and_reports_the_added_question(imported_project):
    ch = open_chapter("anfield", imported_project)
    sv = S.from_chapter(ch)
    assert sv.n == 36 and [q.id for q in S.reported_questions(sv)][-1] == "bus_use"  # in questionnaire order
    table = S.frequency_table_display(sv, "bus_use")
    assert table.title == "How often do you use the local bus?: survey respondents, Anfield"
    assert {"Every week", "Now and then", "Never"} <= set(table.frame.index)
    table_is_safe(table)
    assert "to a friend" in S.single_answer_text(sv, "recommend")
    assert "reconstructed" not in " ".join(S.frequency_table_display(sv, "recommend").notes)
    assert "“Bus use”" in S.introduction_text(sv) and "City Conversation" not in S.introduction_text(sv)
    clubmoor = S.from_chapter(open_chapter("clubmoor", REPO))
    assert "age_band" not in [q.id for q in S.reported_questions(clubmoor)]  # compared with the Census instead
    assert "Green spaces and parks (e.g. the Ducky)" in S.frequency_table_display(clubmoor, "best_things").frame.index
    assert not any("Ducky" in label for label in S.frequency_table_display(sv, "best_things").frame.index)


@pytest.mark.slow  # runs a real chapter template
@pytest.mark.parametrize("template", ["03-residents-survey.ipynb", "04-who-took-part.ipynb"])
def test_template_runs_for_an_imported_ward_with_its_own_questionnaire(imported_project, template):
    nb = run_template(imported_project, template, "anfield")
    joined = assert_outputs_safe(nb)
    assert "Clubmoor" not in joined and "Ducky" not in joined
    if template.startswith("03"):
        assert "Would you recommend Anfield to a friend as a place to live?" in joined
        assert "How often do you use the local bus?" in joined and "**Bus use**" in joined
        assert "Every week" in joined


def test_who_took_part_opens_with_a_summary_of_the_verdicts(comp):
    text = R.summary_text(comp)
    assert text.startswith("**In short.** 48 people answered the survey (the published figure).")
    assert "Compared with the 2021 Census, in the reconstructed records" in " ".join(text.split())  # status beside
    assert "women aged 35 to 64 were over-represented" in text
    # men (15) are withheld in the sex table to protect the 2 who preferred not to say, and the counts that
    # [c] could stand for get different verdicts: none is given. People aged 16 to 34 are withheld too, but
    # every count theirs could be is under-represented, so saying so tells no more than the table.
    assert "men were under-represented" not in text and "people aged 16 to 34 were under-represented" in text
    assert "prefer not to say" not in text.lower()
    assert "at most 5 percentage points" in text  # Census 2021 from output areas (issue 24)


def test_survey_opens_with_a_summary_and_keeps_code_names_out_of_the_prose(sv):
    summary = S.summary_text(sv)
    assert summary.startswith("**In short.** 48 people answered the survey (the published figure).")
    assert "In the reconstructed records, the best things" in summary  # the status beside every share
    assert "“Green spaces and parks” (50% of all respondents)" in summary
    assert "Would you recommend Clubmoor as a place to live?" in summary  # the ward's own wording
    for text in (summary, S.introduction_text(sv), S.availability_text(sv),
                 *(S.published_comparison_text(sv, q) for q in S.SECTION_CLAIMS)):
        assert not re.search(r"\b[a-z]+_[a-z_]+\b|\.csv|`", text.replace("{doc}`04-who-took-part`", "")), text
    assert "{doc}`04-who-took-part`" in S.availability_text(sv)
    assert "in these records" not in S.multi_response_text(sv, "best_things").lower()
    assert not hasattr(S, "code_labels")


def test_summaries_work_without_coded_answers_or_without_a_survey(ch):
    data = dataclasses.replace(ch.data, survey_mentions=None, published_figures=None)
    sv = S.from_data(data, "Testward", ch.rules)
    summary = S.summary_text(sv)
    assert summary.startswith("**In short.** 48 people") and "best things" not in summary and "digital" not in summary
    empty = S.from_data(dataclasses.replace(ch.data, survey_responses=None, survey_mentions=None), "Testward", ch.rules)
    assert "no survey records" in S.summary_text(empty)
    assert "no survey records" in R.summary_text(R.composition(empty, ch.context))


def test_the_methods_chart_keeps_a_bar_per_option_when_two_options_read_the_same(sv, monkeypatch):
    """Bars are placed by option code: options worded alike (a researcher's own questionnaire may have two
    "Other"s) keep their own bars instead of failing or being merged."""
    questionnaire = type(sv.questionnaire)
    labels = questionnaire.labels

    def alike(self, question):
        found = labels(self, question)
        return {code: "Other" for code in found} if question == "preferred_methods" else found

    before = S.methods_by_age_chart(sv).fig.axes[0]
    monkeypatch.setattr(questionnaire, "labels", alike)
    after = S.methods_by_age_chart(sv).fig.axes[0]
    assert [len(c) for c in after.containers] == [len(c) for c in before.containers]
    assert {t.get_text() for t in after.get_yticklabels()} == {"Other"}
    assert len(after.get_yticklabels()) == len(before.get_yticklabels())
