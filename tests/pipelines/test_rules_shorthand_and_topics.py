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
