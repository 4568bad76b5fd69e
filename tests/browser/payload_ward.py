"""The payload fixture ward (issue 27): a copy of the project whose one ward carries hostile text everywhere.

Every free-text cell of every data file, every questionnaire wording and the ward's title carry HTML,
script, MyST (roles, directives, fences, `:::`), Jinja, maths and spreadsheet-formula strings. The
ward is Anfield's synthetic data under the id `payload` (plus Clubmoor's quotes and findings
statements, so the qualitative chapters have text to show); the other wards' params are removed, so
the build runs this ward only. Each payload is a complete string at the start of some cell (formula
triggers only work there) and the rest follow it, so each cell carries all of them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
from ruamel.yaml import YAML

from real_book import REPO, _ignore

WARD = "payload"
#: Markers the browser test looks for: none may become an element, a script, maths or a formula.
MARK = "pwned"
PAYLOADS = [
    f"<img src=x class={MARK} onerror=\"document.title='{MARK}'\">",
    f"<script>document.title='{MARK}'</script>",
    f"{{raw}}`<b class={MARK}>raw role</b>`",
    f"```{{raw}} html\n<b class={MARK}>fenced raw</b>\n```",
    f":::{{admonition}} {MARK} directive\n:class: {MARK}\ninside\n:::",
    f"```{{warning}}\n{MARK} warning\n```",
    "{{ 7*7 }} {% raw %}jinja{% endraw %}",
    "$x^2$ and $$y$$",
    f"[link {MARK}](javascript:alert(1)) ![{MARK}](http://example.invalid/x.png)",
    "=HYPERLINK(\"http://example.invalid\",\"Green\")",
    "@SUM(1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
]


def payload_text(k: int) -> str:
    """Every payload, starting with the k-th (so each payload starts some cell)."""
    k %= len(PAYLOADS)
    return " ".join(PAYLOADS[k:] + PAYLOADS[:k])


def _free_text_columns(stem: str) -> list[str]:
    from cityconv.data import wardfiles

    return [f["name"] for f in wardfiles.schema_descriptor(stem)["fields"]
            if f.get("type", "string") == "string" and "categories" not in f
            and not {"pattern", "enum"} & set(f.get("constraints", {}))]


def _poison_questionnaire(path: Path) -> None:
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    counter = iter(range(10_000))
    data["title"] = payload_text(next(counter))
    data["introduction"] = payload_text(next(counter))
    for question in data["questions"]:
        question["text"] = payload_text(next(counter))
        if "short" in question:
            question["short"] = payload_text(next(counter)).replace("\n", " ")
        if question.get("instruction"):
            question["instruction"] = payload_text(next(counter))
        if question.get("id") in {"age_band", "sex", "ethnic_group"}:
            continue  # their labels are compared with the Census
        for code in list(question.get("options", {})):
            question["options"][code] = payload_text(next(counter)).replace("\n", " ")
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def make_payload_project(tmp: Path) -> Path:
    """A copy of the repository with the payload ward as its only params file; returns the root."""
    root = tmp / "repo"
    shutil.copytree(REPO, root, ignore=_ignore, symlinks=True)
    for params in (root / "params").glob("*.yml"):
        params.unlink()
    data = root / "data" / WARD
    shutil.copytree(REPO / "data" / "anfield", data)
    for extra in ("quotes.csv", "findings_statements.csv"):
        shutil.copy(REPO / "data" / "clubmoor" / extra, data / extra)
    params = (REPO / "params" / "anfield.yml").read_text(encoding="utf-8")
    params = params.replace("id: anfield", f"id: {WARD}").replace("data_dir: data/anfield", f"data_dir: data/{WARD}")
    params = params.replace('title: "Anfield"', "title: " + _yaml_string(payload_text(3).replace("\n", " ")))
    (root / "params" / f"{WARD}.yml").write_text(params, encoding="utf-8")
    k = 0
    for csv_path in sorted(data.glob("*.csv")):
        columns = _free_text_columns(csv_path.stem)
        if not columns:
            continue
        frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for column in columns:
            for i in range(len(frame)):
                frame.loc[i, column] = payload_text(k)
                k += 1
        frame.to_csv(csv_path, index=False, lineterminator="\n", encoding="utf-8")
    _poison_questionnaire(data / "questionnaire.yml")
    # the ward's codebook follows its (now hostile) questionnaire, as `cityconv codebook` keeps it
    from cityconv.pipeline.fieldkit_book import rewrite_codebook

    rewrite_codebook(data, root)
    _write_small_toc(root)
    return root


def _write_small_toc(root: Path) -> None:
    """The book's own pages link the real wards' chapters, which this copy does not build: a table of
    contents of the generated chapters (the payload ward and its field kit) and the pages they cite."""
    from cityconv.pipeline.book import TOC_BEGIN, TOC_END

    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nparts:\n- caption: About this book\n  chapters:\n"
        "  - file: book/about-the-data\n  - file: book/protecting-respondents\n  - file: book/references\n" + TOC_BEGIN + "\n" + TOC_END + "\n",
        encoding="utf-8")
    (root / "book" / "index.md").write_text("# The payload ward\n\nEvery text field of its data is hostile.\n",
                                            encoding="utf-8")


def _yaml_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def cityconv(root: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    exe = str(Path(sys.executable).with_name("cityconv"))
    return subprocess.run([exe, *args, "--root", str(root)], capture_output=True, text=True, timeout=timeout, cwd=root)
