"""A gaps-in-care Bundle's NDJSON line is built from its MeasureReports' lines (each report encoded once):
the bytes of the whole Bundle encoded at once, for every patient of the demo run."""

from __future__ import annotations

from collections import defaultdict

from engine.fhir_report import _Builder, _bundle_line, _line
from engine.run_data import RunData


def test_bundle_line_from_report_lines_equals_the_bundle_encoded_whole(demo_run: RunData) -> None:
    b = _Builder(demo_run)
    per_patient: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for o in sorted(demo_run.outcomes, key=lambda o: (o.patient_id, o.measure_id, o.group, o.episode)):
        per_patient[o.patient_id][o.measure_id].append(o)
    bundles = 0
    for patient_id in sorted(per_patient):
        measures = {m: os for m, os in per_patient[patient_id].items() if any(o.populations.ipp for o in os)}
        reports = {m: b.individual(patient_id, m, os) for m, os in sorted(measures.items())}
        lines = {id(r): _line(r) for r in reports.values()}
        bundle = b.gaps_bundle(patient_id, reports, measures)
        if bundle is None:
            continue
        bundles += 1
        assert _bundle_line(bundle, lines) == _line(bundle), patient_id
        assert _bundle_line(bundle, {}) == _line(bundle), patient_id
    assert bundles >= 20
    odd = {"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}, "fullUrl": "u"}]}  # keys not as built
    assert _bundle_line(odd, {}) == _line(odd)
    assert _bundle_line({"entry": []}, {}) == _line({"entry": []})
