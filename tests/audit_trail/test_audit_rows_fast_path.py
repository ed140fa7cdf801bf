"""The HTML audit's rows are written by ``engine.audit_html._row_html`` (strings joined, escaped as
jinja2's autoescaping escapes), not by a template loop per row: the pages must be the bytes the
template loop gave. The reference (the loop as the template held it, rendering RowView objects) is
kept here as the oracle, on the demo run and on hand-built rows of every kind (note evidence cut at
both ends, structured, encounter and missing evidence, a status model's reading, flags, an inverse
measure) whose text holds ``<``, ``&``, quotes, apostrophes and non-ASCII letters."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jinja2 import DictLoader, Environment, StrictUndefined

from engine import audit_html
from engine.audit_html import (
    EvidenceView,
    RowView,
    audit_material,
    reference_material,
    write_audit_html,
    write_audit_html_parts,
)
from engine.calculator import MeasureOutcome
from engine.gaps import GapReason
from engine.populations import PopulationFlags
from engine.records import Encounter, Evidence, Patient
from engine.report_parts import Parts
from engine.run_data import RunData

# The rows' loop as engine/templates/audit.html.j2 held it before the rows were written in Python.
OLD_ROWS = Path(__file__).with_name("audit_rows_reference.j2").read_text(encoding="utf-8")
NEW_ROWS = "{% for chunk in rows %}{{ chunk }}{% endfor %}\n"


def _env(**templates: str) -> Environment:
    return Environment(loader=DictLoader(templates), autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, keep_trailing_newline=True)


def _views(payloads: list[dict[str, Any]]) -> list[RowView]:
    return [RowView(**{**d, "evidence": [EvidenceView(**e) for e in d["evidence"]]}) for d in payloads]


def _payloads(run: RunData) -> list[dict[str, Any]]:
    """The audit rows as the reference material gives them to the writer (the material's JSON round trip)."""
    return list(Parts([reference_material(run)]).payloads("audit"))


@pytest.fixture()
def varied_run(small_run: RunData) -> RunData:
    """``small_run`` with rows of every kind of evidence, in text a clinic writes, with characters to escape."""
    text = ("Pt's daughter (María José) says \"no más\" to a 2nd colonoscopy <sedation & prep> — FIT kit given; "
            "she'll mail it back by 05/2026 & call the clinic if the result isn't posted; her son drives her to "
            "the lab on Tuesdays and")
    span = "FIT kit"
    start = text.index(span)
    fit_kit = Evidence(evidence_id=f"n-d:{start}-{start + len(span)}:fobt", note_id="n-d", patient_id="pd",
                       element="fobt", status="ordered", start=start, end=start + len(span), span=span,
                       context=text[5:], context_start=5, section="plan", note_date=date(2026, 5, 2),
                       source="rule:fobt.kit_given", modifiers=("ordered_cue", "future<cue>"),
                       decided_by="rules", model_status="affirmed", model_probability=0.71,
                       review_flags=("readers_disagree",))
    refused = Evidence(evidence_id="n-d:5-13:colonoscopy", note_id="n-d", patient_id="pd", element="colonoscopy",
                       status="declined", start=5, end=13, span="daughter", context="daughter", context_start=5,
                       section=None, note_date=None, source="rule:colonoscopy.declined", decided_by="both",
                       model_status="declined", model_probability=None)
    lab = Evidence(evidence_id="fhir:Observation:pd:7", note_id=None, patient_id="pd", element="hba1c",
                   status="affirmed", event_date=date(2026, 2, 3), end_date=date(2026, 2, 9),
                   date_precision="day", source="lab <interface> & co", origin="structured", code="4548-4",
                   code_system=None, value={"value": 7.9, "unit": "%", "flag": ""})
    visit = Encounter(patient_id="pd", encounter_id="v-9", start_date=date(2026, 3, 1), end_date=date(2026, 3, 4),
                      types=("office_visit", "telehealth 'video'"), code="99214", code_system="CPT")
    patient = Patient(patient_id="pd", birth_date=date(1961, 9, 30), sex="F", clinic_id="clinic-north",
                      provider_id="dr-Ñúñez & partners")
    spec = small_run.specs["COL-E"]
    inverse = small_run.specs["GSD-POOR"]
    outcomes = [
        MeasureOutcome(patient_id="pd", measure_id="COL-E", group="1", measure_version=spec.version,
                       measure_title=spec.title, populations=PopulationFlags(ipp=True, denom=True), gap_open=True,
                       gap_reason=GapReason.DECLINED, gap_action="Revisit <shared> decision & offer FIT again",
                       gap_evidence_ids=(fit_kit.evidence_id, refused.evidence_id, "encounter:v-9",
                                         "encounter:v-missing", "n-z:0-4:gone"),
                       due_date=date(2026, 12, 31), stratum="51-75",
                       review_flags=("readers_disagree", f"undated:{lab.evidence_id}", "quote\"d & <odd>")),
        MeasureOutcome(patient_id="pd", measure_id="GSD-POOR", group="1", measure_version=inverse.version,
                       measure_title="", inverse=True, populations=PopulationFlags(ipp=True, denom=True, numer=True),
                       closed_by="structured", numer_evidence_ids=(lab.evidence_id,), episode="2026-03-01",
                       valid_through=date(2026, 12, 31)),
        MeasureOutcome(patient_id="pd", measure_id="BCS-E", group="1", measure_version="v",
                       measure_title="Breast cancer screening", populations=PopulationFlags(ipp=True, denom=True,
                                                                                             denexcep=True)),
    ]
    evidence = {**small_run.evidence, **{e.evidence_id: e for e in (fit_kit, refused, lab)}}
    return replace(small_run, patients={**small_run.patients, "pd": patient},
                   outcomes=sorted([*small_run.outcomes, *outcomes], key=lambda o: (o.measure_id, o.patient_id)),
                   evidence=evidence, encounters=(visit,))


def test_rows_equal_the_template_loop(varied_run: RunData) -> None:
    payloads = _payloads(varied_run)
    kinds = {e["kind"] for d in payloads for e in d["evidence"]}
    assert kinds == {"note", "structured", "encounter", "missing"}
    expected = _env(rows=OLD_ROWS).get_template("rows").render(rows=_views(payloads))
    esc = audit_html._Escaped()
    got = "".join(audit_html._row_html(d, esc) for d in payloads)
    assert got == expected
    assert "María José" in got and "dr-Ñúñez &amp; partners" in got  # non-ASCII text is written as it is
    assert "&lt;sedation &amp; prep&gt;" in got and "&#34;no más&#34;" in got and "&#39;video&#39;" in got
    assert "&hellip;daughter (María" in got and "lab on Tuesdays and&hellip;" in got  # a sentence cut at both ends
    # a second pass with the escapes remembered gives the same text
    assert "".join(audit_html._row_html(d, esc) for d in payloads) == expected


@pytest.mark.parametrize("which", ["varied", "demo"])
def test_pages_equal_the_template_loop(which: str, varied_run: RunData, demo_run: RunData, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole pages (one file, and a run split per clinic) against the template with its old loop."""
    run = varied_run if which == "varied" else demo_run
    source = (Path(audit_html.__file__).with_name("templates") / "audit.html.j2").read_text(encoding="utf-8")
    assert source.count(NEW_ROWS) == 1
    fast_one = write_audit_html(run, tmp_path / "fast")
    monkeypatch.setattr(audit_html, "SPLIT_ROWS", 1)
    fast_split = write_audit_html(run, tmp_path / "fast-split")
    assert len(fast_split) > 2  # audit.html and a file per clinic

    class OldRows:  # the reference: RowView objects for the old loop
        def __init__(self, count: int, rows: Any) -> None:
            self.count, self.rows = count, rows

        def __len__(self) -> int:
            return self.count

        def __iter__(self) -> Any:
            return iter(_views(list(self.rows)))

    old_env = _env(**{"audit.html.j2": source.replace(NEW_ROWS, OLD_ROWS),
                      "audit.js": (Path(audit_html.__file__).with_name("templates") / "audit.js").read_text(
                          encoding="utf-8")})
    monkeypatch.setattr(audit_html, "_ENV", old_env)
    monkeypatch.setattr(audit_html, "_Rows", OldRows)
    monkeypatch.setattr(audit_html, "_rows_html", lambda rows: rows)
    monkeypatch.setattr(audit_html, "audit_material", reference_material)  # rows as RowView dicts
    ref_split = write_audit_html(run, tmp_path / "ref-split")
    monkeypatch.setattr(audit_html, "SPLIT_ROWS", 5000)
    ref_one = write_audit_html(run, tmp_path / "ref")
    for fast, ref, roots in ((fast_one, ref_one, ("fast", "ref")),
                             (fast_split, ref_split, ("fast-split", "ref-split"))):
        assert [p.relative_to(tmp_path / roots[0]) for p in fast] == [p.relative_to(tmp_path / roots[1]) for p in ref]
        for a, b in zip(fast, ref, strict=True):
            assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.parametrize("which", ["varied", "demo"])
def test_rows_rendered_at_material_time_equal_the_reference(which: str, varied_run: RunData, demo_run: RunData,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """audit_material renders each row's HTML from the outcome (engine.audit_html._fast_rows); the
    reference builds RowView objects, saves them as dicts and the writer renders them: same rows, same
    counts, same pages (one file, split per clinic, paged)."""
    run = varied_run if which == "varied" else demo_run
    fast, ref = audit_material(run).sort(), reference_material(run).sort()
    assert [k for k, _ in fast.streams["audit"]] == [k for k, _ in ref.streams["audit"]]
    esc = audit_html._Escaped()
    for (_, row), (_, d) in zip(fast.streams["audit"], ref.streams["audit"], strict=True):
        assert row == [d["status"], d["reason"], d["measure_id"], d["title"], d["disagree"],
                       audit_html._row_html(d, esc)]
    assert json.dumps(fast.counts, sort_keys=True) == json.dumps(ref.counts, sort_keys=True)
    for split, page_size, held in ((5000, None, 1 << 25), (1, None, 1 << 25), (1, 2, 1 << 25), (1, 2, 300)):
        monkeypatch.setattr(audit_html, "SPLIT_ROWS", split)
        monkeypatch.setattr(audit_html, "_HELD_CHARS", held)  # 300: a page's rows go to a scratch file
        got = write_audit_html_parts(Parts([audit_material(run)]), run, tmp_path / f"fast-{split}-{page_size}-{held}",
                                     page_size)
        want = write_audit_html_parts(Parts([reference_material(run)]), run,
                                      tmp_path / f"ref-{split}-{page_size}-{held}", page_size)
        assert [p.name for p in got] == [p.name for p in want] and len(got) >= (1 if split > 1 else 3)
        for a, b in zip(got, want, strict=True):
            assert a.read_bytes() == b.read_bytes(), a.name
