"""Small helpers the hand-written demo cases are composed with (see ``demo_cases.py``).

- ``Case`` collects one patient's notes, structured events, encounters and expected outcomes.
- ``mts``, ``ehr`` and ``soap`` render (header, body) sections in three real-world note layouts:
  MTSamples-style dictation (line breaks turned into commas), a templated EHR visit note, and a
  terse SOAP note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MEASUREMENT_YEAR = 2026

# Encounter kinds used by the cases: (type tags joined by "|", code, code system).
ENCOUNTER_KINDS: dict[str, tuple[str, str, str]] = {
    "office": ("depression_screening_encounter|office_visit", "99214", "CPT"),
    "office_low": ("depression_screening_encounter|office_visit", "99213", "CPT"),
    "preventive_18_39": ("depression_screening_encounter|preventive_established_18_up", "99395", "CPT"),
    "preventive_40_64": ("depression_screening_encounter|preventive_established_18_up", "99396", "CPT"),
    "preventive_65": ("depression_screening_encounter|preventive_established_18_up", "99397", "CPT"),
    "preventive_12_17": ("depression_screening_encounter|preventive_established_0_17", "99394", "CPT"),
    "awv": ("annual_wellness_visit", "G0439", "HCPCS"),
    "telephone": ("telephone_visit", "185317003", "SNOMEDCT"),
    "virtual": ("virtual_encounter", "98970", "CPT"),
    "ophthalmology": ("ophthalmological_services", "92014", "CPT"),
    "ed": ("emergency_department", "99284", "CPT"),
    "inpatient": ("inpatient", "32485007", "SNOMEDCT"),
    "hospice": ("hospice_encounter", "183921001", "SNOMEDCT"),
    "colonoscopy": ("other", "45378", "CPT"),
    "colonoscopy_biopsy": ("other", "45380", "CPT"),
    "mammogram": ("other", "77067", "CPT"),
    "tcm": ("office_visit", "99495", "CPT"),
    "behavioral_health": ("psych_psychotherapy", "90834", "CPT"),
}

EXPECTED = ("closed", "open", "excluded", "excepted", "not_in_population")
REASONS = ("no_evidence", "evidence_too_old", "only_ordered", "declined", "not_controlled",
           "undated_evidence")


def born(age: int, month_day: str) -> str:
    """Birth date giving ``age`` at the end of the measurement year (month_day like '04-12')."""
    return f"{MEASUREMENT_YEAR - age}-{month_day}"


def mts(*sections: tuple[str, str]) -> str:
    """MTSamples-style dictation: 'HEADER:,  body' with every line break turned into a comma."""
    parts = []
    for header, body in sections:
        body = body.strip().replace("\n", ",")
        parts.append(f"{header}:,  {body}" if header else body)
    return ",".join(parts)


def ehr(*sections: tuple[str, str], colon: bool = False) -> str:
    """Templated EHR note: upper-case headers on their own line, blank line between sections."""
    parts = []
    for header, body in sections:
        head = f"{header}:" if colon else header
        parts.append(f"{head}\n{body.strip()}" if header else body.strip())
    return "\n\n".join(parts) + "\n"


def soap(*sections: tuple[str, str]) -> str:
    """Terse inline note: 'S: ...' / 'O: ...' style, one section per line."""
    return "\n".join(f"{h}: {b.strip()}" if h else b.strip() for h, b in sections) + "\n"


_SURNAMES = ("Abernathy", "Bautista", "Castellano", "Delacroix", "Eriksen", "Fairweather", "Galloway",
             "Hargrove", "Ibarra", "Jablonski", "Kowalczyk", "Lindqvist", "Marchetti", "Nakashima", "Okonkwo",
             "Pennington", "Quintero", "Rasmussen", "Szabo", "Thornbury", "Umarov", "Vasquez-Lee", "Whitcombe",
             "Xiong", "Yardley", "Zielinski", "Ashcroft", "Brennan", "Cordova", "Drummond", "Esposito")
_GIVEN = {"F": ("Maren", "Delphine", "Rosalind", "Imani", "Teodora", "Wilhelmina", "Noor", "Petra", "Lucinda",
                "Agnieszka", "Yolanda", "Harriet", "Sunniva"),
          "M": ("Anselm", "Desmond", "Ignatius", "Kwame", "Lorcan", "Matthias", "Oswin", "Rafferty", "Tobiah",
                "Vikram", "Emeric")}


def synthetic_name(num: int, sex: str) -> str:
    """A made-up "Surname, Given" for demo patient ``num`` (deterministic, distinct for the demo's size)."""
    given = _GIVEN.get(sex, _GIVEN["F"])
    return f"{_SURNAMES[num % len(_SURNAMES)]}, {given[(num // len(_SURNAMES) + num) % len(given)]}"


@dataclass
class Case:
    """One demo patient and everything the demo says about them."""

    patient_id: str
    birth_date: str
    sex: str
    clinic_id: str
    provider_id: str
    product_line: str
    notes: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    encounters: list[dict] = field(default_factory=list)
    scenarios: list[dict] = field(default_factory=list)

    @property
    def num(self) -> str:
        return self.patient_id.split("-")[-1]

    def note(self, note_date: str, note_type: str, title: str, text: str, *, enc: str | None = "office",
             enc_start: str | None = None, enc_end: str | None = None,
             provider_id: str | None = None) -> Case:
        """Add a note; ``enc`` is an ENCOUNTER_KINDS key (an encounter is created and linked) or None."""
        n = len(self.notes) + 1
        encounter_id = None
        if enc is not None:
            encounter_id = f"enc-{self.num}-{n:02d}"
            self.encounter(encounter_id, enc, enc_start or note_date, enc_end or note_date)
        self.notes.append({
            "note_id": f"demo-{self.num}-{n:02d}",
            "patient_id": self.patient_id,
            "note_date": note_date,
            "note_type": note_type,
            "title": title,
            "text": text,
            "encounter_id": encounter_id,
            "provider_id": provider_id or self.provider_id,
            "clinic_id": self.clinic_id,
        })
        return self

    def encounter(self, encounter_id: str, kind: str, start: str, end: str | None = None) -> Case:
        if kind not in ENCOUNTER_KINDS:
            raise ValueError(f"Unknown encounter kind {kind!r} for {self.patient_id}; "
                             f"valid kinds: {', '.join(sorted(ENCOUNTER_KINDS))}")
        types, code, system = ENCOUNTER_KINDS[kind]
        self.encounters.append({
            "patient_id": self.patient_id, "encounter_id": encounter_id, "start_date": start,
            "end_date": end or start, "type": types, "code": code, "code_system": system,
        })
        return self

    def event(self, element: str, event_date: str, code: str, code_system: str, source: str, *,
              value: str = "", end_date: str | None = "same") -> Case:
        """Add a structured event; end_date 'same' = point event, None = ongoing."""
        self.events.append({
            "patient_id": self.patient_id, "element": element, "event_date": event_date,
            "value": value, "code": code, "code_system": code_system, "source": source,
            "end_date": event_date if end_date == "same" else (end_date or ""),
        })
        return self

    def expect(self, measure_id: str, expected: str, reason: str, note: str, *, group: str = "1",
               episode: str = "") -> Case:
        """The outcome of one population ``group`` (and, for per-episode measures such as TRC, one
        ``episode``: the discharge's encounter id) in the answer key's words."""
        if expected not in EXPECTED:
            raise ValueError(f"{self.patient_id} {measure_id}: expected {expected!r} "
                             f"is not one of {EXPECTED}")
        if (expected == "open") != bool(reason) or (reason and reason not in REASONS):
            raise ValueError(f"{self.patient_id} {measure_id}: open outcomes need a reason from {REASONS}, "
                             f"other outcomes none (got expected={expected!r}, reason={reason!r})")
        self.scenarios.append({"patient_id": self.patient_id, "measure_id": measure_id, "group": group,
                               "episode": episode, "expected": expected, "reason": reason, "note": note})
        return self

    def patient_row(self) -> dict[str, str]:
        return {"patient_id": self.patient_id, "birth_date": self.birth_date, "sex": self.sex,
                "clinic_id": self.clinic_id, "provider_id": self.provider_id,
                "product_line": self.product_line, "name": synthetic_name(int(self.num), self.sex),
                "mrn": f"0041{int(self.num):04d}"}

    def note_rows(self) -> list[dict]:
        return list(self.notes)

    def encounter_rows(self) -> list[dict]:
        return list(self.encounters)
