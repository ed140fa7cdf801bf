"""Extraction time of one dense note as its length grows (prints figures; not a test).

A pathological note (a long problem-oriented flowsheet dump, dense with measure evidence) must
not stall a run: time per note should grow linearly with its length. The note is synthetic,
built by cycling through the varied paragraphs below (our own wording) up to each length.

    .venv/bin/python benchmarks/dense_note_bench.py [--lengths 5000 10000 20000 40000]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.records import Note  # noqa: E402

PARAGRAPHS = (
    "VITALS:,  BP 148/92 sitting, rechecked at 136/84.  Pulse 78.,  ",
    "HEALTH MAINTENANCE:,  Colonoscopy in 03/2017 showed two small polyps; repeat was advised in five years.  ",
    "Mammogram 11/2025 was read as BI-RADS 2.  Pap smear with HPV cotesting done 2023, normal.,  ",
    "LABS:,  Hemoglobin A1c 8.4% on 02/14/2026, prior 7.9% in October.  Urine microalbumin pending.,  ",
    "SOCIAL HISTORY:,  Smokes about half a pack per day since age 19; counseled on quitting for 4 minutes.  ",
    "She declined the influenza vaccine today.  Pneumococcal vaccine (PCV20) given 2024.,  ",
    "FAMILY HISTORY:,  Father with colon cancer in his 60s, mother with type 2 diabetes.,  ",
    "EYES:,  Dilated retinal exam by ophthalmology 09/2025 without diabetic retinopathy.,  ",
    "PHQ-9 score today 12, moderate; referred to behavioral health for follow up.,  ",
    "ADVANCE CARE PLANNING:,  Discussed goals of care; she has a health care proxy on file.,  ",
    "PLAN:,  Order FIT kit.  Recheck blood pressure in 2 weeks, home readings 132/80 and 128/78.  ",
    "No history of hysterectomy.  Denies alcohol.  Will consider Cologuard if FIT declined.\n",
)


def dense_text(length: int) -> str:
    parts: list[str] = []
    n = 0
    i = 0
    while n < length:
        p = PARAGRAPHS[i % len(PARAGRAPHS)]
        parts.append(p)
        n += len(p)
        i += 1
    return "".join(parts)[:length]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[5000, 10000, 20000, 40000])
    args = parser.parse_args()
    from pipelines.build import build_nlp
    from pipelines.extract import extract_note

    nlp = build_nlp({})
    extract_note(nlp, Note(note_id="w", patient_id="p", note_date=date(2026, 3, 1), text=dense_text(2000)))
    for length in args.lengths:
        note = Note(note_id=f"dense-{length}", patient_id="p", note_date=date(2026, 3, 1), text=dense_text(length))
        t = time.perf_counter()
        items = extract_note(nlp, note, include_supplemental=True)
        dt = time.perf_counter() - t
        print(f"{length:>7} chars: {len(items):>5} evidence items, {dt:7.2f} s, "
              f"{dt / length * 1e6:6.1f} us/char", flush=True)


if __name__ == "__main__":
    main()
