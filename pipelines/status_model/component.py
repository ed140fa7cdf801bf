"""``qm_status_model``: the learned second reader of each candidate span's status.

It reads every target span in ``doc.ents`` inside its sentence (or window), batched per Doc, and
stores the model's ``Reading`` on ``span._.qm_status_reading``. It relies on nothing but the
spans, their sentence text and, later, the rules' status, so it works on whole-note and window
Docs alike. Where evidence is built, ``second_reading(span, rules_status)`` records the rules'
status on ``span._.qm_rule_status`` and returns the ``Decision`` of the model's hybrid policy
(or the rules' status, ``decided_by="rules"``, when no model ran).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc, Span

from .hybrid import Decision
from .windows import Window

__all__ = ["StatusModelReader", "second_reading", "span_window"]

MAX_LEFT_CHARS = 400  # word pieces are cut later; this only bounds the tokenizer's work
MAX_RIGHT_CHARS = 250


def span_window(span: Span) -> Window:
    """The span inside its sentence (the whole Doc when no sentence boundaries are set)."""
    doc = span.doc
    if doc.has_annotation("SENT_START"):
        lo, hi = span.sent.start_char, span.sent.end_char
    else:
        lo, hi = 0, len(doc.text)
    lo = max(lo, span.start_char - MAX_LEFT_CHARS)
    hi = min(hi, span.end_char + MAX_RIGHT_CHARS)
    text = doc.text[lo:hi]
    return Window(text, span.start_char - lo, span.end_char - lo)


class StatusModelReader:
    """Score the candidate spans of each Doc with a trained status model."""

    def __init__(self, nlp: Language, name: str, *, model: str, batch_size: int = 64,
                 skip_labels: Iterable[str] = ()) -> None:
        from .reader import load_reader

        self.name = name
        self.reader = load_reader(model)
        self.policy = self.reader.policy  # who decides each status class (evaluation swaps it)
        self.batch_size = batch_size
        self.skip_labels = frozenset(skip_labels)

    def __call__(self, doc: Doc) -> Doc:
        doc._.qm_status_policy = self.policy
        doc._.qm_status_model = self.reader.name
        spans = [e for e in doc.ents if e.label_ not in self.skip_labels]
        if spans:
            readings = self.reader.read([span_window(s) for s in spans], self.batch_size)
            for span, reading in zip(spans, readings, strict=True):
                span._.qm_status_reading = reading
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        # one batch per Doc: a Doc's readings never depend on which other notes share its batch
        for doc in docs:
            yield self(doc)


def second_reading(span: Span, rules_status: str) -> Decision:
    """Record the rules' status on the span and combine it with the model's reading, if any."""
    span._.qm_rule_status = rules_status
    reading = span._.qm_status_reading
    if reading is None:
        return Decision(rules_status, "rules", rules_status)
    return span.doc._.qm_status_policy.decide(rules_status, reading.status, reading.probability)
