"""``qm_evidence``: turn target spans + ConText modifiers + sections + dates into evidence rows.

Rows are plain dicts with character offsets (no Span objects), stored on ``doc._.qm_evidence``;
``pipelines.extract`` adds the note's identifiers and builds ``engine.records.Evidence``.
A row: element, start, end, status, section, modifiers, source, value, event_date, date_precision.
"""

from __future__ import annotations

import bisect
import re
from datetime import date
from typing import Any, NamedTuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from engine.elements import load_vocabulary

from .dates import ADJACENT_ONLY_KINDS, DateMention, resolve
from .prefilter import source_text
from .rules import IGNORE, ValuePatterns, load_value_patterns
from .status import FAMILY_SECTIONS, PLAN_IS_EVIDENCE, status_of
from .status_model.component import second_reading
from .status_model.hybrid import Decision
from .value_parsers import Mention, ValueParser, goal_of_another_figure, parsers_for

__all__ = ["EvidenceBuilder", "NEVER_DATED_IN_NOTES"]

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
# a note title naming a procedure (note_title): the note documents it
_TITLE_PATTERNS = {e.id: e.title_pattern for e in _VOCABULARY if e.title_pattern is not None}
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
_MAX_DATE_DISTANCE = 80
_MAX_SERIES_DATE_DISTANCE = 40
_CLOSE_AFTER = 25  # a date this close after a mention, in the same field, is its own
_FIELD_BREAK = re.compile(r"[;|\n•]")
_LABEL_COLON = re.compile(r"[ \t]*:")
# with match(text, end, date_start): only a separator between, or a done word with its place ("flu vax - had at
# pharmacy 10/25", "kit returned 05/26", "given 14/04", "7.2%) 03/25", "was 19 on 21/5")
_ADJACENT = re.compile(
    r"[\s:()\-,]{0,3}(?:(?:had|given|rec'?d|received|done|returned|completed|taken|administered|performed"
    r"|collected|resulted)(?:\s+(?:at|@|by|in|via)\s+[A-Za-z'-]+(?:\s+[A-Za-z'-]+){0,2})?\s+(?:on\s+|in\s+)?"
    r"|(?:on|in|dated)\s+)?$",
    re.I,
)
_SERIES_BREAK = re.compile(r"[,;]|\bthen\b|->|→", re.I)
# a date that heads a list of results: "Cervical screening 25/08/26: HPV +ve, cytology - LSIL"
_HEADER_DATE = re.compile(r"\s*:")
_PRESENT_KINDS = frozenset({"today"})
# "Pap smear with HPV cotesting was in 2022": mentions joined like this share the date
_JOINED = re.compile(
    r"^\s*(?:with|and|plus|including|/|\+)\s*(?:\w+\s*){0,1}$", re.I
)  # "earlier this month" after a past cue is a fine date


class _DocIndex:
    """What the row builder looks up for every candidate, computed once per Doc.

    ``Doc.text`` and ``Doc.ents`` rebuild their result on every access (a join over all tokens, a new
    Span per entity): read per candidate they made a note's extraction time grow with the square of
    its length.
    """

    def __init__(self, doc: Doc, positions: list[tuple[int, int, str]], text: str) -> None:
        self.text = text
        self.positions = positions  # (start, end, label) of the targets that make evidence: sorted, disjoint
        self.position_starts = [p[0] for p in positions]
        ents = doc.ents
        self.ent_chars = [(e.start_char, e.end_char) for e in ents]
        self.starts_by_label: dict[str, list[tuple[int, int]]] = {}
        for e in ents:
            self.starts_by_label.setdefault(e.label_, []).append((e.start_char, e.end_char))
        self.dates: list[DateMention] = list(doc._.qm_dates or ())  # sorted by (start, end)
        self.date_starts = [m.start for m in self.dates]
        self.longest_date = max((m.end - m.start for m in self.dates), default=0)
        self._starts: dict[str, list[int]] = {}

    def starts_of(self, label: str) -> list[int]:
        """The start offsets of the targets labelled ``label``, sorted."""
        starts = self._starts.get(label)
        if starts is None:
            starts = self._starts[label] = [s for s, _ in self.starts_by_label.get(label, ())]
        return starts

    def dates_from(self, start_char: int) -> int:
        """Index of the first date mention that may end after ``start_char``."""
        return bisect.bisect_left(self.date_starts, start_char - self.longest_date)

    def positions_within(self, lo: int, hi: int) -> list[tuple[int, int, str]]:
        """The target positions (start, end, label) that lie inside ``lo``..``hi``."""
        k = bisect.bisect_left(self.position_starts, lo)
        out = []
        positions = self.positions
        while k < len(positions) and positions[k][0] <= hi:
            if positions[k][1] <= hi:
                out.append(positions[k])
            k += 1
        return out


class _NoteView:
    """The note-level facts every mention of a Doc is read against, computed once per Doc."""

    def __init__(self, doc: Doc) -> None:
        self.note_date: date | None = doc._.qm_note_date
        eye_care = bool(doc._.qm_eye_care)
        self.ents = [e for e in doc.ents if e.label_ != IGNORE or (eye_care and _eye_care_element(e))]
        self.positions = [(e.start_char, e.end_char, e.label_) for e in self.ents]
        self.text = source_text(doc)  # windowed: the whole text, not only the windows
        self.idx = _DocIndex(doc, self.positions, self.text)
        self.section_starts = [s.title_start for s in (doc._.sections or [])]
        self.section_ends: dict[int, int] = {}  # section index -> where an indented heading's scope ends
        self.pediatric = bool(doc._.qm_pediatric)
        age = doc._.qm_age_years
        self.adolescent = age is not None and ADOLESCENT_YEARS[0] <= age < ADOLESCENT_YEARS[1]
        self.brackets = _bracket_pairs(self.text)
        self.bracket_opens = [a for a, _ in self.brackets]
        self.has_sentences = doc.has_annotation("SENT_START")
        self.sentence_labels: dict[int, list[str]] = {}
        if self.has_sentences:
            for e in self.ents:
                self.sentence_labels.setdefault(e.sent.start, []).append(e.label_)


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
    @staticmethod
    def _section_of(
        doc: Doc, idx: _DocIndex, starts: list[int], token_i: int, ends: dict[int, int] | None = None
    ) -> tuple[str | None, str | None]:
        sections = doc._.sections or []
        k = bisect.bisect_right(starts, token_i) - 1
        if k < 0:
            return None, None
        section = sections[k]
        if ends is not None:
            if k not in ends:
                ends[k] = _indented_heading_end(idx.text, doc[section.title_start].idx)
            if doc[token_i].idx >= ends[k]:
                return None, None  # "   Their plan: ..." under a bullet: the next, less indented item has left it
        rule = getattr(section, "rule", None)
        rule_id = (rule.metadata or {}).get("id") if rule is not None else None
        if section.category in FAMILY_SECTIONS and _unlisted_heading_between(
            idx, doc[section.body_start].idx if section.body_start < len(doc) else len(idx.text), doc[token_i].idx
        ):
            return None, None  # "FH: Non-contributory,SOCH: He smokes": the family section has ended
        return section.category, rule_id

    @staticmethod
    def _date_for(
        doc: Doc,
        idx: _DocIndex,
        ent: Span,
        start: int,
        end: int,
        same_label_between: bool = True,
        past: bool = False,
        done_by: date | None = None,
        skip: frozenset[tuple[int, int]] = frozenset(),
    ) -> DateMention | None:
        """The date of a mention: the nearest date expression of its sentence, within
        ``_MAX_DATE_DISTANCE`` characters, that no other mention sits in front of. A date right
        after the mention ("Flu: done 10/2025  PCV20: done 2024") is preferred to one before it;
        ``done_by`` (the note date of a done event) rules out later dates ("colonoscopy 2019, repeat
        2029"); a year or month holding the note date yields to "today" in the same sentence
        ("Flu vax 2026 (Fluad) given today"). ``skip`` holds dates that belong to other values; another
        mention of the same label between keeps a date from it only when ``same_label_between``."""
        sent = ent.sent if doc.has_annotation("SENT_START") else doc[:]
        text = idx.text
        own = (ent.start_char, ent.end_char)
        sent_start, sent_end = sent.start_char, sent.end_char
        if _LABEL_COLON.match(text, end):  # "DRS: R0M0 03/2026": a label's answer runs to the end of its line
            line_end = text.find("\n", end)
            sent_end = max(sent_end, len(text) if line_end < 0 else line_end)
        best: tuple[int, int, DateMention] | None = None
        close_after: tuple[int, DateMention] | None = None
        today: DateMention | None = None
        dates = idx.dates
        for i in range(idx.dates_from(sent_start), len(dates)):
            mention = dates[i]
            if mention.start >= sent_end:
                break
            if mention.end <= sent_start:
                continue
            if mention.start < end and start < mention.end or (mention.start, mention.end) in skip:
                continue
            if mention.kind in _PRESENT_KINDS:
                today = today or mention
            if past and mention.kind in _PRESENT_KINDS:
                continue  # "prior colonoscopy, who presents today": today is the visit, not the test
            if done_by is not None and _after(mention, done_by):
                other = mention.other_reading()  # "12/01/26" in a January note: 12 Jan, not 1 Dec
                if other is None or _after(other, done_by):
                    continue  # a done test is not dated in the future: "repeat 2029", "next due 03/2027"
                mention = other
            if mention.start >= end:
                gap, after = mention.start - end, 0
                lo, hi = end, mention.start
            else:
                gap, after = start - mention.end, 1
                lo, hi = mention.end, start
            if gap > _MAX_DATE_DISTANCE:
                continue
            if mention.kind in ADJACENT_ONLY_KINDS and (after or not _ADJACENT.match(text, end, mention.start)):
                continue  # "flu 10/25": a bare m/yy dates only what it follows
            if any(
                (s, e) != own
                and (same_label_between or label != ent.label_)
                and not _JOINED.match(text[end:s] if s >= end else text[e:start])
                and not (after and _HEADER_DATE.match(text, mention.end))
                for s, e, label in idx.positions_within(lo, hi)
            ):
                continue  # another mention sits between: the date is its own (unless it heads a list: "25/08/26:")
            key = (gap, after)
            if best is None or key < best[:2]:
                best = (gap, after, mention)
            if not after and gap <= _CLOSE_AFTER and not _FIELD_BREAK.search(text, lo, hi):
                if close_after is None or gap < close_after[0]:
                    close_after = (gap, mention)
        chosen = close_after[1] if close_after else (best[2] if best else None)
        if (
            chosen is not None
            and today is not None
            and not past
            and done_by is not None
            and chosen.kind not in _PRESENT_KINDS
            and _holds(chosen, done_by)
        ):
            return today  # "Flu vax 2026 (Fluad Quad) given today": the season names the year, today the day
        return chosen

    def _series_dates(self, doc: Doc, ent: Span, values: list[Any], text: str) -> list[DateMention | None]:
        """Dates of a series of results ("A1c 7.9% (Jan 2026), 8.1% in 10/2025", "trend: 02/2025 7.9% -> 08/2025
        7.4%"): a date goes to the value before it unless a separator (",", ";", "then") stands between them and
        none between it and the value after it; each value takes its nearest date."""
        sent = ent.sent if doc.has_annotation("SENT_START") else doc[:]
        spans = [(v.start, v.end) for v in values]
        owned: list[list[tuple[int, DateMention]]] = [[] for _ in values]
        for mention in doc._.qm_dates or ():
            if mention.end <= sent.start_char or mention.start >= sent.end_char:
                continue
            if any(mention.start < e and s < mention.end for s, e in spans):
                continue
            left = max((k for k, (_, e) in enumerate(spans) if e <= mention.start), default=None)
            right = min((k for k, (s, _) in enumerate(spans) if s >= mention.end), default=None)
            if left is not None and (
                right is None
                or not _SERIES_BREAK.search(text, spans[left][1], mention.start)
                or _SERIES_BREAK.search(text, mention.end, spans[right][0])
            ):
                k, gap = left, mention.start - spans[left][1]
            elif right is not None:
                k, gap = right, spans[right][0] - mention.end
            else:
                continue
            if mention.kind in ADJACENT_ONLY_KINDS and (
                k != left or not _ADJACENT.match(text, spans[k][1], mention.start)
            ):
                continue
            if gap <= _MAX_SERIES_DATE_DISTANCE:
                owned[k].append((gap, mention))
        return [min(found, key=lambda x: x[0])[1] if found else None for found in owned]

    @staticmethod
    def _listed_dates(
        doc: Doc,
        ent: Span,
        mention: DateMention,
        brackets: list[tuple[int, int]],
        opens: list[int],
        positions: list[tuple[int, int, str]],
        text: str,
    ) -> list[tuple[Any, ...]]:
        """The other dates of a bracket right after a mention that holds only dates ("bilateral mastectomies
        (2009 R, 2013 L)", "Pneumovax (2015, 2021)"): each is a date of the mention too, as an extra row
        (mention to date). A future date, another mention or any other word in the bracket: none."""
        pair = _enclosing(brackets, opens, mention.start)
        if pair is None or text[ent.end_char : pair[0]].strip():
            return []
        k = bisect.bisect_right(positions, (pair[0], len(text) + 1, ""))
        if k < len(positions) and positions[k][0] < pair[1]:
            return []  # another mention in the bracket
        note_date = doc._.qm_note_date
        dates = doc._.qm_dates or []
        k = bisect.bisect_right(dates, pair[0], key=lambda d: d.start)
        inside = []
        while k < len(dates) and dates[k].end <= pair[1]:
            inside.append(dates[k])
            k += 1
        rest = text[pair[0] + 1 : pair[1]]
        for d in reversed(inside):
            rest = rest[: d.start - pair[0] - 1] + " " + rest[d.end - pair[0] - 1 :]
        if len(inside) < 2 or not _ONLY_LIST_WORDS.fullmatch(rest):
            return []
        out: list[tuple[Any, ...]] = []
        for d in inside:
            resolved = resolve(d, note_date) if d != mention else None
            if resolved is None or (note_date is not None and _after(d, note_date)):
                continue
            out.append((ent.start_char, d.end, None, *resolved))
        return out

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

    def _topic_restated(self, doc: Doc, idx: _DocIndex, ent: Span, start: int, end: int) -> bool:
        """Whether a mention only introduces a topic ("As to advanced directives,", "Regarding her
        colonoscopy,") that a later mention of the same element in the sentence states the status of."""
        if not doc.has_annotation("SENT_START"):
            return False
        sent = ent.sent
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
        (``pipelines.value_parsers``), its rows built (:meth:`_rows`); then the note-level checks."""
        note = _NoteView(doc)
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
        modifiers = [m for m in ent._.modifiers if m.category not in _INERT]
        modifiers = _declined_own_object(doc, _plan_after_negation(doc, modifiers, ent.start), ent.end)
        modifiers = _bracket_scope(doc, modifiers, ent.start_char, note.brackets, note.bracket_opens)
        if reading is not None:
            modifiers = goal_of_another_figure(doc, modifiers, end, text)
        categories = [m.category for m in modifiers]
        if meta.get("states_result"):
            categories.append("PAST_EVENT")  # "FIT negative": a result means the test was done
        section, section_rule = self._section_of(doc, idx, note.section_starts, ent.start, note.section_ends)
        if not self._rule_holds(doc, note, ent, meta, element, section, start, end):
            return None
        if note.pediatric and element in HOUSEHOLD_IN_CHILD_NOTES:
            categories = [*categories, "FAMILY"]  # a child's note: the household's habits, the mother's pregnancy
        status, reason = status_of(element, categories, section)
        decision = second_reading(ent, status)  # the status model's reading, where one ran
        if decision.decided_by == "model":
            status, reason = decision.status, None
        sent = ent.sent if note.has_sentences else doc[:]
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
            text, ent.sent.start_char if note.has_sentences else 0,
            ent.sent.end_char if note.has_sentences else len(text),
        ):
            return False  # an eye-care visit without a retinal finding may be a referral or another problem
        if meta.get("not_as_heading") and self._topic_heading(text, start, end):
            return False
        if self._topic_restated(doc, note.idx, ent, start, end):
            return False  # "As to advanced directives, the patient has no advanced directives"
        if meta.get("same_sentence_as") and note.has_sentences:
            labels = list(note.sentence_labels.get(ent.sent.start, ()))
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
        if note.pediatric and element in HOUSEHOLD_IN_CHILD_NOTES and status == "family":
            modifier_ids.append("note.pediatric")

        extra_values: list[tuple[Any, ...]] = []
        event_date = precision = None
        series, series_dates = m.series, []
        if len(series) > 1:
            series_dates = self._series_dates(doc, m.ent, series, text)
            extra_values = [
                (v.start, v.end, v.value, *(resolve(d, note_date) or (None, None) if d else (None, None)))
                for v, d in zip(series[1:], series_dates[1:], strict=True)
            ]
        if element not in NEVER_DATED_IN_NOTES:
            skip = frozenset((d.start, d.end) for d in series_dates[1:] if d is not None)
            past = bool(read.mod_ids & _PAST_CUE_IDS)
            mention = series_dates[0] if series_dates and series_dates[0] else self._date_for(
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
                extra_values = self._listed_dates(
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
        if note.adolescent and element in ADOLESCENT_ELEMENT:
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


def _after(mention: DateMention, day: date) -> bool:
    """Whether a date expression lies wholly after ``day`` (a year or month after it)."""
    resolved = resolve(mention, day)
    if resolved is None:
        return False
    start, precision = resolved
    if precision == "year":
        return start.year > day.year
    if precision == "month":
        return (start.year, start.month) > (day.year, day.month)
    return start > day


def _holds(mention: DateMention, day: date) -> bool:
    """Whether a year or month expression contains ``day`` ("2026" holds 2026-05-04)."""
    resolved = resolve(mention, day)
    if resolved is None:
        return False
    start, precision = resolved
    if precision == "year":
        return start.year == day.year
    if precision == "month":
        return (start.year, start.month) == (day.year, day.month)
    return False


_SENTENCE_END = re.compile(r"[.!?](?=\s|,|$)|\n\s*\n|;")
# the end of a heading: a colon, or the end of its line ("ADVANCE CARE PLANNING\n", "DIRECTIVE: ,")
_HEADING_END = re.compile(r"[ \t]*(?::[ \t]*,?|(?=\n)|$)[ \t]*")


# a heading in capitals followed by a colon at the start of a line or transcribed line (",SOCH: ,")
_CAPS_HEADING = re.compile(r"(?:^|(?<=[\n,.]))[ \t]*(?P<h>[A-Z][A-Z]+(?:[ /&][A-Z]+){0,4})[ \t]*:")
# sub-labels of a family history ("MOTHER: diabetes") do not end it
_RELATIVE_LABELS = frozenset(
    "MOTHER FATHER MOM DAD SISTER SISTERS BROTHER BROTHERS SIBLING SIBLINGS SON SONS DAUGHTER DAUGHTERS "
    "PARENTS GRANDMOTHER GRANDFATHER GRANDPARENTS AUNT UNCLE COUSIN MATERNAL PATERNAL CHILDREN".split()
)


def _unlisted_heading_between(idx: _DocIndex, start_char: int, end_char: int) -> bool:
    """Whether a heading the section rules do not list ("SOCH:", "HABITS AND EXPOSURES:") starts
    between ``start_char`` and ``end_char``. A relative's label ("MOTHER:") or a label that is
    itself a mention ("DIABETES: mother") does not count."""
    if end_char <= start_char:
        return False
    ents = idx.ent_chars
    for m in _CAPS_HEADING.finditer(idx.text, start_char, end_char):
        words = set(re.split(r"[ /&]", m.group("h")))
        if words & _RELATIVE_LABELS:
            continue
        s, e = m.span("h")
        if any(a < e and s < b for a, b in ents):
            continue
        return True
    return False


def _clause_end(text: str, start: int, limit: int) -> int:
    """Where a value may end: the first sentence end after ``start`` ("A1C: 7.2." keeps its value
    even when "A1C:" looks like a heading), at most ``limit``."""
    m = _SENTENCE_END.search(text, start, min(limit, len(text)))
    return m.start() if m else min(limit, len(text))


_CLAUSE_BREAK = re.compile(r"[,;:\-–—]|\b(?:and|then)\b", re.I)


# words that may follow "declined" without being its object ("declined today", "declined by mom")
_NOT_AN_OBJECT = frozenset(
    "by per to today again at this that it them all both in for because due as secondary and or but "
    "then so after until since when while now currently previously yesterday once twice x".split()
)


def _declined_own_object(doc: Doc, modifiers: list[Any], target_end: int) -> list[Any]:
    """Drop a refusal after the mention, across a comma or into a parenthesis, that has its own object: in
    "counseled on quitting, pt declined medication" the patient declined the medication, not the counseling;
    in "CT colonography 09/2024 (pt refused repeat scope)" the repeat scope.
    "Colonoscopy offered, pt declined." and "Flu shot offered, declined today" keep it."""
    out = []
    for m in modifiers:
        start, end = m.modifier_span
        if m.category == "DECLINED" and start >= target_end and end < len(doc):
            nxt = doc[end]
            between = doc[target_end:start].text
            own_clause = any(c in between for c in ",;(")
            if own_clause and nxt.is_alpha and nxt.lower_ not in _NOT_AN_OBJECT:
                continue
        out.append(m)
    return out


def _plan_after_negation(doc: Doc, modifiers: list[Any], target_start: int) -> list[Any]:
    """Drop a negation followed, in a new clause, by a plan before the mention: in "Not addressed
    today - will discuss advance directives" the plan ("will discuss") decides the status. A plan in
    the negated phrase ("not able to get the flu shot") or after the mention ("No mammogram yet, will
    order") leaves the negation in place."""
    plans = [m for m in modifiers if m.category == "PLANNED" and m.modifier_span[1] <= target_start]
    if not plans:
        return modifiers

    def new_clause(neg: Any, plan: Any) -> bool:
        lo, hi = neg.modifier_span[1], plan.modifier_span[0]
        return hi > lo and bool(_CLAUSE_BREAK.search(doc[lo:hi].text))

    return [
        m
        for m in modifiers
        if not (m.category == "NEGATED_EXISTENCE" and any(new_clause(m, p) for p in plans))
    ]


# what a bracket of dates may hold besides its dates: sides, doses, separators ("2009 R, 2013 L", "#1 2024, #2 2025")
_ONLY_LIST_WORDS = re.compile(
    r"(?:[\s,;&+/\-]|\#\d\b|\b(?:and|L|R|lt|rt|left|right|both|x\d|dose|doses|1st|2nd|3rd)\b)*", re.I
)
_LINE_INDENT = re.compile(r"\n([ \t]*)(?=\S)")
_LEAD_SPACE = re.compile(r"[ \t]*")


def _indented_heading_end(text: str, heading_start: int) -> int:
    """Where the section of a heading on an indented line ends: at the first later line that is less indented
    ("• Letter from eye clinic:\n   Their plan: f/u 6 mo\n• Colonoscopy 10/2026 ..."). A heading on a line
    that is not indented is not limited (its end is the end of the text)."""
    line_start = text.rfind("\n", 0, heading_start) + 1
    lead = _LEAD_SPACE.match(text, line_start).group()
    if not lead or line_start == 0:
        return len(text)  # a heading at the start of its line (or of the note)
    indent = len(lead.expandtabs(4))
    for m in _LINE_INDENT.finditer(text, heading_start):
        if len(m.group(1).expandtabs(4)) < indent:
            return m.start() + 1
    return len(text)


def _bracket_pairs(text: str) -> list[tuple[int, int]]:
    """The (open, close) offsets of the matched round brackets of a text, sorted by the opening one."""
    if "(" not in text:
        return []
    pairs: list[tuple[int, int]] = []
    stack: list[int] = []
    for m in _BRACKET.finditer(text):
        if m.group() == "(":
            stack.append(m.start())
        elif stack:
            pairs.append((stack.pop(), m.start()))
    return sorted(pairs)


_BRACKET = re.compile(r"[()]")


def _enclosing(pairs: list[tuple[int, int]], opens: list[int], pos: int) -> tuple[int, int] | None:
    """The innermost bracket pair around character ``pos``."""
    k = bisect.bisect_left(opens, pos) - 1
    while k >= 0:
        if pairs[k][1] >= pos:
            return pairs[k]
        k -= 1
    return None


def _bracket_scope(
    doc: Doc, modifiers: list[Any], start: int, pairs: list[tuple[int, int]], opens: list[int]
) -> list[Any]:
    """A bracketed aside keeps its words to itself: a modifier inside brackets that close before the mention
    does not reach it ("CKD 4 (not on dialysis), T2DM diet-controlled"); a modifier before the brackets a
    mention sits in does not reach it when the aside states the mention's own status ("no polyps (flex sig
    2012 normal)")."""
    if not pairs or not modifiers:
        return modifiers
    spans = {id(m): (doc[m.modifier_span[0]].idx, doc[m.modifier_span[1] - 1].idx) for m in modifiers}
    own = _enclosing(pairs, opens, start)
    inside_own = own is not None and any(own[0] < s < own[1] for s, _ in spans.values())
    out = []
    for m in modifiers:
        m_start, m_last = spans[id(m)]
        around = _enclosing(pairs, opens, m_start)
        if around is not None and around[1] <= start and around != own and m_last < around[1]:
            continue  # inside an aside that closed before the mention
        if own is not None and inside_own and m_start < own[0]:
            continue  # before the aside the mention is in, which has its own status words
        out.append(m)
    return out


def title_elements(title: str | None, note_type: str | None) -> frozenset[str]:
    """Elements a procedure-note title names (cheap keyword check used for dating)."""
    words = f"{title or ''} {note_type or ''}".lower()
    out = set()
    for element, pattern in _TITLE_PATTERNS.items():
        if pattern.search(words):
            out.add(element)
    return frozenset(out)


def _eye_care_element(ent: Span) -> str | None:
    rule = ent._.target_rule
    return (rule.metadata or {}).get("eye_care_element") if rule is not None else None


# an eye-care professional's note: its specialty or title, or an exam only an eye doctor writes
_EYE_CARE_TITLE = re.compile(r"ophthalm|optomet|retina|\beye\s+(?:clinic|exam|care)", re.I)
_EYE_CARE_EXAM_CUES = (
    re.compile(r"\bslit[\s-]?lamp\b", re.I),
    re.compile(r"\bintraocular\s+pressures?\b|\bIOP\b|\btonometry\b", re.I),
    re.compile(r"\bcup[\s-]+(?:to[\s-]+)?dis[ck]\b", re.I),
    re.compile(r"\bposterior\s+segment\b|\banterior\s+segment\b", re.I),
    re.compile(r"\bfluorescein\b|\boptical\s+coherence\b", re.I),
    re.compile(r"\bdrusen\b|\bmacula(?:r)?\b", re.I),
    re.compile(r"\bgonioscopy\b|\bdilated\s+fundus\b|\bfundus\s+photo", re.I),
)
EYE_CARE_MIN_CUES = 3
# a word each match of a cue contains (lower case): a cue whose words are all absent is not searched for
_EYE_CARE_CUE_WORDS = (
    ("slit",),
    ("intraocular", "iop", "tonometry"),
    ("cup",),
    ("segment",),
    ("fluorescein", "optical"),
    ("drusen", "macula"),
    ("gonioscopy", "fundus"),
)


def is_eye_care_note(text: str, note_type: str | None, title: str | None = None) -> bool:
    """A note written by eye care: an ophthalmology / optometry / retina specialty or title, or an
    exam with at least ``EYE_CARE_MIN_CUES`` kinds of eye-specialist findings (slit lamp, intraocular
    pressure, cup-to-disc ratio, posterior segment, fluorescein, macula/drusen, gonioscopy)."""
    if _EYE_CARE_TITLE.search(f"{note_type or ''} {title or ''}"):
        return True
    lower = text.lower()
    found = 0
    for words, cue in zip(_EYE_CARE_CUE_WORDS, _EYE_CARE_EXAM_CUES, strict=True):
        if any(w in lower for w in words) and cue.search(text):
            found += 1
            if found >= EYE_CARE_MIN_CUES:
                return True
    return False


ADOLESCENT_YEARS = (12, 18)  # CMS2/DSF: the adolescent tool and follow-up for ages 12-17


def stated_age_years(text: str) -> int | None:
    """The patient's age in whole years from the first age stated near the top of the note
    ("a 15-year-old", "16 y/o", "72M"), or None."""
    m = next((m for m in _STATED_AGE.finditer(text[:1500]) if not _generic_age(text, m.start())), None)
    if not m:
        return None
    years = next(g for g in m.groups() if g)
    return int(years)


_STATED_AGE = re.compile(
    r"\b(\d{1,3})[- ](?:years?|yrs?)[- ]old\b"
    r"|\b(\d{1,3})\s*(?:y/o|yo|y\.o\.)"
    r"|\b(\d{1,3})\s*(?:year|yr)s?\b(?=\s*(?:male|female|man|woman|boy|girl))"
    r"|(?:^|[\s:])(\d{1,3})\s?(?-i:M|F)\b",
    re.I,
)

# an age that is a range or a bound ("children between the ages of 9 to 11 years old", "under 5 years
# old") is a recommendation's population, not the patient's age
_GENERIC_AGE_BEFORE = re.compile(
    r"(?:\bages?\s+(?:of\s+)?|\bbetween\s+|\d\s*(?:to|-|–|and|or)\s*|\b(?:under|over|above|below|older\s+than"
    r"|younger\s+than|less\s+than|more\s+than)\s+)$",
    re.I,
)


def _generic_age(text: str, start: int) -> bool:
    return bool(_GENERIC_AGE_BEFORE.search(text[max(0, start - 30) : start]))


_AGE = re.compile(r"\b(\d{1,3})[- ](year|yr|month|week|day)s?[- ]old\b|\b(newborn|neonate|infant)\b", re.I)
PEDIATRIC_MAX_YEARS = 12


# a delivery or cesarean note names the baby delivered ("Delivery of a viable male infant"): the
# patient is the mother
_OBSTETRIC = re.compile(r"\bdeliver|\bcesarean|\bc-?section|\blabor\b|\bgravida\b|\bG\d+\s*,?\s*P\d", re.I)


def is_pediatric(text: str, note_type: str | None, title: str | None = None) -> bool:
    """A young child's note: neonatal specialty, or the first stated age is under 12 years, or a
    newborn/infant named before any age, unless the note is an obstetric (delivery) note."""
    if note_type and "neonat" in note_type.lower():
        return True
    head = text[:1500]
    m = next((m for m in _AGE.finditer(head) if not _generic_age(head, m.start())), None)
    if not m:
        return False
    if m.group(3):
        return not _OBSTETRIC.search(f"{title or ''} {head}")
    if m.group(2).lower() in ("year", "yr"):
        return int(m.group(1)) < PEDIATRIC_MAX_YEARS
    return True  # months, weeks or days old
