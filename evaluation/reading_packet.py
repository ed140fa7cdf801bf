"""The one-file HTML reading packet of a worksheet: each sampled patient's notes, for reading.

No external assets; jinja2 autoescape escapes every note (notes are PHI and may contain markup).
Unblinded packets mark the engine's evidence spans of the measure's elements (``<mark>``, with
element, status and rule on hover).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from engine.elements import load_vocabulary
from engine.run_data import RunData

from .sampling import Sample
from .worksheets import NoteInfo, instructions, review_elements

__all__ = ["highlight_segments", "template_env", "write_reading_packet"]


def template_env() -> Environment:
    return Environment(loader=PackageLoader("evaluation", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       keep_trailing_newline=True)


def highlight_segments(text: str, spans: Sequence[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """``text`` cut into (piece, label) pairs; a labelled piece is a span (overlaps: the first wins)."""
    out: list[tuple[str, str]] = []
    pos = 0
    for start, end, label in sorted(spans):
        if start < pos or not 0 <= start < end <= len(text):
            continue
        if start > pos:
            out.append((text[pos:start], ""))
        out.append((text[start:end], label))
        pos = end
    if pos < len(text):
        out.append((text[pos:], ""))
    return out


def write_reading_packet(path: Path, sample: Sample, measure_id: str, run: RunData,
                         notes: Mapping[str, Sequence[NoteInfo]], rows: Sequence[Mapping[str, Any]],
                         *, blinded: bool = True) -> Path:
    spec = run.specs[measure_id]
    elements = review_elements(spec)
    vocab = load_vocabulary()
    spans: dict[str, list[tuple[int, int, str]]] = {}
    if not blinded:
        wanted = set(elements)
        for ev in run.evidence.values():
            if ev.note_id and ev.element in wanted and ev.start is not None and ev.end is not None:
                spans.setdefault(ev.note_id, []).append((ev.start, ev.end, f"{ev.element}: {ev.status} ({ev.source})"))
    first_rows: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        first_rows.setdefault(row["patient_id"], row)
    patients = []
    for pid, row in first_rows.items():
        patient_notes = []
        for n in notes.get(pid, []):
            segments = None if n.text is None else highlight_segments(n.text, spans.get(n.note_id, []))
            patient_notes.append({"note_id": n.note_id, "note_date": n.note_date.isoformat() if n.note_date else "",
                                  "note_type": n.note_type, "title": n.title, "segments": segments})
        patients.append({"patient_id": pid, "birth_date": row.get("birth_date", ""), "sex": row.get("sex", ""),
                         "role": row.get("sample_role", ""), "sampled_for": row.get("sampled_for", ""),
                         "notes": patient_notes})
    html = template_env().get_template("reading_packet.html.j2").render(
        measure_id=measure_id, title=spec.title, job=run.job,
        period=f"{run.period.start.isoformat()}..{run.period.end.isoformat()}", blinded=blinded,
        instructions=instructions(measure_id, spec, blinded), patients=patients,
        elements=[{"id": e, "description": vocab[e].description} for e in elements])
    path.write_text(html, encoding="utf-8")
    return path
