"""Values carried by evidence: HbA1c results, tobacco category, depression screening scores.

Pure functions on text (no spaCy); patterns come from ``resources/values.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .rules import ValuePatterns

__all__ = [
    "A1cValue",
    "ScreeningScore",
    "a1c_values",
    "retinal_result",
    "screening_scores",
    "screening_value",
    "tobacco_category",
    "tobacco_category_cue",
]

A1C_MIN, A1C_MAX = 3.5, 20.0
_HISTORY_AFTER = re.compile(r"\s*(?:history|hx)\b", re.I)


@dataclass(frozen=True)
class A1cValue:
    value: float
    start: int  # character offsets of the number (and its % sign)
    end: int


def _number(raw: str) -> float:
    value = float(raw)
    return int(value) if value.is_integer() else value  # type: ignore[return-value]


IFCC_MIN, IFCC_MAX = 20, 140  # a bare integer here after an A1c term can only be mmol/mol (4.0% .. 14.9%)
# an IFCC and a percent value joined only by these are one result written twice ("64 mmol/mol (8.0%)",
# "7.4% / 57 mmol/mol")
_SAME_RESULT = re.compile(r"[\s(/=,]*")


def a1c_values(patterns: ValuePatterns, text: str, term_end: int, limit: int) -> list[A1cValue]:
    """HbA1c values after an A1c term ending at ``term_end`` (not past ``limit``): the current result and every
    prior one written beside it ("A1c 6.8% (previously 7.4% in spring)", "down from 8.2% last year", a lab-table
    row, a checklist row "HbA1c | Done | 7.3% (12/2025); prior 6.9%"). The reader passes fillers (``values.yaml``
    a1c_filler: list words, dates, flags, reference ranges, a comment in brackets without numbers) and takes each
    number in range; it stops at any other word. A value in mmol/mol (IFCC: with its unit, or a bare integer of
    20 to 140, which no percent value can be: "57 (7.4%), down from 64 in Feb") is converted to percent
    (NGSP = 0.09148 x IFCC + 2.152, one decimal); when the same result is written in both units, side by side,
    the percent one is kept."""
    results: list[tuple[A1cValue, bool]] = []  # (value, written in mmol/mol)
    pos = term_end

    def add(value: A1cValue, ifcc: bool) -> None:
        if results and _SAME_RESULT.fullmatch(text, results[-1][0].end, value.start):
            last, last_ifcc = results[-1]
            if last_ifcc and not ifcc:
                results[-1] = (value, False)  # "64 mmol/mol (8.0%)": the percent figure
                return
            if ifcc and not last_ifcc:
                return  # "7.4% (57 mmol/mol)": the same result
        results.append((value, ifcc))

    while pos < limit:
        filler = patterns.a1c_filler.match(text, pos, limit)
        if filler and filler.end() > pos:
            if "mmol" in filler.group().lower():
                number = re.search(r"\d{2,3}", filler.group())
                if number:
                    start = filler.start() + number.start()
                    add(A1cValue(_ifcc_to_percent(int(number.group())), start, filler.end()), True)
            pos = filler.end()
            continue
        m = patterns.a1c_number.match(text, pos, limit)
        if not m:
            break
        unit = (m.group("unit") or "").lower()
        value = float(m.group("val"))
        bare_ifcc = not unit and value.is_integer() and IFCC_MIN <= value <= IFCC_MAX
        if "mmol" in unit or bare_ifcc:
            converted = _ifcc_to_percent(value)
            if A1C_MIN <= converted <= A1C_MAX:
                add(A1cValue(converted, m.start("val"), m.end("unit") if unit else m.end("val")), True)
            pos = m.end()
            continue
        if not A1C_MIN <= value <= A1C_MAX:
            break
        end = m.end("unit") if m.group("unit") else m.end("val")
        add(A1cValue(_number(m.group("val")), m.start("val"), end), False)
        pos = m.end()
    return [value for value, _ in results]


def _ifcc_to_percent(mmol_per_mol: float) -> float:
    """IFCC HbA1c (mmol/mol) in NGSP percent, to one decimal (the IFCC-NGSP master equation)."""
    return _number(f"{0.09148 * mmol_per_mol + 2.152:.1f}")  # type: ignore[return-value]


def tobacco_category(
    patterns: ValuePatterns, rule_value: str | None, negated: bool, before: str, after: str, span: str = ""
) -> str | None:
    """``current`` / ``former`` / ``never`` for a tobacco mention, or None (history without status).

    ``before``/``after`` are the words around the mention within its sentence. "denies smoking"
    is ``never`` unless quitting is mentioned ("does not smoke, quit in 1990" is ``former``);
    "history of smoking" is ``former`` unless the habit is said to go on ("history of smoking
    1 pack a day for the past 15 years" is ``current``); "used to smoke more" is a reduction, not a
    quit; "25 pack-year history" or "smoking history" alone has no category.
    A fixed rule value ("nonsmoker", "ex-smoker", "active smoker") wins unless negated.
    """
    return tobacco_category_cue(patterns, rule_value, negated, before, after, span)[0]


def tobacco_category_cue(
    patterns: ValuePatterns, rule_value: str | None, negated: bool, before: str, after: str, span: str = ""
) -> tuple[str | None, str]:
    """:func:`tobacco_category` and what decided it: ``history`` (only a "history of" before the
    mention: a weak ``former`` that an ongoing habit stated elsewhere in the note outweighs),
    ``ongoing`` (a current habit stated outright), or ``other``."""
    before = re.split(r"[,;]", before)[-1]  # "hepatitis in the past, and smoking": the cue is not ours
    window = f"{before} {span} {after}"
    # under a negation the mention itself is no quit cue ("denies ever having smoked")
    former_cue = bool(patterns.tobacco_former_cue.search(f"{before} {after}" if negated else window))
    history_before = bool(patterns.tobacco_history_cue.search(before[-25:])) and not negated
    ongoing = not negated and bool(patterns.tobacco_ongoing_cue.search(window))
    if patterns.tobacco_relapse_cue.search(window) and not negated:
        return "current", "ongoing"
    if rule_value == "former":
        return "former", "other"
    if rule_value == "never":  # the words of "never smoked" are no quit cue; "never smoked, quit chewing" is
        quit = bool(patterns.tobacco_former_cue.search(f"{before} {after}"))
        return ("former" if quit and not negated else "never"), "other"
    if negated:
        return ("former" if former_cue else "never"), "other"
    if rule_value == "current":  # "personal history of nicotine dependence" (Z87.891) is a former habit
        past = bool(patterns.tobacco_past_history_cue.search(before[-40:]))
        return ("former", "other") if past and not ongoing else ("current", "ongoing")
    continuing = patterns.tobacco_continuing_cue.search(window)
    if continuing and not patterns.tobacco_former_cue.search(window, continuing.end()):
        # "has smoked since age 15" (but "has smoked since 15, quit in 2019"); not an ongoing habit that outweighs
        # a "history of" elsewhere: "has been chewing for 30 years" may lead up to "recently stopped"
        return "current", "other"
    if former_cue:
        return "former", "other"
    if history_before:
        return ("current", "ongoing") if ongoing else ("former", "history")
    if _HISTORY_AFTER.match(after) and not patterns.tobacco_current_cue.search(after):
        return None, "other"  # "with consideration of her smoking history": a topic, no status
    if patterns.tobacco_pack_years.search(window) and not patterns.tobacco_current_cue.search(
        f"{before} {after}"
    ):
        return None, "other"
    return "current", ("ongoing" if ongoing else "other")


def screening_value(
    patterns: ValuePatterns, span_text: str, text: str, term_end: int, limit: int
) -> tuple[dict[str, object], bool]:
    """The depression screening value ``{"instrument", "score"}`` and whether a result is written."""
    instrument = "unspecified"
    for pattern, name in patterns.instruments:
        if pattern.search(span_text):
            instrument = name
            break
    window = text[term_end:limit]
    m = patterns.screening_score.match(window)
    score: float | None = _number(m.group("score")) if m else None
    has_result = m is not None or bool(patterns.screening_result.match(window))
    return {"instrument": instrument, "score": score}, has_result


@dataclass(frozen=True)
class ScreeningScore:
    value: int  # the score
    start: int  # character offsets of the number
    end: int


def screening_scores(patterns: ValuePatterns, text: str, term_end: int, limit: int) -> list[ScreeningScore]:
    """The scores after a screening instrument ending at ``term_end`` (not past ``limit``): the current one
    ("PHQ-9 score of 12", "PHQ-2: 0", "PHQ-9 today 14", "PHQ-9 (16)", "PHQ-9 | 16 |", "PHQ-9 14/27") and every
    prior one beside it ("(was 19 on 21/5)", "- was 12 in 02/2026", "18 -> 9"). The first score may follow a few
    words ending in a score word (``values.yaml`` screening_score); then the reader passes fillers
    (screening_filler) and takes each score (screening_number); it stops at any other word."""
    out: list[ScreeningScore] = []
    pos = term_end
    first = patterns.screening_score.match(text[term_end:limit])
    if first:
        out.append(ScreeningScore(int(first.group("score")), term_end + first.start("score"),
                                  term_end + first.end("score")))
        pos = term_end + first.end()
    while pos < limit:
        number = patterns.screening_number.match(text, pos, limit)
        if number and "/" in number.group():  # "14/27": a score out of its maximum, not a date
            out.append(ScreeningScore(int(number.group("score")), number.start("score"), number.end()))
            pos = number.end()
            continue
        filler = patterns.screening_filler.match(text, pos, limit)
        if filler and filler.end() > pos:
            pos = filler.end()
            continue
        if not number:
            break
        out.append(ScreeningScore(int(number.group("score")), number.start("score"), number.end("score")))
        pos = number.end()
    return out


NO_RETINOPATHY = "no_apparent_retinopathy"
RETINOPATHY = "retinopathy"
_NEGATED_BEFORE = re.compile(r"\b(?:no|nil|without|negative\s+for|neg\s+for|free\s+of)\b[^.;,]{0,12}$", re.I)


def retinal_result(patterns: ValuePatterns, text: str, start: int, end: int) -> str | None:
    """The result of a retinal exam stated in ``text[start:end]`` (its sentence): ``retinopathy`` when a grade or
    stage of it is found and not negated ("moderate NPDR OU, no CSME", "R1M0"), ``no_apparent_retinopathy`` when
    the text says there is none ("no diabetic retinopathy", "no DR", "R0M0"), else None."""
    for m in patterns.retinal_positive.finditer(text, start, end):
        if not _NEGATED_BEFORE.search(text, max(start, m.start() - 30), m.start()):
            return RETINOPATHY
    if patterns.retinal_negative.search(text, start, end):
        return NO_RETINOPATHY
    return None

