"""``build_nlp``: spacy.blank("en") + our rule-based components.

The tokenizer reads a normalized view of the note (``pipelines.normalize``: Unicode dashes,
quotes, spaces, arrows, bullets, "~"); ``doc._.qm_text_map`` maps offsets back, so evidence
always quotes the original text.

Pipeline (names as in ``nlp.pipe_names``):
    qm_note_profile                   note-level facts: eye-care / pediatric note, stated age, title's elements
    sentencizer | medspacy_pyrush      sentence boundaries (option "sentences")
    qm_heading_boundaries             headings, line breaks, bullets start sentences
    qm_window_boundaries              windowed mode (the default): window edges start sentences
    medspacy_target_matcher_cased     target rules with case-sensitive abbreviations ("DM", "TAH")
    medspacy_target_matcher           target rules (resources/target_rules.yaml)
    qm_merge_targets                  both matchers' spans, the longest winning overlaps
    qm_bp_readings                    blood pressure readings (resources/values.yaml)
    qm_sections                       section rules (resources/section_rules.yaml), medspaCy's matcher: doc._.sections
    qm_context                        medspaCy ConText on target sentences (resources/context_rules.yaml)
    qm_dates                          date expressions (numeric dates month-first or day-first: option "date_order")
    qm_status_model                   the learned second reader of each target's status (option "status_model")
    qm_evidence                       evidence rows on doc._.qm_evidence
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import spacy
from spacy.language import Language
from spacy.util import compile_infix_regex, compile_prefix_regex

from engine.errors import ConfigError, PipelineOptionError

from .dates import DATE_ORDERS
from .factories import register_factories
from .normalize import NormalizingTokenizer
from .phrase_sets import PhraseSet, PhraseTokens, add_rule_sets
from .prefilter import FILLER, Prefilter, pattern_keys, phrase_key
from .regex_matching import read_text_once
from .rules import load_context_rules, load_section_rules, load_value_patterns, target_rule_sets
from .token_gate import gate_token_patterns

__all__ = [
    "DATE_ORDERS",
    "DEFAULT_OPTIONS",
    "MODES",
    "SENTENCE_SPLITTERS",
    "build_nlp",
    "build_prefilter",
    "check_options",
]

SENTENCE_SPLITTERS: tuple[str, ...] = ("sentencizer", "pyrush")
MODES: tuple[str, ...] = ("windowed", "full")
DEFAULT_OPTIONS: Mapping[str, Any] = {
    "mode": "windowed",
    "sentences": "sentencizer",
    "context": True,
    "sections": True,
    "date_order": "mdy",
    "status_model": None,
}

# Transcribed notes glue punctuation: "Allegra.,ALLERGIES:,  She", "124/78.,HEENT:", "Vitals:,".
_EXTRA_INFIXES = (
    r"(?<=[.:;!?)]),",  # ".," ":," -> "." ","
    r",(?=[A-Za-z(])",  # ",ALLERGIES" -> "," "ALLERGIES"
    r"(?<=[A-Za-z)]):(?=[,A-Za-z(])",  # "OBJECTIVE:,Vitals" -> "OBJECTIVE" ":" ","
    r"\.(?=,)",  # "124/78.," -> "124/78" "." ","
    r"(?<=[a-z]);(?=[A-Za-z])",
    r"(?<=\d)\)(?=[A-Za-z])",  # "3)HTN" -> "3" ")" "HTN"
    r"(?<=[A-Za-z0-9])=(?=[A-Za-z0-9])",  # "PHQ9=16", "BP=128/80" -> "PHQ9" "=" "16"
)
_EXTRA_PREFIXES = (r",", r"•", r"\*")
# medspaCy warns once per overlap between the two target matchers; the first match is kept, by design
warnings.filterwarnings("ignore", message=r".*conflicts with a pre-existing entity", category=RuntimeWarning)
# a matcher left without token patterns (all rules compiled to phrases) is expected
warnings.filterwarnings("ignore", message=r".*\[W036\]", category=UserWarning)


def _customize_tokenizer(nlp: Language) -> None:
    tokenizer = nlp.tokenizer
    infixes = list(nlp.Defaults.infixes or []) + list(_EXTRA_INFIXES)
    prefixes = list(nlp.Defaults.prefixes or []) + list(_EXTRA_PREFIXES)
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    tokenizer.prefix_search = compile_prefix_regex(prefixes).search


def check_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The pipeline options with defaults filled in; PipelineOptionError names a bad one.

    The job config's ``pipeline:`` setting is checked here when the config loads, so a typo
    fails at once with one line instead of inside a Ray actor.
    """
    opts = {**DEFAULT_OPTIONS, **(options or {})}
    if opts["sentences"] == "pyrush" and "mode" not in (options or {}):
        opts["mode"] = "full"  # windows are cut at the sentencizer's sentence starts
    unknown = sorted(set(opts) - set(DEFAULT_OPTIONS))
    if unknown:
        raise PipelineOptionError(
            f"the pipeline got unknown option(s) {unknown}; valid options: {sorted(DEFAULT_OPTIONS)}."
        )
    if opts["mode"] not in MODES:
        raise PipelineOptionError(
            f"pipeline option 'mode' is {opts['mode']!r}; choose one of {MODES} (windowed: spaCy runs only "
            "around the places a rule can match; full: on the whole note, the reference)."
        )
    if opts["sentences"] not in SENTENCE_SPLITTERS:
        raise PipelineOptionError(
            f"pipeline option 'sentences' is {opts['sentences']!r}; choose one of {SENTENCE_SPLITTERS}."
        )
    if opts["mode"] == "windowed" and opts["sentences"] != "sentencizer":
        raise PipelineOptionError(
            f"pipeline option 'sentences' is {opts['sentences']!r}, which needs mode: full (windows are cut "
            "at the sentence starts of spaCy's sentencizer); set mode: full or sentences: sentencizer."
        )
    for flag in ("context", "sections"):
        if not isinstance(opts[flag], bool):
            raise PipelineOptionError(f"pipeline option {flag!r} is {opts[flag]!r}; give true or false.")
    if opts["date_order"] not in DATE_ORDERS:
        raise PipelineOptionError(
            f"pipeline option 'date_order' is {opts['date_order']!r}; choose one of {DATE_ORDERS} "
            "(mdy: 03/04/25 is March 4; dmy: 3 April)."
        )
    if opts["status_model"] is not None:
        from .status_model.reader import resolve_model_dir

        if not isinstance(opts["status_model"], str):
            raise PipelineOptionError(
                f"pipeline option 'status_model' is {opts['status_model']!r}; give a model name or folder, or null."
            )
        try:
            opts["status_model"] = str(resolve_model_dir(opts["status_model"]))
        except ConfigError as exc:
            raise PipelineOptionError(f"pipeline option 'status_model': {exc}") from None
    return opts


def build_nlp(options: Mapping[str, Any] | None = None) -> Language:
    """Build the extraction pipeline.

    ``options`` (plain JSON values, all optional):
      - ``mode``: "windowed" (default: spaCy runs only on the windows of the note where a rule can match,
        ``pipelines.prefilter``) or "full" (on the whole note: the reference; same evidence)
      - ``sentences``: "sentencizer" (spaCy's rule-based splitter, default) or "pyrush" (medspaCy PyRuSH)
      - ``context``: run ConText (default true); ``sections``: run the sectionizer (default true)
      - ``date_order``: "mdy" (default: 03/04/25 is March 4) or "dmy" (4 March) for numeric dates;
        a note's own ``date_order`` overrides it
      - ``status_model``: a trained status model (a shipped name or a folder, see
        ``pipelines.status_model``) read beside the rules; null (default) runs the rules alone
    """
    opts = check_options(options)
    register_factories()
    import medspacy  # noqa: F401  (registers the medspacy_* factories)

    nlp = spacy.blank("en")
    _customize_tokenizer(nlp)
    nlp.tokenizer = NormalizingTokenizer(nlp.tokenizer)
    nlp.add_pipe("qm_note_profile")  # eye-care / pediatric note, stated age: one pass over the whole text
    if opts["sentences"] == "pyrush":
        # PyRuSH logs every token of the note at DEBUG level through loguru: notes are PHI, silence it
        from loguru import logger

        logger.disable("PyRuSH")
        nlp.add_pipe("medspacy_pyrush")
    else:
        nlp.add_pipe("sentencizer", config={"punct_chars": [".", "!", "?", "•", "。"]})
    nlp.add_pipe("qm_heading_boundaries")
    if opts["mode"] == "windowed":
        nlp.add_pipe("qm_window_boundaries")
    # abbreviations ("DM", "TAH", "CRC") match case-sensitively; everything else on lower case
    cased_matcher = nlp.add_pipe(
        "medspacy_target_matcher",
        name="medspacy_target_matcher_cased",
        config={"phrase_matcher_attr": "ORTH", "result_type": "group", "span_group_name": "qm_cased_targets"},
    )
    # the case-insensitive matcher writes a span group too; qm_merge_targets sets doc.ents once
    matcher = nlp.add_pipe("medspacy_target_matcher", config={"result_type": "group", "span_group_name": "qm_targets"})
    nlp.add_pipe("qm_merge_targets", config={"group": "qm_cased_targets", "first_group": "qm_targets"})
    nlp.add_pipe("qm_bp_readings")
    sectionizer = context = None
    if opts["sections"]:
        # headings are matched case-sensitively (ORTH): "PLAN:" is a heading, "plan" in a sentence is not; a heading
        # in capitals counts anywhere, "plan:" / "Plan:" only at a line start or after punctuation ("Dx on CCM
        # plan: T2DM, HTN" starts no plan section); only doc._.sections is set (pipelines.sections)
        sectionizer = nlp.add_pipe("qm_sections")
    if opts["context"]:
        # prune_on_target_overlap: medspaCy's own overlap test misses a modifier nested inside a target
        # ("Acquired absence of bilateral breast", "Do not resuscitate"), which then negates it or its
        # neighbours; pruning modifiers that overlap any target fixes both.
        context = nlp.add_pipe(
            "qm_context", config={"rules": None, "span_attrs": None, "prune_on_target_overlap": True}
        )
    nlp.add_pipe("qm_dates", config={"date_order": opts["date_order"]})
    if opts["status_model"] is not None:
        nlp.add_pipe("qm_status_model", config={"model": opts["status_model"]})
    nlp.add_pipe("qm_evidence")
    # medspaCy runs ``nlp(phrase)`` for every phrase rule it adds: tokenizer only, please
    with nlp.select_pipes(enable=[]):
        # a rule's phrases under one key (pipelines.phrase_sets): the same matches, a fraction of the start-up
        target_sets = target_rule_sets()
        add_rule_sets(cased_matcher, [s for s in target_sets if s.rule.metadata.get("case_sensitive")])
        add_rule_sets(matcher, [s for s in target_sets if not s.rule.metadata.get("case_sensitive")])
        if sectionizer is not None:
            sectionizer.add(load_section_rules())
        if context is not None:
            context.add(load_context_rules())
    for component in (cased_matcher, matcher, context):
        if component is not None:
            read_text_once(component)  # regex rules: one text per Doc, not one per rule
            # token rules: run only on Docs holding a word they need; ConText sorts its modifiers itself, so its
            # rules are gated one by one, on every word they need
            gate_token_patterns(component, per_rule=component is context)
    if opts["mode"] == "windowed":
        nlp.tokenizer.prefilter = build_prefilter(nlp.tokenizer.tokenizer, target_sets, sectionizer is not None)
    return nlp


def build_prefilter(tokenizer: Any, target_sets: list[PhraseSet], sections: bool = True) -> Prefilter:
    """The prefilter of windowed mode, generated from the rule files: the anchor of every target rule
    (and section heading rule, with ``sections``) and the blood pressure reading expression."""
    tokens = PhraseTokens(tokenizer, normalize=True)

    def keys(phrases: Iterable[str]) -> set[str]:
        """``prefilter.phrase_keys`` of the normalized phrases (each piece normalized and tokenized once)"""
        found = (tokens.tokens(p, "TEXT") for p in phrases)
        return {phrase_key(texts) for texts in found if texts}

    def phrases(cased: bool) -> Iterator[str]:
        for s in target_sets:
            if s.phrases is not None and bool(s.rule.metadata.get("case_sensitive")) == cased:
                yield from s.phrases

    lower_keys = keys(phrases(False))
    cased_keys = keys(phrases(True))
    # headings are matched as written (ORTH)
    heading_keys = keys(r.literal for r in load_section_rules()) if sections else set()
    for s in target_sets:
        rule = s.rule
        if s.phrases is None and rule.pattern is not None:
            if isinstance(rule.pattern, str):
                raise PipelineOptionError(
                    f"target rule {rule.metadata.get('id')!r} is a regular expression, which windowed mode "
                    "cannot prefilter yet; run with pipeline mode: full"
                )
            lower_keys |= pattern_keys(rule.pattern)
    abbreviations = [k for k in tokenizer.rules if k.endswith(".")]
    prefilter = Prefilter(lower_keys, cased_keys, [load_value_patterns().bp_reading], abbreviations, heading_keys)
    if FILLER in prefilter:
        raise PipelineOptionError(f"a target rule matches the prefilter's filler {FILLER!r}; run with mode: full")
    return prefilter
