"""The HTML audit with a status model's readings: who decided each status, a filter for the rows
whose evidence the rules and the model read differently, and an order that puts them first."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from engine.audit_html import write_audit_html
from engine.run_data import RunData


def _with_readings(run: RunData) -> RunData:
    evidence = dict(run.evidence)
    for ident, ev in evidence.items():
        if ev.origin != "note":
            continue
        if ev.element == "fobt":  # the rules said affirmed, the model negated: flagged, rules kept
            evidence[ident] = ev.model_copy(update={"decided_by": "rules", "model_status": "negated",
                                                    "model_probability": 0.64, "review_flags": ("readers_disagree",)})
        else:
            evidence[ident] = ev.model_copy(update={"decided_by": "both", "model_status": ev.status,
                                                    "model_probability": 0.97})
    fobt = next(i for i, e in evidence.items() if e.element == "fobt")
    outcomes = [replace(o, review_flags=(*o.review_flags, f"readers_disagree:{fobt}"))
                if fobt in o.numer_evidence_ids else o for o in run.outcomes]
    return replace(run, evidence=evidence, outcomes=outcomes)


def test_rows_with_disagreeing_readers_are_marked_and_explained(small_run: RunData, tmp_path: Path) -> None:
    (page,) = write_audit_html(_with_readings(small_run), tmp_path)
    html = page.read_text(encoding="utf-8")
    marked = re.findall(r'data-disagree="(\d)" data-patient="([^"]+)"', html)
    assert ("1", "pb") in marked and ("0", "pa") in marked and ("0", "pc") in marked
    assert "status from the rules; the model reads negated (p 0.64)" in html
    assert "rules and model agree (p 0.97)" in html
    assert '<option value="1">rules and model disagree (1)</option>' in html
    assert '<option value="disagree">readers disagree first</option>' in html
    assert 'var ids = ["clinic", "measure", "status", "reason", "disagree"];' in html


def test_without_a_model_nothing_is_marked(small_run: RunData, tmp_path: Path) -> None:
    (page,) = write_audit_html(small_run, tmp_path)
    html = page.read_text(encoding="utf-8")
    assert 'data-disagree="1"' not in html
    assert "rules and model" not in html.split("<script>")[0].split('id="outcomes"')[1]
