"""Per-element value parsers of ``qm_evidence``: what a mention's value is, and what its value says about it.

The element vocabulary names an element's parser (``value_parser:`` in ``measures/elements.yaml``); the
parsers are registered here by that name, in a ``catalogue`` registry (the one spaCy's own registries use).
``EvidenceBuilder`` reads every target mention the same way (offsets, ConText modifiers, section, status)
and hands it, as a :class:`Mention`, to its element's parser, which may set the value (and a series of
prior values), correct the status ("A1c overdue (last 7.8%)": a number documents a result) or drop the
mention (an A1c without a number is no result). A parser may also look at all of a note's rows once
they are built (:meth:`ValueParser.finish`).

    a1c_series        hba1c: every value of "A1c 7.9% (Jan 2026), 8.1% in 10/2025"
    tobacco_category  tobacco_use: current / former / never from the words around the mention
    retinal_result    retinal_eye_exam: "no retinopathy", "moderate NPDR", "R0M0"
    screening_score   depression_screening: the instrument and its score(s)

To add one: a subclass of :class:`ValueParser` decorated with ``@value_parsers.register("name")``, and
``value_parser: name`` on the element's vocabulary entry.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import catalogue
from spacy.tokens import Doc, Span

from engine.elements import Vocabulary, unknown_element_message
from engine.errors import RuleFileError

from .rules import ValuePatterns
from .status import status_of
from .values import a1c_values, retinal_result, screening_scores, screening_value, tobacco_category_cue

__all__ = ["Mention", "ValueParser", "parsers_for", "value_parsers"]

value_parsers = catalogue.create("qae", "value_parsers", entry_points=False)

MAX_SERIES_CHARS = 180
# an HbA1c written with its number is a result whatever plan or negation surrounds the test ("A1c - overdue
# (last 7.8%)", "no A1c since 2019 (7.2%)"); a goal ("goal A1c < 7") or a relative's value stays as it is
_RESULT_OUTWEIGHS = frozenset({"negated", "declined", "ordered", "planned", "uncertain"})
_RESULT_OUTWEIGHS_CATEGORIES = frozenset({"NEGATED_EXISTENCE", "DECLINED", "ORDERED", "PLANNED", "POSSIBLE_EXISTENCE"})
# a screening instrument written with its score was given, whatever plan or doubt surrounds it ("EPDS 11 -
# discussed", "Plan: PHQ-9 16, start sertraline"); a refusal or a negation has no score
_SCORE_OUTWEIGHS = frozenset({"ordered", "planned", "uncertain"})


class Valued(NamedTuple):
    """One value of a series (a prior score beside the current one) and the offsets of its number."""

    value: Any
    start: int
    end: int


@dataclass
class Mention:
    """One target mention as ``qm_evidence`` read it, before its row is built; a parser may change
    ``value``, ``series``, ``end``, ``status``, ``reason``, ``modifiers``, ``categories`` and ``row_extra``."""

    doc: Doc
    ent: Span
    element: str
    text: str  # the whole (normalized) note text
    start: int
    end: int
    status: str
    reason: str | None
    modifiers: list[Any]
    categories: list[str]
    meta: dict[str, Any]  # the target rule's metadata
    section: str | None
    sent: Span
    limit: int  # where a value after the mention may end (the end of its clause)
    same_label_starts: list[int]  # start offsets of the note's mentions of this element
    value: Any = None
    series: list[Any] = field(default_factory=list)  # every value with its offsets, the current one first
    row_extra: dict[str, Any] = field(default_factory=dict)  # private keys ("_...") for finish()


class ValueParser:
    """Read a mention's value. ``cites``: ConText categories listed among the row's modifiers whatever its
    status (a tobacco negation is the evidence of ``never``)."""

    cites: frozenset[str] = frozenset()

    def __init__(self, patterns: ValuePatterns) -> None:
        self.patterns = patterns

    def parse(self, m: Mention) -> bool:
        """Set the value of ``m``; False drops the mention."""
        raise NotImplementedError

    def finish(self, rows: list[dict[str, Any]]) -> None:
        """Look at all the rows of a note once they are built (default: nothing)."""


def parsers_for(vocabulary: Vocabulary, patterns: ValuePatterns) -> dict[str, ValueParser]:
    """Element id -> its parser, as the vocabulary names them; RuleFileError names an unknown parser."""
    registered = value_parsers.get_all()
    out: dict[str, ValueParser] = {}
    made: dict[str, ValueParser] = {}
    for element in vocabulary:
        name = element.value_parser
        if not name:
            continue
        if name not in registered:
            hint = unknown_element_message(name, sorted(registered)).split(";")[0].replace("element", "value parser")
            raise RuleFileError(
                f"{vocabulary.path or 'elements.yaml'}: element '{element.id}' names {hint}; registered value "
                f"parsers: {', '.join(sorted(registered))} (pipelines/value_parsers.py)."
            )
        if name not in made:
            made[name] = registered[name](patterns)
        out[element.id] = made[name]
    return out


def value_end(text: str, start: int, limit: int) -> int:
    """Where a series of values may end: the end of the sentence or line (a ";" or "," does not end it:
    "A1c 6.7% (05/11/2026); 7.1% 11/2025"), at most ``limit``."""
    m = _VALUE_END.search(text, start, min(limit, len(text)))
    return m.start() if m else min(limit, len(text))


_VALUE_END = re.compile(r"[.!?](?=\s|$)|\n")
# a goal after a measured value that states its own figure: "BP 138/86 (goal <130/80)", "A1c 6.9%, target <7%"
_GOAL_FIGURE_AFTER = re.compile(r"[\s:<>=≤≥(]*(?:of|is|under|below|less\s+than|at)?[\s<>=≤≥]*\d")


def goal_of_another_figure(doc: Doc, modifiers: list[Any], value_end: int, text: str) -> list[Any]:
    """Drop a goal or threshold that comes after a measured value and has its own figure: in "BP 138/86 (goal
    <130/80)" the goal is 130/80, the reading stands. "BP 130/80 goal" (no figure after the goal word) keeps it."""
    out = []
    for m in modifiers:
        if m.category == "HYPOTHETICAL" and m.modifier_span[0] < len(doc):
            start = doc[m.modifier_span[0]].idx
            end = doc[m.modifier_span[1] - 1].idx + len(doc[m.modifier_span[1] - 1])
            if start >= value_end and _GOAL_FIGURE_AFTER.match(text, end):
                continue
        out.append(m)
    return out


@value_parsers.register("a1c_series")
class A1cSeries(ValueParser):
    """Every HbA1c value after the mention, the current one first; a value documents a result whatever plan,
    order or negation surrounds the test; an affirmed A1c without a value is no evidence."""

    def parse(self, m: Mention) -> bool:
        text, end = m.text, m.end
        found = a1c_values(self.patterns, text, end, value_end(text, end, end + MAX_SERIES_CHARS))
        if not found:
            return m.status != "affirmed"
        m.value, m.end = found[0].value, found[0].end
        m.series = found
        if m.status == "hypothetical":  # "A1c 6.9% (goal <7)": the goal has its own figure
            m.modifiers = goal_of_another_figure(m.doc, m.modifiers, m.end, text)
            m.categories = [x.category for x in m.modifiers] + (["PAST_EVENT"] if m.meta.get("states_result") else [])
            m.status, m.reason = status_of(m.element, m.categories, m.section)
        if m.status in _RESULT_OUTWEIGHS:
            m.status, m.reason = "affirmed", None  # "A1c overdue (last 7.8%)": a number documents a result
            m.categories = [c for c in m.categories if c not in _RESULT_OUTWEIGHS_CATEGORIES]
        return True


# a label: "Tobacco:", "Tobacco Use:", "Smoking status -", followed by its answer on the same line
_LABEL_AFTER = re.compile(r"(?:[ \t]+(?:use|usage|history|hx|status|habits?))?[ \t]*[:\-][ \t]*", re.I)


def label_answered(text: str, end: int, starts: list[int]) -> bool:
    """Whether the mention ending at ``end`` is a label whose answer is itself a tobacco mention
    ("Tobacco Use: Non-smoker.", "Smoking status: former smoker")."""
    m = _LABEL_AFTER.match(text, end)
    if not m or ":" not in m.group() and "-" not in m.group():
        return False
    k = bisect.bisect_left(starts, m.end())
    if k >= len(starts):
        return False
    between = text[m.end() : starts[k]]
    return len(between) <= 20 and not re.search(r"[\n.;]", between)


def near(span: tuple[int, int], start: int, end: int, tokens: int) -> bool:
    """Whether a modifier's token span lies within ``tokens`` tokens of [start, end)."""
    return (0 <= start - span[1] <= tokens) or (0 <= span[0] - end <= tokens)


@value_parsers.register("tobacco_category")
class TobaccoCategory(ValueParser):
    """current / former / never from the rule's fixed value and the words around the mention; a denial
    documents a status ("denies smoking": never), so a negated, planned or uncertain mention is affirmed.
    A bare "history of smoking" reads former only when the note states no ongoing habit (:meth:`finish`)."""

    cites = frozenset({"NEGATED_EXISTENCE"})

    def parse(self, m: Mention) -> bool:
        text, start, end, ent, sent = m.text, m.start, m.end, m.ent, m.sent
        rule_value = m.meta.get("value")
        if rule_value is None and label_answered(text, end, m.same_label_starts):
            return False  # "Tobacco Use: Non-smoker.": the answer after the label is the evidence
        negations = [x for x in m.modifiers if x.category == "NEGATED_EXISTENCE"]
        if rule_value is not None:  # "no diabetes, active smoker": a list negation stops at the fixed term
            negations = [x for x in negations if near(x.modifier_span, ent.start, ent.end, 3)]
        before = text[max(sent.start_char, start - 45) : start]
        sent_end = sent.end_char
        if text[end : end + 3].lstrip().startswith("?"):  # "Smoker? - 'I quit years ago.'": the answer follows
            line_end = text.find("\n", end)
            sent_end = max(sent_end, len(text) if line_end < 0 else line_end)
        after = text[end : min(sent_end, end + 45)]
        m.value, cue = tobacco_category_cue(self.patterns, rule_value, bool(negations), before, after, text[start:end])
        m.row_extra["_tobacco_cue"] = cue
        if m.status in ("negated", "ordered", "planned", "uncertain", "declined"):
            m.status = "affirmed"  # "denies smoking" documents a status: never
        return True

    def finish(self, rows: list[dict[str, Any]]) -> None:
        """A bare "history of smoking" reads ``former`` only when the note states no ongoing habit:
        "long history of smoking cigarettes. He is currently smoking 1.5 packs per day." is current."""
        ongoing = any(
            r.get("_tobacco_cue") == "ongoing" and r["status"] == "affirmed" and r["value"] == "current"
            for r in rows
        )
        for r in rows:
            cue = r.pop("_tobacco_cue", None)
            if ongoing and cue == "history" and r["value"] == "former":
                r["value"] = "current"


@value_parsers.register("retinal_result")
class RetinalResult(ValueParser):
    """The result of an affirmed retinal exam, for EED's prior-year rule: "dilated, no retinopathy",
    "moderate NPDR", "R0M0"; the answer of a label runs to the end of its line ("DRS: R0M0 03/2026")."""

    def parse(self, m: Mention) -> bool:
        if m.status != "affirmed":
            return True
        text, end = m.text, m.end
        result_end = m.sent.end_char
        if text[end:result_end].rstrip().endswith(":"):  # "DRS: R0M0 03/2026", "exam OU: moderate NPDR"
            line_end = text.find("\n", end)
            result_end = max(result_end, len(text) if line_end < 0 else line_end)
        m.value = retinal_result(self.patterns, text, m.sent.start_char, result_end)
        return True


@value_parsers.register("screening_score")
class ScreeningScore(ValueParser):
    """``{instrument, score}`` of a depression screening, and every prior score beside the current one; an
    instrument with its score was administered whatever plan or doubt surrounds it; one without a result
    is no evidence of a screening."""

    def parse(self, m: Mention) -> bool:
        text, start, end = m.text, m.start, m.end
        value, has_result = screening_value(self.patterns, text[start:end], text, end, m.limit)
        scores = screening_scores(self.patterns, text, end, value_end(text, end, end + MAX_SERIES_CHARS))
        if scores:
            value = {**value, "score": scores[0].value}
            has_result = True
            m.series = [Valued({**value, "score": s.value}, s.start, s.end) for s in scores]
        m.value = value
        if has_result and m.status in _SCORE_OUTWEIGHS:
            # "EPDS 11 - discussed", "Plan: PHQ-9 16": an instrument with its score was administered
            m.status, m.reason = "affirmed", None
            m.categories = [c for c in m.categories if c not in _RESULT_OUTWEIGHS_CATEGORIES]
        return not (m.status == "affirmed" and not has_result)
