"""Clinician shorthand, topic mentions and non-events found while checking the demo answer key.

Each case is a general rule (docs/evidence-elements.md), written on synthetic text.
"""

from __future__ import annotations

from datetime import date

from .conftest import affirmed, statuses


def test_c_scope_shorthand_is_a_dated_colonoscopy(extract):
    items = extract("HPI:,  He had his c-scope last year with GI, two small polyps, told 5 years.")
    (colo,) = affirmed(items, "colonoscopy")
    assert colo.span == "c-scope"
    assert (colo.event_date, colo.date_precision) == (date(2025, 1, 1), "year")


def test_cscope_written_as_one_word_and_planned(extract):
    assert affirmed(extract("Cscope 2019 normal per pt."), "colonoscopy")
    assert statuses(extract("Plan: due for c scope, GI referral placed."), "colonoscopy") != ["affirmed"]


def test_smoke_in_the_air_is_not_tobacco_use(extract):
    text = "Phone note: rescue inhaler 2-3x/wk since the wildfire smoke started, asks for refill."
    assert statuses(extract(text), "tobacco_use") == []
    assert statuses(extract("Bovie smoke evacuator used. Cautery smoke plume removed."), "tobacco_use") == []
    assert statuses(extract("LA appendage with dense smoke effect, no thrombus."), "tobacco_use") == []


def test_smoke_as_a_verb_is_still_tobacco_use(extract):
    (item,) = [e for e in extract("SOCIAL HISTORY:,  She does not smoke or drink.") if e.element == "tobacco_use"]
    assert (item.status, item.value) == ("affirmed", "never")
