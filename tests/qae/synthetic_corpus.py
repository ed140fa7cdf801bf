"""A small synthetic corpus for the job tests: patients in three clinics and varied notes.

The notes are our own wording, in several writing styles (transcribed with comma line breaks,
templated visit notes, terse telephone notes, narrative letters), each carrying a few pieces of
measure evidence with dates, values and statuses that vary with the patient. Deterministic: the
same arguments give the same corpus.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

CLINICS = ("clinic-hillside", "clinic-harbor", "clinic-mesa")

STYLES = (
    # transcribed dictation: headings glued with commas
    "CHIEF COMPLAINT:,  Follow up of blood pressure.,  HISTORY OF PRESENT ILLNESS:,  {age}-year-old {sex_word} "
    "seen for {problem}.  {colon},  SOCIAL HISTORY:,  {tobacco},  VITALS:,  BP {bp}, pulse {pulse}.,  "
    "ASSESSMENT AND PLAN:,  {plan}",
    # templated visit note with line breaks
    "Visit type: office follow-up\nSubjective: Patient reports {problem}; no new complaints.\n"
    "Health maintenance: {mammo} {colon}\nTobacco: {tobacco}\nObjective: BP {bp} (seated), HR {pulse}\n"
    "Labs: {a1c}\nPlan: {plan}",
    # terse telephone encounter
    "Phone call with pt re: {problem}. {colon} {tobacco} Pt aware of plan: {plan}",
    # narrative letter to the referring doctor
    "Dear colleague, I saw your patient, a {age} year old {sex_word}, today regarding {problem}. "
    "Her/his blood pressure in the office was {bp}. {a1c} {mammo} {colon} {tobacco} "
    "My recommendation: {plan} Kind regards.",
)
PROBLEMS = ("hypertension", "type 2 diabetes", "a persistent cough", "knee pain after a fall",
            "fatigue and poor sleep", "medication refills")
COLON = ("Colonoscopy in {year} was normal, next due in ten years.", "She has never had a colonoscopy.",
         "Declines colonoscopy; FIT kit offered.", "Cologuard ordered today.",
         "Last colonoscopy {year}, adenoma removed.", "Sigmoidoscopy {year}, unremarkable.")
TOBACCO = ("Never smoker.", "Quit smoking in {year}.", "Smokes one pack a day, counseled to quit for 4 minutes.",
           "Denies tobacco use.", "Former smoker, quit {year}.")
MAMMO = ("Mammogram {month}/{year} BI-RADS 1.", "Screening mammogram is overdue.", "Mammogram declined.", "")
A1C = ("HbA1c {value}% on {month}/{day}/2026.", "A1c pending.", "Last hemoglobin A1c {value} percent.", "")
PLAN = ("Continue lisinopril, recheck in 3 months.", "Start metformin; diet counseling given.",
        "Flu shot given today.", "Refer to GI for screening colonoscopy.", "Return as needed.",
        "Pneumococcal vaccine administered today.")


def _patients(n: int, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
        out.append({"patient_id": f"syn-{i:04d}", "birth_date": birth.isoformat(), "sex": rng.choice("FM"),
                    "clinic_id": CLINICS[i % len(CLINICS)], "provider_id": f"dr-{i % 5}",
                    "product_line": rng.choice(("commercial", "medicare", "medicaid", "aco"))})
    return out


def _note(i: int, patient: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    year = rng.randrange(2012, 2026)
    fill = {
        "age": 2026 - int(patient["birth_date"][:4]), "sex_word": "woman" if patient["sex"] == "F" else "man",
        "problem": rng.choice(PROBLEMS), "bp": f"{rng.randrange(108, 168)}/{rng.randrange(64, 98)}",
        "pulse": rng.randrange(58, 96), "year": year, "month": rng.randrange(1, 13), "day": rng.randrange(1, 28),
        "value": f"{rng.randrange(55, 105) / 10:.1f}",
    }
    parts = {name: rng.choice(options).format(**fill)
             for name, options in (("colon", COLON), ("tobacco", TOBACCO), ("mammo", MAMMO), ("a1c", A1C),
                                   ("plan", PLAN))}
    text = rng.choice(STYLES).format(**fill, **parts)
    when = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 330))
    return {"note_id": f"note-{i:05d}", "patient_id": patient["patient_id"], "note_date": when.isoformat(),
            "note_type": rng.choice(("Office Visit", "Telephone", "Letter")), "text": text}


Rows = list[dict[str, Any]]


def corpus(n_notes: int = 60, n_patients: int = 24, seed: int = 13) -> tuple[Rows, Rows]:
    """(patients, notes): every patient has notes; ids are unique."""
    rng = random.Random(seed)
    patients = _patients(n_patients, rng)
    notes = [_note(i, patients[i % n_patients], rng) for i in range(n_notes)]
    rng.shuffle(notes)
    return patients, notes


def write_patients(path: Path, patients: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(patients[0]))
        writer.writeheader()
        writer.writerows(patients)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]], extra_lines: list[bytes] = ()) -> Path:
    with path.open("wb") as fh:
        for row in rows:
            fh.write(json.dumps(row).encode("utf-8") + b"\n")
        for line in extra_lines:
            fh.write(line + b"\n")
    return path


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns = ["note_id", "patient_id", "note_date", "note_type", "text"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: r.get(k) for k in columns} for r in rows)
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]], row_group_size: int = 4) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = ["note_id", "patient_id", "note_date", "note_type", "text"]
    table = pa.table({c: [r.get(c) for r in rows] for c in columns})
    pq.write_table(table, path, row_group_size=row_group_size)
    return path
