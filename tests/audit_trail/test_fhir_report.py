"""FHIR output: every resource validates with fhir.resources' R4B models, the gaps bundles carry
the DEQM (STU5) gaps-in-care profiles' required elements, and the contents are right: a known
patient's populations, its evidence span and offsets, its gap status (open, closed, prospective)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from engine.fhir_report import EVIDENCE_EXT, GAP_STATUS_EXT, PROFILE, resource_id, write_fhir
from engine.run_data import RunData

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
POPS = ["initial-population", "denominator", "denominator-exclusion", "denominator-exception", "numerator",
        "numerator-exclusion"]


def _read(files: list[Path]) -> dict[str, list[dict[str, Any]]]:
    return {f.name: [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines()] for f in files}


def _validate(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert FHIR_ID.match(resource["id"]), resource["id"]


def _counts(group: dict[str, Any]) -> dict[str, int]:
    return {p["code"]["coding"][0]["code"]: p["count"] for p in group["population"]}


def _check_individual(report: dict[str, Any]) -> None:
    """DEQM Individual MeasureReport: the elements the profile requires."""
    assert report["meta"]["profile"] == [PROFILE["individual"]]
    assert report["status"] == "complete" and report["type"] == "individual"
    url, _, version = report["measure"].partition("|")
    assert url and version  # deqm-0: a versioned canonical
    assert report["subject"]["reference"].startswith("Patient/") and report["date"] and report["reporter"]
    assert len(report["period"]["start"]) == len(report["period"]["end"]) == 10  # deqm-1: day precision
    assert [e["valueCodeableConcept"]["coding"][0]["code"] for e in report["extension"]] == ["proportion"]
    assert report["improvementNotation"]["coding"][0]["code"] in ("increase", "decrease")  # deqm-2
    for group in report["group"]:
        assert [p["code"]["coding"][0]["code"] for p in group["population"]] == POPS
        if "measureScore" in group:
            assert 0.0 <= group["measureScore"]["value"] <= 1.0  # deqm-6


def _check_gaps_bundle(bundle: dict[str, Any]) -> None:
    """DEQM gaps-bundle-deqm / gaps-composition-deqm / gaps-detectedissue-deqm required elements, and
    conformance requirement 1: every resource the bundle references is in it."""
    assert bundle["meta"]["profile"] == [PROFILE["bundle"]]
    assert bundle["type"] == "document" and bundle["timestamp"]
    assert bundle["identifier"]["system"] and bundle["identifier"]["value"]
    entries = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"] for e in bundle["entry"]}
    assert all(e["fullUrl"].endswith("/" + k) for e, k in zip(bundle["entry"], entries, strict=True))
    comp = bundle["entry"][0]["resource"]
    assert comp["resourceType"] == "Composition" and comp["meta"]["profile"] == [PROFILE["composition"]]
    assert comp["status"] == "final" and comp["type"]["coding"][0]["code"] == "96315-7"
    assert comp["subject"]["reference"] in entries and comp["date"] and comp["author"] and comp["title"]
    assert comp["section"]
    for section in comp["section"]:
        report = entries[section["focus"]["reference"]]
        _check_individual(report)
        assert report["subject"] == comp["subject"]
        assert section["entry"]
        for entry in section["entry"]:
            issue = entries[entry["reference"]]
            assert issue["meta"]["profile"] == [PROFILE["issue"]]
            (ext,) = issue["modifierExtension"]
            assert ext["url"] == GAP_STATUS_EXT
            assert ext["valueCodeableConcept"]["coding"][0]["code"] in ("open-gap", "closed-gap", "prospective-gap")
            assert issue["status"] == "final" and issue["patient"] == comp["subject"]
            assert issue["code"]["coding"][0] == {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                                  "code": "CAREGAP", "display": "Care Gaps"}
            assert issue["evidence"][0]["detail"][0]["reference"] == section["focus"]["reference"]
    text = json.dumps(bundle)
    for ref in set(re.findall(r'"reference": "([A-Za-z]+/[A-Za-z0-9\-.]+)"', text)):
        assert ref in entries, f"{ref} is referenced but not in the bundle"


def _everything(out: dict[str, list[dict[str, Any]]]) -> None:
    """Validate every resource once: a Bundle's model validates its entries as their own types."""
    in_bundles = set()
    for bundle in out["Bundle-gaps.ndjson"]:
        _validate(bundle)
        for entry in bundle["entry"]:
            assert FHIR_ID.match(entry["resource"]["id"])
            in_bundles.add((entry["resource"]["resourceType"], entry["resource"]["id"]))
    for name in ("MeasureReport-individual.ndjson", "MeasureReport-summary.ndjson"):
        for resource in out[name]:
            if ("MeasureReport", resource["id"]) not in in_bundles:
                _validate(resource)


def _gap_status(issue: dict[str, Any]) -> str:
    return issue["modifierExtension"][0]["valueCodeableConcept"]["coding"][0]["code"]


def test_small_run_fhir(small_run: RunData, tmp_path: Path) -> None:
    out = _read(write_fhir(small_run, tmp_path))
    _everything(out)
    individual = {(r["subject"]["reference"], r["measure"].split("|")[0].rsplit("/", 1)[1]): r
                  for r in out["MeasureReport-individual.ndjson"]}
    for report in individual.values():
        _check_individual(report)
    # pa's COL-E: in every population but the exclusions, closed by the colonoscopy of 2018
    pa = individual[("Patient/pa", "COL-E")]
    (group,) = pa["group"]
    assert _counts(group) == dict(zip(POPS, [1, 1, 0, 0, 1, 0], strict=True))
    assert group["measureScore"] == {"value": 1.0}
    (ref,) = pa["evaluatedResource"]
    assert ref["reference"] == "DocumentReference/n-a"
    assert ref["extension"][0] == {"url": "http://hl7.org/fhir/StructureDefinition/cqf-criteriaReference",
                                   "valueString": "numerator"}
    ev = {e["url"]: next(v for k, v in e.items() if k.startswith("value")) for e in ref["extension"][1]["extension"]}
    assert ref["extension"][1]["url"] == EVIDENCE_EXT
    item = small_run.evidence[ev["evidenceId"]]
    assert (ev["span"], ev["start"], ev["end"]) == ("Colonoscopy", item.start, item.end)
    assert ev["date"] == "2018" and ev["role"] == "decided" and ev["source"] == "rule:colonoscopy.term"
    # the inverse measure reports a decreasing improvement notation
    assert individual[("Patient/pb", "GSD-POOR")]["improvementNotation"]["coding"][0]["code"] == "decrease"
    # not in any IPP: no individual report
    assert ("Patient/pa", "GSD-POOR") not in individual

    bundles = {b["entry"][0]["resource"]["subject"]["reference"]: b for b in out["Bundle-gaps.ndjson"]}
    assert set(bundles) == {"Patient/pa", "Patient/pb", "Patient/pc"}
    for bundle in bundles.values():
        _check_gaps_bundle(bundle)
    issues = {(p, e["resource"]["id"]): e["resource"] for p, b in bundles.items() for e in b["entry"]
              if e["resource"]["resourceType"] == "DetectedIssue"}
    by_measure = {(p, i["detail"].split(":")[0]): i for (p, _), i in issues.items()}
    # closed by a colonoscopy that counts through 2027: closed; by a FIT that stops counting at the
    # end of 2026: prospective (it reopens in the next period); the declined colonoscopy: open
    assert _gap_status(by_measure[("Patient/pa", "Colorectal Cancer Screening")]) == "closed-gap"
    pb_colo = by_measure[("Patient/pb", "Colorectal Cancer Screening")]
    assert _gap_status(pb_colo) == "prospective-gap" and "2026-12-31" in pb_colo["detail"]
    pc_colo = by_measure[("Patient/pc", "Colorectal Cancer Screening")]
    assert _gap_status(pc_colo) == "open-gap"
    assert pc_colo["extension"] == [{"url": "http://qae.local/fhir/StructureDefinition/gap-reason",
                                     "valueCode": "declined"}]
    assert "The patient declined or refused the service" in pc_colo["detail"]
    # pc's BCS-E exclusion is no gap: only COL-E in pc's composition; the declined mention came close
    pc_comp = bundles["Patient/pc"]["entry"][0]["resource"]
    assert [s["title"] for s in pc_comp["section"]] == ["Colorectal Cancer Screening"]
    pc_report = individual[("Patient/pc", "COL-E")]
    assert [r["reference"] for r in pc_report["evaluatedResource"]] == ["DocumentReference/n-c"]
    assert pc_report["group"][0]["measureScore"] == {"value": 0.0}
    assert individual[("Patient/pc", "BCS-E")]["evaluatedResource"][0]["reference"].startswith("Procedure/")
    assert not any(e["resource"]["resourceType"] == "Procedure" for b in out["Bundle-gaps.ndjson"] for e in b["entry"])

    summaries = {(r["measure"].split("|")[0].rsplit("/", 1)[1], r["reporter"]["reference"]): r
                 for r in out["MeasureReport-summary.ndjson"]}
    col_north = summaries[("COL-E", "Organization/clinic-north")]["group"][0]
    assert _counts(col_north)["numerator"] == 2 and col_north["measureScore"] == {"value": 1.0}
    col_all = summaries[("COL-E", "Organization/qae-run-small")]["group"][0]
    assert _counts(col_all)["denominator"] == 3 and col_all["measureScore"] == {"value": 0.6667}
    assert all(r["type"] == "summary" and "subject" not in r for r in summaries.values())


def test_fhir_is_byte_identical_across_renders(small_run: RunData, tmp_path: Path) -> None:
    a = [p.read_bytes() for p in write_fhir(small_run, tmp_path / "a")]
    b = [p.read_bytes() for p in write_fhir(replace(small_run, outcomes=small_run.outcomes[::-1]), tmp_path / "b")]
    assert a == b


@pytest.mark.parametrize("raw", ["p 1/é", "=HYPERLINK(\"x\")", "a" * 80, "a_b"])
def test_resource_ids_are_valid_and_distinct(raw: str) -> None:
    rid = resource_id(raw)
    assert FHIR_ID.match(rid) and rid != resource_id(raw + "x")
    assert resource_id("a.b") == "a.b" and resource_id("a_b") != resource_id("a-b")


def test_demo_run_fhir(demo_run: RunData, tmp_path: Path) -> None:
    out = _read(write_fhir(demo_run, tmp_path))
    _everything(out)
    for bundle in out["Bundle-gaps.ndjson"]:
        _check_gaps_bundle(bundle)
    statuses = {_gap_status(e["resource"]) for b in out["Bundle-gaps.ndjson"] for e in b["entry"]
                if e["resource"]["resourceType"] == "DetectedIssue"}
    assert {"open-gap", "closed-gap"} <= statuses
    # demo-001's COL-E: closed by the 03/2019 colonoscopy in note demo-001-01
    report = next(r for r in out["MeasureReport-individual.ndjson"]
                  if r["id"] == "demo-001-COL-E")
    assert _counts(report["group"][0]) == dict(zip(POPS, [1, 1, 0, 0, 1, 0], strict=True))
    ref = next(r for r in report["evaluatedResource"] if r["reference"] == "DocumentReference/demo-001-01")
    ev = {e["url"]: next(v for k, v in e.items() if k.startswith("value")) for e in ref["extension"][1]["extension"]}
    item = demo_run.evidence[ev["evidenceId"]]
    assert item.span == ev["span"] == "Colonoscopy" and (ev["start"], ev["end"]) == (item.start, item.end)
    assert ev["date"] == "2019-03"
    # structured evidence travels as the resource type its source names, with its code
    kinds = {e["resource"]["resourceType"]: e["resource"] for b in out["Bundle-gaps.ndjson"] for e in b["entry"]}
    assert {"Immunization", "Procedure", "Condition", "DocumentReference"} <= set(kinds)
    assert any(r["reference"].startswith("Encounter/") for m in out["MeasureReport-individual.ndjson"]
               for r in m.get("evaluatedResource", ()))  # e.g. a hospice stay that excludes
    assert kinds["Immunization"]["vaccineCode"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/cvx"
