"""COL-E end to end: age edges, lookback edges (Dec 31 / Jan 1), year precision, undated policy,
gap reasons, exclusion precedence, and structured-only / note-only / mixed patients."""

from datetime import date

import pytest

HPI = ("HPI: 58 yo here for annual physical. PSH: Colonoscopy 12/31/2016 with 2 small polyps "
       "removed, path tubular adenoma. Due for repeat colonoscopy per GI.\n")
CONSULT = ("Colorectal screening discussed at length. Patient declines colonoscopy, not willing "
           "to do the prep. Agreeable to FIT; FIT kit ordered today.\n")


def test_colonoscopy_lookback_edges(kit) -> None:
    pts = [kit.patient("edge-in", date(1968, 4, 1)), kit.patient("edge-out", date(1968, 4, 1))]
    ev = [
        kit.note_ev("edge-in", "n-in", HPI.replace("12/31/2016", "01/01/2017"), "Colonoscopy 01/01/2017",
                    "colonoscopy", event_date=date(2017, 1, 1)),
        kit.note_ev("edge-out", "n-out", HPI, "Colonoscopy 12/31/2016", "colonoscopy",
                    event_date=date(2016, 12, 31)),
    ]
    out = kit.run(["COL-E"], pts, ev)
    inside, outside = out["COL-E", "edge-in", "1"], out["COL-E", "edge-out", "1"]
    assert inside.populations.numer and not inside.gap_open and inside.closed_by == "note"
    assert inside.numer_evidence_ids == (ev[0].evidence_id,)
    assert ev[0].span == "Colonoscopy 01/01/2017"
    assert not outside.populations.numer and outside.gap_open
    assert outside.gap_reason.value == "evidence_too_old"
    assert outside.gap_evidence_ids == (ev[1].evidence_id,)


def test_fobt_counts_only_inside_the_measurement_period(kit) -> None:
    pts = [kit.patient("fit-dec31", date(1960, 1, 1)), kit.patient("fit-jan1", date(1960, 1, 1))]
    text = "Labs: FIT negative, resulted {d}.\n"
    ev = [
        kit.note_ev("fit-dec31", "n1", text.format(d="12/31/2025"), "FIT negative", "fobt",
                    event_date=date(2025, 12, 31), value="negative"),
        kit.note_ev("fit-jan1", "n2", text.format(d="01/01/2026"), "FIT negative", "fobt",
                    event_date=date(2026, 1, 1), value="negative"),
    ]
    out = kit.run(["COL-E"], pts, ev)
    assert out["COL-E", "fit-dec31", "1"].gap_reason.value == "evidence_too_old"
    assert out["COL-E", "fit-jan1", "1"].populations.numer


def test_year_alone_dates_a_colonoscopy_when_any_day_of_the_year_is_in_the_window(kit) -> None:
    text = "Past history: reports colonoscopy in 2017, normal. Also had one in 2016 per old records.\n"
    pts = [kit.patient("y2017", date(1961, 7, 9), "M"), kit.patient("y2016", date(1961, 7, 9), "M")]
    ev = [
        kit.note_ev("y2017", "n1", text, "colonoscopy in 2017", "colonoscopy",
                    event_date=date(2017, 1, 1), precision="year"),
        kit.note_ev("y2016", "n2", text, "one in 2016", "colonoscopy",
                    event_date=date(2016, 1, 1), precision="year"),
    ]
    out = kit.run(["COL-E"], pts, ev)
    assert out["COL-E", "y2017", "1"].populations.numer
    assert out["COL-E", "y2016", "1"].gap_reason.value == "evidence_too_old"


@pytest.mark.parametrize(
    ("born", "in_ipp"),
    [
        (date(1980, 12, 31), True),   # turns 46 on the last day of the MP
        (date(1981, 1, 1), False),    # turns 46 the day after
        (date(1951, 1, 1), True),     # 75 at the end of the MP
        (date(1950, 12, 31), False),  # 76 on Dec 31
    ],
)
def test_age_band_edges_at_end_of_measurement_period(kit, born: date, in_ipp: bool) -> None:
    out = kit.run(["COL-E"], [kit.patient("p", born)])
    assert out["COL-E", "p", "1"].populations.ipp is in_ipp


def test_undated_colonoscopy_is_flagged_for_review_not_counted(kit) -> None:
    text = "PSH: s/p colonoscopy with polypectomy, date unknown. Records requested.\n"
    pts = [kit.patient("u1", date(1965, 2, 2), "M")]
    ev = [kit.note_ev("u1", "n1", text, "colonoscopy with polypectomy", "colonoscopy")]
    o = kit.run(["COL-E"], pts, ev)["COL-E", "u1", "1"]
    assert o.gap_open and o.gap_reason.value == "undated_evidence"
    assert f"undated:{ev[0].evidence_id}" in o.review_flags
    assert "chart review" in o.gap_action.lower()


def test_undated_policy_count_closes_the_gap(kit) -> None:
    from engine.calculator import calculate

    spec = kit.SPECS["COL-E"].model_copy(update={"undated_policy": "count"})
    text = "PSH: s/p colonoscopy with polypectomy, date unknown.\n"
    ev = [kit.note_ev("u1", "n1", text, "colonoscopy with polypectomy", "colonoscopy")]
    [o] = calculate([spec], [kit.patient("u1", date(1965, 2, 2))], ev, [], kit.MP)
    assert o.populations.numer and not o.gap_open


def test_declined_and_ordered_give_the_more_actionable_reason(kit) -> None:
    pts = [kit.patient("d1", date(1962, 5, 5), "M"), kit.patient("o1", date(1962, 5, 5), "M")]
    ev = [
        kit.note_ev("d1", "c1", CONSULT, "declines colonoscopy", "colonoscopy", status="declined"),
        kit.note_ev("d1", "c1", CONSULT, "FIT kit ordered", "fobt", status="ordered"),
        kit.note_ev("o1", "c2", CONSULT, "FIT kit ordered", "fobt", status="ordered"),
    ]
    out = kit.run(["COL-E"], pts, ev)
    declined, ordered = out["COL-E", "d1", "1"], out["COL-E", "o1", "1"]
    assert declined.gap_reason.value == "declined"
    start = CONSULT.index("declines colonoscopy")
    assert declined.gap_evidence_ids == (f"c1:{start}-{start + 20}:colonoscopy",)
    assert ordered.gap_reason.value == "only_ordered"


def test_negated_and_family_mentions_never_close_or_explain_a_gap(kit) -> None:
    text = "Never had a colonoscopy. Mother had colonoscopy at 50 showing colon cancer.\n"
    ev = [
        kit.note_ev("n1", "x", text, "colonoscopy", "colonoscopy", status="negated"),
        kit.note_ev("n1", "x", text, "colonoscopy", "colonoscopy", status="family", occurrence=1,
                    event_date=date(2020, 1, 1)),
        kit.note_ev("n1", "x", text, "colon cancer", "colorectal_cancer", status="family"),
    ]
    o = kit.run(["COL-E"], [kit.patient("n1", date(1970, 1, 1))], ev)["COL-E", "n1", "1"]
    assert o.gap_open and o.gap_reason.value == "no_evidence" and not o.populations.denex


def test_exclusion_wins_over_numerator_and_records_its_evidence(kit) -> None:
    text = "Oncology f/u. Hx sigmoid colon adenocarcinoma s/p resection 2019. Colonoscopy 2025 clear.\n"
    ev = [
        kit.note_ev("x1", "n1", text, "sigmoid colon adenocarcinoma", "colorectal_cancer"),
        kit.note_ev("x1", "n1", text, "Colonoscopy 2025", "colonoscopy",
                    event_date=date(2025, 1, 1), precision="year"),
    ]
    o = kit.run(["COL-E"], [kit.patient("x1", date(1958, 3, 3), "M")], ev)["COL-E", "x1", "1"]
    assert o.populations.denex and not o.populations.numer and not o.gap_open
    assert o.denex_evidence_ids == (ev[0].evidence_id,)
    assert o.numer_evidence_ids == ()


def test_hospice_structured_encounter_excludes(kit) -> None:
    encs = [kit.encounter("h1", "e1", date(2026, 9, 1), date(2026, 9, 30), "hospice_encounter")]
    o = kit.run(["COL-E"], [kit.patient("h1", date(1955, 1, 1))], encounters=encs)["COL-E", "h1", "1"]
    assert o.populations.denex and o.closed_by == "structured"


def test_structured_only_note_only_and_mixed_patients(kit) -> None:
    text = "Cologuard 03/2025 negative.\n"
    pts = [kit.patient(p, date(1966, 6, 6)) for p in ("s-only", "n-only", "mixed")]
    events = [kit.event("s-only", "stool_dna", date(2025, 3, 14), value="negative",
                        source="fhir:Observation"),
              kit.event("mixed", "stool_dna", date(2025, 3, 14), value="negative",
                        source="fhir:Observation")]
    ev = [kit.note_ev(p, f"note-{p}", text, "Cologuard 03/2025 negative", "stool_dna",
                      event_date=date(2025, 3, 1), precision="month") for p in ("n-only", "mixed")]
    out = kit.run(["COL-E"], pts, ev, events)
    assert out["COL-E", "s-only", "1"].closed_by == "structured"
    assert out["COL-E", "n-only", "1"].closed_by == "note"
    assert out["COL-E", "mixed", "1"].closed_by == "both"
    assert all(out["COL-E", p, "1"].populations.numer for p in ("s-only", "n-only", "mixed"))
