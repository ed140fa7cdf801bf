"""Note-level facts from one cheap pass over a note's text and title, read by ``qm_note_profile``.

An eye-care professional's note (its specialty or title, or an exam only an eye doctor writes), the
procedures a note's title names (``note_title:`` in measures/elements.yaml), a young child's note, and the
patient's stated age.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from engine.elements import load_vocabulary

from .literal_gate import LiteralGate
from .regex_matching import required_literals

__all__ = [
    "ADOLESCENT_YEARS",
    "EYE_CARE_MIN_CUES",
    "PEDIATRIC_MAX_YEARS",
    "is_eye_care_note",
    "is_pediatric",
    "stated_age_years",
    "title_elements",
]

# a note title naming a procedure (note_title): the note documents it
_TITLE_PATTERNS = {e.id: e.title_pattern for e in load_vocabulary() if e.title_pattern is not None}


def title_elements(title: str | None, note_type: str | None) -> frozenset[str]:
    """Elements a procedure-note title names (cheap keyword check used for dating)."""
    words = f"{title or ''} {note_type or ''}".lower()
    out = set()
    for element, pattern in _TITLE_PATTERNS.items():
        if pattern.search(words):
            out.add(element)
    return frozenset(out)


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
# the literals each match of a cue holds, read from the cue itself: a cue whose literals are absent is not searched for
_EYE_CARE_CUE_NEEDS = tuple(required_literals(cue) for cue in _EYE_CARE_EXAM_CUES)
_EYE_CARE_GATE = LiteralGate(_EYE_CARE_CUE_NEEDS)


def is_eye_care_note(text: str, note_type: str | None, title: str | None = None) -> bool:
    """A note written by eye care: an ophthalmology / optometry / retina specialty or title, or an
    exam with at least ``EYE_CARE_MIN_CUES`` kinds of eye-specialist findings (slit lamp, intraocular
    pressure, cup-to-disc ratio, posterior segment, fluorescein, macula/drusen, gonioscopy)."""
    if _EYE_CARE_TITLE.search(f"{note_type or ''} {title or ''}"):
        return True
    passing = _EYE_CARE_GATE.passing(text.lower() if text.isascii() else None)
    if sum(passing) < EYE_CARE_MIN_CUES:
        return False  # fewer kinds of cue than it takes can be in the text: none is searched for
    found = 0
    for held, cue in zip(passing, _EYE_CARE_EXAM_CUES, strict=True):
        if held and cue.search(text):
            found += 1
            if found >= EYE_CARE_MIN_CUES:
                return True
    return False


ADOLESCENT_YEARS = (12, 18)  # CMS2/DSF: the adolescent tool and follow-up for ages 12-17


def stated_age_years(text: str) -> int | None:
    """The patient's age in whole years from the first age stated near the top of the note
    ("a 15-year-old", "16 y/o", "72M"), or None."""
    m = next((m for m in _digit_anchored(_STATED_AGE, text[:1500]) if not _generic_age(text, m.start())), None)
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

_DIGIT_RUN = re.compile(r"\d+")


def _digit_anchored(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern whose every match starts at the first digit of a run of digits or
    at the character before it (``_STATED_AGE``): tried only there, found by a scan that skips to digits."""
    pos = 0
    for run in _DIGIT_RUN.finditer(text):
        for start in (run.start() - 1, run.start()):
            if start < pos:
                continue
            m = pattern.match(text, start)
            if m:
                yield m
                pos = m.end()
                break


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
