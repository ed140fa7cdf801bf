"""Per-measure edge table: age band edges and each numerator lookback edge (Dec 31 / Jan 1).

Each lookback row gives the first day inside the window and the day before it; the older
one must leave the gap open as ``evidence_too_old``. Denominator conditions are supplied as
structured events so each row tests one thing.
"""

from datetime import date

import pytest

COND = "fhir:Condition:problem-list-item"
DENOM_EVENTS = {
    "CBP": [("hypertension", date(2025, 3, 1)), ("hypertension", date(2025, 9, 1))],  # two visits (HEDIS)
    "GSD-CONTROL": [("diabetes", date(2015, 3, 1))],
    "GSD-POOR": [("diabetes", date(2015, 3, 1))],
    "EED": [("diabetes", date(2015, 3, 1))],
    "ACP": [("frailty", date(2026, 2, 1)), ("frailty", date(2026, 5, 1))],  # HEDIS: two dates of service
}
BIRTH = {"F": date(1962, 6, 15), "M": date(1962, 6, 15)}
# the population group each row is about (default "1")
GROUP = {"AIS-E-influenza_vaccine": "influenza", "AIS-E-td_tdap_vaccine": "td_tdap", "AIS-E": "influenza"}

# measure, sex, birth date, element, value, first day inside, last day outside (before)
LOOKBACKS = [
    ("COL-E", "M", None, "colonoscopy", None, date(2017, 1, 1), date(2016, 12, 31)),
    ("COL-E", "M", None, "flexible_sigmoidoscopy", None, date(2022, 1, 1), date(2021, 12, 31)),
    ("COL-E", "M", None, "ct_colonography", None, date(2022, 1, 1), date(2021, 12, 31)),
    ("COL-E", "M", None, "stool_dna", "negative", date(2024, 1, 1), date(2023, 12, 31)),
    ("COL-E", "M", None, "fobt", "negative", date(2026, 1, 1), date(2025, 12, 31)),
    ("BCS-E", "F", None, "mammogram", None, date(2024, 10, 1), date(2024, 9, 30)),
    ("CCS", "F", None, "cervical_cytology", "NILM", date(2024, 1, 1), date(2023, 12, 31)),
    ("CCS", "F", None, "hpv_test", "negative", date(2022, 1, 1), date(2021, 12, 31)),
    ("EED", "M", None, "retinal_eye_exam", "negative", date(2025, 1, 1), date(2024, 12, 31)),
    ("ACP", "F", date(1955, 1, 1), "advance_care_planning", None, date(2026, 1, 1), date(2025, 12, 31)),
    ("TSC", "M", None, "tobacco_use", "never", date(2026, 1, 1), date(2025, 12, 31)),
    ("AIS-E", "F", None, "influenza_vaccine", None, date(2025, 7, 1), date(2025, 6, 30)),
    ("AIS-E", "F", None, "td_tdap_vaccine", None, date(2017, 1, 1), date(2016, 12, 31)),
    ("GSD-CONTROL", "M", None, "hba1c", "7.4", date(2026, 1, 1), date(2025, 12, 31)),
    ("CBP", "F", None, "blood_pressure", "128/78", date(2026, 1, 1), date(2025, 12, 31)),
]


def _structured(kit, pid: str, measure: str) -> list:
    # HEDIS counts dates of service (encounter diagnoses), not problem-list entries
    source = "fhir:Condition:encounter-diagnosis" if measure in ("ACP", "CBP") else COND
    return [kit.event(pid, el, day, end=None, source=source) for el, day in DENOM_EVENTS.get(measure, [])]


def _visits(kit, pid: str, measure: str) -> list:
    """The visits of coded denominator diagnoses (CBP: an outpatient visit on each diagnosis date)."""
    days = [day for _, day in DENOM_EVENTS.get(measure, [])] if measure == "CBP" else []
    return [kit.encounter(pid, f"v-{pid}-{i}", d, d, "office_visit") for i, d in enumerate(days)]


@pytest.mark.parametrize(("measure", "sex", "born", "element", "value", "inside", "outside"), LOOKBACKS,
                         ids=[f"{r[0]}-{r[3]}" for r in LOOKBACKS])
def test_lookback_edges(kit, measure, sex, born, element, value, inside, outside) -> None:
    born = born or BIRTH[sex]
    pts = [kit.patient("in", born, sex), kit.patient("out", born, sex)]
    events = (_structured(kit, "in", measure) + _structured(kit, "out", measure)
              + [kit.event("in", element, inside, value=value, source="fhir:Observation"),
                 kit.event("out", element, outside, value=value, source="fhir:Observation")])
    out = kit.run([measure], pts, [], events, _visits(kit, "in", measure) + _visits(kit, "out", measure))
    group = GROUP.get(f"{measure}-{element}", "1")
    assert out[measure, "in", group].populations.numer, measure
    miss = out[measure, "out", group]
    assert miss.populations.denom and not miss.populations.numer and miss.gap_open
    if measure != "TSC":  # a status is not a service: an old one is simply no status this year
        assert miss.gap_reason.value == "evidence_too_old"


# measure, sex, youngest in (born on or before), one day too young, oldest in, one day too old
AGE_EDGES = [
    ("COL-E", "M", date(1980, 12, 31), date(1981, 1, 1), date(1951, 1, 1), date(1950, 12, 31)),
    ("BCS-E", "F", date(1984, 12, 31), date(1985, 1, 1), date(1952, 1, 1), date(1951, 12, 31)),
    ("CCS", "F", date(2002, 12, 31), date(2003, 1, 1), date(1962, 1, 1), date(1961, 12, 31)),
    ("CBP", "M", date(2008, 12, 31), date(2009, 1, 1), date(1941, 1, 1), date(1940, 12, 31)),
    ("GSD-POOR", "F", date(2008, 12, 31), date(2009, 1, 1), date(1951, 1, 1), date(1950, 12, 31)),
    ("EED", "M", date(2008, 12, 31), date(2009, 1, 1), date(1951, 1, 1), date(1950, 12, 31)),
    # age at the START of the MP for these
    ("DSF-E", "F", date(2014, 1, 1), date(2014, 1, 2), None, None),
    ("TSC", "M", date(2014, 1, 1), date(2014, 1, 2), None, None),
    ("AIS-E", "F", date(2007, 1, 1), date(2007, 1, 2), None, None),
    ("ACP", "M", date(1960, 12, 31), date(1961, 1, 1), None, None),
    ("TRC-MRP", "F", date(2008, 12, 31), date(2009, 1, 1), None, None),
]


@pytest.mark.parametrize(("measure", "sex", "young_in", "young_out", "old_in", "old_out"), AGE_EDGES,
                         ids=[r[0] for r in AGE_EDGES])
def test_age_edges(kit, measure, sex, young_in, young_out, old_in, old_out) -> None:
    births = {"yi": young_in, "yo": young_out, "oi": old_in, "oo": old_out}
    pts = [kit.patient(pid, born, sex) for pid, born in births.items() if born]
    events = [e for p in pts for e in _structured(kit, p.patient_id, measure)]
    encs = [kit.encounter(p.patient_id, f"adm-{p.patient_id}", date(2026, 3, 1), date(2026, 3, 4),
                          "inpatient") for p in pts]
    out = kit.run([measure], pts, [], events, encs)
    expected = {"yi": True, "yo": False, "oi": True, "oo": False}
    for pid in (p.patient_id for p in pts):
        assert out[measure, pid, GROUP.get(measure, "1")].populations.ipp is expected[pid], (measure, pid)
