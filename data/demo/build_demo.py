"""Build the bundled demo data set from the hand-written cases in ``demo_cases.py``.

Usage (from the repository root)::

    .venv/bin/python data/demo/build_demo.py          # rewrite the files in data/demo/
    .venv/bin/python data/demo/build_demo.py --check  # exit 1 if the checked-in files are stale

Everything is deterministic: no randomness, no clock. Notes are synthetic: they were written for
this project and contain no text from any real record.

Outputs (all in this folder): ``patients.csv``, ``notes.jsonl``, ``events.csv``, ``encounters.csv``,
``scenarios.csv``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from demo_cases import CASES, Case  # noqa: E402

PATIENT_COLUMNS = ["patient_id", "birth_date", "sex", "clinic_id", "provider_id", "product_line", "name", "mrn"]
EVENT_COLUMNS = ["patient_id", "element", "event_date", "value", "code", "code_system", "source", "end_date"]
ENCOUNTER_COLUMNS = ["patient_id", "encounter_id", "start_date", "end_date", "type", "code", "code_system"]
SCENARIO_COLUMNS = ["patient_id", "measure_id", "group", "episode", "expected", "reason", "note"]
NOTE_KEYS = [
    "note_id", "patient_id", "note_date", "note_type", "title", "text",
    "encounter_id", "provider_id", "clinic_id",
]


def _csv_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c) or "" for c in columns})
    return buf.getvalue()


def render(cases: list[Case]) -> dict[str, str]:
    """Return {file name: file content} for the whole demo."""
    patients, notes, events, encounters, scenarios = [], [], [], [], []
    for case in cases:
        patients.append(case.patient_row())
        notes.extend(case.note_rows())
        events.extend(case.events)
        encounters.extend(case.encounter_rows())
        scenarios.extend(case.scenarios)
    events.sort(key=lambda r: (r["patient_id"], r["event_date"], r["element"]))
    encounters.sort(key=lambda r: (r["patient_id"], r["start_date"], r["encounter_id"]))
    note_lines = [json.dumps({k: n[k] for k in NOTE_KEYS if n.get(k) is not None}, ensure_ascii=False)
                  for n in notes]
    return {
        "patients.csv": _csv_text(PATIENT_COLUMNS, patients),
        "notes.jsonl": "\n".join(note_lines) + "\n",
        "events.csv": _csv_text(EVENT_COLUMNS, events),
        "encounters.csv": _csv_text(ENCOUNTER_COLUMNS, encounters),
        "scenarios.csv": _csv_text(SCENARIO_COLUMNS, scenarios),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    args = parser.parse_args(argv)
    files = render(CASES)
    stale = []
    for name, content in files.items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(name)
        else:
            path.write_text(content, encoding="utf-8")
    if stale:
        print(f"Stale demo files: {', '.join(stale)}. Run: python data/demo/build_demo.py", file=sys.stderr)
        return 1
    n_notes = files["notes.jsonl"].count("\n")
    print(f"demo: {len(CASES)} patients, {n_notes} notes -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
