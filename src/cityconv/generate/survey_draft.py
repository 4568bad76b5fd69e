"""`cityconv import-survey WARD EXPORT --draft`: a first questionnaire and mapping, written from the export itself.

Why: writing a questionnaire and a mapping by hand for a 317-column LimeSurvey export is hours of
copying headings. The export already holds the question wording (its headings) and the answers given
(its cells); what it does not hold (the options nobody chose, which number means what, whether a
column is personal) the draft guesses and marks `# REVIEW:` so the researcher checks every guess.

What the draft guesses, column by column (the reading itself is `export_reader`'s):
- personal columns (names, e-mails, IP addresses, locations, submitters) and the tool's own metadata
  go under `drop:`; the response id becomes `id:`, a date column `month:`, Qualtrics' Status `skip:`;
- blocks of columns under one question (SurveyMonkey's row 1, LimeSurvey's `Question [option]`, Kobo's
  `group.question.option`) become a multi-answer question (cells holding the option's label, Ja/Nein,
  1/0), a ranking (whole numbers 1..n) or a grid (a shared scale); Kobo's 0/1 twins of a code list
  are dropped (the code list is read: never both);
- a single column is numeric (every answer a number), free text (answers mostly different, or long),
  multi-answer joined in one cell (`;`-terminated, or pieces joined by ", " that recur as answers) or
  single choice, with its options in scale order where the labels are a known scale.

Accepted unchanged, the draft imports the export: options are the answers seen, so every cell is
known. Nothing is overwritten: the ward's questionnaire and mapping are replaced only while they are
still the untouched templates `new-ward` wrote.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cityconv.core.problems import InputError, Problem, relative
from cityconv.data.questionnaire import QUESTIONNAIRE_FILE, RESERVED, load_questionnaire, standard_questionnaire
from cityconv.generate.export_reader import (
    KOBOTOOLBOX,
    QUALTRICS,
    QUALTRICS_LEGACY,
    SURVEYMONKEY_RESPONSE,
    Column,
    ColumnRef,
    Export,
    cell_text,
    metadata_columns,
    normalise,
    personal_columns,
    read_export,
)
from cityconv.generate.import_survey import mapping_template

MAPPING_FILE = "survey-mapping.yml"
REVIEW = "# REVIEW:"

ID_HEADINGS = ("id", "respondentid", "respondent id", "responseid", "response id", "antwort id", "_uuid", "_id")
DATE_HEADINGS = ("completion time", "timestamp", "enddate", "end date", "_submission_time", "date submitted",
                 "datum abgeschickt", "submitdate", "recordeddate")
MISSING_LABELS = ("n/a", "na", "prefer not to say", "don't know", "dont know", "do not know", "not sure",
                  "keine angabe", "weiß nicht", "weiss nicht", "unfamiliar (n/a)", "i don't understand this question",
                  "no answer", "no_answer", "-99", "-1")
YES = ("ja", "yes", "oui", "sí", "si", "1", "true", "ticked", "selected")
NO = ("nein", "no", "non", "0", "false")
SCALES = (
    ("strongly disagree", "disagree", "somewhat disagree", "neither agree nor disagree", "neutral", "somewhat agree",
     "agree", "strongly agree"),
    ("very dissatisfied", "dissatisfied", "somewhat dissatisfied", "neither satisfied nor dissatisfied",
     "somewhat satisfied", "satisfied", "very satisfied"),
    ("very unlikely", "unlikely", "somewhat unlikely", "neither likely nor unlikely", "somewhat likely", "likely",
     "very likely", "extremely likely"),
    ("very unfavorably", "somewhat unfavorably", "neither favorably nor unfavorably (neutral)", "somewhat favorably",
     "very favorably"),
    ("not at all important", "not important", "slightly important", "moderately important", "important",
     "very important", "extremely important"),
    ("never", "rarely", "sometimes", "often", "always"),
    ("very poor", "poor", "fair", "average", "good", "very good", "excellent"),
    ("stimme gar nicht zu", "stimme nicht zu", "stimme eher nicht zu", "teils/teils", "stimme eher zu", "stimme zu",
     "stimme vollständig zu", "stimme voll und ganz zu"),
    ("nicht wichtig", "unwichtig", "eher unwichtig", "eher wichtig", "wichtig", "sehr wichtig"),
    ("sehr unzufrieden", "unzufrieden", "eher unzufrieden", "eher zufrieden", "zufrieden", "sehr zufrieden"),
)
LIMESURVEY_OPTION = re.compile(r"^(?P<question>.*\S)\s*\[(?P<option>[^\]]*)\]$", re.DOTALL)
NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")
FIRST_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
OTHER_OPTION = re.compile(r"^(sonstiges|other|andere|autre|otro)\b", re.IGNORECASE)


# --------------------------------------------------------------------------------------------------
# Codes and labels


def slug(text: str, limit: int = 30) -> str:
    """A code from a label: ASCII, lower case, words joined by '_', starting with a letter."""
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    out = ""
    for word in words.split("_"):
        if out and len(out) + 1 + len(word) > limit:
            break
        out = f"{out}_{word}" if out else word[:limit]
    out = out or "x"
    return out if out[0].isalpha() else f"n{out}"


def unique(code: str, taken: set[str]) -> str:
    """`code`, or `code_2`, `code_3`, … when taken; recorded as taken."""
    out, n = code, 2
    while out in taken:
        out, n = f"{code}_{n}", n + 1
    taken.add(out)
    return out


def label_of(text: str) -> str:
    """A label as the questionnaire prints it: line breaks and repeated spaces read as one space."""
    return " ".join(text.split())


def scale_order(labels: list[str]) -> tuple[list[str], str | None]:
    """The labels in the order their scale implies, and the scale recognised ("numbers", "scale" or None)."""
    norm = [normalise(label) for label in labels]
    for scale in SCALES:
        if all(n in scale for n in norm):
            return sorted(labels, key=lambda label: scale.index(normalise(label))), "scale"
    if all(FIRST_NUMBER.search(label) for label in labels):
        def first(label: str) -> float:
            match = FIRST_NUMBER.search(label)
            return float(match.group().replace(",", "")) if match else 0.0
        if len({first(label) for label in labels}) == len(labels):
            return sorted(labels, key=first), "numbers"
    return labels, None


def is_missing_label(label: str) -> bool:
    return normalise(label) in MISSING_LABELS


# --------------------------------------------------------------------------------------------------
# What the columns hold


@dataclass
class Draft:
    """The questionnaire's questions and the mapping's sections, with the review notes for each."""

    questions: list[dict[str, Any]] = field(default_factory=list)  # each with "_notes": [str] and "_at" (first column)
    mapping: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)  # mapping section/key -> review notes
    drop: list[tuple[Any, str]] = field(default_factory=list)  # (reference, why)
    ids: set[str] = field(default_factory=set)


def values_of(export: Export, column: Column) -> list[str]:
    """The column's answers, row by row, as text (empty for blank)."""
    return [cell_text(record.cells[column.index]) if column.index < len(record.cells) else "" for record in export.records]


def reference(export: Export, column: Column, question: str | None = None) -> Any:
    """The shortest reference the mapping can use that finds exactly this column."""
    candidates: list[Any] = []
    texts = [t for t in column.texts if t]
    if question is not None and len(column.texts) > 1 and column.texts[1]:
        candidates.append(ColumnRef(heading=column.texts[1], question=question))
    candidates += list(reversed(texts)) if export.tool == QUALTRICS_LEGACY else texts  # "ResponseID" rather than "V1"
    for candidate in candidates:
        found, problems = export.find(candidate, "draft", "draft")
        if found is not None and found.index == column.index and not problems:
            return candidate
    if column.occurrence > 1 or texts:  # a heading several columns share: "Heading #n", the n-th from the left
        for text in texts:
            nth = ColumnRef(heading=text, occurrence=column.occurrence, question=question)
            found, _ = export.find(nth, "draft", "draft")
            if found is not None and found.index == column.index:
                return nth
    return ColumnRef(column=column.letter)


def question_id(draft: Draft, text: str) -> str:
    base = slug(re.sub(r"^\s*Q\d+[.:)]\s*", "", text), 24).replace("__", "_")
    if base in RESERVED:
        base = f"q_{base}"
    return unique(base, draft.ids)


def draft_from_export(export: Export, ward: str) -> tuple[str, str]:
    """The draft questionnaire.yml and survey-mapping.yml texts for one export."""
    draft = Draft()
    personal = {c.index: rule.why for c, rule in personal_columns(export)}
    metadata = {c.index: rule.why for c, rule in metadata_columns(export)}
    handled: set[int] = set()
    columns = export.columns
    values = {c.index: values_of(export, c) for c in columns}

    for column in columns:
        if column.index in personal:
            draft.drop.append((reference(export, column), f"personal: {personal[column.index]}"))
            handled.add(column.index)
    for column in columns:
        if column.index in handled:
            continue
        names = {normalise(t) for t in column.texts if t}
        answered = [v for v in values[column.index] if v]
        if "id" not in draft.mapping and names & set(ID_HEADINGS) and len(set(answered)) == len(answered) == len(export.records):
            draft.mapping["id"] = reference(export, column)
            draft.notes["id"] = ["the response id: each response's own, never shown in the book"]
            handled.add(column.index)
        elif "month" not in draft.mapping and names & set(DATE_HEADINGS) and answered:
            draft.mapping["month"] = {"column": reference(export, column)}
            draft.notes["month"] = ["when each response was made; check the date order (day/month) if the import asks"]
            handled.add(column.index)
        elif export.tool in (QUALTRICS, QUALTRICS_LEGACY) and "status" in names:
            draft.mapping["skip"] = {_ref_key(reference(export, column)): ["1", "2"]}
            draft.notes["skip"] = ["Qualtrics Status 1 = survey preview, 2 = generated test data: left out"]
            handled.add(column.index)
        elif column.index in metadata:
            draft.drop.append((reference(export, column), metadata[column.index]))
            handled.add(column.index)
        elif not column.heading:
            handled.add(column.index)  # a trailing empty column (legacy Qualtrics lines end in ",")

    _blocks(export, draft, columns, values, handled)
    for column in columns:
        if column.index not in handled:
            _single_column(export, draft, column, values[column.index])
            handled.add(column.index)
    draft.questions.sort(key=lambda q: q["_at"])  # the export's order, which is the questionnaire's
    return _questionnaire_yaml(draft, export, ward), _mapping_yaml(draft, export)


def _blocks(export: Export, draft: Draft, columns: list[Column], values: dict[int, list[str]], handled: set[int]) -> None:
    """Questions spread over several columns: SurveyMonkey blocks, LimeSurvey `[option]` columns, Kobo twins."""
    # Kobo: select_multiple as a code list AND 0/1 columns named <list>.<code> or <list>/<code>: keep the list
    if export.tool == KOBOTOOLBOX:
        for column in columns:
            twins = [c for c in columns if c.index not in handled and c.index != column.index
                     and re.match(re.escape(column.texts[0]) + r"[./]", c.texts[0])
                     and set(values[c.index]) <= {"0", "1", ""}]
            if twins and column.index not in handled:
                for twin in twins:
                    draft.drop.append((reference(export, twin), f"the same answers as {column.texts[0]!r} (0/1 per option)"))
                    handled.add(twin.index)
                _joined_multi(export, draft, column, values[column.index], " ",
                              "KoboToolbox writes this select_multiple twice; the code list is read, its 0/1 columns dropped")
                handled.add(column.index)
    groups: dict[str, list[tuple[Column, str]]] = {}
    for column in columns:
        if column.index in handled:
            continue
        if export.header_rows >= 2 and len(column.texts) > 1 and column.texts[1] and \
                normalise(column.texts[1]) not in SURVEYMONKEY_RESPONSE and column.texts[0] != column.texts[1]:
            groups.setdefault(column.texts[0], []).append((column, column.texts[1]))
        elif (m := LIMESURVEY_OPTION.match(column.texts[0])):
            groups.setdefault(m.group("question"), []).append((column, m.group("option").strip()))
    for question, members in groups.items():
        if len(members) < 2:
            continue  # one column under its question (Qualtrics' id over its wording): read as a column of its own
        _block(export, draft, question, members, values)
        handled.update(c.index for c, _ in members)


def _block(export: Export, draft: Draft, question: str, members: list[tuple[Column, str]], values: dict[int, list[str]]) -> None:
    at = min(c.index for c, _ in members)
    qid = question_id(draft, question)
    text = label_of(question)
    other = [(c, o) for c, o in members if OTHER_OPTION.match(o) and len({v for v in values[c.index] if v}) > 0
             and not set(v for v in values[c.index] if v) <= {"Ja", "Nein", "N/A", "Yes", "No", o}]
    members = [(c, o) for c, o in members if (c, o) not in other]
    seen = {v for c, _ in members for v in values[c.index] if v}
    by_sub = export.header_rows >= 2
    ref_question = question if by_sub else None
    taken: set[str] = set()
    if members and all({v for v in values[c.index] if v} <= {o, label_of(o)} for c, o in members):
        options = {unique(slug(o), taken): label_of(o) for _, o in members}
        columns = {_ref_key(reference(export, c, ref_question)): code for (c, _), code in zip(members, options)}
        source: dict[str, Any] = {"chosen": ["label"], "not_chosen": [""], "columns": columns}
        note = "one column per option; a ticked cell holds the option's label"
    elif members and seen and {normalise(v) for v in seen} <= set(YES) | set(NO) | set(MISSING_LABELS):
        options = {unique(slug(o), taken): label_of(o) for _, o in members}
        columns = {_ref_key(reference(export, c, ref_question)): code for (c, _), code in zip(members, options)}
        chosen = sorted(v for v in seen if normalise(v) in YES) or (["Ja"] if "Nein" in seen else ["Yes"])
        missing = sorted(v for v in seen if normalise(v) in MISSING_LABELS)
        not_chosen = sorted(v for v in seen if normalise(v) in NO) + [""]
        source = {"chosen": chosen, "not_chosen": not_chosen, **({"missing": missing} if missing else {}), "columns": columns}
        note = (f"one column per option: {chosen} = chosen, {not_chosen[:-1] + ['(blank)']} = not chosen"
                + (f", {missing} = not asked (missing)" if missing else ""))
    elif members and seen and all(NUMBER.match(v) and float(v.replace(",", ".")).is_integer()
                                  and 1 <= float(v.replace(",", ".")) <= len(members) for v in seen):
        options = {unique(slug(o), taken): label_of(o) for _, o in members}
        _add(draft, at, {"id": qid, "kind": "ranking", "text": text, "short": _short(text), "options": options,
                                "_notes": [f"ranks 1 to {len(members)} in one column per thing ranked"]})
        draft.mapping.setdefault("items", {})[qid] = {
            **({"question": question} if by_sub else {}),
            "columns": {_ref_key(reference(export, c, ref_question)): code for (c, _), code in zip(members, options)}}
        _other_text(export, draft, qid, other, None)
        return
    else:
        scale_labels = _distinct_labels(seen)
        missing_labels = [label for label in scale_labels if is_missing_label(label)]
        ordered, recognised = scale_order([label for label in scale_labels if label not in missing_labels])
        scale = {unique(slug(label), taken): label for label in ordered}
        missing_codes = {unique(slug(label), taken): label for label in missing_labels}
        item_taken: set[str] = set()
        items = {unique(slug(o), item_taken): label_of(o) for _, o in members}
        question_entry: dict[str, Any] = {"id": qid, "kind": "grid", "text": text, "short": _short(text), "options": scale,
                                          "items": items, "_notes": [
                                              "a grid: one column per item, sharing one scale of the answers seen"
                                              + (" (in the scale's order)" if recognised else
                                                 "; put the scale in its printed order, or say ordered: false")]}
        if len(scale) < 2:
            scale[unique("not_seen", taken)] = "Another answer (its wording is not in the export)"
            question_entry["_notes"].append("only one answer was seen: write the scale as printed")
        if missing_codes:
            question_entry["missing"] = missing_codes
            question_entry["_notes"].append(f"read as non-answers (missing): {', '.join(missing_labels)}")
        _add(draft, at, question_entry)
        draft.mapping.setdefault("items", {})[qid] = {
            **({"question": question} if by_sub else {}),
            "columns": {_ref_key(reference(export, c, ref_question)): code for (c, _), code in zip(members, items)}}
        _other_text(export, draft, qid, other, None)
        return
    other_code = None
    if other:
        other_code = unique("other" if "other" not in options else "other_typed", taken)
        options[other_code] = label_of(other[0][1])
    entry: dict[str, Any] = {"id": qid, "kind": "multi", "text": text, "short": _short(text), "options": options,
                             "_notes": [note]}
    if other_code:
        entry["other"] = other_code
    _add(draft, at, entry)
    if by_sub:
        source = {"question": question, **source}
    draft.mapping.setdefault("multi", {})[qid] = source
    _other_text(export, draft, qid, other, other_code)


def _add(draft: Draft, at: int, entry: dict[str, Any]) -> None:
    """A drafted question, remembering its first column so the questionnaire keeps the export's order."""
    draft.questions.append({**entry, "_at": at})


def _other_text(export: Export, draft: Draft, qid: str, other: list[tuple[Column, str]], code: str | None) -> None:
    for column, _ in other:
        if code is None:
            draft.drop.append((reference(export, column), "typed text beside a question without an 'other' option"))
        else:
            draft.mapping.setdefault("other_text", {})[qid] = reference(export, column)
            draft.notes[f"other_text.{qid}"] = ["typed 'other' text: kept in survey_text.csv, screened for personal details"]


def _ref_key(ref: Any) -> str:
    """A column reference as a mapping key: a heading, "Heading #n" for the n-th of several, or the column's letter."""
    if isinstance(ref, ColumnRef):
        if ref.heading is not None:
            return f"{ref.heading} #{ref.occurrence}" if ref.occurrence else ref.heading
        return ref.column or ref.import_id or ""
    return ref


def _distinct_labels(seen: set[str]) -> list[str]:
    """The answers seen, once each whatever their case and spacing, in the order first met."""
    out: dict[str, str] = {}
    for value in sorted(seen):
        out.setdefault(normalise(value), label_of(value))
    return list(out.values())


def _short(text: str) -> str:
    words = label_of(text).split()
    return " ".join(words[:6]) + ("…" if len(words) > 6 else "")


def _single_column(export: Export, draft: Draft, column: Column, cells: list[str]) -> None:
    at = column.index
    heading = column.heading or column.letter
    text = label_of(next((t for t in reversed(column.texts) if t and not t.startswith("{")), heading)
                     if export.tool in (QUALTRICS, QUALTRICS_LEGACY) else column.texts[0] or heading)
    qualtrics_id = export.tool in (QUALTRICS, QUALTRICS_LEGACY) and re.fullmatch(r"Q\d+(_\d+)?", column.texts[0] or "")
    qid = question_id(draft, column.texts[0] if qualtrics_id else text)
    answered = [v for v in cells if v]
    ref = reference(export, column)
    distinct = set(answered)
    taken: set[str] = set()
    if not answered:
        draft.drop.append((ref, "empty in every row"))
        draft.ids.discard(qid)
        return
    typed = (column.import_id or "").upper().endswith("TEXT")  # Qualtrics marks a text entry's ImportId
    recodes = export.tool in (QUALTRICS, QUALTRICS_LEGACY) and all(v.lstrip("-").isdigit() for v in distinct) and not typed
    if all(NUMBER.match(v) for v in answered) and not recodes:
        numbers = [float(v.replace(",", ".")) for v in answered]
        entry: dict[str, Any] = {"id": qid, "kind": "numeric", "text": text, "short": _short(text),
                                 "_notes": [f"numbers from {min(numbers):g} to {max(numbers):g} were seen; add unit: and range:"]}
        if all(n.is_integer() for n in numbers):
            entry["integer"] = True
        _add(draft, at, entry)
        draft.mapping.setdefault("fields", {})[qid] = ref
        return
    joined = _joined_separator(answered)
    if joined is not None:
        _joined_multi(export, draft, column, cells, joined, f"answers joined with {joined!r} in one cell", text=text, qid=qid)
        return
    long_answers = sum(len(v) for v in answered) / len(answered) > 60
    if typed or long_answers or (len(distinct) > 12 and len(distinct) > len(answered) / 2):
        _add(draft, at, {"id": qid, "kind": "text", "text": text, "short": _short(text),
                                "_notes": ["free text (answers mostly different): kept in survey_text.csv, screened for "
                                           "personal details"]})
        draft.mapping.setdefault("fields", {})[qid] = ref
        return
    labels = _distinct_labels(distinct)
    missing_labels = [label for label in labels if is_missing_label(label) and not recodes]
    ordered, recognised = scale_order([label for label in labels if label not in missing_labels])
    if recodes:
        options = {unique(f"choice_{label}".replace("-", "minus_"), taken): f"Choice {label} (wording not in the export)"
                   for label in ordered}
        draft.mapping.setdefault("values", {})[qid] = {label: code for label, code in zip(ordered, options)}
        note = "Qualtrics exported numeric recodes: write each choice's wording as printed"
    else:
        options = {unique(slug(label), taken): label for label in ordered}
        note = "a single answer per response; options are the answers seen" + (
            " (in the scale's order)" if recognised else "; add any option nobody chose")
    entry = {"id": qid, "kind": "rating" if recognised == "scale" else "single", "text": text, "short": _short(text),
             "options": options, "_notes": [note]}
    if recognised == "numbers" and not recodes:
        entry["ordered"] = True
    if len(options) < 2:
        options[unique("not_seen", taken)] = "Another answer (its wording is not in the export)"
        entry["_notes"].append("only one answer was seen: write the other options as printed")
    if missing_labels:
        entry["missing"] = {unique(slug(label), taken): label for label in missing_labels}
        entry["_notes"].append(f"read as non-answers (missing): {', '.join(missing_labels)}")
    _add(draft, at, entry)
    draft.mapping.setdefault("fields", {})[qid] = ref


def _joined_separator(answered: list[str]) -> str | None:
    """';' when Microsoft Forms' trailing ';' is there; ', ' or ' ' when the pieces recur as answers of their own."""
    if all(v.endswith(";") for v in answered):
        return ";"
    for separator in (", ", ";"):
        pieces = Counter(p.strip() for v in answered for p in v.split(separator.strip()) if p.strip())
        several = [v for v in answered if separator in v]
        if several and len(pieces) < len(set(answered)) and all(pieces[p.strip()] >= 2 for v in several
                                                                 for p in v.split(separator.strip()) if p.strip()):
            return separator
    return None


def _joined_multi(export: Export, draft: Draft, column: Column, cells: list[str], separator: str, note: str,
                  text: str | None = None, qid: str | None = None) -> None:
    at = column.index
    text = text or label_of(column.texts[0])
    qid = qid or question_id(draft, text)
    pieces = [p.strip() for v in cells if v for p in v.split(separator.strip() or " ") if p.strip()]
    labels = _distinct_labels(set(pieces))
    taken: set[str] = set()
    options = {}
    for label in labels:
        options[unique(label if export.tool == KOBOTOOLBOX and re.fullmatch(r"[^\s,;]+", label) else slug(label), taken)] = label
    entry: dict[str, Any] = {"id": qid, "kind": "multi", "text": text, "short": _short(text), "options": options,
                             "_notes": [note + "; options are the answers seen: add any nobody chose"]}
    if export.tool == KOBOTOOLBOX:
        entry["_notes"].append("the export holds choice codes: write each option's label as printed")
    if len(options) < 2:
        options[unique("not_seen", taken)] = "Another answer (its wording is not in the export)"
    _add(draft, at, entry)
    draft.mapping.setdefault("multi", {})[qid] = {"column": reference(export, column), "separator": separator}


# --------------------------------------------------------------------------------------------------
# Writing the two files


def _yaml(value: Any) -> str:
    """A value as YAML flow text (JSON is YAML 1.2): strings always quoted, so nothing is read as a number."""
    if isinstance(value, ColumnRef):
        return _yaml({k: v for k, v in value.model_dump().items() if v is not None})
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_yaml(k)}: {_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(str(value), ensure_ascii=False)


def _questionnaire_yaml(draft: Draft, export: Export, ward: str) -> str:
    lines = [f"# A DRAFT written by `cityconv import-survey --draft` from {export.file} ({export.describe()}).",
             f"# Every guess is marked {REVIEW[2:]} check it against the questionnaire as printed, then delete the mark.",
             f"title: {_yaml('Survey: ' + Path(export.file).stem)}  {REVIEW} the study's title",
             f"ward: {_yaml(ward)}",
             "reconstructed: false",
             f"introduction: {_yaml('Questions drafted from the export ' + Path(export.file).name + '.')}  {REVIEW} a sentence on the study",
             "questions:"]
    for q in draft.questions:
        notes = q.pop("_notes", [])
        q.pop("_at", None)
        lines.append(f"  - id: {q['id']}  {REVIEW} {'; '.join(notes)}" if notes else f"  - id: {q['id']}")
        for key in ("kind", "text", "short", "ordered", "integer", "other"):
            if key in q:
                lines.append(f"    {key}: {_yaml(q[key]) if key not in ('kind', 'other') else q[key]}")
        for key in ("options", "items", "missing"):
            if key in q:
                lines.append(f"    {key}:")
                lines += [f"      {_yaml(code)}: {_yaml(label)}" for code, label in q[key].items()]
    return "\n".join(lines) + "\n"


def _mapping_yaml(draft: Draft, export: Export) -> str:
    m = draft.mapping
    lines = [f"# A DRAFT mapping written by `cityconv import-survey --draft` from {export.file}.",
             f"# Read as: {export.describe()}.",
             f"# Every guess is marked {REVIEW[2:]} check it, then delete the mark. Keys: docs/importing.md."]
    if export.sheet is not None:
        lines.append(f"sheet: {_yaml(export.sheet)}")
    for key in ("id", "month", "skip"):
        if key in m:
            lines.append(f"{key}: {_yaml(m[key])}  {REVIEW} {'; '.join(draft.notes.get(key, []))}")
    lines.append(f"constants: {{mode: online}}  {REVIEW} how the responses were collected: online, telephone or paper")
    if "month" not in m:
        lines.append(f"# month: \"2024-05\"  {REVIEW} no date column was recognised: the months stay empty (unknown)")
    for section in ("fields", "values", "multi", "items", "other_text"):
        if section not in m:
            continue
        lines.append(f"{section}:")
        for key, value in m[section].items():
            note = draft.notes.get(f"{section}.{key}")
            lines.append(f"  {key}: {_yaml(value)}" + (f"  {REVIEW} {'; '.join(note)}" if note else ""))
    if draft.drop:
        lines.append(f"drop:  {REVIEW} columns never read: personal details and the tool's own metadata")
        lines += [f"  - {_yaml(ref if not isinstance(ref, ColumnRef) else (ref.heading or ref.column))}  # {why}"
                  for ref, why in draft.drop]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# The command


def _untouched(data_dir: Path, root: Path) -> list[Problem]:
    """The ward's questionnaire and mapping must be missing or still new-ward's templates: never overwrite work."""
    problems = []
    questionnaire_path = data_dir / QUESTIONNAIRE_FILE
    template = None
    if questionnaire_path.exists():
        try:
            have = load_questionnaire(questionnaire_path, root)
            template = standard_questionnaire(have.ward)
            fresh = have == template
        except InputError:
            fresh = False
        if not fresh:
            problems.append(Problem(relative(questionnaire_path, root), "already exists and is not new-ward's untouched "
                                    "template; the draft would overwrite it, so nothing was written",
                                    expected="move it away (or delete it) to write a draft"))
    mapping_path = data_dir / MAPPING_FILE
    if mapping_path.exists():
        fresh = template is not None and mapping_path.read_text(encoding="utf-8") == mapping_template(template)
        if not fresh:
            problems.append(Problem(relative(mapping_path, root), "already exists and is not new-ward's untouched "
                                    "template; the draft would overwrite it, so nothing was written",
                                    expected="move it away (or delete it) to write a draft"))
    return problems


def write_draft(data_dir: Path, export_path: Path, root: Path, ward: str) -> tuple[list[Path], Export]:
    """Write the draft questionnaire and mapping into the ward's folder; InputError, having written nothing."""
    data_dir = Path(data_dir)
    export, problems = read_export(export_path, root)
    if export is None:
        raise InputError(problems)
    problems = _untouched(data_dir, root)
    if problems:
        raise InputError(problems)
    questionnaire_text, mapping_text = draft_from_export(export, ward)
    paths = [data_dir / QUESTIONNAIRE_FILE, data_dir / MAPPING_FILE]
    for path, content in zip(paths, (questionnaire_text, mapping_text)):
        path.write_text(content, encoding="utf-8")
    return paths, export
