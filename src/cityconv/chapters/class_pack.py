"""The class pack: a practice dataset, a student worksheet, a teacher's sheet and a short slide deck.

Why: the teaching pages' solutions were code calls, so a teacher without the set-up could not check
an answer, and a class had nothing to take away. The pack is the `bundle class-pack` artifact of the
build plan (`cityconv.pipeline.artifacts`, book stage, before render; the plan's manifest says when it
is current), written into `book/generated/class-pack/`; the teaching pages offer each file with a
download link.

- **Practice dataset**: Clubmoor's survey records (`survey_responses.csv`, `survey_mentions.csv`)
  with a `data_status` column on every row saying they are reconstructed, not real responses, and a
  README saying so again. They are the very files the book's chapters read.
- **Worksheet** and **teacher's sheet** (standalone HTML, printable): Markdown (Jinja2) templates
  in `templates/class_pack/`; every number in the worked answers is computed here, from the data and with
  the functions the chapters and explorers use (`cityconv.chapters.survey`, `cityconv.methods.stats`,
  `cityconv.chapters.explorers`, `cityconv.chapters.page_explorers`), so it matches what they print.
- **Slides** (PDF, 16:9, for a 50-minute session): the explorers' default figures and the same numbers.
- **class-pack.zip**: all of the above.

Files are rewritten only when their bytes change (the PDF and the zip are reproducible).
"""

from __future__ import annotations

import html
import io
import math
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cityconv.core.escaping import neutralise_frame

TEMPLATES = Path(__file__).with_name("templates") / "class_pack"
OUTPUT = Path("book") / "generated" / "class-pack"
WARD = "clubmoor"
DATA_STATUS = "reconstructed: made to agree with the published summary; not real responses"
DATASET_FILES = {  # file in the ward folder -> name in the pack
    "survey_responses.csv": "clubmoor-survey-responses-reconstructed.csv",
    "survey_mentions.csv": "clubmoor-survey-mentions-reconstructed.csv",
}
FILES = {
    "worksheet": "worksheet.html",
    "teacher": "teacher-sheet.html",
    "slides": "slides.pdf",
    "readme": "README.txt",
    "zip": "class-pack.zip",
}
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


# ----------------------------------------------------------------------------------------- the answers


@dataclass(frozen=True)
class Answers:
    """Every number the worksheet asks for and the teacher's sheet gives, as text ready to print."""

    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def compute_answers(root: Path) -> Answers:
    """The worked answers, from the data and the package's own functions."""
    from cityconv.chapters import explorers as ex
    from cityconv.chapters import page_explorers as pe
    from cityconv.chapters import statistics_prose, survey
    from cityconv.chapters.loader import open_chapter
    from cityconv.methods import stats
    from cityconv.present import fmt_int, fmt_pct, fmt_pp

    chapter = open_chapter(WARD, root)
    sv = survey.from_chapter(chapter)
    best = survey.frequencies(sv, "best_things").table
    best = best[(best["category"] != survey.NO_ANSWER) & (best["count"] > 0)].reset_index(drop=True)
    recommend = survey.frequencies(sv, "recommend").table.set_index("category")
    women = int((sv.responses["sex"] == "Female").sum())
    population = ex.load_population(WARD, root)

    def interval(low: float, high: float, decimals: int = 0) -> str:
        return f"{fmt_pct(low, decimals)} to {fmt_pct(high, decimals)}"

    def state(pattern="clubmoor", younger=1.0, women_=1.0, minority=1.0, n=ex.DEFAULT_N, seed=ex.DEFAULT_SEED):
        return pe.grid_sampling_state(pattern, younger, women_, minority, n, seed, population)

    no_bias, like_big = state("none", n=2000), state("clubmoor", n=2000)
    small = [state("clubmoor", seed=s) for s in pe.GRID_SEEDS]
    women3, base_none = state("none", women_=3.0), state("none")
    no_minority = state("clubmoor", minority=0.0)
    young = state("none", younger=0.25, n=2000)

    engine = ex.rule_engine(WARD, root)
    default = ex.recommendation_state(engine=engine)
    findings = list(dict.fromkeys(f for r in engine.rule_ids for f in engine.needs[r] if engine.base_findings.get(f)))
    lost = {f: [r for r in default.fired if r not in ex.recommendation_state({f: False}, engine).fired] for f in findings}
    most = max(lost, key=lambda f: (len(lost[f]), -findings.index(f)))
    robust = [r for r in default.fired if all(r not in lost[f] for f in findings)]
    w5 = stats.wilson_interval(5, sv.n)

    values = {
        "ward": chapter.title,
        "records_source": chapter.records_source,
        "n": fmt_int(sv.n),
        "n_value": sv.n,
        "women": fmt_int(women),
        "women_share": fmt_pct(women / sv.n),
        "best": [{"label": r.label, "count": fmt_int(r["count"]), "share": fmt_pct(r.share),
                  "interval": interval(r.ci_low, r.ci_high)} for _, r in best.head(3).iterrows()],
        "best_text": survey.multi_response_text(sv, "best_things"),
        "recommend_yes": fmt_int(recommend.loc["yes", "count"]),
        "recommend_share": fmt_pct(recommend.loc["yes", "share"]),
        "recommend_interval": interval(recommend.loc["yes", "ci_low"], recommend.loc["yes", "ci_high"]),
        "recommend_text": survey.single_answer_text(sv, "recommend"),
        "hw48": fmt_pp(stats.half_width(48), 1),
        "hw60": fmt_pp(stats.half_width(60), 1),
        "statement48": statistics_prose.precision_statement(48),
        "n_for_5": fmt_int(ex.sample_size_for(0.05)),
        "n_for_10": fmt_int(ex.sample_size_for(0.10)),
        "w5_low": fmt_pct(w5[0], 1), "w5_high": fmt_pct(w5[1], 1), "w5_share": fmt_pct(5 / sv.n, 1),
        "adults": fmt_int(population.adults),
        "precision48": ex.precision_summary(48, 0.5, population),
        "population_value": fmt_pct(no_bias.population_value),
        "no_bias_unweighted": fmt_pct(no_bias.unweighted), "no_bias_weighted": fmt_pct(no_bias.weighted),
        "like_expected": fmt_pct(like_big.expected_unweighted), "like_unweighted": fmt_pct(like_big.unweighted),
        "like_weighted": fmt_pct(like_big.weighted),
        "small_seeds": ", ".join(str(s) for s in pe.GRID_SEEDS),
        "small_unweighted": ", ".join(fmt_pct(s.unweighted) for s in small),
        "small_weighted": ", ".join("none" if math.isnan(s.weighted) else fmt_pct(s.weighted) for s in small),
        "women3_share": fmt_pct(ex_share(women3, "sex", "Female")),
        "base_women_share": fmt_pct(ex_share(base_none, "sex", "Female")),
        "women3_expected": fmt_pct(women3.expected_unweighted), "base_expected": fmt_pct(base_none.expected_unweighted),
        "no_minority_note": no_minority.weighting_note,
        "young_unweighted": fmt_pct(young.unweighted), "young_weighted": fmt_pct(young.weighted),
        "young_expected": fmt_pct(young.expected_unweighted),
        "young_deff": f"{young.design_effect:.2f}", "young_ess": fmt_int(young.effective_sample_size),
        "young_summary": ex.sampling_bias_summary(young),
        "rules_total": fmt_int(len(default.rule_ids)), "rules_fired": fmt_int(len(default.fired)),
        "most_finding": engine.labels.get(most, most), "most_lost": fmt_int(len(lost[most])),
        "most_lost_titles": [engine.titles[r] for r in lost[most]],
        "robust_titles": [engine.titles[r] for r in robust],
        "session_minutes": 50,
    }
    return Answers(values)


def ex_share(state, dimension: str, category: str) -> float:
    comp = state.composition
    return float(comp.loc[(comp["dimension"] == dimension) & (comp["category"] == category), "share"].iloc[0])


# ----------------------------------------------------------------------------------------- the files

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; line-height: 1.5;
       max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }}
h1, h2, h3 {{ line-height: 1.2; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #8c8c8c; padding: 0.25rem 0.5rem; text-align: left; }}
.answer-space {{ border-bottom: 1px solid #8c8c8c; min-height: 4.5rem; margin-bottom: 1rem; }}
.data-status {{ border: 2px solid #d55e00; padding: 0.5rem 0.75rem; }}
@media print {{ body {{ margin: 0; max-width: none; }} h2 {{ break-after: avoid; }} }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def render_markdown(template: str, answers: Answers) -> str:
    """A template of `templates/class_pack/` (`<template>.md`) filled with the answers."""
    from cityconv.present.prose import render_template

    return render_template(TEMPLATES, template, answers.values) + "\n"


def markdown_page(markdown: str, title: str) -> str:
    """A standalone, printable HTML page (no external assets) from Markdown."""
    from markdown_it import MarkdownIt

    # The templates' own HTML (answer boxes, the data-status box) is kept; text from data reaches them
    # MyST-escaped (and HTML-escaped with `|e` inside an HTML block), so it makes no element.
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    return _PAGE.format(title=html.escape(title), body=body)


def dataset_bytes(root: Path) -> dict[str, bytes]:
    """The ward's survey records with `data_status` on every row (UTF-8 with BOM, as the book's CSVs)."""
    from cityconv.core.params import load_params

    params = load_params(root / "params" / f"{WARD}.yml", root)
    if not params.reconstructed:
        raise ValueError(f"params/{WARD}.yml does not say its records are reconstructed; the pack labels them so")
    out = {}
    for source, name in DATASET_FILES.items():
        frame = pd.read_csv(root / params.data_dir / source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        frame.insert(0, "data_status", DATA_STATUS)
        # Free-text answers starting with "=", "+", "-", "@" are quoted so no spreadsheet runs them.
        out[name] = neutralise_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    return out


def slides_pdf(root: Path, answers: Answers) -> bytes:
    """A 16:9 PDF deck for a 50-minute session: text slides and the explorers' default figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from cityconv.chapters import explorers as ex
    from cityconv.present.figures import figure_png

    slides = [s.split("\n", 1) for s in render_markdown("slides", answers).split("\n---\n")]
    population = ex.load_population(WARD, root)
    figures = {
        "precision": ex.precision_figure(population, highlight=ex.DEFAULT_N),
        "sampling-bias": ex.sampling_bias_figure(ex.sampling_bias_state(population=population)),
    }
    images = {}
    for key, chart in figures.items():
        images[key] = plt.imread(io.BytesIO(figure_png(chart.fig)), format="png")
        plt.close(chart.fig)
    buffer = io.BytesIO()
    with plt.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}), PdfPages(buffer, metadata={
            "Title": "City Conversation in Clubmoor: a 50-minute session", "CreationDate": None, "ModDate": None,
            "Creator": "cityconv", "Producer": "cityconv (matplotlib)"}) as pdf:
        for number, (head, body) in enumerate(slides, start=1):
            figure_key = None
            lines = []
            for line in body.strip().splitlines():
                if line.startswith("[figure:") and line.endswith("]"):
                    figure_key = line[len("[figure:"):-1].strip()
                else:
                    lines.append(line)
            fig = plt.figure(figsize=(13.33, 7.5))
            fig.text(0.05, 0.9, head.lstrip("# ").strip(), fontsize=26, weight="bold", va="top")
            width = 0.42 if figure_key else 0.9
            wrapped = []
            for line in lines:
                indent = "    " if line.startswith("- ") else ""
                wrapped += textwrap.wrap(line.replace("**", ""), width=int(width * 95), subsequent_indent=indent) or [""]
            fig.text(0.05, 0.8, "\n".join(wrapped), fontsize=16 if figure_key else 18, va="top", linespacing=1.5)
            if figure_key:
                ax = fig.add_axes([0.5, 0.08, 0.47, 0.76])
                ax.imshow(images[figure_key])
                ax.set_axis_off()
            fig.text(0.05, 0.03, f"{number}/{len(slides)}   Data: Clubmoor's records are a reconstruction consistent "
                     "with the published summary (not real responses); explorers are a teaching model.",
                     fontsize=10, color="#4d4d4d")
            pdf.savefig(fig)
            plt.close(fig)
    return buffer.getvalue()


def pack_files(root: Path) -> dict[str, bytes]:
    """Every file of the pack, by name."""
    answers = compute_answers(root)
    files = dataset_bytes(root)
    files[FILES["readme"]] = render_markdown("README", answers).encode("utf-8")
    files[FILES["worksheet"]] = markdown_page(render_markdown("worksheet", answers),
                                              "Worksheet: how sure can we be?").encode("utf-8")
    files[FILES["teacher"]] = markdown_page(render_markdown("teacher-sheet", answers),
                                            "Teacher's sheet: worked answers").encode("utf-8")
    files[FILES["slides"]] = slides_pdf(root, answers)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"class-pack/{name}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    files[FILES["zip"]] = buffer.getvalue()
    return files


def write_class_pack(root: Path, out_dir: Path) -> list[Path]:
    """Write the pack into `out_dir`; unchanged files are left alone. Returns every file's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in pack_files(root).items():
        path = out_dir / name
        if not path.is_file() or path.read_bytes() != data:
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        paths.append(path)
    return paths


def belongs_in_book(root: Path) -> bool:
    """The book offers the pack when it has the teaching study and the Clubmoor records."""
    return (root / "params" / "teaching.yml").is_file() and (root / "params" / f"{WARD}.yml").is_file()


def file_names() -> list[str]:
    """Every file the pack writes (names inside its folder)."""
    return [*DATASET_FILES.values(), *FILES.values()]
