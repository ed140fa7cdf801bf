"""The prefilter's cheaper window finding gives the windows of the plain path.

``Prefilter.hits`` checks a key's boundaries on a table of character kinds (``bytes.translate`` of an ASCII
text) and reads each match's value in one unpacking; ``Prefilter.windows`` cuts a target's sentences only when
its hit is not within the sentences of the hit before, and finds a heading's words before it with one regular
expression over the reversed text. The plain path below does per hit what the prefilter did before: every
target hit cut on the whole-text sentence starts (``Prefilter.cuts``), every heading's words counted back
character by character, no hit skipped. Both must give the same windows on notes of our own, written in the
layouts that make it hard, and on the shared notes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from spacy.language import Language

from pipelines.normalize import normalize_text
from pipelines.prefilter import HEADING_WORDS_BEFORE, Prefilter

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"

TEXTS = [
    # many targets in one sentence, and one sentence per target
    "Diabetes, hypertension and hyperlipidemia, all stable on metformin and lisinopril.  A1c 7.1%. Flu shot "
    "given. Colonoscopy due next year. Mammogram ordered.\n",
    # nested heading keys in capitals on their own lines, a target in each section
    "HISTORY OF PRESENT ILLNESS:\nHere for diabetes follow up.\n\nPAST MEDICAL HISTORY:\nHypertension.\n\n"
    "PHYSICAL EXAMINATION:\nBP 128/76.\n\nASSESSMENT AND PLAN:\nContinue metformin; A1c in three months.\n",
    # headings in lower case in the middle of a line, more than eight words after the line start
    "Patient is a pleasant woman seen today at the clinic with her daughter, plan: recheck blood pressure "
    "in two weeks, assessment: hypertension not at goal, history: smoker until 2015.\n",
    # a heading after a tab and spaces; two spaces inside a key (no hit); a key glued to a longer word
    "\tMEDICATIONS:   lisinopril 10 mg daily\n    ALLERGIES: none.  colon  cancer screening discussed; "
    "colonoscopyx is no word. Pneumovax given.\n",
    # a transcribed note on one long line: sentences and headings run together, abbreviations
    "CHIEF COMPLAINT: , Follow up.,HISTORY: , Mr. Lund saw Dr. Ames in Jan. for chest pain.  He has "
    "diabetes.  Mother had breast cancer.,PLAN: , Mammogram and colonoscopy ordered.  Return in 6 mos.",
    # beyond ASCII: accented letters next to keys, a non-breaking space normalized away
    "Café visit. Diabetesé is not a key, diabetes is. Naïve to insulin.\u00a0A1c 8.0 today.\nPLAN: "
    "recheck A1c.\n",
    # digits next to a reading and to a key, blank lines with spaces
    "BP 150/95 today, 1150/90 is a typo.\n   \n   FOLLOW UP: 3 months.\n\n  Hemoglobin A1c2 and A1c 6.4.\n",
    # a heading only, then a target: the heading keeps its small window
    "PLAN:\nWalk daily.\n\nIMPRESSION:\nObesity. Flu shot given today.\n",
]


def _words_before(text: str, pos: int, count: int) -> int:
    """The ``count``-th word before ``pos``'s word (or the first of its line), counted character by character."""
    i = pos
    while i > 0 and not text[i - 1].isspace():
        i -= 1
    for _ in range(count):
        j = i - 1
        newline = False
        while j >= 0 and text[j].isspace():
            newline = newline or text[j] == "\n"
            j -= 1
        if j < 0 or newline:
            break
        while j >= 0 and not text[j].isspace():
            j -= 1
        i = j + 1
    return i


def _plain_windows(prefilter: Prefilter, text: str) -> list[tuple[int, int]]:
    """Every hit's window, cut on the whole-text sentence starts, merged: no hit skipped."""
    hits = prefilter.hits(text)
    if all(heading for _, _, heading in hits):
        return []
    starts, ends = prefilter.cuts(text)
    spans = []
    for start, end, heading in hits:
        if heading:
            capitals = re.fullmatch(r"[^a-z]*[A-Z][^a-z]*", text[start:end]) is not None
            front = _words_before(text, start, 0 if capitals else HEADING_WORDS_BEFORE)
            spans.append((front, re.compile(r"\S*\s*").match(text, end).end()))
        else:
            first = max(s for s in starts if s <= start)
            last = min((e for e in ends if e >= end), default=len(text))
            spans.append((first, last))
    spans.sort()
    merged = [list(spans[0])]
    for start, end in spans[1:]:
        if start < merged[-1][1] + 2:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


@pytest.mark.parametrize("text", TEXTS)
def test_prefilter_windows_are_those_of_the_plain_path(nlp: Language, text: str) -> None:
    prefilter = nlp.tokenizer.prefilter
    text = normalize_text(text).text
    windows = prefilter.windows(text)
    assert windows == _plain_windows(prefilter, text)
    assert windows, "every text holds a target"


def test_prefilter_windows_skip_only_hits_within_a_cut(nlp: Language) -> None:
    """Targets of one sentence give one window; a target in the next sentence adds its own."""
    prefilter = nlp.tokenizer.prefilter
    text = TEXTS[0]
    targets = [(a, b) for a, b, heading in prefilter.hits(text) if not heading]
    assert len(targets) >= 6
    windows = prefilter.windows(text)
    assert windows == [(0, len(text))]
    one = "Diabetes, hypertension and hyperlipidemia, all stable.  Nothing else to report today at all.\n"
    windows = prefilter.windows(one)
    assert len(windows) == 1 and one[slice(*windows[0])].startswith("Diabetes") and "Nothing" not in one[
        slice(*windows[0])
    ]


def test_prefilter_heading_words_before_stop_at_the_line_start(nlp: Language) -> None:
    """A heading in lower case reaches back HEADING_WORDS_BEFORE words, never over a line break."""
    prefilter = nlp.tokenizer.prefilter
    text = "Seen today with her husband.\nshe walks daily and eats well, plan: walk more.\n\nDiabetes is stable.\n"
    windows = prefilter.windows(text)
    assert windows == _plain_windows(prefilter, text)
    heading = text.index("plan:")
    (window,) = [w for w in windows if w[0] <= heading < w[1]]
    assert window[0] == text.index("she")  # 7 words back, but the line starts at "she"


def test_prefilter_boundary_kinds_beyond_ascii(nlp: Language) -> None:
    """The kind table of an ASCII text and ``str`` of a text beyond ASCII agree: the same text with accents
    written out or not has its keys at the same places."""
    prefilter = nlp.tokenizer.prefilter
    accented = "Diabetesé and Ädiabetes are glued; diabetes, é diabetes and diabetes2 (a digit) stand apart.\n"
    plain = accented.replace("é", "e").replace("Ä", "A")
    assert not accented.isascii() and plain.isascii()
    assert sorted(prefilter.hits(accented)) == sorted(prefilter.hits(plain))
    found = [accented[a:b] for a, b, _ in prefilter.hits(accented)]
    assert found.count("diabetes") == 3 and "Diabetes" not in found  # not "Diabetesé" nor "Ädiabetes"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is not available")
def test_prefilter_windows_of_the_shared_notes_are_those_of_the_plain_path(nlp: Language) -> None:
    prefilter = nlp.tokenizer.prefilter
    differing = []
    for path, step in ((SHARED / "mtsamples/notes.jsonl", 4), (SHARED / "aci-bench/notes.jsonl", 2)):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for line in lines[::step]:
            note = json.loads(line)
            text = normalize_text(note["text"]).text
            if prefilter.windows(text) != _plain_windows(prefilter, text):
                differing.append(note["note_id"])
    assert differing == []
