"""Every ``Language.factory`` registration of the pipeline, in one idempotent function.

As in spaCy 3.8 (``spacy/pipeline/factories.py``), registrations live here rather than in
per-module decorators, which avoids import cycles; ``register_factories()`` is safe to call
many times (Ray workers call it once per actor through ``build_nlp``).
"""

# no `from __future__ import annotations`: confection reads the factory signatures at run time

from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

__all__ = ["FACTORY_NAMES", "register_factories"]

FACTORY_NAMES: tuple[str, ...] = (
    "qm_bp_readings",
    "qm_context",
    "qm_dates",
    "qm_evidence",
    "qm_heading_boundaries",
    "qm_merge_targets",
    "qm_note_profile",
    "qm_sections",
    "qm_status_model",
    "qm_window_boundaries",
)
_DOC_EXTENSIONS: dict[str, Any] = {
    "qm_dates": None,
    "qm_evidence": None,
    "qm_note_date": None,
    "qm_note_title": None,
    "qm_note_type": None,
    "qm_text_map": None,  # pipelines.normalize.TextMap: normalized offsets -> original offsets
    "qm_source_text": None,  # windowed mode: the whole normalized text (doc.text is blank outside the windows)
    "qm_windows": None,  # windowed mode: the [start, end) character windows spaCy saw
    "qm_date_order": None,  # the note's own order of numeric dates ("mdy" / "dmy"), else the pipeline's
    "qm_status_policy": None,  # pipelines.status_model.hybrid.HybridPolicy of the status model that ran
    "qm_status_model": None,  # its name-version
}
_SPAN_EXTENSIONS: dict[str, Any] = {
    "qm_reading": None,
    "qm_status_reading": None,  # pipelines.status_model.reader.Reading: the model's status and probability
    "qm_rule_status": None,  # the rules' status, recorded where evidence is built
}
_registered = False


def _make_heading_boundaries(nlp: Language, name: str, min_heading_chars: int) -> Any:
    from .boundaries import HeadingBoundaries

    return HeadingBoundaries(nlp, name, min_heading_chars=min_heading_chars)


def _make_note_profile(nlp: Language, name: str) -> Any:
    from .note_profile import NoteProfile

    return NoteProfile(nlp, name)


def _make_sections(nlp: Language, name: str) -> Any:
    from .sections import SectionsOnly

    return SectionsOnly(nlp, name)


def _make_window_boundaries(nlp: Language, name: str) -> Any:
    from .window_boundaries import WindowBoundaries

    return WindowBoundaries(nlp, name)


def _make_bp_readings(nlp: Language, name: str, label: str) -> Any:
    from .readings import BloodPressureReadings

    return BloodPressureReadings(nlp, name, label=label)


def _make_dates(nlp: Language, name: str, date_order: str) -> Any:
    from .date_tagger import DateTagger

    return DateTagger(nlp, name, date_order=date_order)


def _make_evidence(nlp: Language, name: str, max_value_chars: int) -> Any:
    from .evidence_builder import EvidenceBuilder

    return EvidenceBuilder(nlp, name, max_value_chars=max_value_chars)


def _make_context(
    nlp: Language, name: str, rules: Any, max_scope: Any, prune_on_target_overlap: bool, span_attrs: Any
) -> Any:
    from .target_context import TargetSentenceConText

    return TargetSentenceConText(
        nlp,
        name,
        rules=rules,
        max_scope=max_scope,
        prune_on_target_overlap=prune_on_target_overlap,
        span_attrs=span_attrs,
    )


def _make_merge_targets(nlp: Language, name: str, group: str, first_group: str | None) -> Any:
    from .merge_targets import MergeTargets

    return MergeTargets(nlp, name, group=group, first_group=first_group)


def _make_status_model(nlp: Language, name: str, model: str, batch_size: int, skip_labels: list[str]) -> Any:
    from .status_model.component import StatusModelReader

    return StatusModelReader(nlp, name, model=model, batch_size=batch_size, skip_labels=skip_labels)


def register_extensions() -> None:
    from .note_profile import register_note_facts

    register_note_facts()  # qm_eye_care, qm_title_elements, qm_pediatric, qm_age_years: computed when read
    for attr, default in _DOC_EXTENSIONS.items():
        if not Doc.has_extension(attr):
            Doc.set_extension(attr, default=default)
    for attr, default in _SPAN_EXTENSIONS.items():
        if not Span.has_extension(attr):
            Span.set_extension(attr, default=default)


def register_factories() -> None:
    """Register the ``qm_*`` factories and extensions (idempotent)."""
    global _registered
    register_extensions()
    if _registered:
        return
    if not Language.has_factory("qm_heading_boundaries"):
        Language.factory(
            "qm_heading_boundaries",
            assigns=["token.is_sent_start"],
            requires=["token.is_sent_start"],
            default_config={"min_heading_chars": 2},
            func=_make_heading_boundaries,
        )
    if not Language.has_factory("qm_note_profile"):
        Language.factory(
            "qm_note_profile",
            assigns=["doc._.qm_eye_care", "doc._.qm_title_elements", "doc._.qm_pediatric", "doc._.qm_age_years"],
            func=_make_note_profile,
        )
    if not Language.has_factory("qm_window_boundaries"):
        Language.factory(
            "qm_window_boundaries",
            assigns=["token.is_sent_start"],
            requires=["token.is_sent_start"],
            func=_make_window_boundaries,
        )
    if not Language.has_factory("qm_bp_readings"):
        Language.factory(
            "qm_bp_readings",
            assigns=["doc.ents", "span._.qm_reading"],
            requires=["token.is_sent_start"],
            default_config={"label": "blood_pressure"},
            func=_make_bp_readings,
        )
    if not Language.has_factory("qm_sections"):
        Language.factory("qm_sections", assigns=["doc._.sections"], func=_make_sections)
    if not Language.has_factory("qm_context"):
        Language.factory(
            "qm_context",
            assigns=["span._.modifiers", "doc._.context_graph"],
            requires=["doc.ents"],
            default_config={
                "rules": None,
                "max_scope": None,
                "prune_on_target_overlap": True,
                "span_attrs": None,
            },
            func=_make_context,
        )
    if not Language.has_factory("qm_merge_targets"):
        Language.factory(
            "qm_merge_targets",
            assigns=["doc.ents"],
            default_config={"group": "qm_cased_targets", "first_group": None},
            func=_make_merge_targets,
        )
    if not Language.has_factory("qm_dates"):
        Language.factory(
            "qm_dates", assigns=["doc._.qm_dates"], default_config={"date_order": "mdy"}, func=_make_dates
        )
    if not Language.has_factory("qm_evidence"):
        Language.factory(
            "qm_evidence",
            assigns=["doc._.qm_evidence"],
            requires=["doc.ents", "doc._.qm_dates", "doc._.sections", "span._.modifiers"],
            default_config={"max_value_chars": 60},
            func=_make_evidence,
        )
    if not Language.has_factory("qm_status_model"):
        Language.factory(
            "qm_status_model",
            assigns=["span._.qm_status_reading", "doc._.qm_status_policy"],
            requires=["doc.ents"],
            default_config={"model": None, "batch_size": 64, "skip_labels": ["ignore"]},
            func=_make_status_model,
        )
    _registered = True
