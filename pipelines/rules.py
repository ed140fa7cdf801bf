"""Load the rule files of ``pipelines/resources`` into medspaCy rule objects.

The files are plain YAML a clinician can read and edit. Every loader checks the keys of
every entry and raises :class:`RuleFileError` naming the file, the entry, the bad key and
the allowed keys, so a typo never silently disables a rule.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from engine.elements import default_vocabulary_path, unknown_element_message
from engine.errors import RuleFileError

from .phrase_sets import PhraseSet, flatten

if TYPE_CHECKING:  # medspaCy (and spaCy under it) is imported only when rules are built: reading the rules'
    # digest (PIPELINE_VERSION) must not load them, e.g. in a job's driver, which never runs a pipeline
    from medspacy.context import ConTextRule
    from medspacy.section_detection import SectionRule
    from medspacy.target_matcher import TargetRule

__all__ = [
    "ELEMENTS",
    "IGNORE",
    "all_elements",
    "supplemental_elements",
    "RESOURCES",
    "RuleFileError",
    "ValuePatterns",
    "load_context_rules",
    "load_section_rules",
    "load_target_rules",
    "load_value_patterns",
    "rules_digest",
    "target_rule_sets",
]

RESOURCES = Path(__file__).parent / "resources"
IGNORE = "ignore"  # element of trap phrases: matched so they win over shorter mentions, then dropped

ELEMENTS: tuple[str, ...] = (
    "colonoscopy",
    "flexible_sigmoidoscopy",
    "ct_colonography",
    "stool_dna",
    "fobt",
    "mammogram",
    "cervical_cytology",
    "hpv_test",
    "retinal_eye_exam",
    "hba1c",
    "blood_pressure",
    "tobacco_use",
    "depression_screening",
    "medication_reconciliation",
    "advance_care_planning",
    "influenza_vaccine",
    "pneumococcal_vaccine",
    "diabetes",
    "hypertension",
    "colorectal_cancer",
    "total_colectomy",
    "bilateral_mastectomy",
    "hysterectomy_no_cervix",
    "hospice",
    "palliative_care",
    "esrd",
    "pregnancy",
)
CONTEXT_CATEGORIES: tuple[str, ...] = (
    "NEGATED_EXISTENCE",
    "DECLINED",
    "ORDERED",
    "PLANNED",
    "HYPOTHETICAL",
    "POSSIBLE_EXISTENCE",
    "FAMILY",
    "PAST_EVENT",
    "HISTORICAL",
    "TERMINATE",
    "PSEUDO",
    "PATIENT",
)
DIRECTIONS: tuple[str, ...] = ("FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO")
TOBACCO_VALUES: tuple[str, ...] = ("current", "former", "never")

_TARGET_KEYS = {
    "id",
    "element",
    "literal",
    "pattern",
    "value",
    "exclude_sections",
    "followed_by",
    "not_preceded_by",
    "preceded_by",
    "also_element",
    "requires",
    "pairs_with",
    "not_as_heading",
    "states_result",
    "with_finding",
    "same_sentence_as",
    "implies_element",
    "eye_care_element",
    "comment",
}
_CONTEXT_KEYS = {
    "id",
    "category",
    "literal",
    "pattern",
    "direction",
    "max_scope",
    "allowed_types",
    "excluded_types",
    "terminated_by",
    "comment",
}
_SECTION_KEYS = {"id", "category", "headings", "comment"}
_VALUE_KEYS = {
    "bp_reading",
    "bp_cue",
    "bp_place_cue",
    "bp_unit",
    "a1c_filler",
    "a1c_number",
    "tobacco_former_cue",
    "tobacco_current_cue",
    "tobacco_history_cue",
    "tobacco_past_history_cue",
    "tobacco_pack_years",
    "tobacco_relapse_cue",
    "tobacco_ongoing_cue",
    "tobacco_continuing_cue",
    "screening_score",
    "screening_result",
    "screening_filler",
    "screening_number",
    "done_today_cue",
    "heading_affirm_cue",
    "topic_cue",
    "retinal_finding",
    "retinal_positive",
    "retinal_negative",
    "vaccine_given_cue",
    "visit_today_cue",
    "instruments",
}


_TOP_LEVEL_KEYS = {
    "target_rules",
    "context_rules",
    "section_rules",
    "groups",
    "vocab",
    "supplemental_elements",
}


# yaml.safe_load with libyaml's parser where PyYAML has it: the same safe constructor (plain data only) and
# the same data, about 5x less CPU on the rule files (read by every pipeline actor when it starts)
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``, parsed by libyaml when available (``yaml.CSafeLoader``)."""
    return yaml.load(text, Loader=_SAFE_LOADER)


def _read(path: Path, top_key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(f"Cannot read rule file {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get(top_key), list):
        raise RuleFileError(
            f"Rule file {path} must be a mapping with a list under '{top_key}'; "
            f"found top-level keys: {sorted(data) if isinstance(data, dict) else type(data).__name__}."
        )
    extra = sorted(set(data) - _TOP_LEVEL_KEYS)
    if extra:
        raise RuleFileError(
            f"Rule file {path} has unknown top-level key(s) {extra}; "
            f"allowed: {sorted(_TOP_LEVEL_KEYS)} ('vocab' holds word lists shared via YAML anchors)."
        )
    return data, data[top_key]


def _check_entry(path: Path, index: int, entry: Any, allowed: set[str], required: Iterable[str]) -> None:
    if not isinstance(entry, dict):
        raise RuleFileError(f"{path}: entry #{index} must be a mapping, got {type(entry).__name__}.")
    where = f"{path}: entry #{index} (id={entry.get('id')!r})"
    bad = sorted(set(entry) - allowed)
    if bad:
        raise RuleFileError(f"{where} has unknown key(s) {bad}; allowed keys: {sorted(allowed)}.")
    missing = [k for k in required if entry.get(k) in (None, "")]
    if missing:
        raise RuleFileError(f"{where} is missing required key(s) {missing}.")


def _check_unique(path: Path, ids: list[str]) -> None:
    seen: set[str] = set()
    for rule_id in ids:
        if rule_id in seen:
            raise RuleFileError(f"{path}: rule id {rule_id!r} is used twice; ids must be unique.")
        seen.add(rule_id)


_TEXT_ATTRS = {"ORTH", "LOWER", "TEXT", "NORM", "LEMMA", "SHAPE"}


def _check_pattern(path: Path, rule_id: str, pattern: Any) -> None:
    """Catch YAML's silent conversions (bare on/no/yes become booleans) in token patterns."""
    if pattern is None or isinstance(pattern, str):
        return
    if not isinstance(pattern, list) or not all(isinstance(t, dict) for t in pattern):
        raise RuleFileError(
            f"{path}: rule {rule_id!r}: 'pattern' must be a list of token mappings or a string."
        )
    for token in pattern:
        for attr, spec in token.items():
            if attr not in _TEXT_ATTRS:
                continue
            values = spec.get("IN", spec.get("NOT_IN", [])) if isinstance(spec, dict) else [spec]
            bad = [v for v in values if not isinstance(v, str)]
            if bad:
                raise RuleFileError(
                    f"{path}: rule {rule_id!r}: {attr} values must be strings, got {bad!r}; "
                    f'quote words YAML reads as booleans or numbers ("on", "no", "2").'
                )


_MAX_PHRASES = 8000


def pattern_phrases(pattern: Any, limit: int = _MAX_PHRASES) -> tuple[list[str], bool] | None:
    """The phrases a simple token pattern matches and whether they are case-sensitive, or None.

    Simple: every token is LOWER or ORTH, given as a string or an ``IN`` list, optionally
    ``OP: "?"`` or ``OP: "*"`` (read as up to two repetitions). Such rules run on medspaCy's
    PhraseMatcher path (a hash lookup per token) instead of spaCy's Matcher, which tries every
    pattern at every token and dominated extraction time. A pattern with an ORTH word ("DM",
    "TAH") is case-sensitive: its LOWER tokens are spelled lower, Title and UPPER case, and the
    phrases go to a case-sensitive phrase matcher. The rule files do not change.
    """
    if not isinstance(pattern, list) or not pattern:
        return None
    options: list[tuple[list[str], bool]] = []
    cased = False
    for token in pattern:
        if not isinstance(token, dict) or not set(token) <= {"LOWER", "ORTH", "OP"}:
            return None
        op = token.get("OP")
        if op not in (None, "?", "*"):
            return None
        attrs = [k for k in token if k != "OP"]
        if len(attrs) != 1:
            return None
        spec = token[attrs[0]]
        values = (
            spec.get("IN")
            if isinstance(spec, dict) and set(spec) == {"IN"}
            else ([spec] if isinstance(spec, str) else None)
        )
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            return None
        if any("." in v and any(c.isalpha() for c in v) for v in values):
            return None  # "F.O.B." tokenizes differently once lower-cased: keep on the Matcher
        if attrs[0] == "ORTH" and any(c.isalpha() for v in values for c in v):
            cased = True
            spelled = list(values)
        else:
            spelled = [v.lower() for v in values]
        options.append((spelled, op is not None))
        if op == "*":  # "*" is read as "up to two": two optional copies
            options.append((spelled, True))
    if cased:  # LOWER tokens of a case-sensitive pattern: lower, Title and UPPER spellings
        options = [
            (
                vals
                if any(c.isupper() for v in vals for c in v)
                else sorted({f(v) for v in vals for f in (str.lower, str.title, str.upper)}),
                opt,
            )
            for vals, opt in options
        ]
    count = 1  # phrases of the product, the empty one included: too many, and the rule stays a token pattern
    for values, optional in options:
        count *= len(values) + optional
        if count > limit:
            return None
    phrases = [""]  # the words so far, joined by spaces ("" is no word yet: values are never empty)
    for values, optional in options:
        nxt = [f"{p} {v}" if p else v for p in phrases for v in values]
        if optional:
            nxt += phrases
        phrases = nxt
    out = sorted(set(phrases) - {""})
    return (out, cased) if out else None


def _rule_variants(pattern: Any, literal: str) -> list[tuple[str, Any, bool]]:
    """(literal, pattern, case_sensitive) per phrase of a simple pattern, else the rule unchanged."""
    expanded = pattern_phrases(pattern)
    if expanded is None:
        return [(literal, pattern, False)]
    phrases, cased = expanded
    return [(phrase, None, cased) for phrase in phrases]


@functools.cache
def supplemental_elements(path: Path | None = None) -> tuple[str, ...]:
    """Elements the measures need beyond the 27 guideline elements (cessation counseling and
    medication, depression follow-up), listed under ``supplemental_elements`` in target_rules.yaml.
    They are extracted like the others but left out of ``qae extract`` output and of chart-review
    scoring unless asked for."""
    path = path or RESOURCES / "target_rules.yaml"
    data, _ = _read(path, "target_rules")
    names = data.get("supplemental_elements") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise RuleFileError(
            f"{path}: 'supplemental_elements' must be a list of element names; got {names!r}."
        )
    clash = sorted(set(names) & set(ELEMENTS))
    if clash:
        raise RuleFileError(f"{path}: supplemental_elements {clash} are guideline elements already.")
    return tuple(names)


def all_elements() -> tuple[str, ...]:
    """The 27 guideline elements followed by the supplemental ones."""
    return ELEMENTS + supplemental_elements()


def load_target_rules(path: Path | None = None) -> list[TargetRule]:
    """Read ``target_rules.yaml``: each rule's ``category`` is the element, ``metadata`` has id/value; a
    simple token pattern becomes one phrase rule per phrase (``pattern_phrases``), as medSpaCy's
    ``TargetMatcher.add`` takes them."""
    return flatten(target_rule_sets(path))


def target_rule_sets(path: Path | None = None) -> list[PhraseSet]:
    """The rules of ``target_rules.yaml`` with the phrases each matches (``pipelines.phrase_sets``): a
    simple token pattern as its phrases (``pattern_phrases``), a literal as itself, else the pattern."""
    path = path or RESOURCES / "target_rules.yaml"
    _, entries = _read(path, "target_rules")
    from medspacy.target_matcher import TargetRule

    rules: list[PhraseSet] = []
    for i, entry in enumerate(entries):
        _check_entry(path, i, entry, _TARGET_KEYS, ("id", "element", "literal"))
        element = entry["element"]
        known = ELEMENTS + _supplemental_of(path)
        if element != IGNORE and element not in known:
            raise RuleFileError(
                f"{path}: rule {entry['id']!r} names {_unknown(element, known)} (or '{IGNORE}' for a trap phrase)."
            )
        _check_pattern(path, entry["id"], entry.get("pattern"))
        also = entry.get("also_element")
        if also is not None and also not in known:
            raise RuleFileError(f"{path}: rule {entry['id']!r} also_element: {_unknown(also, known)}.")
        if also is not None and also == element:
            raise RuleFileError(f"{path}: rule {entry['id']!r} also_element {also!r} must be another element.")
        for key in ("requires", "same_sentence_as"):
            for required in entry.get(key) or ():
                if required not in known:
                    raise RuleFileError(f"{path}: rule {entry['id']!r} {key}: {_unknown(required, known)}.")
        eye_care = entry.get("eye_care_element")
        if eye_care is not None and eye_care not in known:
            raise RuleFileError(f"{path}: rule {entry['id']!r} eye_care_element: {_unknown(eye_care, known)}.")
        if eye_care is not None and element != IGNORE:
            raise RuleFileError(
                f"{path}: rule {entry['id']!r} eye_care_element {eye_care!r} needs element '{IGNORE}' and one of "
                f"the elements: {', '.join(known)} (a trap phrase that is evidence in an eye-care note)."
            )
        implied = entry.get("implies_element")
        if implied is not None and implied != "tobacco_use":
            raise RuleFileError(
                f"{path}: rule {entry['id']!r} implies_element {implied!r}; only 'tobacco_use' is supported "
                f"(a cessation counseling mention documents a current user)."
            )
        value = entry.get("value")
        if value is not None and ("tobacco_use" not in (element, implied) or value not in TOBACCO_VALUES):
            raise RuleFileError(
                f"{path}: rule {entry['id']!r} has value {value!r}; a fixed value is only allowed "
                f"on tobacco_use rules (or rules implying tobacco_use) and must be one of {TOBACCO_VALUES}."
            )
        literal, pattern = str(entry["literal"]), entry.get("pattern")
        expanded = pattern_phrases(pattern)
        phrases, cased = expanded if expanded is not None else ((literal,) if pattern is None else None, False)
        if phrases is not None:
            pattern = None
        metadata = {
            "id": entry["id"],
            "value": value,
            "case_sensitive": cased,
            "exclude_sections": tuple(entry.get("exclude_sections") or ()),
            "followed_by": _context_regex(path, entry, "followed_by"),
            "not_preceded_by": _context_regex(path, entry, "not_preceded_by"),
            "preceded_by": _context_regex(path, entry, "preceded_by"),
            "also_element": also,
            "requires": tuple(entry.get("requires") or ()),
            "pairs_with": tuple(entry.get("pairs_with") or ()),
            "not_as_heading": bool(entry.get("not_as_heading")),
            "states_result": bool(entry.get("states_result")),
            "with_finding": bool(entry.get("with_finding")),
            "same_sentence_as": tuple(entry.get("same_sentence_as") or ()),
            "implies_element": implied,
            "eye_care_element": eye_care,
        }
        rule = TargetRule(literal=literal, category=element, pattern=pattern, metadata=metadata)
        rules.append(PhraseSet(rule, tuple(phrases) if phrases is not None else None))
    _check_unique(path, [e["id"] for e in entries])
    ids = {e["id"] for e in entries}
    for entry in entries:
        unknown = sorted(set(entry.get("pairs_with") or ()) - ids)
        if unknown:
            raise RuleFileError(f"{path}: rule {entry['id']!r} pairs_with unknown rule id(s) {unknown}.")
    return rules


def _unknown(element: str, known: Iterable[str]) -> str:
    """"unknown element 'x' (did you mean 'y'?); valid elements: ..." for a rule file's message."""
    return unknown_element_message(element, list(known)).removesuffix(" (measures/elements.yaml)")


def _context_regex(path: Path, entry: dict[str, Any], key: str) -> re.Pattern[str] | None:
    """A rule's ``followed_by`` / ``not_preceded_by`` / ``preceded_by`` regular expression (case-insensitive)."""
    raw = entry.get(key)
    if raw is None:
        return None
    try:
        return re.compile(str(raw), re.IGNORECASE)
    except re.error as exc:
        raise RuleFileError(f"{path}: rule {entry['id']!r}: {key} is not a valid regular expression: {exc}") from exc


def _supplemental_of(path: Path) -> tuple[str, ...]:
    try:
        return supplemental_elements(path)
    except RuleFileError:
        return ()


def _expand_types(
    path: Path, rule_id: str, names: list[str] | None, groups: Mapping[str, list[str]]
) -> set[str] | None:
    if names is None:
        return None
    out: set[str] = set()
    for name in names:
        if name.startswith("@"):
            if name[1:] not in groups:
                raise RuleFileError(
                    f"{path}: rule {rule_id!r} refers to unknown group {name!r}; groups: {sorted(groups)}."
                )
            out.update(groups[name[1:]])
        elif name in all_elements():
            out.add(name)
        else:
            raise RuleFileError(
                f"{path}: rule {rule_id!r} names, in allowed/excluded types, {_unknown(name, all_elements())}."
            )
    # ConText compares upper-cased labels
    return {t.upper() for t in out} | out


def load_context_rules(path: Path | None = None) -> list[ConTextRule]:
    """Read ``context_rules.yaml`` into ConText rules; the rule id is kept in ``metadata['id']``."""
    path = path or RESOURCES / "context_rules.yaml"
    data, entries = _read(path, "context_rules")
    groups = data.get("groups") or {}
    from medspacy.context import ConTextRule

    rules: list[ConTextRule] = []
    for i, entry in enumerate(entries):
        _check_entry(path, i, entry, _CONTEXT_KEYS, ("id", "category", "literal", "direction"))
        if entry["category"] not in CONTEXT_CATEGORIES:
            raise RuleFileError(
                f"{path}: rule {entry['id']!r} has category {entry['category']!r}; "
                f"valid categories: {', '.join(CONTEXT_CATEGORIES)}."
            )
        if entry["direction"] not in DIRECTIONS:
            raise RuleFileError(
                f"{path}: rule {entry['id']!r} has direction {entry['direction']!r}; "
                f"valid directions: {', '.join(DIRECTIONS)}."
            )
        _check_pattern(path, entry["id"], entry.get("pattern"))
        terminated_by = set(entry.get("terminated_by") or ()) | {"TERMINATE"}
        max_scope = entry.get("max_scope")
        if entry["direction"] in ("TERMINATE", "PSEUDO") and max_scope is None:
            # medspaCy pitfall: ``limit_scope`` tests ``tuple_overlaps(self.scope, other.scope)``, which is
            # False when the terminator's scope (the whole sentence) strictly contains the modifier's
            # ``max_scope`` window, so "declined X, and so Y" kept Y declined. A one-token scope
            # around the terminator overlaps every scope it sits in.
            max_scope = 1
        allowed = _expand_types(path, entry["id"], entry.get("allowed_types"), groups)
        excluded = _expand_types(path, entry["id"], entry.get("excluded_types"), groups)
        for literal, pattern, cased in _rule_variants(entry.get("pattern"), str(entry["literal"])):
            if cased:  # the ConText phrase matcher is case-insensitive: keep the token pattern
                literal, pattern = str(entry["literal"]), entry.get("pattern")
            rules.append(
                ConTextRule(
                    literal=literal,
                    category=entry["category"],
                    pattern=pattern,
                    direction=entry["direction"],
                    max_scope=max_scope,
                    allowed_types=allowed,
                    excluded_types=excluded,
                    terminated_by=set(terminated_by),
                    metadata={"id": entry["id"]},
                )
            )
    _check_unique(path, [e["id"] for e in entries])
    return rules


def heading_variants(heading: str) -> list[str]:
    """Spellings of a heading matched case-sensitively: "FAMILY HISTORY" (with or without a colon,
    as in transcribed and templated notes) and "Family history:" / "Family History:" / "family history:".
    Headings shorter than 4 letters ("FH", "PE") need their colon."""
    words = heading.split()
    upper = heading.upper()
    title = " ".join(w[:1].upper() + w[1:] for w in words)
    sentence = heading[:1].upper() + heading[1:]
    variants = {f"{upper}:", f"{title}:", f"{sentence}:", f"{heading.lower()}:"}
    if len(heading.replace(" ", "")) >= 4:  # "FH", "SH", "PE" without a colon are words in a sentence
        variants.add(upper)
    return sorted(variants)


def load_section_rules(path: Path | None = None) -> list[SectionRule]:
    """Read ``section_rules.yaml``; each heading becomes its case-sensitive spellings
    (``heading_variants``)."""
    path = path or RESOURCES / "section_rules.yaml"
    _, entries = _read(path, "section_rules")
    from medspacy.section_detection import SectionRule

    rules: list[SectionRule] = []
    for i, entry in enumerate(entries):
        _check_entry(path, i, entry, _SECTION_KEYS, ("id", "category", "headings"))
        for heading in entry["headings"]:
            for literal in heading_variants(str(heading)):
                rules.append(
                    SectionRule(literal=literal, category=entry["category"], metadata={"id": entry["id"]})
                )
    _check_unique(path, [e["id"] for e in entries])
    return rules


@dataclass(frozen=True)
class ValuePatterns:
    """Compiled regular expressions of ``values.yaml`` (values, readings and done-today cues)."""

    bp_reading: re.Pattern[str]
    bp_cue: re.Pattern[str]
    bp_place_cue: re.Pattern[str]
    bp_unit: re.Pattern[str]
    a1c_filler: re.Pattern[str]
    a1c_number: re.Pattern[str]
    tobacco_former_cue: re.Pattern[str]
    tobacco_current_cue: re.Pattern[str]
    tobacco_history_cue: re.Pattern[str]
    tobacco_past_history_cue: re.Pattern[str]
    tobacco_pack_years: re.Pattern[str]
    tobacco_relapse_cue: re.Pattern[str]
    tobacco_ongoing_cue: re.Pattern[str]
    tobacco_continuing_cue: re.Pattern[str]
    screening_score: re.Pattern[str]
    screening_result: re.Pattern[str]
    screening_filler: re.Pattern[str]
    screening_number: re.Pattern[str]
    done_today_cue: re.Pattern[str]
    heading_affirm_cue: re.Pattern[str]
    topic_cue: re.Pattern[str]
    retinal_finding: re.Pattern[str]
    retinal_positive: re.Pattern[str]
    retinal_negative: re.Pattern[str]
    vaccine_given_cue: re.Pattern[str]
    visit_today_cue: re.Pattern[str]
    instruments: tuple[tuple[re.Pattern[str], str], ...]


def load_value_patterns(path: Path | None = None) -> ValuePatterns:
    """Read ``values.yaml`` (regular expressions, case-insensitive) into :class:`ValuePatterns`."""
    path = path or RESOURCES / "values.yaml"
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(f"Cannot read value pattern file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleFileError(f"{path} must be a mapping of pattern names to regular expressions.")
    bad = sorted(set(data) - _VALUE_KEYS)
    missing = sorted(_VALUE_KEYS - set(data))
    if bad or missing:
        raise RuleFileError(
            f"{path}: unknown key(s) {bad}, missing key(s) {missing}; expected keys: {sorted(_VALUE_KEYS)}."
        )
    compiled: dict[str, Any] = {}
    for key in _VALUE_KEYS - {"instruments"}:
        try:
            compiled[key] = re.compile(str(data[key]), re.IGNORECASE | re.VERBOSE)
        except re.error as exc:
            raise RuleFileError(f"{path}: pattern {key!r} is not a valid regular expression: {exc}") from exc
    instruments = []
    for item in data["instruments"]:
        if not isinstance(item, dict) or set(item) != {"pattern", "name"}:
            raise RuleFileError(f"{path}: each instrument needs exactly 'pattern' and 'name'; got {item!r}.")
        instruments.append((re.compile(item["pattern"], re.IGNORECASE), str(item["name"])))
    compiled["instruments"] = tuple(instruments)
    return ValuePatterns(**compiled)


def rules_digest(directory: Path | None = None) -> str:
    """Short hash of every rule file, so the pipeline version changes whenever a rule does; for the shipped
    rules also of the element vocabulary (measures/elements.yaml), whose element facts steer extraction."""
    paths = sorted((directory or RESOURCES).glob("*.yaml")) + sorted((directory or RESOURCES).glob("*.json"))
    if directory is None:
        paths.append(default_vocabulary_path())
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]
