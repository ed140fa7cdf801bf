"""Evidence the rules and the status model read differently reaches the outcome's review flags
when it decides the outcome (or its gap reason), and only then."""

from datetime import date

NOTE = "HM: colonoscopy 2019 at St Mary's, benign polyp. Pt declines repeat colonoscopy for now.\n"


def _disputed(ev):
    return ev.model_copy(update={"decided_by": "rules", "model_status": "negated", "model_probability": 0.71,
                                 "review_flags": ("readers_disagree",)})


def test_disputed_evidence_deciding_the_numerator_is_flagged(kit) -> None:
    pts = [kit.patient("p1", date(1960, 5, 5)), kit.patient("p2", date(1960, 5, 5))]
    done = kit.note_ev("p1", "n1", NOTE, "colonoscopy 2019", "colonoscopy", event_date=date(2019, 1, 1),
                       precision="year")
    agreed = kit.note_ev("p2", "n2", NOTE, "colonoscopy 2019", "colonoscopy", event_date=date(2019, 1, 1),
                         precision="year").model_copy(update={"decided_by": "both", "model_status": "affirmed",
                                                              "model_probability": 0.98})
    out = kit.run(["COL-E"], pts, [_disputed(done), agreed])
    flagged, clean = out["COL-E", "p1", "1"], out["COL-E", "p2", "1"]
    assert flagged.populations.numer and clean.populations.numer
    assert f"readers_disagree:{done.evidence_id}" in flagged.review_flags
    assert not any(f.startswith("readers_disagree") for f in clean.review_flags)


def test_disputed_gap_reason_evidence_is_flagged_and_bystanders_are_not(kit) -> None:
    pts = [kit.patient("p3", date(1958, 1, 2))]
    declined = kit.note_ev("p3", "n3", NOTE, "repeat colonoscopy", "colonoscopy", status="declined")
    unrelated = _disputed(kit.note_ev("p3", "n3", NOTE, "benign polyp", "colorectal_cancer", status="negated"))
    out = kit.run(["COL-E"], pts, [_disputed(declined), unrelated])
    o = out["COL-E", "p3", "1"]
    assert o.gap_open and o.gap_reason.value == "declined"
    assert f"readers_disagree:{declined.evidence_id}" in o.review_flags
    assert f"readers_disagree:{unrelated.evidence_id}" not in o.review_flags
