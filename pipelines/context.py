"""The sentence around an evidence span, cut from the ORIGINAL note text (for auditors and worklists).

``sentence_around(text, start, end)`` returns ``(context, context_start)`` with
``context == text[context_start:context_start + len(context)]`` and
``context[start - context_start:end - context_start] == text[start:end]``: the span always lies
whole inside its context, whatever the boundaries say.

Boundaries, searched outward from the span in the original text (never a normalized view, so the
offsets stay the note's own):

* a blank line, or a line break that ends a line of its own (a telegraphic line: ``BP 142/88``,
  ``- FIT declined``); a line break inside a wrapped sentence (the next line goes on in lower case
  after a word or a comma) does not end it;
* a sentence end: ``.``, ``!`` or ``?`` followed by white space (or by ``,`` as in transcriptions
  that flatten line breaks to ``.,HEADING:``) and then a character that is not lower case, unless
  the word before the full stop is a common abbreviation (``Dr.``, ``vs.``, ``approx.``);
* at most ``max_chars`` characters in all: a longer sentence is cut at white space, keeping the
  span and as much text on either side of it as fits.
"""

from __future__ import annotations

import re

__all__ = ["MAX_CONTEXT_CHARS", "sentence_around"]

MAX_CONTEXT_CHARS = 280

_ABBREVIATIONS = frozenset(
    "dr mr mrs ms st vs approx appt etc e.g i.e pt pts no hx dx rx tx sx fx yr yrs wk wks mo mos jr sr "
    "prof inc dept fig min max".split()
)
# a sentence end: the terminator, then white space (or ", " / "," in flattened transcriptions)
_END = re.compile(r"[.!?]+[\"')\]]*(?=\s|,(?=\S)|$)")


def _line_break_ends(text: str, i: int) -> bool:
    """Whether the line break at ``text[i]`` ends a unit (not a wrapped sentence going on)."""
    before = text[max(0, i - 80):i].rstrip(" \t\r")
    after = text[i + 1:i + 81].lstrip(" \t\r")
    if not before or not after or after[0] == "\n" or before[-1] == "\n":
        return True  # a blank line, or the text's edge
    return not ((before[-1].isalnum() or before[-1] in ",;") and after[0].islower())


def _is_sentence_end(text: str, m: re.Match[str]) -> bool:
    rest = text[m.end():].lstrip("\"')] \t,")
    if rest and rest[0].islower():
        return False  # "pt. declined", "p.o. daily", "e.g. fit"
    if text[m.start()] == ".":
        word = re.search(r"([A-Za-z][A-Za-z.]*)$", text[max(0, m.start() - 12):m.start()])
        if word and word.group(1).lower() in _ABBREVIATIONS:
            return False
    return True


def _unit_start(text: str, start: int, reach: int) -> int:
    """Where the sentence or line holding ``start`` begins, looking back at most ``reach``
    characters (a longer sentence is cut to length anyway)."""
    floor = max(0, start - reach)
    lo = floor
    nl = text.rfind("\n", floor, start)
    while nl != -1:
        if _line_break_ends(text, nl):
            lo = nl + 1
            break
        nl = text.rfind("\n", floor, nl)
    # the last sentence end before the span: the terminators found left to right, tested from the right
    for m in reversed(list(_END.finditer(text, lo, start))):
        if m.end() <= start and _is_sentence_end(text, m):
            lo = m.end()
            break
    if lo == floor and floor > 0:  # no boundary within reach: start after a space, never mid-word
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else start
    while lo < start and text[lo] in " \t\r\n,":
        lo += 1
    return lo


def _unit_end(text: str, end: int, reach: int) -> int:
    """Where the sentence or line holding ``end`` ends (after its terminator), looking at most
    ``reach`` characters ahead."""
    ceiling = min(len(text), end + reach)
    hi = ceiling
    nl = text.find("\n", end, ceiling)
    while nl != -1:
        if _line_break_ends(text, nl):
            hi = nl
            break
        nl = text.find("\n", nl + 1, ceiling)
    for m in _END.finditer(text, end, hi):
        if _is_sentence_end(text, m):
            hi = m.end()
            break
    while hi > end and text[hi - 1] in " \t\r\n":
        hi -= 1
    return hi


def sentence_around(text: str, start: int, end: int, max_chars: int = MAX_CONTEXT_CHARS) -> tuple[str, int]:
    """The sentence (or telegraphic line) holding ``text[start:end]``, at most ``max_chars`` long
    (the span itself is never cut), and its offset in ``text``."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span [{start}, {end}) is outside the text (length {len(text)})")
    lo, hi = _unit_start(text, start, 2 * max_chars), _unit_end(text, end, 2 * max_chars)
    lo, hi = min(lo, start), max(hi, end)
    room = max_chars - (end - start)
    if hi - lo > max_chars and room > 0:
        before, after = start - lo, hi - end
        keep_before = min(before, max(room // 2, room - after))
        keep_after = min(after, room - keep_before)
        new_lo, new_hi = start - keep_before, end + keep_after
        if new_lo > lo:  # cut at white space, never inside a word
            space = text.find(" ", new_lo, start)
            new_lo = space + 1 if space != -1 else start
        if new_hi < hi:
            space = text.rfind(" ", end, new_hi)
            new_hi = space if space != -1 else end
        lo, hi = new_lo, new_hi
    elif hi - lo > max_chars:
        lo, hi = start, end
    return text[lo:hi], lo
