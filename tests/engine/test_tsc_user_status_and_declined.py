"""TSC: the latest day's status decides user vs non-user (current wins a same-day tie), and a
current user who declines cessation help has an open group-3 gap with reason ``declined``."""

from datetime import date

from engine.criteria import evaluate, parse_criterion
from engine.criteria.base import PatientContext

VISIT = ("HPI: 61M HTN f/u. Still smoking, declines to set a quit date.\n"
         "Social Hx: Former smoker per intake form (quit 2010?). Tobacco: 1 ppd.\n"
         "A/P: 2. Tobacco use - declined counseling again, not ready to quit.\n")
DAY = date(2026, 9, 17)


def _status(pid: str, phrase: str, value: str, *, note_id: str = "v1", note_date: date = DAY,
            occurrence: int = 0, text: str = VISIT, kit=None):
    return kit.note_ev(pid, note_id, text, phrase, "tobacco_use", value=value, note_date=note_date,
                       occurrence=occurrence)


def test_current_and_former_on_the_latest_day_is_a_user(kit) -> None:
    ev = [_status("p", "Still smoking", "current", kit=kit),
          _status("p", "Former smoker", "former", kit=kit),
          _status("p", "Tobacco: 1 ppd", "current", kit=kit)]
    out = kit.run(["TSC"], [kit.patient("p", date(1965, 2, 1), "M")], ev)
    g2, g3 = out["TSC", "p", "2"], out["TSC", "p", "3"]
    assert g2.populations.denom and g2.gap_open
    assert g3.populations.denom and not g3.populations.numer and g3.gap_open
    assert g3.gap_reason.value == "no_evidence"
    assert ev[1].evidence_id not in g3.numer_evidence_ids  # the former mention decided nothing
    assert ev[0].evidence_id in g3.numer_evidence_ids


def test_former_on_a_later_day_still_makes_a_non_user(kit) -> None:
    earlier = "Social: smokes 1/2 ppd.\n"
    ev = [kit.note_ev("q", "v0", earlier, "smokes 1/2 ppd", "tobacco_use", value="current",
                      note_date=date(2026, 2, 1)),
          _status("q", "Former smoker", "former", kit=kit)]
    out = kit.run(["TSC"], [kit.patient("q", date(1965, 2, 1), "M")], ev)
    assert not out["TSC", "q", "2"].populations.denom
    assert out["TSC", "q", "3"].populations.numer and not out["TSC", "q", "3"].gap_open


def test_declined_cessation_counseling_gives_reason_declined(kit) -> None:
    ev = [_status("d", "Still smoking", "current", kit=kit),
          kit.note_ev("d", "v1", VISIT, "declined counseling", "tobacco_cessation_counseling",
                      status="declined", note_date=DAY)]
    out = kit.run(["TSC"], [kit.patient("d", date(1965, 2, 1), "M")], ev)
    for group in ("2", "3"):
        o = out["TSC", "d", group]
        assert o.gap_open and o.gap_reason.value == "declined", group
        assert o.gap_evidence_ids == (f"v1:{VISIT.index('declined counseling')}-"
                                      f"{VISIT.index('declined counseling') + 19}:"
                                      "tobacco_cessation_counseling",)
        assert "re-offer" in o.gap_action


def test_a_declined_tobacco_mention_also_reads_as_declined(kit) -> None:
    ev = [_status("t", "Still smoking", "current", kit=kit),
          kit.note_ev("t", "v1", VISIT, "Tobacco use", "tobacco_use", status="declined",
                      note_date=DAY)]
    out = kit.run(["TSC"], [kit.patient("t", date(1965, 2, 1), "M")], ev)
    assert out["TSC", "t", "3"].gap_reason.value == "declined"
    # a declined mention is not a status: rate 1 still closes on the affirmed one
    assert out["TSC", "t", "1"].populations.numer


def test_decline_before_the_cessation_window_is_not_a_reason(kit) -> None:
    old = "Tobacco: declined cessation counseling.\n"
    ev = [_status("o", "Still smoking", "current", kit=kit),
          kit.note_ev("o", "v-old", old, "declined cessation counseling",
                      "tobacco_cessation_counseling", status="declined",
                      note_date=date(2025, 3, 1))]  # before MP start - 6 months
    out = kit.run(["TSC"], [kit.patient("o", date(1965, 2, 1), "M")], ev)
    assert out["TSC", "o", "3"].gap_reason.value == "no_evidence"


def test_user_who_declined_medication_but_was_counseled_is_closed(kit) -> None:
    text = "2. Smokeless tobacco use - counseled on quitting, pt declined medication.\n"
    ev = [kit.note_ev("c", "c1", text, "Smokeless tobacco use", "tobacco_use", value="current",
                      note_date=date(2026, 7, 7)),
          kit.note_ev("c", "c1", text, "counseled on quitting", "tobacco_cessation_counseling",
                      note_date=date(2026, 7, 7)),
          kit.note_ev("c", "c1", text, "declined medication", "tobacco_cessation_medication",
                      status="declined", note_date=date(2026, 7, 7))]
    out = kit.run(["TSC"], [kit.patient("c", date(1970, 5, 5), "M")], ev)
    assert out["TSC", "c", "3"].populations.numer and not out["TSC", "c", "3"].gap_open


def test_status_only_before_the_mp_is_too_old(kit) -> None:
    text = "Social: Former smoker, quit about 10 years ago.\n"
    ev = [kit.note_ev("a", "n24", text, "Former smoker", "tobacco_use", value="former",
                      note_date=date(2024, 11, 5))]
    out = kit.run(["TSC"], [kit.patient("a", date(1958, 1, 1), "M")], ev)
    assert out["TSC", "a", "1"].gap_reason.value == "evidence_too_old"
    assert out["TSC", "a", "3"].gap_reason.value == "evidence_too_old"
    assert not out["TSC", "a", "2"].populations.denom


def test_same_day_order_is_optional_and_keeps_the_old_reading(kit) -> None:
    ev = (_status("p", "Still smoking", "current", kit=kit),
          _status("p", "Former smoker", "former", kit=kit))
    ctx = PatientContext(kit.patient("p", date(1965, 2, 1)), kit.MP, {"tobacco_use": ev})
    base = {"rule": "qm.latest_value.v1", "elements": ["tobacco_use"], "value_in": ["former"],
            "date_fallback": "note_date"}
    assert evaluate(parse_criterion(base), ctx).met  # any value of the day counts
    ordered = parse_criterion({**base, "same_day_order": ["Current", "former", "never"]})
    result = evaluate(ordered, ctx)
    assert not result.met and result.evidence_ids == (ev[0].evidence_id,)
