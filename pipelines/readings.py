"""``qm_bp_readings``: blood pressure readings as target spans.

A reading ("142/88", "130 over 85") counts when a blood-pressure cue ("BP", "blood pressure",
"vital signs", a position or arm label, ...) comes shortly before it in the same sentence, with only
numbers, units and short words in between; when "mmHg" follows it; when it follows an accepted
reading; when a place or source is written right before it ("here 134/82", "clinic 148/82"); or
when it sits in the BP column of a vitals table (the column header above it is a BP cue).
Each reading becomes one entity labelled ``blood_pressure`` (so ConText can mark goals and
thresholds) carrying its value and the exact character span of the reading.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .prefilter import source_text
from .rules import ValuePatterns, load_value_patterns

__all__ = ["BloodPressureReadings"]

RULE_CUED = "bp.reading_after_cue"
RULE_UNIT = "bp.reading_with_unit"
RULE_CUE_AFTER = "bp.reading_before_cue"
RULE_CHAINED = "bp.reading_after_reading"
RULE_PLACE = "bp.reading_after_place"
RULE_COLUMN = "bp.reading_in_bp_column"
# a table's cells: split at a tab, a "|" or a run of two or more spaces
_CELL_SPLIT = re.compile(r"\t|\s*\|\s*| {2,}")
_MAX_TABLE_ROWS = 8  # how far above its row a reading looks for the header of its column
# "BP 148/92 seated. Repeat after 5 min 136/88": a reading shortly after an accepted reading, with
# only filler words between (sentence ends allowed), is the same series of measurements
_MAX_CHAIN_DISTANCE = 60
# "108/70 is his blood pressure"
_CUE_AFTER = re.compile(
    r"\s*(?:is|was|being)\s+(?:his|her|the|their|patient's)\s+(?:blood\s+pressure|bp)\b", re.I
)
_MAX_CUE_DISTANCE = 70
_SENTENCE_END = re.compile(r"[.!?](?=\s|,|$)|\n\s*\n")
# words allowed between the cue and the reading; anything else ("pulse", "weight") breaks the link
_FILLER_TOKENS = (
    r"(?:[\s,:;=()<>≤≥\-•|/\"'@]|\d{2,3}s(?:/\d{2,3}s)?\b|\d{1,2}x{1,2}(?:/\d?x{1,2})?(?!\w)|\b(?:is|was|were|are|of|at|in|on|the|her|his|this|today|initially|initial|sitting|standing"
    r"|supine|lying|down|reclining|seated|right|left|arm|manual|repeat|repeated|recheck|rechecked|home|readings?"
    r"|noted|to|be|been|has|had|have|measured|checked|came|up|ranges?|ranging|from|between|and|then|now|around"
    r"|about|approximately|approx|average|averages|averaged|averaging|mostly|of|blood|pressures?|bp|b/p|systolic|diastolic|vital|signs?"
    r"|vitals?|reviewed|stable|elevated|high|low|normal|mm|hg|mmhg|after|before|iv|fluids?|fluid|with|while|when"
    r"|crying|asleep|awake|by|per|nurse|range|still|well|good|slightly|mildly|markedly|very|last|visit|presenting"
    r"|presented|obtained|recorded|showed|shows|reveals|revealed|above|below|over|under|greater|less|than|exceeds|goal|target|office|clinic|currently|visit|here|increased|decreased|rose|fell|dropped|went|achieved|maximum|maximal|peak|baseline|resting|during|okay|ok|large|small|cuff|adult|usually|typically|generally|running|runs|has|been|stress|exercise|infusion|(?:19|20)\d\d|\d{1,3}(?:\.\d+)?|\d{2,3}/\d{2,3}|april|may|june"
    r"|log|logs|logged|diary|automatic|digital|wrist|monitor|machine|omron|asked|requested|called|reported|reports"
    r"|reporting|this|these|several|recent|recently|past|week|weeks|mornings?|evenings?|nights?|daily|manually"
    r"|minutes?|mins?|presenting|second|third|2nd|3rd|reading|myself|physician|provider|examiner|doctor"
    r"|[a-z]{1,3}\.?)\b)"
)
_FILLER = re.compile(rf"^{_FILLER_TOKENS}*$", re.IGNORECASE)
_FILLER_TOKEN = re.compile(_FILLER_TOKENS, re.IGNORECASE)
# a few words the list does not know may stand between a cue and its reading ("BP at pharmacy kiosk 131/79",
# "pre-dialysis reading per renal book 162/80"), but never another vital sign or a measurement word
_MAX_UNKNOWN_WORDS = 3
_BLOCKING_WORDS = frozenset(
    "pulse hr heart rate weight wt temp temperature resp respiration respirations rr sat sats saturation spo "
    "oximetry glucose sugar sugars bg fsbs cbg bmi height ht a1c hba1c cholesterol ldl hdl triglycerides murmur "
    "grade strength power reflexes vision acuity egfr creatinine cr insulin units mg aorta aortic gradient lv rv "
    "ef wedge pap pcwp cvp ratio score phq".split()
)


def _gap_ok(gap: str) -> bool:
    """Whether the text between a cue (or a reading) and a reading only fills: known filler words, or at most
    ``_MAX_UNKNOWN_WORDS`` other words, none of them naming another measurement."""
    if _FILLER.match(gap):
        return True
    rest = _FILLER_TOKEN.sub(" ", gap).split()
    return len(rest) <= _MAX_UNKNOWN_WORDS and all(
        w.isalpha() and w.lower() not in _BLOCKING_WORDS for w in rest
    )


class BloodPressureReadings:
    """Find blood pressure readings; add them to ``doc.ents`` as ``blood_pressure`` spans."""

    def __init__(self, nlp: Language, name: str = "qm_bp_readings", *, label: str = "blood_pressure"):
        self.name = name
        self.label = label
        self.patterns: ValuePatterns = load_value_patterns()
        if not Span.has_extension("qm_reading"):
            Span.set_extension("qm_reading", default=None)

    def __call__(self, doc: Doc) -> Doc:
        spans = self.match(doc)
        self.set_annotations(doc, spans)
        return doc

    def _cued(self, text: str, start: int) -> bool:
        window = text[max(0, start - _MAX_CUE_DISTANCE) : start]
        # stay in the sentence: cut at the last full stop ("BP: 130/80" keeps its cue, "BP. 2/6" does not)
        stops = list(_SENTENCE_END.finditer(window))
        if stops:
            window = window[stops[-1].end() :]
        cues = list(self.patterns.bp_cue.finditer(window))
        if not cues:
            return False
        between = window[cues[-1].end() :]
        # a bare "pressure" may be another one ("pulmonary artery pressure equals 61/31"): known filler only
        strict = cues[-1].group().lower().rstrip("s") == "pressure"
        return bool(_FILLER.match(between)) if strict else _gap_ok(between)

    def _placed(self, text: str, start: int) -> bool:
        """"here 134/82", "clinic 148/82": a place or source right before the reading."""
        return bool(self.patterns.bp_place_cue.search(text, max(0, start - 20), start))

    def _in_bp_column(self, text: str, start: int, end: int) -> bool:
        """A reading in a table row whose column header above is a BP cue: a vitals flowsheet
        ("Date        BP       HR" over "02/11/2026  148/94   80"). Rows up to the header are contiguous
        (no blank line), and the reading sits in the cell with the header's index."""
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        row = text[line_start : len(text) if line_end < 0 else line_end]
        cells = [c for c in _CELL_SPLIT.split(row.strip()) if c]
        column = next((k for k, c in enumerate(cells) if text[start:end] in c), None)
        if column is None or len(cells) < 2:
            return False
        pos = line_start - 1
        for _ in range(_MAX_TABLE_ROWS):
            if pos <= 0:
                return False
            above_start = text.rfind("\n", 0, pos) + 1
            above = text[above_start:pos]
            if not above.strip():
                return False  # a blank line ends the table
            header = [c for c in _CELL_SPLIT.split(above.strip()) if c]
            if len(header) >= 2 and not self.patterns.bp_reading.search(above):
                cued = [k for k, c in enumerate(header) if self.patterns.bp_cue.fullmatch(c.strip(" :"))]
                if cued:
                    return column in cued
            pos = above_start - 1
        return False

    @staticmethod
    def _chained(text: str, previous_end: int | None, start: int) -> bool:
        if previous_end is None or not 0 <= start - previous_end <= _MAX_CHAIN_DISTANCE:
            return False
        gap = text[previous_end:start]
        if "\n\n" in gap:
            return False  # a blank line starts another part of the note
        return _gap_ok(gap.replace(".", " "))

    def match(self, doc: Doc) -> list[Span]:
        spans: list[Span] = []
        text = source_text(doc)  # windowed: the whole text (cues and table headers may lie outside the windows)
        previous_end: int | None = None
        for m in self.patterns.bp_reading.finditer(text):
            systolic, diastolic = int(m.group("sys")), int(m.group("dia"))
            if not (60 <= systolic <= 300 and 20 <= diastolic <= 200 and systolic > diastolic):
                continue
            unit = self.patterns.bp_unit.match(text, m.end())
            if self._cued(text, m.start()):  # text, not doc.text: that rebuilds the string per call
                rule = RULE_CUED
            elif unit:
                rule = RULE_UNIT
            elif _CUE_AFTER.match(text, m.end()):
                rule = RULE_CUE_AFTER
            elif self._chained(text, previous_end, m.start()):
                rule = RULE_CHAINED
            elif self._placed(text, m.start()):
                rule = RULE_PLACE
            elif self._in_bp_column(text, m.start(), m.end()):
                rule = RULE_COLUMN
            else:
                continue
            previous_end = m.end()
            span = doc.char_span(m.start(), m.end(), label=self.label, alignment_mode="expand")
            if span is None:
                continue
            span._.qm_reading = {
                "rule": rule,
                "start": m.start(),
                "end": m.end(),
                "value": {"systolic": systolic, "diastolic": diastolic},
            }
            spans.append(span)
        return spans

    def set_annotations(self, doc: Doc, spans: list[Span]) -> None:
        if not spans:
            return
        # readings win over any other target overlapping them (e.g. a date-like "10/99")
        kept = filter_spans(spans)
        taken = {i for s in kept for i in range(s.start, s.end)}
        others = [e for e in doc.ents if not any(i in taken for i in range(e.start, e.end))]
        doc.ents = sorted(others + kept, key=lambda s: s.start)
