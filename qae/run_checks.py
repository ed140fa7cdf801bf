"""What a reader must know before trusting a run: empty inputs, measures that could not apply, quarantine.

* :func:`input_warnings` (from the manifest's ``inputs``): an input file with no records, or whose
  every record was quarantined. Decision: the run still finishes (exit code 0: a structured-only
  run is legitimate, and the outcomes are right for the data given), but the warning is printed on
  the console, kept in ``manifest.json`` under ``warnings`` and shown at the top of every
  worklist and summary workbook, because an empty notes file leaves every gap that needs note
  evidence open.
* :func:`not_applicable` (from the run summary and the specs): measures with nobody in their
  denominator, and why (an eCQM whose population needs visits, run without an encounters file;
  nobody with the diagnosis a measure needs).
* :func:`quarantine_reasons`: quarantined records counted by input and reason (ids and numbers
  taken out of the reason, so one cause is one line).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["input_warnings", "not_applicable", "quarantine_reasons", "spec_needs_encounters"]

_WHAT = {
    "notes": "every gap that needs note evidence is open",
    "patients": "no patient can be measured",
    "events": "no structured (claims/EHR) evidence was used",
    "encounters": "measures that need visits or discharges have nobody in their population",
}


def input_warnings(inputs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per input file with no usable record."""
    out = []
    for kind, entry in sorted(inputs.items()):
        read, accepted = int(entry.get("read", 0)), int(entry.get("accepted", 0))
        path = entry.get("path", kind)
        if read == 0:
            out.append(f"the {kind} file {path} has no records: {_WHAT.get(kind, 'nothing was read from it')}")
        elif accepted == 0:
            out.append(f"all {read} records of the {kind} file {path} were quarantined (see quarantine.jsonl): "
                       f"{_WHAT.get(kind, 'nothing was used from it')}")
    return out


def _uses_encounters(node: Any) -> bool:
    if node is None:
        return False
    params = getattr(node, "params", None)
    if getattr(node, "rule", None) == "qm.encounter.v1":
        return True
    if params is not None and any(getattr(params, f, None) for f in ("visit_types", "encounter_types")):
        return True
    return any(_uses_encounters(child) for child in getattr(node, "children", ()))


def spec_needs_encounters(spec: Any) -> bool:
    """True when the initial population or denominator needs encounters (visits, discharges)."""
    if spec.episode is not None and getattr(spec.episode, "kind", "") == "discharge":
        return True
    return any(_uses_encounters(g.populations.ipp) or _uses_encounters(g.populations.denom) for g in spec.groups)


def not_applicable(summary: Mapping[str, Any], specs: Mapping[str, Any], has_encounters: bool) -> dict[str, str]:
    """``{measure label: why}`` for every measure (group) with nobody in its denominator (no rate)."""
    out = {}
    for label, entry in sorted((summary.get("measures") or {}).items()):
        if not isinstance(entry, dict) or entry.get("denom", 0):
            continue
        spec = specs.get(entry.get("measure_id", label))
        if spec is not None and spec_needs_encounters(spec) and not has_encounters:
            out[label] = "needs an encounters file (--encounters): its population is defined by visits or stays"
        elif not entry.get("ipp", 0):
            out[label] = "no patient is in its initial population (age, sex or the qualifying events)"
        else:
            out[label] = (f"{entry['ipp']} patients of its age and sex, none in its denominator (no patient has "
                          "the diagnosis or event it needs)")
    return out


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+")


def quarantine_reasons(path: Path) -> Counter[str]:
    """``Counter({"notes: patient_id: unknown patient (not in the patients file)": 1278, ...})``."""
    counts: Counter[str] = Counter()
    if not Path(path).is_file():
        return counts
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            reason = _NUMBER.sub("N", _QUOTED.sub("", str(rec.get("reason", "")))).replace("  ", " ").strip()
            counts[f"{rec.get('kind', '?')}: {reason}"] += 1
    return counts
