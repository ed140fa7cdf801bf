"""Letters and nurse notes (issue 10d): a conversation about a service is no service, UK/IE renal wording for
chronic dialysis, 'a known hypertensive', and 'never diagnosed w/' — each with counter-examples that must not move.

Every phrasing is our own.
"""

from __future__ import annotations

import pytest


def _status(items, element: str) -> set[str]:
    return {e.status for e in items if e.element == element}


# ----------------------------------------------------------------------------- talked about / asks about
@pytest.mark.parametrize(
    ("text", "element", "expected"),
    [
        ("We talked about moving to a hospice bed if the pain gets out of hand.", "hospice", {"planned"}),
        ("Pt asks about hospice - not there yet, wants the leaflet.", "hospice", {"planned"}),
        ("I spoke with him about hospice at home.", "hospice", {"planned"}),
        ("Mrs Ryan enquired about a hospice place for later in the year.", "hospice", {"planned"}),
        ("The patient inquired about getting a colonoscopy.", "colonoscopy", {"planned"}),
        # counter-examples: care received, a condition talked about, an ACP conversation, a past test
        ("He has been under hospice care at home since May.", "hospice", {"affirmed"}),
        ("We talked about her diabetes and her sugars.", "diabetes", {"affirmed"}),
        ("We talked about his wishes and he has signed a living will.", "advance_care_planning", {"affirmed"}),
        ("Talked about his last colonoscopy in 2019, which was normal.", "colonoscopy", {"affirmed"}),
    ],
)
def test_a_conversation_is_not_the_service(read, text, element, expected):
    assert _status(read(text), element) == expected


# ----------------------------------------------------------------------------- chronic dialysis, UK/IE wording
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Goes to the satellite unit and attends haemodialysis three mornings a week.", {"affirmed"}),
        ("ESRF due to IgA nephropathy, listed for transplant.", {"affirmed"}),
        ("On home haemodialysis since March.", {"affirmed"}),
        ("Haemodialysis Mon/Wed/Fri via a left AV fistula.", {"affirmed"}),
        ("HD MWF, dry weight 72 kg.", {"affirmed"}),
        ("Dialysis-dependent since 2020.", {"affirmed"}),
        # counter-examples: dialysis for AKI, and a denial
        ("AKI on CKD 3b needing two sessions of temporary haemodialysis; function recovered.", set()),
        ("Received haemodialysis on the ward for hyperkalaemia from AKI.", set()),
        ("Not on dialysis. CKD 4.", {"negated"}),
    ],
)
def test_chronic_dialysis_wording(read, text, expected):
    assert _status(read(text, order="dmy"), "esrd") == expected


# ----------------------------------------------------------------------------- hypertension wording
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She is a known hypertensive on bendroflumethiazide.", {"affirmed"}),
        ("A long-standing hypertensive, he takes ramipril.", {"affirmed"}),
        ("She is hypertensive, on lisinopril.", {"affirmed"}),
        ("'high-normal BP' - never diagnosed w/ HTN, no meds.", {"negated"}),
        ("He was never diagnosed w/ hypertension.", {"negated"}),
        ("HTN: never diagnosed.", {"negated"}),
        # counter-examples: a reading on arrival; a diagnosis with 'w/'
        ("Hypertensive on arrival, settled with rest.", set()),
        ("Dx w/ HTN in 2019, on amlodipine.", {"affirmed"}),
    ],
)
def test_hypertension_wording(read, text, expected):
    assert _status(read(text), "hypertension") == expected


def test_never_diagnosed_with_diabetes(read):
    assert _status(read("Was never diagnosed w/ diabetes, A1c normal."), "diabetes") == {"negated"}


# ----------------------------------------------------------------------------- stool kits never used or returned
@pytest.mark.parametrize(
    ("text", "element", "expected"),
    [
        ("The practice posted him a FIT kit in May but he admits he never returned it.", "fobt", {"ordered"}),
        ("A FIT kit was sent to her last autumn.", "fobt", {"ordered"}),
        ("Her health plan mailed her a Cologuard kit in the spring but she never used it.", "stool_dna", {"ordered"}),
        ("He was handed a FIT kit in January but has not opened it.", "fobt", {"ordered"}),
        # counter-examples: kits done with a result
        ("She did the FIT kit we gave her in March and it was negative.", "fobt", {"affirmed"}),
        ("FIT 04/2025 negative.", "fobt", {"affirmed"}),
        ("Cologuard 2024 negative; she found it easy to use.", "stool_dna", {"affirmed"}),
    ],
)
def test_stool_kit_not_used(read, text, element, expected):
    assert _status(read(text, order="dmy"), element) == expected


@pytest.mark.parametrize(
    "text",
    [
        "SOCIAL HISTORY:\nNever used tobacco.\n\nVITALS:\nBP 118/76",
        "Never used cigarettes, cigars or vapes.",
        "She has never used smokeless tobacco.",
    ],
)
def test_never_used_still_reads_never_beside_the_kit_rule(read, text):
    """The 'kit never used' rule needs its object ('never used it'); a bare 'never used' stays a plain 'never'."""
    items = [e for e in read(text) if e.element == "tobacco_use"]
    assert items and {e.value for e in items} == {"never"}


# ---------------------------------------------------------------------- 'not yet' and a label posed as a question
@pytest.mark.parametrize(
    ("text", "element", "expected"),
    [
        ("Flu jab this autumn - not yet, keeps meaning to book.", "influenza_vaccine", {"negated"}),
        ("Pneumovax: not yet.", "pneumococcal_vaccine", {"negated"}),
        # counter-examples: a vaccine given beside another one not yet due; 'not yet' inside a longer clause
        ("Flu vaccine given; pneumococcal not yet due.", "influenza_vaccine", {"affirmed"}),
        ("Flu jab given 3 Oct; booster not yet.", "influenza_vaccine", {"affirmed"}),
    ],
)
def test_label_answered_not_yet(read, text, element, expected):
    assert _status(read(text, order="dmy"), element) == expected


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Smoker? Never.", "never"),
        ("Smoker: never.", "never"),
        # counter-examples: a question answered yes
        ("Smoker? Yes, 10/day.", "current"),
    ],
)
def test_tobacco_label_posed_as_question(read, text, category):
    values = {e.value for e in read(text) if e.element == "tobacco_use" and e.status == "affirmed"}
    assert values == {category}


def test_condition_label_posed_as_question(read):
    assert _status(read("Diabetic? No."), "diabetes") == {"negated"}
    assert _status(read("Diabetic? Yes, on metformin."), "diabetes") != {"negated"}


# ----------------------------------------------------------------------------- whose date is it
def _dates(items, element: str) -> list[str]:
    return [
        f"{e.event_date}/{e.date_precision}" for e in items if e.element == element and e.status == "affirmed"
    ]


@pytest.mark.parametrize(
    ("text", "element", "expected"),
    [
        # a year right after another mention is that mention's, not the next one's
        (
            "She had Pneumovax in 2023 and got her flu jab at the chemist on 9/10/25.",
            "influenza_vaccine",
            ["2025-10-09/day"],
        ),
        (
            "She had Pneumovax in 2023 and got her flu jab at the chemist on 9/10/25.",
            "pneumococcal_vaccine",
            ["2023-01-01/year"],
        ),
        # a year naming the season yields to the day of the dose written in the same clause
        ("Flu jab 2025 given at the surgery 3 October, no reaction.", "influenza_vaccine", ["2025-10-03/day"]),
        # counter-examples: mentions joined by 'and' share a date; a smear and its HPV test share one;
        # a day in another sentence does not refine the year
        ("Colonoscopy and flu jab in 2025.", "influenza_vaccine", ["2025-01-01/year"]),
        ("Smear 2022 NILM, HPV neg.", "hpv_test", ["2022-01-01/year"]),
        ("Flu jab 2025 at the surgery. Seen again on 3 October.", "influenza_vaccine", ["2025-01-01/year"]),
        ("Flu vaccine 2025, PCV20 2024.", "influenza_vaccine", ["2025-01-01/year"]),
    ],
)
def test_which_mention_a_date_belongs_to(read, text, element, expected):
    assert _dates(read(text, order="dmy"), element) == expected


# ----------------------------------------------------------------------------- a bracketed second name
@pytest.mark.parametrize(
    ("text", "element", "expected"),
    [
        ("She was never invited for bowel scope (flexible sigmoidoscopy) at 55.", "flexible_sigmoidoscopy",
         {"negated"}),
        # counter-examples: a done test glossed keeps its status; a bracket with more than the name is its own aside
        ("Bowel scope (flexible sigmoidoscopy) in 2012, normal.", "flexible_sigmoidoscopy", {"affirmed"}),
        ("Declined colonoscopy (had one in 2019, normal).", "colonoscopy", {"declined"}),
    ],
)
def test_bracketed_second_name_shares_the_status(read, text, element, expected):
    assert _status(read(text, order="dmy"), element) == expected


# ----------------------------------------------------------------------------- depression screening wording
def _screens(items) -> list[tuple[str, object, object]]:
    return [
        (e.status, e.value["instrument"], e.value["score"])
        for e in items
        if e.element == "depression_screening"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a visit named by its week before the label's colon
        ("EPDS at 32 wk visit: 5.", [("affirmed", "EPDS", 5)]),
        ("EPDS at the 6-week postnatal check: 9.", [("affirmed", "EPDS", 9)]),
        # a deferral of the second instrument, in a new clause, is not the first one's
        (
            "PHQ-2 positive (score 3) - PHQ-9 deferred to the next visit.",
            [("affirmed", "PHQ-2", 3), ("declined", "PHQ-9", None)],
        ),
        # counter-examples: the week without a colon is no score; an instrument offered and declined stays declined
        ("PHQ-9 at 6 weeks postpartum was not done.", [("negated", "PHQ-9", None)]),
        ("PHQ-9 offered, pt declined.", [("declined", "PHQ-9", None)]),
    ],
)
def test_depression_screening_wording(read, text, expected):
    assert _screens(read(text)) == expected


def test_second_mention_refused_leaves_the_first(read):
    items = read("Colonoscopy 2019 normal, repeat colonoscopy declined.")
    assert [e.status for e in items if e.element == "colonoscopy"] == ["affirmed", "declined"]


# ----------------------------------------------------------------------------- appointed decision-makers (AU/CA)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She has appointed her niece as her enduring guardian.", {"affirmed"}),
        ("His substitute decision-maker is his brother Tom.", {"affirmed"}),
        # counter-examples: none appointed yet; a court guardian is no plan made with the patient
        ("He does not have an enduring guardian yet; forms given.", {"negated"}),
        ("Her guardian is the public guardian under a court order.", set()),
    ],
)
def test_appointed_decision_maker(read, text, expected):
    assert _status(read(text, order="dmy"), "advance_care_planning") == expected
