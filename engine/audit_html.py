"""The one-file HTML audit report: every decision traced back to the words that made it.

``write_audit_html(run, out_dir)`` renders, from a run's stored outcomes and evidence (no NLP):

* a summary: per measure (and population group) the population counts and the rate, for all
  clinics and per clinic, with an inline SVG bar chart of the rates (inverse measures, where
  lower is better, are marked);
* one row per patient x measure (x group x episode) in the initial population: the decision
  (open gap, closed, excluded, exception, not in the denominator), the populations, the gap
  reason and clinic action, and every evidence item that decided it, shown in its sentence with
  the span highlighted, with its status, date and date precision (a year-only date reads as the
  year), section, note id and date, and the rule or model that fired; structured evidence with
  its code, value and source; for an open gap, the evidence that came close (an order, a
  refusal, a test too old: ``MeasureOutcome.gap_evidence_ids``);
* filters by clinic, measure, status and gap reason, and a patient search (a few lines of
  inline JS; the page works offline and loads nothing from anywhere);
* with a status model (pipelines.status_model), each note item says who decided its status and
  the model's probability; a filter keeps the rows whose evidence the rules and the model read
  differently (``readers_disagree``), and an order puts those rows first.

Note text is HTML-escaped (jinja2's autoescaping; the rows by :func:`_row_html`, as autoescaping does);
a Content-Security-Policy allows only the page's own script (by its hash) and inline styles, so nothing
a note contains can run.

Files: ``<out_dir>/audit.html``. A large run (more than ``SPLIT_ROWS`` rows in more than one
clinic, or more than the page size of patients in one) is split: ``audit.html`` keeps the summary
and links to ``audit/<clinic>.html``, one file per clinic (names as in ``care_gaps/``). A clinic
with more patients than the page size (the writer's ``page_size``, else the run's config
``reports.audit_page_patients`` (``RunData.audit_page_patients``), else ``QAE_AUDIT_PAGE_PATIENTS``,
else :data:`PAGE_PATIENTS`) is paged: ``audit/<clinic>.html`` keeps the clinic's summary and the index of its
pages (patient ranges, rows, open gaps), and ``audit/<clinic>/page-NNNN.html`` hold the rows of
consecutive patients (a patient's rows are never split between pages), each page with links to
the previous and next page, to every page of the clinic, to the clinic and to ``audit.html``. Pages
are written as the merged rows are read, one page's rows in memory at a time (their HTML; past
:data:`_HELD_CHARS` characters a page's rows go to a scratch file). Output is
deterministic: no timestamps, stable order.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from engine.calculator import OUTCOME_ORDER, MeasureOutcome
from engine.care_gaps import clinic_file_names
from engine.gaps import GAP_DISPLAY, REASON_ORDER
from engine.records import Encounter, Evidence, Patient
from engine.report import merge_summaries, summarize, summarize_tally
from engine.report_parts import Material, Parts, register_counts
from engine.run_data import RunData

__all__ = ["PAGE_PATIENTS", "SPLIT_ROWS", "audit_material", "audit_rows", "display_date", "page_patients",
           "reference_material", "write_audit_html", "write_audit_html_parts"]

SPLIT_ROWS = 5000  # above this many rows (and with several clinics) each clinic gets its own file
PAGE_PATIENTS = 500  # patients per page of a clinic's rows (the config or QAE_AUDIT_PAGE_PATIENTS set another)
UNASSIGNED = "unassigned"
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_POPS = (("ipp", "IPP"), ("denom", "DENOM"), ("denex", "DENEX"), ("denexcep", "DENEXCEP"),
         ("numer", "NUMER"), ("numex", "NUMEX"))
STATUS_TEXT = {
    "open": "Open gap",
    "closed": "Closed",
    "excluded": "Excluded",
    "exception": "Exception",
    "not_in_denominator": "Not in denominator",
}
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
_CLIPPED_LEN = 200
_TEMPLATES = Path(__file__).with_name("templates")


def display_date(d: date | None, precision: str | None) -> str:
    """A date as precise as the source: ``2019`` (year), ``Mar 2019`` (month), ``2019-03-14``."""
    if d is None:
        return "no date stated"
    if precision == "year":
        return str(d.year)
    if precision == "month":
        return f"{_MONTHS[d.month - 1]} {d.year}"
    return d.isoformat()


@dataclass
class EvidenceView:
    kind: str  # note | structured | encounter | missing
    role: str  # decided | close | flagged
    ident: str
    element: str = ""
    status: str = ""
    date: str = ""
    precision: str = ""
    section: str = ""
    note_id: str = ""
    note_date: str = ""
    source: str = ""
    modifiers: str = ""
    value: str = ""
    before: str = ""
    span: str = ""
    after: str = ""
    clipped_before: bool = False
    clipped_after: bool = False
    code: str = ""
    reader: str = ""  # the status model's reading, when one ran (pipelines.status_model)
    disagree: bool = False  # the rules and the status model read this span differently


@dataclass
class RowView:
    clinic: str
    patient_id: str
    patient_line: str
    measure_id: str
    measure_label: str
    title: str
    detail: str
    inverse: bool
    status: str
    status_text: str
    pops: list[tuple[str, bool]]
    reason: str
    reason_text: str
    action: str
    dates: list[str]
    flags: list[str]
    closed_by: str
    evidence: list[EvidenceView] = field(default_factory=list)
    disagree: bool = False  # some evidence shown was read differently by the rules and the status model


def _value_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items() if v not in (None, ""))
    return str(value)


def _note_view(ev: Evidence, role: str) -> EvidenceView:
    view = EvidenceView(
        kind="note", role=role, ident=ev.evidence_id, element=ev.element, status=ev.status,
        date=display_date(ev.event_date, ev.date_precision), precision=ev.date_precision or "",
        section=(ev.section or "").replace("_", " "), note_id=ev.note_id or "",
        note_date=ev.note_date.isoformat() if ev.note_date else "", source=ev.source,
        modifiers=", ".join(ev.modifiers), value=_value_text(ev.value), span=ev.span or "",
        reader=_reader_text(ev), disagree="readers_disagree" in ev.review_flags,
    )
    if ev.context is not None and ev.context_start is not None and ev.start is not None and ev.end is not None:
        s, e = ev.start - ev.context_start, ev.end - ev.context_start
        if 0 <= s <= e <= len(ev.context) and ev.context[s:e] == (ev.span or ""):
            view.before, view.after = ev.context[:s], ev.context[e:]
            # a sentence cut to length starts in lower case or ends without its full stop
            view.clipped_before = ev.context[:1].islower()
            view.clipped_after = len(ev.context) >= _CLIPPED_LEN and ev.context[-1:] not in ".!?\"')"
    return view


def _reader_text(ev: Evidence) -> str:
    """Who decided the status, when a status model read the span beside the rules."""
    if ev.model_status is None:
        return ""
    p = f"p {ev.model_probability:.2f}" if ev.model_probability is not None else "p ?"
    if ev.decided_by == "both":
        return f"rules and model agree ({p})"
    if ev.decided_by == "model":
        return f"status from the model ({p}); the rules disagree"
    return f"status from the rules; the model reads {ev.model_status} ({p})"


def _structured_view(ev: Evidence, role: str) -> EvidenceView:
    end = f" – {ev.end_date.isoformat()}" if ev.end_date and ev.end_date != ev.event_date else ""
    code = f"{ev.code_system or 'code'} {ev.code}" if ev.code else ""
    return EvidenceView(kind="structured", role=role, ident=ev.evidence_id, element=ev.element, status=ev.status,
                        date=display_date(ev.event_date, ev.date_precision) + end, precision=ev.date_precision or "",
                        source=ev.source, value=_value_text(ev.value), code=code)


def _encounter_view(ident: str, enc: Encounter | None, role: str) -> EvidenceView:
    if enc is None:
        return EvidenceView(kind="missing", role=role, ident=ident)
    end = f" – {enc.end_date.isoformat()}" if enc.end_date and enc.end_date != enc.start_date else ""
    return EvidenceView(kind="encounter", role=role, ident=enc.encounter_id, element=", ".join(enc.types),
                        date=enc.start_date.isoformat() + end,
                        code=f"{enc.code_system or 'code'} {enc.code}" if enc.code else "", source="encounter")


def _evidence_views(o: MeasureOutcome, run: RunData, encounters: Mapping[str, Encounter]) -> list[EvidenceView]:
    if o.populations.denex:
        decided = o.denex_evidence_ids
    elif o.populations.denexcep and not o.populations.numer:
        decided = o.denexcep_evidence_ids
    else:
        decided = o.numer_evidence_ids
    flagged = [f.split(":", 1)[1] for f in o.review_flags if ":" in f and f.split(":", 1)[1] in run.evidence]
    seen: set[str] = set()
    out: list[EvidenceView] = []
    for role, ids in (("decided", decided), ("close", o.gap_evidence_ids), ("flagged", flagged)):
        for ident in ids:
            if ident in seen:
                continue
            seen.add(ident)
            ev = run.evidence.get(ident)
            if ev is not None:
                out.append(_note_view(ev, role) if ev.origin == "note" else _structured_view(ev, role))
            elif ident.startswith("encounter:"):
                out.append(_encounter_view(ident, encounters.get(ident.split(":", 1)[1]), role))
            else:
                out.append(EvidenceView(kind="missing", role=role, ident=ident))
    return out


def _status(o: MeasureOutcome) -> str:
    p = o.populations
    if o.gap_open:
        return "open"
    if p.denex:
        return "excluded"
    if p.denexcep and not p.numer:
        return "exception"
    if p.denom:
        return "closed"
    return "not_in_denominator"


def _patient_line(p: Patient | None) -> str:
    if p is None:
        return "not in the patients file"
    bits = [getattr(p, "name", None), f"MRN {p.mrn}" if getattr(p, "mrn", None) else None,
            f"born {p.birth_date.isoformat()}", p.sex, f"provider {p.provider_id}" if p.provider_id else None]
    return " · ".join(b for b in bits if b)


def _row(o: MeasureOutcome, run: RunData, multi: set[str], encounters: Mapping[str, Encounter],
         lines: dict[str, str] | None = None) -> RowView:
    """One audit row; ``lines`` keeps each patient's :func:`_patient_line` (the same for all its rows)."""
    patient = run.patients.get(o.patient_id)
    line = lines.get(o.patient_id) if lines is not None else None
    if line is None:
        line = _patient_line(patient)
        if lines is not None:
            lines[o.patient_id] = line
    spec = run.specs.get(o.measure_id)
    status = _status(o)
    group_title = o.group_title
    if not group_title and spec is not None:
        group_title = next((g.title or "" for g in spec.groups if g.id == o.group), "")
    detail = [f"rate {group_title or o.group}" if o.measure_id in multi else "",
              f"episode {o.episode}" if o.episode else "", f"age {o.stratum}" if o.stratum else ""]
    dates = []
    if o.valid_through:
        dates.append(f"stays closed through {o.valid_through.isoformat()}")
    if o.due_date:
        dates.append(f"due by {o.due_date.isoformat()}")
    text = STATUS_TEXT[status]
    if status == "closed" and o.inverse:
        text = "Closed (not in the inverse numerator)"
    evidence = _evidence_views(o, run, encounters)
    return RowView(
        clinic=(patient.clinic_id if patient and patient.clinic_id else UNASSIGNED),
        patient_id=o.patient_id, patient_line=line, measure_id=o.measure_id,
        measure_label=f"{o.measure_id}-{o.group}" if o.measure_id in multi else o.measure_id,
        title=o.measure_title or (spec.title if spec else ""), detail=" · ".join(d for d in detail if d),
        inverse=o.inverse, status=status, status_text=text,
        pops=[(label, getattr(o.populations, name)) for name, label in _POPS],
        reason=o.gap_reason.value if o.gap_reason else "",
        reason_text=GAP_DISPLAY[o.gap_reason] if o.gap_reason else "", action=o.gap_action, dates=dates,
        flags=list(o.review_flags), closed_by=o.closed_by, evidence=evidence,
        disagree=any(e.disagree for e in evidence) or any(f.startswith("readers_disagree") for f in o.review_flags),
    )


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.0f}%"


def _summary(overall: Mapping[str, Any], per_clinic: Mapping[str, Mapping[str, Any]],
             clinics: Sequence[str]) -> dict[str, Any]:
    """Rows per measure label: counts and rate for all clinics and per clinic (``overall`` and
    ``per_clinic[c]`` are engine.report.summarize's ``measures``)."""
    rows = []
    for label, entry in overall.items():
        cells = []
        for clinic in clinics:
            c = per_clinic.get(clinic, {}).get(label)
            cells.append({"clinic": clinic, "rate": c["rate"] if c else None, "pct": _pct(c["rate"] if c else None),
                          "met": (c["numer"] - c["numex"]) if c else 0,
                          "eligible": (c["denom"] - c["denex"] - c["denexcep"]) if c else 0,
                          "open": c["open_gaps"] if c else 0})
        rows.append({"label": label, "measure_id": entry["measure_id"], "inverse": entry["inverse"],
                     "counts": [entry[k] for k, _ in _POPS], "rate": entry["rate"], "pct": _pct(entry["rate"]),
                     "open": entry["open_gaps"], "clinics": cells})
    return {"rows": rows, "clinics": list(clinics)}


def _chart(summary: dict[str, Any], titles: Mapping[str, str]) -> dict[str, Any]:
    """Geometry of the horizontal bar chart: one group of bars per measure, one bar per clinic
    (only the all-clinics bar when there are more clinics than colours)."""
    clinics = summary["clinics"] if 1 < len(summary["clinics"]) <= len(_PALETTE) else []
    series = [("all clinics", "#444")] + [(c, _PALETTE[i]) for i, c in enumerate(clinics)]
    bar, gap, label_w, width = 11, 10, 250, 420
    y = 30
    groups = []
    for row in summary["rows"]:
        bars = []
        values = [(row["rate"], row["pct"])] + [(cell["rate"], cell["pct"]) for cell in row["clinics"]
                                                if cell["clinic"] in clinics]
        for i, ((rate, pct), (name, colour)) in enumerate(zip(values, series, strict=True)):
            bars.append({"y": y + i * bar, "w": round((rate or 0) * width, 1), "pct": pct, "colour": colour,
                         "name": name, "missing": rate is None})
        groups.append({"label": row["label"], "title": titles.get(row["measure_id"], ""), "inverse": row["inverse"],
                       "y": y, "h": bar * len(series), "bars": bars})
        y += bar * len(series) + gap
    return {"groups": groups, "series": series, "height": y + 10, "label_w": label_w, "width": width,
            "total_w": label_w + width + 60, "ticks": [(round(label_w + width * t / 4, 1), t * 25) for t in range(5)]}


_ENV = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def _render(context: dict[str, Any]) -> str:
    script = _ENV.get_template("audit.js").render()
    return _ENV.get_template("audit.html.j2").render(script=script, script_hash=_script_hash(script), **context)


def _reason_options(present: set[str]) -> list[tuple[str, str]]:
    return [(r.value, r.value.replace("_", " ")) for r in REASON_ORDER if r.value in present]


class _Rows:
    """A page's rows as HTML, read as the page is written (:func:`_row_html` of each merged row, or the
    HTML a :class:`_Spool` kept), in pieces of about :data:`_PIECE` characters."""

    def __init__(self, count: int, html: Iterable[str]) -> None:
        self.count, self.html = count, html

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Markup]:
        held: list[str] = []
        size = 0
        for text in self.html:
            held.append(text)
            size += len(text)
            if size >= _PIECE:
                yield Markup("".join(held))
                held, size = [], 0
        if held:
            yield Markup("".join(held))


_PIECE = 1 << 18  # characters of row HTML handed to the template at once
_HELD_CHARS = 1 << 25  # characters of a page's rows held in memory before they go to a scratch file
_ROLE_TEXT = {"decided": "decided by", "close": "came close"}  # any other role: "flagged for review"
_INVERSE_ROW = ' <span class="inv" title="inverse measure: the numerator is the poor outcome">&darr; inverse</span>'
_CACHED = 50_000  # distinct short texts whose escaped form is remembered


class _Escaped(dict):
    """Short texts that repeat (ids, titles, statuses, dates ...) and their HTML-escaped form; ``pops``:
    the populations' HTML by their labels and flags."""

    def __init__(self) -> None:
        super().__init__()
        self.pops: dict[tuple[tuple[Any, ...], ...], str] = {}  # by the (label, flag) pairs

    def __missing__(self, text: Any) -> str:
        if len(self) >= _CACHED:
            self.clear()
        done = self[text] = str(escape(text))
        return done


def _pops_html(pops: Sequence[Sequence[Any]]) -> str:
    return "".join(f"<b>{escape(label)}</b> " if on else f"<s>{escape(label)}</s> " for label, on in pops)


def _row_html(r: Mapping[str, Any], esc: _Escaped) -> str:
    """One row of the page (a dict of :class:`RowView`'s fields, as the material holds it) as the rows'
    template gave it (jinja2 autoescaping: ``&<>"'`` escaped), written directly: several times faster."""
    clinic, patient = esc[r["clinic"]], esc[r["patient_id"]]
    out = ['<div class="o" role="row" data-clinic="', clinic, '" data-measure="', esc[r["measure_id"]],
           '" data-status="', esc[r["status"]], '" data-reason="', esc[r["reason"]], '" data-disagree="',
           "1" if r["disagree"] else "0", '" data-patient="', patient, '">\n<div><div class="pid">', patient,
           '</div><div class="sub">', esc[r["patient_line"]], '</div><div class="sub">', clinic,
           '</div></div>\n<div><b>', esc[r["measure_label"]], "</b> ", esc[r["title"]]]
    if r["inverse"]:
        out.append(_INVERSE_ROW)
    if r["detail"]:
        out += ['<div class="sub">', esc[r["detail"]], "</div>"]
    pops = r["pops"]
    key = tuple(map(tuple, pops))
    pops_text = esc.pops.get(key)
    if pops_text is None:
        pops_text = esc.pops[key] = _pops_html(pops)
    out += ['</div>\n<div><span class="st st-', esc[r["status"]], '">', esc[r["status_text"]],
            '</span><div class="pops">', pops_text, "</div></div>\n<div>"]
    if r["reason"]:
        out += ['<div class="reason" data-reason="', esc[r["reason"]], '">', esc[r["reason_text"]], "</div>"]
    if r["action"]:
        out += ['<div class="action">Action: ', esc[r["action"]], "</div>"]
    for d in r["dates"]:
        out += ['<div class="sub">', esc[d], "</div>"]
    if r["closed_by"]:
        out += ['<div class="sub">closed by ', esc[r["closed_by"]], " evidence</div>"]
    for f in r["flags"]:
        out += ['<span class="flag">', esc[f], "</span>"]
    out.append("</div>\n<div>")
    _evidence_html(r["evidence"], r["status"], esc, out)
    out.append("</div>\n</div>\n")
    return "".join(out)


def _evidence_html(evidence: Sequence[Mapping[str, Any]], status: str, esc: _Escaped, out: list[str]) -> None:
    """A row's evidence cell (the dicts of its :class:`EvidenceView` items), appended to ``out``."""
    if not evidence:
        out.append('<span class="none">no evidence found</span>' if status == "open"
                   else '<span class="none">&mdash;</span>')
    for e in evidence:
        role, kind = e["role"], e["kind"]
        out += ['<div class="ev ', esc[role], '"><div class="role">', _ROLE_TEXT.get(role, "flagged for review"),
                "</div>\n"]
        if kind == "note":
            out.append('<div class="quote">&hellip;' if e["clipped_before"] else '<div class="quote">')
            out += [escape(e["before"]), "<mark>", escape(e["span"]), "</mark>", escape(e["after"])]
            out += ['&hellip;</div><div class="evm"><span class="tag">' if e["clipped_after"] else
                    '</div><div class="evm"><span class="tag">', esc[e["element"]], "</span><span>", esc[e["status"]],
                    "</span><span>", esc[e["date"]]]
            precision = e["precision"]
            if precision and precision != "day":
                out += [" (", esc[precision], " only)"]
            out.append("</span>")
            if e["value"]:
                out += ["<span>value ", esc[e["value"]], "</span>"]
            out += ["<span>section ", esc[e["section"] or "none"], "</span><span>note ", esc[e["note_id"]]]
            if e["note_date"]:
                out += [" of ", esc[e["note_date"]]]
            out += ["</span><span>", esc[e["source"]], "</span>"]
            if e["modifiers"]:
                out += ["<span>modifiers ", esc[e["modifiers"]], "</span>"]
            if e["reader"]:
                out += ['<span class="flag">' if e["disagree"] else '<span class="rd">', esc[e["reader"]], "</span>"]
            out.append("</div>\n</div>")
        elif kind == "structured":
            out += ['<div class="evm"><span class="tag">', esc[e["element"]], "</span><span>structured</span>"]
            if e["code"]:
                out += ["<span>", esc[e["code"]], "</span>"]
            if e["value"]:
                out += ["<span>value ", esc[e["value"]], "</span>"]
            out += ["<span>", esc[e["date"]], "</span><span>source ", esc[e["source"]], "</span><span>",
                    esc[e["ident"]], "</span></div>\n</div>"]
        elif kind == "encounter":
            out += ['<div class="evm"><span class="tag">encounter</span><span>', esc[e["ident"]], "</span><span>",
                    esc[e["element"]], "</span>"]
            if e["code"]:
                out += ["<span>", esc[e["code"]], "</span>"]
            out += ["<span>", esc[e["date"]], "</span></div>\n</div>"]
        else:
            out += ['<div class="evm"><span>', esc[e["ident"]],
                    "</span><span class=\"none\">not in this run's evidence</span></div>\n</div>"]


def _rows_html(rows: Iterable[Any]) -> Iterator[str]:
    """The HTML of the material's rows (payloads: :func:`_fast_rows`' lists, or the row dicts of material
    saved before rows were rendered at material time)."""
    esc = _Escaped()
    for r in rows:
        yield r[_HTML] if type(r) is list else _row_html(r, esc)


def page_patients(value: int | None = None) -> int:
    """The page size: ``value``, else ``QAE_AUDIT_PAGE_PATIENTS``, else :data:`PAGE_PATIENTS` (at least 1)."""
    if value is None:
        env = os.environ.get("QAE_AUDIT_PAGE_PATIENTS", "").strip()
        value = int(env) if env.isdigit() else PAGE_PATIENTS
    return max(1, int(value))


def _page(path: Path, run: RunData, *, title: str, rows: _Rows, stats: Mapping[str, Any], summary: dict[str, Any],
          chart: dict[str, Any], links: list[dict[str, Any]], index_href: str | None, outside_ipp: int,
          nav: dict[str, Any] | None = None, pages: list[dict[str, Any]] | None = None) -> Path:
    """Write one page (streamed: the rows are rendered as they are read)."""
    script = _ENV.get_template("audit.js").render()
    path.parent.mkdir(parents=True, exist_ok=True)
    context = {
        "title": title, "run": run, "period": f"{run.period.start.isoformat()} to {run.period.end.isoformat()}",
        "versions": {k: v for k, v in run.versions.items() if k != "measures"},
        "rows": rows, "summary": summary, "chart": chart, "links": links, "index_href": index_href,
        "nav": nav, "pages": pages or [],
        "clinics": stats["clinics"], "measures": [tuple(m) for m in stats["measures"]],
        "statuses": [(s, STATUS_TEXT[s], stats["statuses"][s]) for s in STATUS_TEXT if stats["statuses"].get(s)],
        "reasons": _reason_options(set(stats["reasons"])), "outside_ipp": outside_ipp,
        "disagree": stats["disagree"], "titles": {m: s.title for m, s in run.specs.items()},
    }
    with path.open("w", encoding="utf-8") as fh:
        for piece in _ENV.get_template("audit.html.j2").generate(script=script, script_hash=_script_hash(script),
                                                                 **context):
            fh.write(piece)
    return path


def _row_stats(rows: Sequence[RowView] | Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts and filter options of rows (RowView objects, or the dicts the material holds)."""
    rs = [r if isinstance(r, Mapping) else r.__dict__ for r in rows]
    return {"rows": len(rs), "open": sum(1 for r in rs if r["status"] == "open"),
            "patients": len({r["patient_id"] for r in rs}),
            "clinics": sorted({r["clinic"] for r in rs}),
            "measures": sorted({(r["measure_id"], r["title"]) for r in rs}),
            "statuses": dict(Counter(r["status"] for r in rs)),
            "reasons": sorted({r["reason"] for r in rs if r["reason"]}),
            "disagree": sum(1 for r in rs if r["disagree"])}


def _payload_stats(rows: Sequence[tuple[list[Any], list[Any]]]) -> dict[str, Any]:
    """:func:`_row_stats` of the rows :func:`_fast_rows` gives."""
    return {"rows": len(rows), "open": sum(1 for _, p in rows if p[_STATUS] == "open"),
            "patients": len({k[1] for k, _ in rows}), "clinics": sorted({k[0] for k, _ in rows}),
            "measures": sorted({(p[_MEASURE], p[_TITLE]) for _, p in rows}),
            "statuses": dict(Counter(p[_STATUS] for _, p in rows)),
            "reasons": sorted({p[_REASON] for _, p in rows if p[_REASON]}),
            "disagree": sum(1 for _, p in rows if p[_DISAGREE])}


def _merge_stats(stats: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": 0, "open": 0, "patients": 0, "clinics": set(), "measures": set(),
                           "statuses": Counter(), "reasons": set(), "disagree": 0}
    for s in stats:
        for k in ("rows", "open", "disagree", "patients"):
            out[k] += s.get(k, 0)  # partitions hold distinct patients: their counts add up
        out["clinics"].update(s["clinics"])
        out["measures"].update(tuple(m) for m in s["measures"])
        out["statuses"].update(s["statuses"])
        out["reasons"].update(s["reasons"])
    out["clinics"], out["measures"], out["reasons"] = (sorted(out["clinics"]), sorted(out["measures"]),
                                                       sorted(out["reasons"]))
    return out


def _combine_audit(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Two partitions' audit counts as one partition's (summaries merged, row statistics added)."""
    clinics: dict[str, Any] = {}
    for clinic in sorted(set(a["clinics"]) | set(b["clinics"])):
        entries = [c["clinics"][clinic] for c in (a, b) if clinic in c["clinics"]]
        if len(entries) == 1:
            clinics[clinic] = entries[0]
            continue
        clinics[clinic] = {"summary": merge_summaries(e["summary"] for e in entries),
                           "outside_ipp": sum(e["outside_ipp"] for e in entries),
                           "stats": _merge_stats(e["stats"] for e in entries)}
    return {"overall": merge_summaries([a["overall"], b["overall"]]), "clinics": clinics}


register_counts("audit", _combine_audit)


def _row_dict(r: RowView) -> dict[str, Any]:
    """``dataclasses.asdict`` of a row without its deep copies (the material is written as JSON)."""
    d = dict(r.__dict__)
    d["evidence"] = [dict(e.__dict__) for e in r.evidence]
    return d


# A row of the material (stream ``audit``): what the pages count and filter on, and the row's HTML
# (:func:`_row_html` of its :class:`RowView`), rendered at material time: the file writer only joins them.
_STATUS, _REASON, _MEASURE, _TITLE, _DISAGREE, _HTML = range(6)


def audit_rows(run: RunData) -> Iterator[tuple[list[Any], RowView]]:
    """The reference of :func:`_fast_rows`: each IPP outcome's (key, :class:`RowView`), by clinic then in
    outcome order (:func:`audit_material`'s rows before they are sorted by key)."""
    outcomes, multi, encounters, by_clinic = _prepared(run)
    lines: dict[str, str] = {}
    for _, clinic_outcomes in sorted(by_clinic.items()):
        for o in clinic_outcomes:
            if o.populations.ipp:
                r = _row(o, run, multi, encounters, lines)
                yield [r.clinic, r.patient_id, r.measure_label, r.detail], r


def _multi(run: RunData) -> set[str]:
    """The measures whose rows name their group: several groups in the spec or in the outcomes."""
    multi = {m for m, s in run.specs.items() if len(s.groups) > 1}
    groups: dict[str, set[str]] = defaultdict(set)  # the outcomes' groups, from their tally
    for _, _, measure_id, group in run.tally.cells:
        groups[measure_id].add(group)
    return multi | {m for m, gs in groups.items() if len(gs) > 1}


def _prepared(run: RunData) -> tuple[list[MeasureOutcome], set[str], dict[str, Encounter],
                                     dict[str, list[MeasureOutcome]]]:
    outcomes = sorted(run.outcomes, key=OUTCOME_ORDER)
    multi = _multi(run)
    clinic_of = {pid: (p.clinic_id or UNASSIGNED) for pid, p in run.patients.items()}
    encounters = {e.encounter_id: e for e in run.encounters}
    by_clinic: dict[str, list[MeasureOutcome]] = defaultdict(list)
    for o in outcomes:
        by_clinic[clinic_of.get(o.patient_id, UNASSIGNED)].append(o)
    return outcomes, multi, encounters, by_clinic


_POP_NAMES = attrgetter(*(name for name, _ in _POPS))
_LABELS = tuple(label for _, label in _POPS)


class _RowParts:
    """What the rows of one material share, escaped once: a patient's cells, a measure's cells, a
    status's cells (the pieces :func:`_row_html` writes, by what they depend on)."""

    def __init__(self, run: RunData, multi: set[str], encounters: Mapping[str, Encounter]) -> None:
        self.run, self.multi, self.encounters = run, multi, encounters
        self.esc = _Escaped()
        self.patients: dict[str, tuple[str, str, str]] = {}  # id -> (clinic, its escaped text, patient cells)
        self.measures: dict[tuple[Any, ...], tuple[str, str, str, str]] = {}  # -> (label, detail, title, html)
        self.statuses: dict[tuple[Any, ...], str] = {}
        self.heads: dict[tuple[Any, ...], str] = {}  # (clinic, measure, status, reason, disagree) -> the row's tag
        self.tails: dict[tuple[Any, ...], str] = {}  # a row's last cells, when it shows no evidence

    def patient(self, pid: str) -> tuple[str, str, str]:
        found = self.patients.get(pid)
        if found is None:
            esc = self.esc
            patient = self.run.patients.get(pid)
            clinic = patient.clinic_id if patient and patient.clinic_id else UNASSIGNED
            c, p = esc[clinic], esc[pid]
            found = self.patients[pid] = (clinic, c, ''.join((
                '" data-patient="', p, '">\n<div><div class="pid">', p, '</div><div class="sub">',
                esc[_patient_line(patient)], '</div><div class="sub">', c, '</div></div>\n<div><b>')))
        return found

    def measure(self, o: MeasureOutcome) -> tuple[str, str, str, str]:
        key = (o.measure_id, o.group, o.episode, o.stratum, o.measure_title, o.group_title, o.inverse)
        found = self.measures.get(key)
        if found is None:
            if len(self.measures) >= _CACHED:
                self.measures.clear()
            esc, mid = self.esc, o.measure_id
            spec = self.run.specs.get(mid)
            group_title = o.group_title
            if not group_title and spec is not None:
                group_title = next((g.title or "" for g in spec.groups if g.id == o.group), "")
            detail = " · ".join(d for d in (f"rate {group_title or o.group}" if mid in self.multi else "",
                                            f"episode {o.episode}" if o.episode else "",
                                            f"age {o.stratum}" if o.stratum else "") if d)
            label = f"{mid}-{o.group}" if mid in self.multi else mid
            title = o.measure_title or (spec.title if spec else "")
            html = "".join((esc[label], "</b> ", esc[title], _INVERSE_ROW if o.inverse else "",
                            f'<div class="sub">{esc[detail]}</div>' if detail else "",
                            '</div>\n<div><span class="st st-'))
            found = self.measures[key] = (label, detail, title, html)
        return found

    def status(self, status: str, inverse: bool, pops: tuple[Any, ...]) -> str:
        key = (status, inverse, pops)
        found = self.statuses.get(key)
        if found is None:
            text = STATUS_TEXT[status]
            if status == "closed" and inverse:
                text = "Closed (not in the inverse numerator)"
            found = self.statuses[key] = "".join((
                self.esc[status], '">', self.esc[text], '</span><div class="pops">',
                _pops_html(list(zip(_LABELS, pops, strict=True))), "</div></div>\n<div>"))
        return found


def _fast_rows(outcomes: Iterable[MeasureOutcome], parts: _RowParts) -> Iterator[tuple[list[Any], list[Any]]]:
    """(key, payload) of each IPP outcome's row: :func:`_row_html` of its :class:`RowView` written from the
    outcome (no RowView built; the cells rows share written once, :class:`_RowParts`), with what the
    pages count (payload: status, reason, measure id, title, disagree, HTML)."""
    esc, run = parts.esc, parts.run
    for o in outcomes:
        pops = _POP_NAMES(o.populations)
        if not pops[0]:
            continue
        clinic, c, patient_html = parts.patient(o.patient_id)
        label, detail, title, measure_html = parts.measure(o)
        status = _status(o)
        flags = o.review_flags
        has_evidence = (o.gap_evidence_ids or o.numer_evidence_ids or o.denex_evidence_ids
                        or o.denexcep_evidence_ids or flags)
        evidence = _evidence_views(o, run, parts.encounters) if has_evidence else []
        disagree = any(e.disagree for e in evidence) or any(f.startswith("readers_disagree") for f in flags)
        reason = o.gap_reason.value if o.gap_reason else ""
        head_key = (c, o.measure_id, status, reason, disagree)
        head = parts.heads.get(head_key)
        if head is None:
            head = parts.heads[head_key] = "".join((
                '<div class="o" role="row" data-clinic="', c, '" data-measure="', esc[o.measure_id],
                '" data-status="', esc[status], '" data-reason="', esc[reason], '" data-disagree="',
                "1" if disagree else "0"))
        tail_key = (status, o.gap_reason, o.gap_action, o.valid_through, o.due_date, o.closed_by, flags)
        tail = None if evidence else parts.tails.get(tail_key)
        if tail is None:
            out = []
            if reason:
                out += ['<div class="reason" data-reason="', esc[reason], '">', esc[GAP_DISPLAY[o.gap_reason]],
                        "</div>"]
            if o.gap_action:
                out += ['<div class="action">Action: ', esc[o.gap_action], "</div>"]
            if o.valid_through:
                out += ['<div class="sub">', esc[f"stays closed through {o.valid_through.isoformat()}"], "</div>"]
            if o.due_date:
                out += ['<div class="sub">', esc[f"due by {o.due_date.isoformat()}"], "</div>"]
            if o.closed_by:
                out += ['<div class="sub">closed by ', esc[o.closed_by], " evidence</div>"]
            for f in flags:
                out += ['<span class="flag">', esc[f], "</span>"]
            out.append("</div>\n<div>")
            _evidence_html([e.__dict__ for e in evidence], status, esc, out)
            out.append("</div>\n</div>\n")
            tail = "".join(out)
            if not evidence:  # the same for every row without evidence with these fields
                if len(parts.tails) >= _CACHED:
                    parts.tails.clear()
                parts.tails[tail_key] = tail
        html = "".join((head, patient_html, measure_html, parts.status(status, o.inverse, pops), tail))
        yield [clinic, o.patient_id, label, detail], [status, reason, o.measure_id, title, disagree, html]


def audit_material(run: RunData) -> Material:
    """One partition's audit rows (stream ``audit``, keyed as the page orders them: clinic, patient,
    measure, detail; payloads :func:`_fast_rows`'s) and counts (``audit``: summaries and row statistics
    per clinic)."""
    multi, encounters = _multi(run), {e.encounter_id: e for e in run.encounters}
    by_clinic: dict[str, list[MeasureOutcome]] = {clinic: [] for clinic in run.tally.clinics()}
    clinic_of = {pid: (p.clinic_id or UNASSIGNED) for pid, p in run.patients.items()}
    for o in sorted(run.tally.noted, key=OUTCOME_ORDER):  # the IPP's outcomes are among them
        by_clinic[clinic_of.get(o.patient_id, UNASSIGNED)].append(o)
    material = Material()
    clinics: dict[str, Any] = {}
    parts = _RowParts(run, multi, encounters)
    for clinic, clinic_outcomes in by_clinic.items():
        rows = list(_fast_rows(clinic_outcomes, parts))
        if rows:
            material.streams.setdefault("audit", []).extend(rows)
        clinics[clinic] = {"summary": summarize_tally(run.tally, clinic),  # summarize(the clinic's outcomes)
                           "outside_ipp": run.tally.rows(clinic) - len(rows), "stats": _payload_stats(rows)}
    if len(by_clinic) == 1:  # one clinic holds every outcome, in the same order: the same summary
        overall = copy.deepcopy(next(iter(clinics.values()))["summary"])
    else:  # a patient is in one clinic: the clinics' summaries add up to the whole's
        overall = merge_summaries(c["summary"] for c in clinics.values())
    material.counts["audit"] = {"overall": overall, "clinics": clinics}
    return material


def reference_material(run: RunData) -> Material:
    """The reference of :func:`audit_material` (the test oracle, and what material saved before rows were
    rendered at material time holds): each row as the dict of its :class:`RowView` (the file writer
    renders it, :func:`_row_html`); the same counts."""
    _, _, _, by_clinic = _prepared(run)
    material = Material()
    rows: dict[str, list[RowView]] = defaultdict(list)
    for key, r in audit_rows(run):
        material.add("audit", key, _row_dict(r))
        rows[key[0]].append(r)
    clinics = {clinic: {"summary": summarize(found), "outside_ipp": len(found) - len(rows[clinic]),
                        "stats": _row_stats(rows[clinic])} for clinic, found in sorted(by_clinic.items())}
    overall = summarize(sorted(run.outcomes, key=lambda o: (o.measure_id, o.patient_id, o.group, o.episode)))
    material.counts["audit"] = {"overall": overall, "clinics": clinics}
    return material


class _Spool:
    """One page's rows on their way to the page: held as their HTML while their counts are taken (past
    :data:`_HELD_CHARS` characters, spooled to a scratch file), then given to the page as it is written."""

    def __init__(self, esc: _Escaped) -> None:
        self.fh: Any = None  # the scratch file, once the rows held grow past _HELD_CHARS
        self.esc = esc
        self.held: list[str] = []  # rows' HTML not yet written to the scratch file
        self.size = 0  # characters held
        self.rows = self.open = self.disagree = 0
        self.n_patients = 0
        self.first = self.last = ""
        self.measures: set[tuple[str, str]] = set()
        self.statuses: Counter[str] = Counter()
        self.reasons: set[str] = set()

    def add(self, patient_id: str, row: list[Any] | Mapping[str, Any]) -> None:
        """A row: a payload of :func:`_fast_rows`, or a row dict (material saved before those)."""
        if type(row) is not list:
            row = [row["status"], row["reason"], row["measure_id"], row["title"], row["disagree"],
                   _row_html(row, self.esc)]
        if patient_id != self.last or not self.rows:
            self.n_patients += 1
            self.first = self.first or patient_id
            self.last = patient_id
        self.rows += 1
        status, reason = row[_STATUS], row[_REASON]
        self.open += status == "open"
        self.disagree += bool(row[_DISAGREE])
        self.measures.add((row[_MEASURE], row[_TITLE]))
        self.statuses[status] += 1
        if reason:
            self.reasons.add(reason)
        html = row[_HTML]
        self.held.append(html)
        self.size += len(html)
        if self.size >= _HELD_CHARS:
            if self.fh is None:
                self.fh = tempfile.TemporaryFile("w+", encoding="utf-8")
            self.fh.write("".join(self.held))
            self.held.clear()
            self.size = 0

    def stats(self, clinic: str) -> dict[str, Any]:
        return {"rows": self.rows, "open": self.open, "patients": self.n_patients, "clinics": [clinic],
                "measures": sorted(self.measures), "statuses": dict(self.statuses), "reasons": sorted(self.reasons),
                "disagree": self.disagree}

    def read(self) -> Iterator[str]:
        """The page's rows as HTML, in pieces."""
        if self.fh is not None:
            self.fh.write("".join(self.held))
            self.held.clear()
            self.fh.seek(0)
            while piece := self.fh.read(_PIECE):
                yield piece
            return
        yield from self.held

    def close(self) -> None:
        self.held.clear()
        if self.fh is not None:
            self.fh.close()


def _pages_of(rows: Iterator[tuple[list[Any], Any]], per_page: int) -> Iterator[_Spool]:
    """A clinic's rows (key and payload, sorted by patient) cut into pages of ``per_page`` patients, each
    spooled."""
    esc = _Escaped()
    page = _Spool(esc)
    for key, row in rows:
        patient_id = key[1]
        if patient_id != page.last and page.n_patients == per_page:
            yield page
            page = _Spool(esc)
        page.add(patient_id, row)
    if page.rows:
        yield page
    else:
        page.close()


def _page_href(name: str, k: int) -> str:
    return f"{name}/page-{k:04d}.html"


def _clinic_pages(out_dir: Path, run: RunData, *, title: str, clinic: str, name: str,
                  rows: Iterator[tuple[list[Any], Any]],
                  stats: Mapping[str, Any], summary: dict[str, Any], chart: dict[str, Any], outside_ipp: int,
                  per_page: int) -> list[Path]:
    """A clinic's rows as pages of ``per_page`` patients, then the clinic's page (its summary and the index
    of its pages); returns the clinic's page first."""
    total = max(1, -(-stats["patients"] // per_page))
    numbers = [{"n": k, "href": f"page-{k:04d}.html"} for k in range(1, total + 1)]
    written: list[Path] = []
    index: list[dict[str, Any]] = []
    for k, page in enumerate(_pages_of(rows, per_page), start=1):
        try:
            if k > total:
                raise ValueError(f"audit rows of clinic {clinic!r}: more patients than its counts say")
            nav = {"clinic": clinic, "clinic_href": f"../{name}.html", "page": k, "pages": total,
                   "prev": f"page-{k - 1:04d}.html" if k > 1 else None,
                   "next": f"page-{k + 1:04d}.html" if k < total else None, "numbers": numbers}
            path = out_dir / "audit" / _page_href(name, k)
            written.append(_page(path, run, title=f"{title}, clinic {clinic}, page {k} of {total}",
                                 rows=_Rows(page.rows, page.read()), stats=page.stats(clinic), summary=summary,
                                 chart=chart, links=[], index_href="../../audit.html", outside_ipp=0, nav=nav))
            index.append({"n": k, "href": _page_href(name, k), "first": page.first, "last": page.last,
                          "patients": page.n_patients, "rows": page.rows, "open": page.open})
        finally:
            page.close()
    if len(index) != total:
        raise ValueError(f"audit rows of clinic {clinic!r}: {len(index)} pages, its counts say {total}")
    clinic_page = _page(out_dir / "audit" / f"{name}.html", run, title=f"{title}, clinic {clinic}",
                        rows=_Rows(stats["rows"], iter(())), stats=stats, summary=summary, chart=chart, links=[],
                        index_href="../audit.html", outside_ipp=outside_ipp, pages=index)
    return [clinic_page, *written]


def write_audit_html_parts(parts: Parts, run: RunData, out_dir: Path, page_size: int | None = None) -> list[Path]:
    """The audit report(s) from the partitions' material; returns the files written (``audit.html`` first).
    ``page_size``: patients per page of a clinic (default: ``run.audit_page_patients``, the run's config,
    else :func:`page_patients`: ``QAE_AUDIT_PAGE_PATIENTS``, else :data:`PAGE_PATIENTS`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    per_page = page_patients(page_size if page_size is not None else run.audit_page_patients)
    counts = parts.counts("audit")
    overall = merge_summaries(c["overall"] for c in counts)["measures"]
    clinics = sorted({clinic for c in counts for clinic in c["clinics"]})
    per_clinic = {clinic: [c["clinics"][clinic] for c in counts if clinic in c["clinics"]] for clinic in clinics}
    summaries = {clinic: merge_summaries(e["summary"] for e in entries)["measures"]
                 for clinic, entries in per_clinic.items()}
    stats = {clinic: _merge_stats(e["stats"] for e in entries) for clinic, entries in per_clinic.items()}
    outside = {clinic: sum(e["outside_ipp"] for e in entries) for clinic, entries in per_clinic.items()}
    everything = _merge_stats(stats.values())
    titles = {m: s.title for m, s in run.specs.items()}
    summary = _summary(overall, summaries, clinics)
    chart = _chart(summary, titles)
    index = out_dir / "audit.html"
    title = f"Audit report: {run.job}"
    paged = {clinic for clinic in clinics if stats[clinic]["patients"] > per_page}
    if not paged and (everything["rows"] <= SPLIT_ROWS or len(clinics) < 2):
        return [_page(index, run, title=title, rows=_Rows(everything["rows"], _rows_html(parts.payloads("audit"))),
                      stats=everything, summary=summary, chart=chart, links=[], index_href=None,
                      outside_ipp=sum(outside.values()))]
    names = clinic_file_names(clinics)
    written = []
    links = []
    (out_dir / "audit").mkdir(exist_ok=True)
    groups = groupby(parts.stream("audit"), key=lambda kp: kp[0][0])
    pending = next(groups, None)
    for clinic in clinics:
        rows: Iterator[tuple[list[Any], Any]] = iter(())
        if pending is not None and pending[0] == clinic:
            rows = pending[1]
        clinic_summary = _summary(summaries[clinic], summaries, [clinic])
        clinic_chart = _chart(clinic_summary, titles)
        link = {"clinic": clinic, "href": f"audit/{names[clinic]}.html", "rows": stats[clinic]["rows"],
                "open": stats[clinic]["open"]}
        if clinic in paged:
            pages = _clinic_pages(out_dir, run, title=title, clinic=clinic, name=names[clinic], rows=rows,
                                  stats=stats[clinic], summary=clinic_summary, chart=clinic_chart,
                                  outside_ipp=outside[clinic], per_page=per_page)
            written += pages
            link["pages"] = len(pages) - 1
        else:
            written.append(_page(out_dir / "audit" / f"{names[clinic]}.html", run, title=f"{title}, clinic {clinic}",
                                 rows=_Rows(stats[clinic]["rows"], _rows_html(p for _, p in rows)),
                                 stats=stats[clinic],
                                 summary=clinic_summary, chart=clinic_chart, links=[], index_href="../audit.html",
                                 outside_ipp=outside[clinic]))
        if pending is not None and pending[0] == clinic:
            pending = next(groups, None)
        links.append(link)
    if pending is not None:
        raise ValueError(f"audit rows of clinic {pending[0]!r}: no outcomes of that clinic")
    no_rows = _Rows(0, iter(()))
    _page(index, run, title=title, rows=no_rows, stats=_merge_stats([]), summary=summary, chart=chart, links=links,
          index_href=None, outside_ipp=sum(outside.values()))
    return [index, *written]


def write_audit_html(run: RunData, out_dir: Path, page_size: int | None = None) -> list[Path]:
    """Write the audit report(s) under ``out_dir``; returns the files written (``audit.html`` first)."""
    return write_audit_html_parts(Parts([audit_material(run)]), run, out_dir, page_size)
