"""Which date a mention gets: the nearest date of its sentence, the dates of a series of results, the
other dates of a bracket of dates; and the per-Doc index those look-ups (and the row builder) read.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from spacy.tokens import Doc, Span

from engine.elements import load_vocabulary

from .dates import ADJACENT_ONLY_KINDS, DateMention, resolve
from .modifier_scope import enclosing

__all__ = ["DocIndex", "date_for", "dates_of_series", "listed_dates"]

_MAX_DATE_DISTANCE = 80
_MAX_SERIES_DATE_DISTANCE = 40
_CLOSE_AFTER = 25  # a date this close after a mention, in the same field, is its own
_FIELD_BREAK = re.compile(r"[;|\n•]")
_LABEL_COLON = re.compile(r"[ \t]*:")
# with match(text, end, date_start): only a separator between, or a done word with its place ("flu vax - had at
# pharmacy 10/25", "kit returned 05/26", "given 14/04", "7.2%) 03/25", "was 19 on 21/5", "flu shot: got it 10/8")
_ADJACENT = re.compile(
    r"[\s:()\-,]{0,3}(?:(?:had|given|got(?:\s+it)?|rec'?d|received|done|returned|completed|taken|administered"
    r"|performed|collected|resulted)(?:\s+(?:at|@|by|in|via)\s+[A-Za-z'-]+(?:\s+[A-Za-z'-]+){0,2})?\s+(?:on\s+|in\s+)?"
    r"|(?:on|in|dated)\s+)?$",
    re.I,
)
_WORD = re.compile(r"[A-Za-z]{2,}")
# a co-test: one sample, one date (shares_sample_with in measures/elements.yaml): element -> its sample's elements
_ONE_SAMPLE = {e.id: frozenset({e.id, e.shares_sample_with}) for e in load_vocabulary() if e.shares_sample_with}
_SERIES_BREAK = re.compile(r"[,;]|\bthen\b|->|→", re.I)
# a date that heads a list of results: "Cervical screening 25/08/26: HPV +ve, cytology - LSIL"
_HEADER_DATE = re.compile(r"\s*:")
_PRESENT_KINDS = frozenset({"today"})
# "Pap smear with HPV cotesting was in 2022": mentions joined like this share the date
_JOINED = re.compile(
    r"^\s*(?:with|and|plus|including|/|\+)\s*(?:\w+\s*){0,1}$", re.I
)  # "earlier this month" after a past cue is a fine date
# what a bracket of dates may hold besides its dates: sides, doses, separators ("2009 R, 2013 L", "#1 2024, #2 2025")
_ONLY_LIST_WORDS = re.compile(
    r"(?:[\s,;&+/\-]|\#\d\b|\b(?:and|L|R|lt|rt|left|right|both|x\d|dose|doses|1st|2nd|3rd)\b)*", re.I
)


class DocIndex:
    """What the row builder looks up for every candidate, computed once per Doc.

    ``Doc.text`` and ``Doc.ents`` rebuild their result on every access (a join over all tokens, a new
    Span per entity): read per candidate they made a note's extraction time grow with the square of
    its length.
    """

    def __init__(
        self, doc: Doc, positions: list[tuple[int, int, str]], text: str, ents: Sequence[Span] | None = None
    ) -> None:
        self.text = text
        self.positions = positions  # (start, end, label) of the targets that make evidence: sorted, disjoint
        self.position_starts = [p[0] for p in positions]
        if ents is None:  # ``doc.ents``, when the caller has not read it already
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


def date_for(
    doc: Doc,
    idx: DocIndex,
    ent: Span,
    start: int,
    end: int,
    same_label_between: bool = True,
    past: bool = False,
    done_by: date | None = None,
    skip: frozenset[tuple[int, int]] = frozenset(),
    sent: Span | None = None,
) -> DateMention | None:
    """The date of a mention: the nearest date expression of its sentence, within
    ``_MAX_DATE_DISTANCE`` characters, that no other mention sits in front of. A date right
    after the mention ("Flu: done 10/2025  PCV20: done 2024") is preferred to one before it;
    ``done_by`` (the note date of a done event) rules out later dates ("colonoscopy 2019, repeat
    2029"); a year or month holding the note date yields to "today" in the same sentence
    ("Flu vax 2026 (Fluad) given today"). ``skip`` holds dates that belong to other values; another
    mention of the same label between keeps a date from it only when ``same_label_between``. ``sent``: the
    mention's sentence (the whole Doc without sentences), when the caller has read it."""
    if sent is None:
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
    candidates: list[tuple[int, int, DateMention]] = []
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
        if after and _dates_the_mention_before(idx, mention, own, ent.label_, gap, sent_start, text, start):
            continue  # "Prevenar 13 in 2024 and had his flu vaccine ... on 2/4/26": 2024 is Prevenar's
        key = (gap, after)
        candidates.append((gap, after, mention))
        if best is None or key < best[:2]:
            best = (gap, after, mention)
        if not after and gap <= _CLOSE_AFTER and not _FIELD_BREAK.search(text, lo, hi):
            if close_after is None or gap < close_after[0]:
                close_after = (gap, mention)
    chosen = close_after[1] if close_after else (best[2] if best else None)
    if chosen is not None and chosen.kind not in _PRESENT_KINDS:
        chosen = _finer_in_same_field(chosen, candidates, text, done_by)
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


def dates_of_series(doc: Doc, ent: Span, values: list[Any], text: str) -> list[DateMention | None]:
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


def listed_dates(
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
    pair = enclosing(brackets, opens, mention.start)
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


def _dates_the_mention_before(
    idx: DocIndex, mention: DateMention, own: tuple[int, int], label: str, gap: int, sent_start: int, text: str,
    start: int,
) -> bool:
    """Whether a date before a mention sits right after another mention of its sentence, closer to that one and
    in the same field, with words between it and this mention ("Prevenar 13 in 2024 and had his flu vaccine"): then
    it is that mention's date. Mentions joined by "and" / "with" ("Pap 2022 with HPV") or by punctuation only
    ("smear 02/2023 - HPV neg") share their dates and are not parted here."""
    k = bisect.bisect_left(idx.position_starts, mention.start) - 1
    if k < 0:
        return False
    s, e, _label = idx.positions[k]
    if (s, e) == own or e > mention.start or s < sent_start:
        return False
    before_gap = mention.start - e
    if before_gap > _CLOSE_AFTER or before_gap >= gap or _FIELD_BREAK.search(text, e, mention.start):
        return False
    if _label in _ONE_SAMPLE.get(label, ()):
        return False  # "Pap 2022 NILM, HPV neg": a smear and its HPV test are one sample with one date
    between = text[mention.end:start]
    # fewer than two words between ("smear 02/2023 - HPV neg", "2019 then"): the date heads what follows as well
    return len(_WORD.findall(between)) >= 2 and not _JOINED.match(between)


def _finer_in_same_field(
    chosen: DateMention, candidates: list[tuple[int, int, DateMention]], text: str, done_by: date | None
) -> DateMention:
    """A year (or month) yields to a day it holds, written close by in the same field: "Flu vax 2026 given by GP
    14 April" is 14 April 2026 (the year names the season, the day the dose)."""
    if done_by is None:
        return chosen
    cut = _cut_to_precision(chosen, done_by)
    if cut is None or cut[2] == "day":
        return chosen
    for gap, _after_flag, other in sorted(candidates, key=lambda c: (c[0], c[1])):
        if other is chosen or gap > _CLOSE_AFTER + 15:
            continue
        resolved = resolve(other, done_by)
        if resolved is None or resolved[1] != "day":
            continue
        lo, hi = min(chosen.end, other.end), max(chosen.start, other.start)
        if _FIELD_BREAK.search(text, lo, hi) or text.find(".", lo, hi) >= 0:
            continue
        if _holds(chosen, resolved[0]):
            return other
    return chosen


def _after(mention: DateMention, day: date) -> bool:
    """Whether a date expression lies wholly after ``day`` (a year or month after it)."""
    cut = _cut_to_precision(mention, day)
    return cut is not None and cut[0] > cut[1]


def _holds(mention: DateMention, day: date) -> bool:
    """Whether a year or month expression contains ``day`` ("2026" holds 2026-05-04)."""
    cut = _cut_to_precision(mention, day)
    return cut is not None and cut[2] != "day" and cut[0] == cut[1]


def _cut_to_precision(mention: DateMention, day: date) -> tuple[Any, Any, str] | None:
    """A date expression's start and ``day``, both cut to the expression's precision (a year, a month or
    the day), with that precision; None when it does not resolve."""
    resolved = resolve(mention, day)
    if resolved is None:
        return None
    start, precision = resolved
    if precision == "year":
        return start.year, day.year, precision
    if precision == "month":
        return (start.year, start.month), (day.year, day.month), precision
    return start, day, precision
