"""FHIR R4 output of a run: MeasureReports and Da Vinci DEQM gaps-in-care bundles.

``write_fhir(run, out_dir)`` writes three NDJSON files (one resource per line, the bulk-data
format) under ``<out_dir>/fhir/``:

* ``MeasureReport-individual.ndjson``: per patient and measure (patients in the initial
  population of at least one of its groups) an individual MeasureReport following the DEQM
  Individual MeasureReport profile: status, type ``individual``, a versioned measure canonical,
  subject, date, reporter (the patient's clinic), period, ``measureScoring`` (proportion) and
  ``improvementNotation`` (``decrease`` for inverse measures); one ``group`` per population
  group with the six population counts (several episodes of TRC add up) and the score; and
  ``evaluatedResource`` referencing every deciding item: the note as a DocumentReference, the
  structured event as the resource its source names, the encounter. Each reference carries
  ``cqf-criteriaReference`` (the population it supports) and the evidence extension
  (``EVIDENCE_EXT``: evidence id, element, status, role, the quoted span and its offsets into
  the note, the section, the date at its precision, the rule or model).
* ``MeasureReport-summary.ndjson``: per measure and clinic (and for all clinics) a summary
  MeasureReport with the population counts and the rate.
* ``Bundle-gaps.ndjson``: per patient in the denominator of at least one measure, a DEQM
  gaps-in-care document Bundle (gaps-bundle-deqm): identifier, type ``document``, timestamp,
  the Composition first (gaps-composition-deqm: LOINC 96315-7, subject, date, author, title, one
  section per measure with ``focus`` its individual MeasureReport and ``entry`` its
  DetectedIssues), the MeasureReports, one DetectedIssue per population group (and episode)
  the patient is counted in (gaps-detectedissue-deqm: modifierExtension ``gapStatus``, status,
  code ``CAREGAP``, patient, ``evidence.detail`` the MeasureReport, identified period, the
  reason and action in ``detail``), and every resource they reference (Patient, Organization,
  DocumentReference, structured events, Encounter). Gap status: ``open-gap`` for an open gap;
  ``prospective-gap`` for a closed gap that the same evidence would leave open in the next
  measurement period (``MeasureOutcome.prospective_gap``: its ``valid_through`` falls before the end
  of the next period and the patient is still eligible then); ``closed-gap`` otherwise.
  A patient excluded (DENEX) or excepted (DENEXCEP without NUMER) has no gap for that group.

Profiles followed: Da Vinci DEQM STU5 (5.0.0, http://hl7.org/fhir/us/davinci-deqm); the
``meta.profile`` of each resource names its profile. The output is deterministic: ids come from
the input ids (made FHIR-safe, with a short hash when that changed them), dates from the run's
measurement period (report ``date`` and bundle ``timestamp`` are the period's last day), no
clocks, stable order. Note text appears only as the quoted spans (no full note text).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import operator
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from engine.calculator import MeasureOutcome
from engine.gaps import GAP_DISPLAY
from engine.records import Encounter, Evidence, Patient
from engine.report_parts import Material, Parts, register_counts
from engine.run_data import RunData
from engine.spec import MeasureSpec

__all__ = ["EVIDENCE_EXT", "FHIR_BASE", "fhir_material", "gap_status", "resource_id", "write_fhir", "write_fhir_parts"]

FHIR_BASE = "http://qae.local/fhir"  # the base of fullUrls and canonicals; a deployment sets its own
DEQM = "http://hl7.org/fhir/us/davinci-deqm"
PROFILE = {
    "individual": f"{DEQM}/StructureDefinition/indv-measurereport-deqm",
    "summary": f"{DEQM}/StructureDefinition/summary-measurereport-deqm",
    "bundle": f"{DEQM}/StructureDefinition/gaps-bundle-deqm",
    "composition": f"{DEQM}/StructureDefinition/gaps-composition-deqm",
    "issue": f"{DEQM}/StructureDefinition/gaps-detectedissue-deqm",
}
GAP_STATUS_EXT = f"{DEQM}/StructureDefinition/extension-gapStatus"
GAP_STATUS_SYSTEM = f"{DEQM}/CodeSystem/gaps-status"
SCORING_EXT = f"{DEQM}/StructureDefinition/extension-measureScoring"
CRITERIA_EXT = "http://hl7.org/fhir/StructureDefinition/cqf-criteriaReference"
EVIDENCE_EXT = f"{FHIR_BASE}/StructureDefinition/evidence-span"
GAP_REASON_EXT = f"{FHIR_BASE}/StructureDefinition/gap-reason"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
POPULATIONS = (("ipp", "initial-population", "Initial Population"), ("denom", "denominator", "Denominator"),
               ("denex", "denominator-exclusion", "Denominator Exclusion"),
               ("denexcep", "denominator-exception", "Denominator Exception"),
               ("numer", "numerator", "Numerator"), ("numex", "numerator-exclusion", "Numerator Exclusion"))
CODE_SYSTEMS = {
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm", "ICD10PCS": "http://www.cms.gov/Medicare/Coding/ICD10",
    "CPT": "http://www.ama-assn.org/go/cpt", "HCPCS": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "CVX": "http://hl7.org/fhir/sid/cvx", "LOINC": "http://loinc.org", "SNOMEDCT": "http://snomed.info/sct",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
}
_ID_OK = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_ID_BAD = re.compile(r"[^A-Za-z0-9\-.]+")
_UUID_NS = uuid.UUID("6f0c7f9e-3b0f-5d0e-9a51-7a1e0c2d4b11")
UNASSIGNED = "unassigned"
_GENDER = {"F": "female", "M": "male"}


@functools.lru_cache(maxsize=1 << 16)  # a patient's id is asked for by each of its resources
def resource_id(*parts: str) -> str:
    """A FHIR id (``[A-Za-z0-9-.]{1,64}``) from input ids: kept when already valid, otherwise made
    safe with a short hash of the original appended (distinct inputs never share an id)."""
    raw = "-".join(parts)
    if _ID_OK.match(raw):
        return raw
    return _hashed_id(raw)


def _hashed_id(raw: str) -> str:
    """:func:`resource_id` of ``raw`` when it is not a valid id as it is."""
    digest = hashlib.sha1(raw.encode("utf-8")).hexdigest()[:10]
    safe = _ID_BAD.sub("-", raw).strip("-.")[: 64 - 11]
    return f"{safe}-{digest}" if safe else digest


def _ref(kind: str, ident: str, display: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"reference": f"{kind}/{ident}"}
    if display:
        ref["display"] = display
    return ref


def _code(code: str | None, system: str | None, text: str) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": text}
    if code:
        url = CODE_SYSTEMS.get((system or "").upper(), f"urn:qae:code-system:{system or 'unknown'}")
        concept["coding"] = [{"system": url, "code": code}]
    return concept


def _fhir_date(d: date, precision: str | None) -> str:
    if precision == "year":
        return f"{d.year:04d}"
    if precision == "month":
        return f"{d.year:04d}-{d.month:02d}"
    return d.isoformat()


def gap_status(o: MeasureOutcome, period_end: date) -> str:
    """DEQM gap status of an outcome in the denominator: ``open-gap``, ``prospective-gap`` (closed,
    but the same evidence leaves the gap open in the next measurement period: ``o.prospective_gap``)
    or ``closed-gap``."""
    if o.gap_open:
        return "open-gap"
    if o.prospective_gap:
        return "prospective-gap"
    return "closed-gap"


class _Builder:
    """Turns one RunData into FHIR resources (plain dicts, deterministic)."""

    def __init__(self, run: RunData) -> None:
        self.run = run
        self.period = {"start": run.period.start.isoformat(), "end": run.period.end.isoformat()}
        self.date = run.period.end.isoformat()
        self.timestamp = f"{run.period.end.isoformat()}T00:00:00+00:00"
        self.encounters = {e.encounter_id: e for e in run.encounters}
        self.run_org = resource_id("qae-run", run.job)

    # ------------------------------------------------------------------ ids and small resources
    def clinic(self, patient_id: str) -> str:
        p = self.run.patients.get(patient_id)
        return (p.clinic_id if p and p.clinic_id else UNASSIGNED)

    def org_id(self, clinic: str) -> str:
        return resource_id(clinic)

    def organization(self, clinic: str | None) -> dict[str, Any]:
        if clinic is None:
            return {"resourceType": "Organization", "id": self.run_org, "active": True,
                    "name": f"qae run {self.run.job}"}
        return {"resourceType": "Organization", "id": self.org_id(clinic), "active": True,
                "identifier": [{"system": "urn:qae:clinic-id", "value": clinic}], "name": clinic}

    def patient(self, patient_id: str) -> dict[str, Any]:
        p: Patient | None = self.run.patients.get(patient_id)
        res: dict[str, Any] = {"resourceType": "Patient", "id": resource_id(patient_id),
                               "identifier": [{"system": "urn:qae:patient-id", "value": patient_id}]}
        if p is None:
            return res
        mrn = getattr(p, "mrn", None)
        if mrn:
            res["identifier"].append({"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                                           "code": "MR"}]}, "value": mrn})
        name = getattr(p, "name", None)
        if name:
            res["name"] = [{"text": name}]
        res["gender"] = _GENDER.get(p.sex, "unknown")
        res["birthDate"] = p.birth_date.isoformat()
        res["managingOrganization"] = _ref("Organization", self.org_id(self.clinic(patient_id)))
        if p.provider_id:
            res["generalPractitioner"] = [{"identifier": {"system": "urn:qae:provider-id", "value": p.provider_id},
                                           "display": p.provider_id}]
        return res

    def measure_url(self, measure_id: str, version: str) -> str:
        return f"{FHIR_BASE}/Measure/{measure_id}|{version or 'unversioned'}"

    # ------------------------------------------------------------------ evidence -> resources
    def evidence_target(self, ident: str) -> tuple[str, str] | None:
        """(resource type, id) an evidence id points at; None when the run does not know it."""
        if ident.startswith("encounter:"):
            enc_id = ident.split(":", 1)[1]
            return ("Encounter", resource_id("encounter", enc_id)) if enc_id in self.encounters else None
        ev = self.run.evidence.get(ident)
        if ev is None:
            return None
        if ev.origin == "note":
            return "DocumentReference", resource_id(ev.note_id or "note")
        return self._structured_type(ev), resource_id(ev.evidence_id)

    @staticmethod
    def _structured_type(ev: Evidence) -> str:
        parts = ev.source.split(":")
        kind = parts[1] if len(parts) > 1 and parts[0] == "fhir" else ""
        return kind if kind in _STRUCTURED else "Observation"

    def resource_for(self, ident: str) -> dict[str, Any] | None:
        target = self.evidence_target(ident)
        if target is None:
            return None
        kind, rid = target
        if kind == "Encounter":
            return self._encounter(self.encounters[ident.split(":", 1)[1]], rid)
        ev = self.run.evidence[ident]
        if kind == "DocumentReference":
            return self._document(ev, rid)
        return _STRUCTURED.get(kind, _observation)(ev, rid, _ref("Patient", resource_id(ev.patient_id)))

    def _document(self, ev: Evidence, rid: str) -> dict[str, Any]:
        res: dict[str, Any] = {
            "resourceType": "DocumentReference", "id": rid, "status": "current",
            "identifier": [{"system": "urn:qae:note-id", "value": ev.note_id}],
            "subject": _ref("Patient", resource_id(ev.patient_id)),
            "content": [{"attachment": {"contentType": "text/plain", "title": f"clinical note {ev.note_id}"}}],
        }
        if ev.note_date:
            res["context"] = {"period": {"start": ev.note_date.isoformat(), "end": ev.note_date.isoformat()}}
        return res

    def _encounter(self, enc: Encounter, rid: str) -> dict[str, Any]:
        klass = "IMP" if "inpatient" in enc.types else "EMER" if "emergency_department" in enc.types else "AMB"
        res: dict[str, Any] = {
            "resourceType": "Encounter", "id": rid, "status": "finished",
            "identifier": [{"system": "urn:qae:encounter-id", "value": enc.encounter_id}],
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": klass},
            "type": [_code(enc.code, enc.code_system, " | ".join(enc.types) or "encounter")],
            "subject": _ref("Patient", resource_id(enc.patient_id)),
            "period": {"start": enc.start_date.isoformat()},
        }
        if enc.end_date:
            res["period"]["end"] = enc.end_date.isoformat()
        return res

    def evidence_extension(self, ident: str, role: str) -> dict[str, Any]:
        sub: list[dict[str, Any]] = [{"url": "evidenceId", "valueString": ident}, {"url": "role", "valueCode": role}]
        ev = self.run.evidence.get(ident)
        if ev is not None:
            sub += [{"url": "element", "valueCode": ev.element}, {"url": "status", "valueCode": ev.status},
                    {"url": "source", "valueString": ev.source}]
            if ev.origin == "note" and ev.start is not None and ev.end is not None:
                sub += [{"url": "noteId", "valueString": ev.note_id}, {"url": "span", "valueString": ev.span or ""},
                        {"url": "start", "valueInteger": ev.start}, {"url": "end", "valueInteger": ev.end}]
                if ev.section:
                    sub.append({"url": "section", "valueString": ev.section})
            if ev.event_date is not None:
                sub.append({"url": "date", "valueDate": _fhir_date(ev.event_date, ev.date_precision)})
            if ev.value not in (None, ""):
                sub.append({"url": "value", "valueString": json.dumps(ev.value, sort_keys=True)
                            if isinstance(ev.value, dict) else str(ev.value)})
        return {"url": EVIDENCE_EXT, "extension": sub}

    # ------------------------------------------------------------------ measure reports
    def _group(self, spec: MeasureSpec | None, group_id: str, counts: Mapping[str, int]) -> dict[str, Any]:
        group: dict[str, Any] = {"id": resource_id(group_id)}
        title = next((g.title for g in spec.groups if g.id == group_id and g.title), None) if spec else None
        if title:
            group["code"] = {"text": title}
        group["population"] = [{"code": {"coding": [{"system": POPULATION_SYSTEM, "code": code, "display": display}]},
                                "count": counts[name]} for name, code, display in POPULATIONS]
        eligible = counts["denom"] - counts["denex"] - counts["denexcep"]
        if eligible > 0:
            group["measureScore"] = {"value": round((counts["numer"] - counts["numex"]) / eligible, 4)}
        return group

    def _report_head(self, report_id: str, kind: str, measure_id: str, first: Any, reporter: str) -> dict[str, Any]:
        return {
            "resourceType": "MeasureReport", "id": report_id, "meta": {"profile": [PROFILE[kind]]},
            "extension": [{"url": SCORING_EXT, "valueCodeableConcept": {"coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/measure-scoring", "code": "proportion"}]}}],
            "status": "complete", "type": kind, "measure": self.measure_url(measure_id, first.measure_version),
        } | ({} if kind == "summary" else {"subject": _ref("Patient", resource_id(first.patient_id))}) | {
            "date": self.date, "reporter": _ref("Organization", reporter), "period": dict(self.period),
            "improvementNotation": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/measure-improvement-notation",
                "code": "decrease" if first.inverse else "increase"}]},
        }

    def individual(self, patient_id: str, measure_id: str, outcomes: Sequence[MeasureOutcome]) -> dict[str, Any]:
        spec = self.run.specs.get(measure_id)
        report = self._report_head(resource_id(patient_id, measure_id), "individual", measure_id, outcomes[0],
                                   self.org_id(self.clinic(patient_id)))
        report["group"] = [self._group(spec, g, c) for g, c in _group_counts(outcomes).items()]
        evaluated = []
        seen: set[tuple[str, str]] = set()
        for o in outcomes:
            for population, role, ids in _evaluated_ids(o):
                for ident in ids:
                    target = self.evidence_target(ident)
                    if target is None or (ident, population) in seen:
                        continue
                    seen.add((ident, population))
                    ref = _ref(*target)
                    ref["extension"] = [{"url": CRITERIA_EXT, "valueString": population},
                                        self.evidence_extension(ident, role)]
                    evaluated.append(ref)
        if evaluated:
            report["evaluatedResource"] = evaluated
        return report

    def summary(self, measure_id: str, clinic: str | None, version: str, inverse: bool,
                groups: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
        spec = self.run.specs.get(measure_id)
        reporter = self.run_org if clinic is None else self.org_id(clinic)
        first = SimpleNamespace(measure_version=version, inverse=inverse)
        report = self._report_head(resource_id(measure_id, "summary", clinic or "all"), "summary", measure_id,
                                   first, reporter)
        report["group"] = [self._group(spec, g, c) for g, c in groups.items()]
        return report

    # ------------------------------------------------------------------ gaps in care
    def detected_issue(self, o: MeasureOutcome, report_id: str) -> dict[str, Any]:
        return self._issue(*self.issue_values(o), report_id)

    def issue_values(self, o: MeasureOutcome) -> tuple[str, str, str, str | None, str]:
        """(id, gap status, patient id, gap reason code or None, detail) of the DetectedIssue of ``o``."""
        status = gap_status(o, self.run.period.end)
        parts = [o.patient_id, o.measure_id, o.group] + ([o.episode] if o.episode else [])
        label = o.measure_title or o.measure_id
        if o.group_title or o.group != "1":
            label += f" ({o.group_title or o.group})"
        if o.episode:
            label += f", episode {o.episode}"
        reason = None
        if o.gap_open and o.gap_reason is not None:
            reason = o.gap_reason.value
            detail = f"{label}: {GAP_DISPLAY[o.gap_reason]}. Action: {o.gap_action}"
        elif status == "prospective-gap":
            detail = (f"{label}: closed; the deciding evidence counts through "
                      f"{o.valid_through.isoformat() if o.valid_through else ''}, before the end of the "
                      "next measurement period: repeat the service to keep the gap closed")
        else:
            detail = f"{label}: closed"
        return resource_id("gap", *parts), status, resource_id(o.patient_id), reason, detail

    def _issue(self, issue_id: str, status: str, patient_rid: str, reason: str | None, detail: str,
               report_id: str) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "resourceType": "DetectedIssue", "id": issue_id, "meta": {"profile": [PROFILE["issue"]]},
            "modifierExtension": [{"url": GAP_STATUS_EXT, "valueCodeableConcept": {"coding": [
                {"system": GAP_STATUS_SYSTEM, "code": status}]}}],
            "status": "final",
            "code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "CAREGAP",
                                 "display": "Care Gaps"}]},
            "patient": _ref("Patient", patient_rid),
            "identifiedPeriod": dict(self.period),
            "evidence": [{"detail": [_ref("MeasureReport", report_id)]}],
        }
        if reason is not None:
            issue["extension"] = [{"url": GAP_REASON_EXT, "valueCode": reason}]
        issue["detail"] = detail
        return issue

    def gaps_bundle(self, patient_id: str, reports: Mapping[str, dict[str, Any]],
                    outcomes: Mapping[str, Sequence[MeasureOutcome]]) -> dict[str, Any] | None:
        sections, issues, used_reports = [], [], []
        for measure_id in sorted(outcomes):
            counted = [o for o in outcomes[measure_id] if _in_gap_bundle(o)]
            if not counted:
                continue
            report = reports[measure_id]
            found = [self.detected_issue(o, report["id"]) for o in counted]
            spec = self.run.specs.get(measure_id)
            sections.append({"title": spec.title if spec else measure_id, "focus": _ref("MeasureReport", report["id"]),
                             "entry": [_ref("DetectedIssue", i["id"]) for i in found]})
            issues += found
            used_reports.append(report)
        if not sections:
            return None
        clinic = self.clinic(patient_id)
        composition = self.composition(patient_id, clinic) | {"section": sections}
        resources = [composition, *used_reports, *issues, self.patient(patient_id), self.organization(clinic)]
        targets: dict[tuple[str, str], str] = {}
        for report in used_reports:
            for ref in report.get("evaluatedResource", ()):
                ident = next(e for e in ref["extension"] if e["url"] == EVIDENCE_EXT)["extension"][0]["valueString"]
                kind, rid = ref["reference"].split("/", 1)
                targets.setdefault((kind, rid), ident)
        for (_kind, _rid), ident in sorted(targets.items()):
            res = self.resource_for(ident)
            if res is not None:
                resources.append(res)
        return self.bundle_head(patient_id) | {
            "entry": [{"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
        }

    def composition(self, patient_id: str, clinic: str) -> dict[str, Any]:
        """The gaps Composition of a patient without its ``section`` (its last member)."""
        return {
            "resourceType": "Composition", "id": resource_id("gaps", patient_id), "meta": {"profile": [
                PROFILE["composition"]]},
            "status": "final",
            "type": {"coding": [{"system": "http://loinc.org", "code": "96315-7", "display": "Gaps in care report"}]},
            "subject": _ref("Patient", resource_id(patient_id)), "date": self.timestamp,
            "author": [_ref("Organization", self.org_id(clinic))],
            "title": f"Care gaps report for patient {patient_id}",
            "custodian": _ref("Organization", self.org_id(clinic)),
        }

    def bundle_uuid(self, patient_id: str) -> str:
        """The UUID of a patient's gaps Bundle (its identifier): from the job, the report date and the patient."""
        return str(uuid.uuid5(_UUID_NS, f"{self.run.job}|{self.date}|{patient_id}"))

    def bundle_head(self, patient_id: str) -> dict[str, Any]:
        """The gaps Bundle of a patient without its ``entry`` (its last member)."""
        return {
            "resourceType": "Bundle", "id": resource_id("gaps-bundle", patient_id), "meta": {"profile": [
                PROFILE["bundle"]]},
            "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{self.bundle_uuid(patient_id)}"},
            "type": "document", "timestamp": self.timestamp,
        }


_enc = json.encoder.encode_basestring  # _line(a str): the string quoted and escaped, non-ASCII kept
# A hole in a template resource: a string "\x00name\x00" (or one containing it); _line writes the NUL as
# \u0000, which no other text of a resource holds (an input id or title with a NUL in it only makes
# _pieces refuse the template). Names starting "j_" are whole string values, filled with JSON text
# (quotes included); the others are filled with text that needs no escaping (resource ids, dates, codes).
_HOLE = re.compile(r'"\\u0000(j_\w+)\\u0000"|\\u0000(\w+)\\u0000')
_ORDER = operator.attrgetter("patient_id", "measure_id", "group", "episode")
_PATIENT_ID = operator.attrgetter("patient_id")
_MEASURE_ID = operator.attrgetter("measure_id")


def _hole(name: str) -> str:
    return f"\x00{name}\x00"


def _pieces(resource: dict[str, Any], names: Sequence[str], open_end: bool = False) -> tuple[str, ...]:
    """``_line(resource)`` cut at its holes (:data:`_HOLE`): the texts before, between and after them,
    the holes being ``names`` in that order; ``open_end``: without the closing brace (more members follow)."""
    text = _line(resource)[:-1] if open_end else _line(resource)
    out, found, pos = [], [], 0
    for m in _HOLE.finditer(text):
        out.append(text[pos:m.start()])
        found.append(m.group(1) or m.group(2))
        pos = m.end()
    out.append(text[pos:])
    if found != list(names):
        raise ValueError(f"template holes {found} are not {list(names)}")
    return tuple(out)


def _fill(pieces: Sequence[str], values: Sequence[str]) -> str:
    """The text of a template: its pieces with ``values`` between them."""
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(value)
        out.append(piece)
    return "".join(out)


def _rid(raw: str) -> str:
    """``resource_id(raw)`` (the same as ``resource_id(*parts)`` of parts joined by ``-``), uncached."""
    return raw if _ID_OK.match(raw) else _hashed_id(raw)


class _Report:
    """What a MeasureReport's text is made of for one (measure, version, inverse, the groups, population
    flags and whether they have evidence of a patient's outcomes of it): its number (in the order first
    seen), whether it is written (the initial population holds the patient), the texts around its id,
    subject and reporter (its groups included), the positions of the outcomes its gaps Bundle reports,
    whether an outcome has evidence ids."""

    __slots__ = ("a", "b", "c", "d", "evidence", "gaps", "index", "measure_id", "reported", "sig")

    def __init__(self, index: int, measure_id: str, sig: tuple[Any, ...]) -> None:
        self.index, self.measure_id, self.sig = index, measure_id, sig
        self.reported = any(s[1] for s in sig)
        self.evidence = any(s[7] for s in sig)
        self.a = self.b = self.c = self.d = ""
        self.gaps: tuple[int, ...] = ()


class _Lines:
    """The NDJSON lines of :class:`_Builder`'s individual MeasureReports and gaps Bundles, written as text
    from pieces encoded once per run. The constant parts of a MeasureReport, a DetectedIssue, a Composition,
    a Bundle and a Patient are templates: :class:`_Builder`'s own dicts with holes for the patient's values,
    encoded by :func:`_line` and cut at the holes (:func:`_pieces`). A report's text up to its evaluated
    resources is kept per (measure, version, inverse, the groups and population flags of its outcomes): a
    patient only adds ids. A DetectedIssue's text after its ids is kept per what its status, reason and
    detail are made of; an evaluated resource's text per (evidence, population, role). Equal, byte for byte,
    to ``_line`` of the dicts :class:`_Builder` builds (:func:`_reference_lines`, the slow path;
    tests/audit_trail/test_fhir_fast_lines.py and test_fhir_fast_material.py hold them to it)."""

    def __init__(self, b: _Builder) -> None:
        self.b = b
        self._reports: dict[tuple[Any, ...], _Report] = {}
        self._groups: dict[tuple[str, str, tuple[int, ...]], str] = {}
        self._evaluated: dict[tuple[str, str, str], tuple[str, str, str] | None] = {}
        self._issues: dict[tuple[Any, ...], tuple[str, str, str, str]] = {}
        self._orgs: dict[str, str] = {}
        self._titles: dict[str, str] = {}
        self._patients: dict[tuple[bool, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._safe_tails: dict[str, str] = {}
        composition = b.composition(_hole("gid"), "x") | {
            "subject": {"reference": f"Patient/{_hole('pid')}"},
            "author": [{"reference": f"Organization/{_hole('org')}"}], "title": _hole("j_title"),
            "custodian": {"reference": f"Organization/{_hole('org')}"}}
        composition["id"] = _hole("gid")
        self._composition = _pieces(composition, ("gid", "pid", "org", "j_title", "org"), open_end=True)
        head = b.bundle_head("x")
        head["id"] = _hole("bid")
        head["identifier"] = head["identifier"] | {"value": f"urn:uuid:{_hole('uuid')}"}
        self._bundle = _pieces(head, ("bid", "uuid"), open_end=True)
        self._urls = {kind: '{"fullUrl":' + _enc(f"{FHIR_BASE}/{kind}/")[:-1] for kind in (
            "Composition", "MeasureReport", "DetectedIssue", "Patient", "Organization")}

    def _report(self, measure_id: str, first: MeasureOutcome, sig: tuple[Any, ...],
                outcomes: Sequence[MeasureOutcome]) -> _Report:
        """The :class:`_Report` of a patient's ``outcomes`` of a measure (``sig``: their groups, population
        flags and whether they have evidence ids, :meth:`patient_lines`)."""
        key = (measure_id, first.measure_version, first.inverse, sig)
        found = self._reports.get(key)
        if found is None:
            found = self._reports[key] = _Report(len(self._reports), measure_id, sig)
            if found.reported:
                b = self.b
                ns = SimpleNamespace(measure_version=first.measure_version, inverse=first.inverse, patient_id="x")
                report = b._report_head(_hole("rid"), "individual", measure_id, ns, _hole("org"))
                report["subject"] = {"reference": f"Patient/{_hole('pid')}"}
                found.a, found.b, found.c, d = _pieces(report, ("rid", "pid", "org"), open_end=True)
                groups = ",".join(self._group(measure_id, g, counts) for g, counts in _group_counts(outcomes).items())
                found.d = d + ',"group":[' + groups + "]"
                found.gaps = tuple(i for i, o in enumerate(outcomes) if _in_gap_bundle(o))
        return found

    def _group(self, measure_id: str, group_id: str, counts: dict[str, int]) -> str:
        key = (measure_id, group_id, tuple(counts.values()))
        text = self._groups.get(key)
        if text is None:
            text = self._groups[key] = _line(self.b._group(self.b.run.specs.get(measure_id), group_id, counts))
        return text

    def _ref(self, ident: str, population: str, role: str) -> tuple[str, str, str] | None:
        """(the evaluated resource's text, its kind, its id), None when the run does not know ``ident``."""
        key = (ident, population, role)
        if key in self._evaluated:
            return self._evaluated[key]
        target = self.b.evidence_target(ident)
        found = None
        if target is not None:
            ref = _ref(*target)
            ref["extension"] = [{"url": CRITERIA_EXT, "valueString": population},
                                self.b.evidence_extension(ident, role)]
            found = (_line(ref), *target)
        self._evaluated[key] = found
        return found

    def _evaluated_resources(self, outcomes: Sequence[MeasureOutcome]) -> tuple[list[str], list[tuple[str, str, str]]]:
        """(the texts of a report's evaluated resources, their (kind, id, evidence id)), in order."""
        evaluated: list[str] = []
        targets: list[tuple[str, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for o in outcomes:
            for population, role, ids in _evaluated_ids(o):
                for ident in ids:
                    if (ident, population) in seen:
                        continue
                    found = self._ref(ident, population, role)
                    if found is None:
                        continue
                    seen.add((ident, population))
                    evaluated.append(found[0])
                    targets.append((found[1], found[2], ident))
        return evaluated, targets

    def _issue(self, o: MeasureOutcome, issue_id: str, pid: str, report_id: str) -> str:
        """The DetectedIssue of ``o``: its text after the ids kept per what :meth:`_Builder.issue_values`
        makes its status, reason and detail of (outcomes of one measure and group mostly share them)."""
        key = (o.measure_id, o.measure_title, o.group, o.group_title, o.episode, o.gap_open, o.gap_reason,
               o.gap_action, o.prospective_gap, o.valid_through)
        found = self._issues.get(key)
        if found is None:
            _, status, _, reason, detail = self.b.issue_values(o)
            issue = self.b._issue(_hole("iid"), status, "x", None if reason is None else _hole("j_reason"),
                                  _hole("j_detail"), "x")
            issue["patient"] = {"reference": f"Patient/{_hole('pid')}"}
            issue["evidence"] = [{"detail": [{"reference": f"MeasureReport/{_hole('rid')}"}]}]
            names = ("iid", "pid", "rid", *(() if reason is None else ("j_reason",)), "j_detail")
            p = _pieces(issue, names)
            tail = _fill(p[3:], ((() if reason is None else (_enc(reason),)) + (_enc(detail),)))
            found = self._issues[key] = (p[0], p[1], p[2], tail)
        return "".join((found[0], issue_id, found[1], pid, found[2], report_id, found[3]))

    def _organization(self, clinic: str) -> str:
        text = self._orgs.get(clinic)
        if text is None:
            text = self._orgs[clinic] = _line(self.b.organization(clinic))
        return text

    def _patient(self, patient_id: str, pid: str, org: str) -> str:
        """``_line(_Builder.patient(patient_id))`` from a template per which optional members it has."""
        p: Patient | None = self.b.run.patients.get(patient_id)
        if p is None:
            return _line(self.b.patient(patient_id))
        mrn, name = getattr(p, "mrn", None), getattr(p, "name", None)
        key = (bool(mrn), bool(name), bool(p.provider_id))
        found = self._patients.get(key)
        if found is None:
            res = self.b.patient(patient_id)
            res["id"] = _hole("pid")
            res["identifier"][0]["value"] = _hole("j_patient")
            names = ["pid", "j_patient"]
            if mrn:
                res["identifier"][1]["value"] = _hole("j_mrn")
                names.append("j_mrn")
            if name:
                res["name"] = [{"text": _hole("j_name")}]
                names.append("j_name")
            res["gender"], res["birthDate"] = _hole("gender"), _hole("birth")
            res["managingOrganization"] = {"reference": f"Organization/{_hole('org')}"}
            names += ["gender", "birth", "org"]
            if p.provider_id:
                res["generalPractitioner"][0]["identifier"]["value"] = _hole("j_prov")
                res["generalPractitioner"][0]["display"] = _hole("j_prov")
                names += ["j_prov", "j_prov"]
            found = self._patients[key] = (_pieces(res, names), tuple(names))
        values = {"pid": pid, "j_patient": _enc(patient_id), "gender": _GENDER.get(p.sex, "unknown"),
                  "birth": p.birth_date.isoformat(), "org": org}
        if mrn:
            values["j_mrn"] = _enc(mrn)
        if name:
            values["j_name"] = _enc(name)
        if p.provider_id:
            values["j_prov"] = _enc(p.provider_id)
        return _fill(found[0], [values[n] for n in found[1]])

    def _ids(self, patient_id: str, pid: str) -> Callable[[str, str], str]:
        """``ids(head, tail)``: ``resource_id(head + patient_id + tail)``, ``head`` a valid id ending ``-`` (or
        empty), ``tail`` empty or starting ``-`` (``pid``: the patient's own id). An id made of an invalid
        patient id is invalid; its safe part is the safe parts of its pieces joined (``-`` ends a run of
        invalid characters), the patient's made once."""
        if pid == patient_id:
            return lambda head, tail: _rid(head + patient_id + tail)
        safe_patient = _ID_BAD.sub("-", patient_id)
        safe_tails = self._safe_tails

        def ids(head: str, tail: str) -> str:
            safe_tail = safe_tails.get(tail)
            if safe_tail is None:
                safe_tail = safe_tails[tail] = _ID_BAD.sub("-", tail)
            digest = hashlib.sha1((head + patient_id + tail).encode("utf-8")).hexdigest()[:10]
            safe = (head + safe_patient + safe_tail).strip("-.")[: 64 - 11]
            return f"{safe}-{digest}" if safe else digest
        return ids

    def patient_lines(self, patient_id: str, outcomes: Iterable[MeasureOutcome],
                      counts: dict[tuple[Any, ...], list[Any]] | None = None) -> tuple[list[str], str | None]:
        """The lines of a patient's individual MeasureReports (``outcomes``: all the patient's, in measure,
        group and episode order; a report per measure whose initial population holds the patient) and of
        the gaps Bundle (None: none). ``counts`` is added to, for every measure of the patient (the summary
        reports): (:class:`_Report` number, clinic) -> [first outcome, patients, measure, the outcomes' groups,
        population flags and whether they have evidence ids]."""
        b = self.b
        clinic = b.clinic(patient_id)
        pid = _rid(patient_id)
        rid_of = self._ids(patient_id, pid)
        org = b.org_id(clinic)
        lines: list[str] = []
        sections: list[str] = []
        issues: list[str] = []
        used: list[tuple[str, str, list[tuple[str, str, str]]]] = []
        for measure_id, group in itertools.groupby(outcomes, _MEASURE_ID):
            os = list(group)
            sig = tuple([(o.group, (f := o.populations).ipp, f.denom, f.denex, f.denexcep, f.numer, f.numex,
                          bool(o.numer_evidence_ids or o.denex_evidence_ids or o.denexcep_evidence_ids
                               or o.gap_evidence_ids)) for o in os])
            first = os[0]
            report = self._report(measure_id, first, sig, os)
            if counts is not None:
                key = (report.index, clinic)
                seen = counts.get(key)
                if seen is None:
                    counts[key] = [first, 1, measure_id, sig]
                else:
                    seen[1] += 1
            if not report.reported:
                continue
            gaps = report.gaps
            rid = rid_of("", f"-{measure_id}")
            text = "".join((report.a, rid, report.b, pid, report.c, org, report.d))
            targets: list[tuple[str, str, str]] = []
            if report.evidence:
                evaluated, targets = self._evaluated_resources(os)
                if evaluated:
                    text += ',"evaluatedResource":[' + ",".join(evaluated) + "]"
            text += "}"
            lines.append(text)
            if not gaps:
                continue
            found = []
            for i in gaps:
                o = os[i]
                iid = rid_of("gap-", f"-{measure_id}-{o.group}-{o.episode}" if o.episode
                             else f"-{measure_id}-{o.group}")
                found.append(iid)
                issues += (self._urls["DetectedIssue"], iid, '","resource":', self._issue(o, iid, pid, rid), "},")
            title = self._titles.get(measure_id)
            if title is None:
                spec = b.run.specs.get(measure_id)
                title = self._titles[measure_id] = _enc(spec.title if spec else measure_id)
            sections.append('{"title":' + title + ',"focus":{"reference":"MeasureReport/' + rid
                            + '"},"entry":[' + ",".join('{"reference":"DetectedIssue/' + i + '"}' for i in found)
                            + "]}")
            used.append((rid, text, targets))
        if not sections:
            return lines, None
        gid = rid_of("gaps-", "")
        comp = self._composition
        parts = [_fill(self._bundle, (rid_of("gaps-bundle-", ""), b.bundle_uuid(patient_id))),
                 ',"entry":[', self._urls["Composition"], gid, '","resource":',
                 _fill(comp, (gid, pid, org, _enc(f"Care gaps report for patient {patient_id}"), org)),
                 ',"section":[', ",".join(sections), "]}},"]
        for rid, text, _ in used:
            parts += (self._urls["MeasureReport"], rid, '","resource":', text, "},")
        parts += issues
        parts += (self._urls["Patient"], pid, '","resource":', self._patient(patient_id, pid, org), "},",
                  self._urls["Organization"], org, '","resource":', self._organization(clinic), "}")
        targets_of: dict[tuple[str, str], str] = {}
        for _, _, targets in used:
            for kind, target_id, ident in targets:
                targets_of.setdefault((kind, target_id), ident)
        for (_kind, _target_id), ident in sorted(targets_of.items()):
            res = b.resource_for(ident)
            if res is not None:
                parts.append(",")
                parts.append('{"fullUrl":' + _enc(f"{FHIR_BASE}/{res['resourceType']}/{res['id']}")
                             + ',"resource":' + _line(res) + "}")
        parts.append("]}")
        return lines, "".join(parts)


def _condition(ev: Evidence, rid: str, patient: dict[str, Any]) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Condition", "id": rid, "subject": patient,
                           "code": _code(ev.code, ev.code_system, ev.element)}
    category = ev.source.split(":")[2] if ev.source.count(":") >= 2 else None
    if category in ("encounter-diagnosis", "problem-list-item"):
        res["category"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                        "code": category}]}]
    if ev.event_date:
        res["onsetDateTime"] = ev.event_date.isoformat()
    if ev.end_date:
        res["abatementDateTime"] = ev.end_date.isoformat()
    return res


def _procedure(ev: Evidence, rid: str, patient: dict[str, Any]) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Procedure", "id": rid, "status": "completed", "subject": patient,
                           "code": _code(ev.code, ev.code_system, ev.element)}
    if ev.event_date:
        res["performedPeriod" if ev.end_date and ev.end_date != ev.event_date else "performedDateTime"] = (
            {"start": ev.event_date.isoformat(), "end": ev.end_date.isoformat()}
            if ev.end_date and ev.end_date != ev.event_date else ev.event_date.isoformat())
    return res


def _immunization(ev: Evidence, rid: str, patient: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Immunization", "id": rid, "status": "completed", "patient": patient,
            "vaccineCode": _code(ev.code, ev.code_system, ev.element),
            "occurrenceDateTime": (ev.event_date or date.min).isoformat()}


def _observation(ev: Evidence, rid: str, patient: dict[str, Any]) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Observation", "id": rid,
                           "status": "cancelled" if ev.source.endswith(":not-done") else "final",
                           "code": _code(ev.code, ev.code_system, ev.element), "subject": patient}
    if ev.event_date:
        res["effectiveDateTime"] = ev.event_date.isoformat()
    if ev.value not in (None, ""):
        res["valueString"] = str(ev.value)
    return res


def _request(kind: str) -> Any:
    def build(ev: Evidence, rid: str, patient: dict[str, Any]) -> dict[str, Any]:
        key = "codeCodeableConcept" if kind == "DeviceRequest" else "medicationCodeableConcept"
        res: dict[str, Any] = {"resourceType": kind, "id": rid, "status": "active", "intent": "order",
                               key: _code(ev.code, ev.code_system, ev.element), "subject": patient}
        if ev.event_date:
            res["authoredOn"] = ev.event_date.isoformat()
        return res
    return build


def _dispense(ev: Evidence, rid: str, patient: dict[str, Any]) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "MedicationDispense", "id": rid, "status": "completed", "subject": patient,
                           "medicationCodeableConcept": _code(ev.code, ev.code_system, ev.element)}
    if ev.event_date:
        res["whenHandedOver"] = ev.event_date.isoformat()
    return res


_STRUCTURED = {"Condition": _condition, "Procedure": _procedure, "Immunization": _immunization,
               "Observation": _observation, "DeviceRequest": _request("DeviceRequest"),
               "MedicationRequest": _request("MedicationRequest"), "MedicationDispense": _dispense}


def _write_ndjson(path: Path, resources: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for res in resources:
            fh.write(json.dumps(res, ensure_ascii=False, separators=(",", ":")) + "\n")


def _in_gap_bundle(o: MeasureOutcome) -> bool:
    """An outcome the gaps Bundle reports: in the denominator, not excluded, and not an exception
    left outside the numerator."""
    p = o.populations
    return bool(p.denom and not p.denex and not (p.denexcep and not p.numer))


def _evaluated_ids(o: MeasureOutcome) -> tuple[tuple[str, str, Sequence[str]], ...]:
    """(population, role, evidence ids) of an outcome, in the order its evaluated resources are listed."""
    return (("numerator", "decided", o.numer_evidence_ids),
            ("denominator-exclusion", "decided", o.denex_evidence_ids),
            ("denominator-exception", "decided", o.denexcep_evidence_ids),
            ("numerator", "came-close", o.gap_evidence_ids))


def _group_counts(outcomes: Iterable[MeasureOutcome]) -> dict[str, dict[str, int]]:
    """Population counts per group, groups in the order they first appear."""
    out: dict[str, dict[str, int]] = {}
    for o in outcomes:
        _add_counts(out, o)
    return out


def _add_counts(out: dict[str, dict[str, int]], o: MeasureOutcome) -> None:
    """Add the population flags of ``o`` to its group's counts in ``out`` (``PopulationFlags.as_ints``)."""
    counts = out.get(o.group)
    if counts is None:
        counts = out[o.group] = dict.fromkeys(_POPULATION_NAMES, 0)
    f = o.populations
    counts["ipp"] += f.ipp
    counts["denom"] += f.denom
    counts["denex"] += f.denex
    counts["denexcep"] += f.denexcep
    counts["numer"] += f.numer
    counts["numex"] += f.numex


_POPULATION_NAMES = tuple(name for name, _, _ in POPULATIONS)


def _line(resource: dict[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


def _bundle_line(bundle: dict[str, Any], known: Mapping[int, str]) -> str:
    """``_line(bundle)``, the resources already serialized (``known``: by ``id()``) taken as they are (a
    JSON object is its members' text joined in order): each individual MeasureReport is encoded once."""
    if not bundle or list(bundle)[-1] != "entry":
        return _line(bundle)
    head = {k: v for k, v in bundle.items() if k != "entry"}
    entries = []
    for e in bundle["entry"]:
        if list(e) != ["fullUrl", "resource"]:
            return _line(bundle)
        body = known.get(id(e["resource"]))
        entries.append(f'{{"fullUrl":{_line(e["fullUrl"])},"resource":{body or _line(e["resource"])}}}')
    return (_line(head)[:-1] + "," if head else "{") + '"entry":[' + ",".join(entries) + "]}"


def _patient_order(run: RunData) -> list[MeasureOutcome]:
    return sorted(run.outcomes, key=lambda o: (o.patient_id, o.measure_id, o.group, o.episode))


def _by_patient(run: RunData, outcomes: Sequence[MeasureOutcome] | None = None) -> \
        list[tuple[str, dict[str, list[MeasureOutcome]]]]:
    """(patient, its outcomes per measure whose initial population holds the patient, in measure order),
    for every patient with outcomes, in patient order (outcomes in group and episode order; ``outcomes``:
    the run's in that order, :func:`_patient_order`)."""
    outcomes = _patient_order(run) if outcomes is None else outcomes
    per_patient: dict[str, dict[str, list[MeasureOutcome]]] = defaultdict(lambda: defaultdict(list))
    for o in outcomes:
        per_patient[o.patient_id][o.measure_id].append(o)
    return [(p, {m: os for m, os in sorted(per_patient[p].items()) if any(o.populations.ipp for o in os)})
            for p in sorted(per_patient)]


def _reference_lines(run: RunData) -> Iterator[tuple[str, list[str], str | None]]:
    """(patient, its individual MeasureReports' lines, its gaps Bundle's line or None): the slow path, every
    resource built as a dict by :class:`_Builder` and encoded by :func:`_line` (what :class:`_Lines` equals)."""
    b = _Builder(run)
    for patient_id, measures in _by_patient(run):
        reports = {m: b.individual(patient_id, m, os) for m, os in measures.items()}
        lines = {id(report): _line(report) for report in reports.values()}
        bundle = b.gaps_bundle(patient_id, reports, measures)
        yield patient_id, list(lines.values()), None if bundle is None else _bundle_line(bundle, lines)


def _fast_lines(run: RunData, counts: dict[tuple[Any, ...], list[Any]] | None = None) -> \
        Iterator[tuple[str, list[str], str | None]]:
    """:func:`_reference_lines`, written by :class:`_Lines` (``counts``: see :meth:`_Lines.patient_lines`)."""
    lines = _Lines(_Builder(run))
    for patient_id, outcomes in itertools.groupby(sorted(run.outcomes, key=_ORDER), _PATIENT_ID):
        yield patient_id, *lines.patient_lines(patient_id, outcomes, counts)


def fhir_material(run: RunData) -> Material:
    """One partition's FHIR: streams ``fhir_individual`` and ``fhir_bundle`` (NDJSON lines keyed by patient)
    and counts ``fhir_summary`` (population counts per measure and clinic, and per measure)."""
    material = Material()
    counts: dict[tuple[Any, ...], list[Any]] = {}
    for n, (patient_id, reports, bundle) in enumerate(_fast_lines(run, counts)):
        key = [patient_id, n]  # one list for the patient's rows (keys are not changed)
        for line in reports:
            material.add_encoded("fhir_individual", key, line)
        if bundle is not None:
            material.add_encoded("fhir_bundle", key, bundle)
    # counts per group (groups in the order they first appear, in patient order), with the first outcome's
    # version and inverse: ``counts`` holds each (report kind, clinic) in the order it first appeared, with
    # its first outcome, how many patients have it, its measure and its outcomes' groups and flags
    per_measure_clinic: dict[tuple[str, str], tuple[MeasureOutcome, dict[str, dict[str, int]]]] = {}
    per_measure: dict[str, tuple[MeasureOutcome, dict[str, dict[str, int]]]] = {}
    for (_, clinic), (first, times, measure_id, sig) in counts.items():
        for table, key in ((per_measure_clinic, (measure_id, clinic)), (per_measure, measure_id)):
            found = table.get(key)
            if found is None:
                found = table[key] = (first, {})
            groups = found[1]
            for group, *flags, _evidence in sig:
                acc = groups.get(group)
                if acc is None:
                    acc = groups[group] = dict.fromkeys(_POPULATION_NAMES, 0)
                for name, flag in zip(_POPULATION_NAMES, flags, strict=True):
                    if flag:
                        acc[name] += flag * times

    def entry(found: tuple[MeasureOutcome, dict[str, dict[str, int]]]) -> list[Any]:
        return [found[0].measure_version, found[0].inverse, list(found[1].items())]

    material.counts["fhir_summary"] = {
        "measure_clinic": [[m, c, *entry(f)] for (m, c), f in sorted(per_measure_clinic.items())],
        "measure": [[m, *entry(f)] for m, f in sorted(per_measure.items())],
    }
    return material


def _merge_groups(entries: Iterable[list[Any]]) -> tuple[str, bool, dict[str, dict[str, int]]]:
    """(version, inverse) of the first partition's entry; counts summed per group (first-seen order)."""
    first: list[Any] | None = None
    groups: dict[str, dict[str, int]] = {}
    for e in entries:
        first = first or e
        for g, counts in e[2]:
            acc = groups.setdefault(g, dict.fromkeys(counts, 0))
            for k, v in counts.items():
                acc[k] += v
    assert first is not None
    return first[0], first[1], groups


def _combine_summary(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Two partitions' ``fhir_summary`` counts as one partition's (group counts summed per key)."""
    out: dict[str, Any] = {}
    for name, width in (("measure_clinic", 2), ("measure", 1)):
        by_key: dict[tuple[Any, ...], list[list[Any]]] = defaultdict(list)
        for entry in (*a[name], *b[name]):
            by_key[tuple(entry[:width])].append(entry[width:])
        out[name] = [[*key, *(es[0] if len(es) == 1 else _merged_entry(es))] for key, es in sorted(by_key.items())]
    return out


def _merged_entry(entries: Sequence[list[Any]]) -> list[Any]:
    version, inverse, groups = _merge_groups(entries)
    return [version, inverse, list(groups.items())]


register_counts("fhir_summary", _combine_summary)


def write_fhir_parts(parts: Parts, run: RunData, out_dir: Path) -> list[Path]:
    """The three NDJSON files from the partitions' material (resources streamed in patient order)."""
    folder = Path(out_dir) / "fhir"
    folder.mkdir(parents=True, exist_ok=True)
    b = _Builder(run)
    individual_path = folder / "MeasureReport-individual.ndjson"
    summary_path = folder / "MeasureReport-summary.ndjson"
    bundle_path = folder / "Bundle-gaps.ndjson"
    for path, stream in ((individual_path, "fhir_individual"), (bundle_path, "fhir_bundle")):
        with path.open("wb") as fh:
            parts.write_encoded(stream, fh)
    by_mc: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
    by_m: dict[str, list[list[Any]]] = defaultdict(list)
    for counts in parts.counts("fhir_summary"):
        for m, c, *e in counts["measure_clinic"]:
            by_mc[(m, c)].append(e)
        for m, *e in counts["measure"]:
            by_m[m].append(e)
    summaries = [b.summary(m, c, *_merge_groups(es)) for (m, c), es in sorted(by_mc.items())]
    summaries += [b.summary(m, None, *_merge_groups(es)) for m, es in sorted(by_m.items())]
    _write_ndjson(summary_path, summaries)
    return [bundle_path, individual_path, summary_path]


def write_fhir(run: RunData, out_dir: Path) -> list[Path]:
    """Write ``fhir/MeasureReport-individual.ndjson``, ``fhir/MeasureReport-summary.ndjson`` and
    ``fhir/Bundle-gaps.ndjson`` under ``out_dir``; returns the paths."""
    return write_fhir_parts(Parts([fhir_material(run)]), run, out_dir)
