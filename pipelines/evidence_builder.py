"""``qm_evidence``: turn target spans + ConText modifiers + sections + dates into evidence rows.

Every mention is read the same way (its rule's conditions, modifiers, section, status); its value comes from
its element's parser in ``pipelines.value_parsers`` (named by ``value_parser:`` in measures/elements.yaml);
then its date and rows. Which modifiers reach a mention: ``pipelines.modifier_scope``; its section:
``pipelines.mention_section``; its date: ``pipelines.mention_dates``; the note-level facts (eye-care,
pediatric note, age, title): ``pipelines.note_facts``.

Rows are plain dicts with character offsets (no Span objects), stored on ``doc._.qm_evidence``;
``pipelines.extract`` adds the note's identifiers and builds ``engine.records.Evidence``.
A row: element, start, end, status, section, modifiers, source, value, event_date, date_precision.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from datetime import date
from functools import cached_property
from typing import Any, NamedTuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from engine.elements import load_vocabulary

from .dates import resolve
from .mention_dates import DocIndex, date_for, dates_of_series, listed_dates
from .mention_section import section_of
from .modifier_scope import bracket_pairs, bracket_scope, declined_own_object, enclosing, plan_after_negation
from .note_facts import ADOLESCENT_YEARS
from .prefilter import source_text
from .rules import IGNORE, ValuePatterns, load_value_patterns
from .status import PLAN_IS_EVIDENCE, status_of
from .status_model.component import second_reading
from .status_model.hybrid import Decision
from .value_parsers import Mention, ValueParser, goal_of_another_figure, parsers_for

__all__ = ["NEVER_DATED_IN_NOTES", "EvidenceBuilder"]

# element facts of the element vocabulary (measures/elements.yaml); the pipeline keeps no list of its own
_VOCABULARY = load_vocabulary()
# a status, condition or vital sign holds at the visit: a date near its mention is not its date (never_dated_in_notes)
NEVER_DATED_IN_NOTES = frozenset(e.id for e in _VOCABULARY if e.never_dated_in_notes)
# in a young child's note these describe the parents, not the patient (household_in_child_notes; guideline:
# tobacco decisions)
HOUSEHOLD_IN_CHILD_NOTES = frozenset(e.id for e in _VOCABULARY if e.household_in_child_notes)
# a 12-17 year old's note gives the adolescent element of an adult one (adolescent_element)
ADOLESCENT_ELEMENT = {e.id: e.adolescent_element for e in _VOCABULARY if e.adolescent_element}
VACCINES = frozenset(e.id for e in _VOCABULARY if e.kind == "vaccine" and e.from_notes)
# elements dated on the note date when a procedure note / this visit documents them, and screening
# instruments whose score in a note was taken at that visit unless the text dates it: element facts of
# measures/elements.yaml (visit_dated_in_notes, scored_at_visit)
VISIT_DATED_ELEMENTS = frozenset(e.id for e in _VOCABULARY if e.visit_dated_in_notes)
ALWAYS_VISIT_DATED = frozenset(e.id for e in _VOCABULARY if e.scored_at_visit)
VISIT_SECTIONS = frozenset(
    {
        "physical_exam",
        "procedure",
        "plan",
        "assessment_and_plan",
        "assessment",
        "labs_and_studies",
        "vitals",
        "diagnoses",
        "indications",
    }
)
HISTORY_SECTIONS = frozenset(
    {
        "past_medical_history",
        "past_surgical_history",
        "family_history",
        "social_history",
        "social_and_family_history",
        "history_of_present_illness",
        "medications",
        "chief_complaint",
    }
)
_STATUS_CATEGORIES = {
    "family": {"FAMILY"},
    "negated": {"NEGATED_EXISTENCE"},
    "declined": {"DECLINED"},
    "ordered": {"ORDERED"},
    "planned": {"PLANNED"},
    "hypothetical": {"HYPOTHETICAL"},
    "uncertain": {"POSSIBLE_EXISTENCE"},
    "affirmed": {"PAST_EVENT"},
}
_INERT = ("TERMINATE", "PSEUDO", "PATIENT")
_PRECEDING_CHARS = 40  # how far back a rule's not_preceded_by looks (never before its line)
_CONTEXT_BEFORE_CHARS = 80  # how far back a rule's preceded_by looks (never before its line)
_PAST_CUE_IDS = {
    "past.last",
    "past.had",
    "past.ago",
    "past.status_post",
    "past.s_p",
    "past.had_after",
    "past.last_date_after",
}



def _glossed_mention(
    doc: Doc, ent: Span, text: str, pairs: list[tuple[int, int]], opens: list[int]
) -> Span | None:
    """The mention a bracket glosses: "never called for bowel scope (flexible sigmoidoscopy)" names one test twice,
    so the bracketed name takes the status words of the mention right before it. None unless the bracket holds
    only this mention and opens right after a mention of the same element."""
    if ent.start < 2 or not pairs:
        return None
    own = enclosing(pairs, opens, ent.start_char)
    if own is None or text[own[0] + 1 : own[1]].strip() != ent.text or doc[ent.start - 1].idx != own[0]:
        return None
    last = doc[ent.start - 2]
    if last.ent_type_ != ent.label_ or text[last.idx + len(last) : own[0]].strip():
        return None
    first = last.i
    while first > 0 and doc[first].ent_iob_ == "I":
        first -= 1
    return doc[first : last.i + 1]

class _NoteView:
    """The note-level facts every mention of a Doc is read against, each computed once per Doc, and those only some
    mentions need (an eye-care, a child's or an adolescent's note; the labels of a sentence) only when one does."""

    def __init__(self, doc: Doc, ents: Sequence[Span]) -> None:
        self.doc = doc
        self.note_date: date | None = doc._.qm_note_date
        # the eye-care fact is read for a mention that counts only in an eye-care note ("fundus ... retina intact")
        self.ents = [e for e in ents if e.label_ != IGNORE or (doc._.qm_eye_care and _eye_care_element(e))]
        self.positions = [(e.start_char, e.end_char, e.label_) for e in self.ents]
        self.text = source_text(doc)  # windowed: the whole text, not only the windows
        self.idx = DocIndex(doc, self.positions, self.text, ents)
        self.sections = doc._.sections or []
        self.section_starts = [s.title_start for s in self.sections]
        self.section_ends: dict[int, int] = {}  # section index -> where an indented heading's scope ends
        self.brackets = bracket_pairs(self.text)
        self.bracket_opens = [a for a, _ in self.brackets]
        self.has_sentences = doc.has_annotation("SENT_START")
        self._sents: dict[tuple[int, int], Span] = {}

    def sent(self, ent: Span) -> Span:
        """``ent.sent``, read once per mention (spaCy walks the tokens to the sentence's edges on every read)."""
        key = (ent.start, ent.end)
        sent = self._sents.get(key)
        if sent is None:
            sent = self._sents[key] = ent.sent
        return sent

    @cached_property
    def pediatric(self) -> bool:
        """A young child's note (read for the elements that describe the household there)."""
        return bool(self.doc._.qm_pediatric)

    @cached_property
    def adolescent(self) -> bool:
        """A 12-17 year old's note (read for the elements with an adolescent element)."""
        age = self.doc._.qm_age_years
        return age is not None and ADOLESCENT_YEARS[0] <= age < ADOLESCENT_YEARS[1]

    @cached_property
    def sentence_labels(self) -> dict[int, list[str]]:
        """Sentence start -> the labels of the mentions in it (read for rules that need another element beside)."""
        labels: dict[int, list[str]] = {}
        if self.has_sentences:
            for e in self.ents:
                labels.setdefault(self.sent(e).start, []).append(e.label_)
        return labels


class _Read(NamedTuple):
    """A mention as read, with what its rows need beside it."""

    mention: Mention
    source: str  # the rule that fired
    section_rule: str | None
    decision: Decision
    mod_ids: set[str]


class EvidenceBuilder:
    """Build evidence rows from ``doc.ents`` (targets), ConText modifiers, sections and dates; a mention's
    value comes from its element's value parser (``value_parser:`` in measures/elements.yaml)."""

    def __init__(self, nlp: Language, name: str = "qm_evidence", *, max_value_chars: int = 60):
        self.name = name
        self.max_value_chars = max_value_chars
        self.patterns: ValuePatterns = load_value_patterns()
        self.parsers: dict[str, ValueParser] = parsers_for(_VOCABULARY, self.patterns)
        # parsers with a note-level pass, each once
        self.finishing = [
            p for p in dict.fromkeys(self.parsers.values()) if type(p).finish is not ValueParser.finish
        ]

    def __call__(self, doc: Doc) -> Doc:
        doc._.qm_evidence = self.predict(doc)
        return doc

    # ------------------------------------------------------------------ helpers
    def _visit_dated(
        self, doc: Doc, element: str, section: str | None, mod_ids: set[str], sentence: str
    ) -> bool:
        """Whether an undated, affirmed mention happened at this visit: in a procedure note or section, a
        screening instrument scored, a procedure note's own procedure, "today"/"this visit" outside a history
        section, a vaccine charted with site/route/lot or as administered, or a done-today cue in a visit
        section ("Pap + HPV co-test collected" in the pelvic exam)."""
        if element not in VISIT_DATED_ELEMENTS or mod_ids & _PAST_CUE_IDS:
            return False
        if section == "procedure" or element in ALWAYS_VISIT_DATED:
            return True
        title = (doc._.qm_note_title or "").lower()
        if (title or doc._.qm_eye_care) and element in doc._.qm_title_elements and section not in HISTORY_SECTIONS:
            return True
        if section not in HISTORY_SECTIONS and (
            self.patterns.visit_today_cue.search(sentence)
            or (element in VACCINES and self.patterns.vaccine_given_cue.search(sentence))
        ):
            return True
        return section in VISIT_SECTIONS and bool(self.patterns.done_today_cue.search(sentence))

    def _topic_heading(self, text: str, start: int, end: int) -> bool:
        """Whether a mention is a heading or label ("ADVANCE CARE PLANNING" on its own line,
        ",ADVANCED DIRECTIVE: , Unknown.", "Advance directive: none on file") whose text does not
        start by affirming it."""
        line_start = max(text.rfind("\n", 0, start), text.rfind(",", 0, start)) + 1
        if text[line_start:start].strip(" \t-*•#0123456789.)"):
            return False  # words before it on its line: part of a sentence
        after = _HEADING_END.match(text, end)
        if after is None:
            return False
        return not self.patterns.heading_affirm_cue.match(text, after.end())

    def _topic_restated(self, note: _NoteView, ent: Span, start: int, end: int) -> bool:
        """Whether a mention only introduces a topic ("As to advanced directives,", "Regarding her
        colonoscopy,") that a later mention of the same element in the sentence states the status of."""
        if not note.has_sentences:
            return False
        idx = note.idx
        sent = note.sent(ent)
        if not self.patterns.topic_cue.search(idx.text[max(sent.start_char, start - 40) : start]):
            return False
        if not idx.text[end : end + 3].lstrip(" ").startswith(","):
            return False
        # entities do not overlap: the first one of this label starting after ``end`` ends first
        same = idx.starts_by_label.get(ent.label_, [])
        k = bisect.bisect_right(same, (end, len(idx.text) + 1))
        return k < len(same) and same[k][1] <= sent.end_char

    # ------------------------------------------------------------------ main
    def predict(self, doc: Doc) -> list[dict[str, Any]]:
        """Every target mention read the same way (:meth:`_read`), its value by its element's parser
        (``pipelines.value_parsers``), its rows built (:meth:`_rows`); then the note-level checks. A note
        without a target has no row: neither its note-level facts nor its text's index are built."""
        ents = doc.ents  # a new Span per entity on every read: read once
        if not ents:
            return self._note_rows([])
        note = _NoteView(doc, ents)
        rows: list[dict[str, Any]] = []
        for ent in note.ents:
            read = self._read(doc, note, ent)
            if read is None:
                continue
            parser = self.parsers.get(read.mention.element)
            if parser is not None and not parser.parse(read.mention):
                continue
            rows.extend(self._rows(doc, note, read, parser))
        return self._note_rows(rows)

    def _read(self, doc: Doc, note: _NoteView, ent: Span) -> _Read | None:
        """A mention's offsets, modifiers, section and status; None when its rule's conditions do not hold."""
        text, idx = note.text, note.idx
        element = ent.label_
        reading = ent._.qm_reading
        meta: dict[str, Any] = {}
        if reading is not None:
            start, end, source, value = reading["start"], reading["end"], reading["rule"], reading["value"]
        else:
            rule = ent._.target_rule
            meta = (rule.metadata or {}) if rule is not None else {}
            start, end, source, value = ent.start_char, ent.end_char, meta.get("id", "unknown"), None
            if element == IGNORE:  # "Fundus ... retina is intact" in an eye-care note is a retinal exam
                element = meta["eye_care_element"]
        glossed = _glossed_mention(doc, ent, text, note.brackets, note.bracket_opens)
        modifiers = [m for m in (glossed or ent)._.modifiers if m.category not in _INERT]
        modifiers = declined_own_object(doc, plan_after_negation(doc, modifiers, ent.start), ent.end, ent.label_)
        modifiers = bracket_scope(doc, modifiers, ent.start_char, note.brackets, note.bracket_opens)
        if reading is not None:
            modifiers = goal_of_another_figure(doc, modifiers, end, text)
        categories = [m.category for m in modifiers]
        if meta.get("states_result"):
            categories.append("PAST_EVENT")  # "FIT negative": a result means the test was done
        section, section_rule = section_of(doc, idx, note.section_starts, ent.start, note.section_ends, note.sections)
        if not self._rule_holds(doc, note, ent, meta, element, section, start, end):
            return None
        if element in HOUSEHOLD_IN_CHILD_NOTES and note.pediatric:
            categories = [*categories, "FAMILY"]  # a child's note: the household's habits, the mother's pregnancy
        status, reason = status_of(element, categories, section)
        decision = second_reading(ent, status)  # the status model's reading, where one ran
        if decision.decided_by == "model":
            status, reason = decision.status, None
        sent = note.sent(ent) if note.has_sentences else doc[:]
        return _Read(
            Mention(
                doc=doc, ent=ent, element=element, text=text, start=start, end=end, status=status, reason=reason,
                modifiers=modifiers, categories=categories, meta=meta, section=section, sent=sent,
                limit=_clause_end(text, end, end + self.max_value_chars),
                same_label_starts=idx.starts_of(element), value=value,
            ),
            source=source,
            section_rule=section_rule,
            decision=decision,
            mod_ids={(m.rule.metadata or {}).get("id", m.rule.literal) for m in modifiers},
        )

    def _rule_holds(
        self, doc: Doc, note: _NoteView, ent: Span, meta: dict[str, Any], element: str, section: str | None,
        start: int, end: int,
    ) -> bool:
        """Whether the conditions of a mention's target rule hold (its section, the words around it, a finding
        in its sentence, another element beside it) and it is not a heading or a topic restated later."""
        text = note.text
        if section is not None and section in meta.get("exclude_sections", ()):
            return False
        if meta.get("followed_by") is not None and not meta["followed_by"].match(text, end):
            return False  # "flu" is the vaccine only with a vaccine status after it ("Flu: UTD", "flu 10/25")
        if meta.get("not_preceded_by") is not None and meta["not_preceded_by"].search(
            text, max(text.rfind("\n", 0, start) + 1, start - _PRECEDING_CHARS), start
        ):
            return False  # "SVD 30/08/26 at 39+4": the gestational age of a delivery
        if meta.get("preceded_by") is not None and not meta["preceded_by"].search(
            text, max(text.rfind("\n", 0, start) + 1, start - _CONTEXT_BEFORE_CHARS), start
        ):
            return False  # "normal cytology" is a cervical result only after a cervical screening word on its line
        if meta.get("with_finding") and not self.patterns.retinal_finding.search(
            text, note.sent(ent).start_char if note.has_sentences else 0,
            note.sent(ent).end_char if note.has_sentences else len(text),
        ):
            return False  # an eye-care visit without a retinal finding may be a referral or another problem
        if meta.get("not_as_heading") and self._topic_heading(text, start, end):
            return False
        if self._topic_restated(note, ent, start, end):
            return False  # "As to advanced directives, the patient has no advanced directives"
        if meta.get("same_sentence_as") and note.has_sentences:
            labels = list(note.sentence_labels.get(note.sent(ent).start, ()))
            labels.remove(element)
            if not set(meta["same_sentence_as"]) & set(labels):
                return False  # "counseling" counts as cessation counseling only next to a tobacco mention
        return True

    def _rows(self, doc: Doc, note: _NoteView, read: _Read, parser: ValueParser | None) -> list[dict[str, Any]]:
        """The evidence rows of a read mention: its own, and those of another element its rule names, of the
        prior values of a series, and of the other dates of a bracket of dates."""
        m = read.mention
        element, status, text, note_date = m.element, m.status, note.text, note.note_date
        wanted = _STATUS_CATEGORIES.get(status, set())
        if parser is not None:
            wanted = wanted | parser.cites
        modifier_ids = [
            (x.rule.metadata or {}).get("id", x.rule.literal) for x in m.modifiers if x.category in wanted
        ]
        if m.reason and read.section_rule:
            modifier_ids.append(read.section_rule)
        if element in HOUSEHOLD_IN_CHILD_NOTES and status == "family" and note.pediatric:
            modifier_ids.append("note.pediatric")

        extra_values: list[tuple[Any, ...]] = []
        event_date = precision = None
        series, series_dates = m.series, []
        if len(series) > 1:
            series_dates = dates_of_series(doc, m.ent, series, text)
            extra_values = [
                (v.start, v.end, v.value, *(resolve(d, note_date) or (None, None) if d else (None, None)))
                for v, d in zip(series[1:], series_dates[1:], strict=True)
            ]
        if element not in NEVER_DATED_IN_NOTES:
            skip = frozenset((d.start, d.end) for d in series_dates[1:] if d is not None)
            past = bool(read.mod_ids & _PAST_CUE_IDS)
            mention = series_dates[0] if series_dates and series_dates[0] else date_for(
                doc,
                note.idx,
                m.ent,
                m.start,
                m.end,
                # another mention of the same test, procedure or vaccine does not keep a date from it
                # ("DRS: R0M0 03/2026", "total abdominal hysterectomy (TAH) on 6/10/2009")
                same_label_between=element not in VISIT_DATED_ELEMENTS,
                past=past,
                done_by=note_date if status == "affirmed" else None,
                skip=skip,
                sent=m.sent,
            )
            resolved = resolve(mention, note_date) if mention else None
            if (
                resolved is None
                and note_date is not None
                and status == "affirmed"
                and self._visit_dated(doc, element, m.section, read.mod_ids, m.sent.text)
            ):
                resolved = (note_date, "day")
            if resolved is not None:
                event_date, precision = resolved
            if mention is not None and resolved is not None and status == "affirmed" and len(series) < 2:
                extra_values = listed_dates(
                    doc, m.ent, mention, note.brackets, note.bracket_opens, note.positions, text
                )

        meta = m.meta
        row = {
            "requires": meta.get("requires", ()),
            "pairs_with": meta.get("pairs_with", ()),
            "element": element,
            "start": m.start,
            "end": m.end,
            "status": status,
            "section": m.section,
            "modifiers": tuple(dict.fromkeys(modifier_ids)),
            "source": read.source,
            "value": m.value,
            "event_date": event_date,
            "date_precision": precision,
            "decided_by": read.decision.decided_by,
            "model_status": read.decision.model_status,
            "model_probability": read.decision.model_probability,
            "readers_disagree": read.decision.disagree,
            **m.row_extra,
        }
        if element in PLAN_IS_EVIDENCE and event_date is None and {"PAST_EVENT", "HISTORICAL"} & set(m.categories):
            return []  # "prescribed Wellbutrin in the past" is history, not this visit's follow-up
        if element in ADOLESCENT_ELEMENT and note.adolescent:
            row["element"] = ADOLESCENT_ELEMENT[element]
        rows = [row]
        also = meta.get("also_element")
        if also:  # "co-test 11/2024 neg": a Pap and an HPV test, with one status and one date
            rows.append({**row, "element": also})
        implied = meta.get("implies_element")
        if implied and status in ("affirmed", "declined", "ordered", "planned"):
            # "declines smoking cessation counseling" still documents a current user
            rows.append(
                {
                    **row,
                    "element": implied,
                    "status": "affirmed",
                    "value": meta.get("value"),
                    "event_date": None,
                    "date_precision": None,
                    "modifiers": (),
                }
            )
        for v_start, v_end, v_value, v_date, v_precision in extra_values:
            # a prior result has its own date, never the current one's ("7.4% in spring")
            rows.append(
                {**row, "start": v_start, "end": v_end, "value": v_value, "event_date": v_date,
                 "date_precision": v_precision}
            )
        return rows

    def _note_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows that stand in the whole note: a rule that needs another element affirmed, or its pair."""
        # rules that count only with another element affirmed in the note ("eye exam" needs diabetes);
        # a mention that is not affirmed ("declines eye exam this year") is kept: it explains a gap
        present = {r["element"] for r in rows if r["status"] == "affirmed" and not r["requires"]}
        kept = [r for r in rows if r["status"] != "affirmed" or all(req in present for req in r["requires"])]
        # rules that count only with their pair affirmed too: a left and a right mastectomy make a bilateral one
        sources = {r["source"] for r in kept if r["status"] == "affirmed"}
        kept = [
            r for r in kept if r["status"] != "affirmed" or not r["pairs_with"] or set(r["pairs_with"]) & sources
        ]
        for parser in self.finishing:
            parser.finish(kept)
        for r in kept:
            del r["requires"], r["pairs_with"]
        return kept


_SENTENCE_END = re.compile(r"[.!?](?=\s|,|$)|\n\s*\n|;")
# the end of a heading: a colon, or the end of its line ("ADVANCE CARE PLANNING\n", "DIRECTIVE: ,")
_HEADING_END = re.compile(r"[ \t]*(?::[ \t]*,?|(?=\n)|$)[ \t]*")


def _clause_end(text: str, start: int, limit: int) -> int:
    """Where a value may end: the first sentence end after ``start`` ("A1C: 7.2." keeps its value
    even when "A1C:" looks like a heading), at most ``limit``."""
    m = _SENTENCE_END.search(text, start, min(limit, len(text)))
    return m.start() if m else min(limit, len(text))


def _eye_care_element(ent: Span) -> str | None:
    rule = ent._.target_rule
    return (rule.metadata or {}).get("eye_care_element") if rule is not None else None
