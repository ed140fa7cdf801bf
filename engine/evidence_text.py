"""Evidence as a reader sees it: the words in their sentence, the date at its real precision.

* :func:`quote_parts` gives the sentence around a note span as ``(before, span, after)``. It takes
  the sentence from ``Evidence.context`` (with ``context_start``, its offset in the note) when the
  pipeline stored one, and falls back to the span alone otherwise. White space is collapsed and a
  long sentence is cut around the span with an ellipsis. Structured evidence reads
  ``coded Procedure colonoscopy (CPT 45378): negative``.
* :func:`evidence_date` shows a year-only date as the year (``2018``), a month as ``2025-11``, a
  day as ``2026-04-15``: never a January 1 the note did not write. A mention without a date of an
  element the visit dates (a BP reading, a tobacco status), or a refusal or order made at the visit,
  reads ``2026-03-02 (visit)``; any other
  undated mention ``undated (note of 2026-03-02)``.
"""

from __future__ import annotations

import re
from datetime import date

from engine.elements import load_vocabulary
from engine.records import Evidence

__all__ = ["evidence_date", "evidence_day", "evidence_quote", "quote_parts"]

_SPACE = re.compile(r"\s+")
_AT_VISIT = {"declined", "ordered", "planned"}  # what the visit itself did: a refusal, an order
MAX_CHARS = 320  # a sentence longer than this is cut around the span


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text)


def _structured_text(ev: Evidence) -> str:
    kind = (ev.source or "").removeprefix("fhir:").split(":")[0] or "record"
    code = f" ({ev.code_system} {ev.code})" if ev.code else ""
    value = f": {ev.value}" if ev.value not in (None, "") else ""
    return f"coded {kind} {ev.element.replace('_', ' ')}{code}{value}"


def quote_parts(ev: Evidence) -> tuple[str, str, str]:
    """``(before, span, after)``: the span in its sentence when the evidence carries one."""
    if ev.origin == "structured":
        return "", _structured_text(ev), ""
    span = ev.span or ""
    context = getattr(ev, "context", None)
    if not context or not span:
        return "", _squash(span).strip(), ""
    offset = getattr(ev, "context_start", None)
    at = -1
    if offset is not None and ev.start is not None:
        rel = ev.start - offset
        if 0 <= rel and context[rel:rel + len(span)] == span:
            at = rel
    if at < 0:
        at = context.find(span)
    if at < 0:
        return "", _squash(span).strip(), ""
    before = _squash(context[:at]).lstrip()
    after = _squash(context[at + len(span):]).rstrip()
    room = max(0, MAX_CHARS - len(span))
    if len(before) + len(after) > room:
        keep_before = min(len(before), room // 2)
        keep_after = min(len(after), room - keep_before)
        keep_before = min(len(before), room - keep_after)
        if keep_before < len(before):
            before = "…" + before[len(before) - keep_before:]
        if keep_after < len(after):
            after = after[:keep_after] + "…"
    return before, _squash(span), after


def evidence_quote(ev: Evidence) -> str:
    """The evidence as one line of text (the sentence, or the span, or the coded record)."""
    return "".join(quote_parts(ev)).strip()


def evidence_day(ev: Evidence) -> date | None:
    """The day used to order evidence (a month or year: its first day; undated: the note date)."""
    if ev.origin == "structured":
        return ev.end_date or ev.event_date
    return ev.event_date or ev.note_date


def evidence_date(ev: Evidence) -> str:
    """The date at the precision the source gave it."""
    if ev.event_date is None:
        if ev.note_date is None:
            return "undated"
        if ev.origin == "note" and (ev.status in _AT_VISIT or load_vocabulary().dated_by_visit(ev.element)):
            return f"{ev.note_date.isoformat()} (visit)"  # a reading, a status, a refusal: on the visit's date
        return f"undated (note of {ev.note_date.isoformat()})"
    if ev.origin == "note" and ev.date_precision == "year":
        return f"{ev.event_date.year}"
    if ev.origin == "note" and ev.date_precision == "month":
        return f"{ev.event_date.year}-{ev.event_date.month:02d}"
    return ev.event_date.isoformat()
