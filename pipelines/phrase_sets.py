"""The phrases of a rule added to a medSpaCy matcher at once: one PhraseMatcher key per rule of the file.

medSpaCy's ``MedspacyMatcher.add`` takes phrase rules one at a time: it runs the tokenizer on the phrase
and registers a PhraseMatcher key of its own (``"<category>_<n>"``), a new entry of the vocabulary each
time. A simple token pattern of a rule file stands for thousands of phrases (``pipelines.rules.
pattern_phrases``: about 83,000 for the target rules), so adding them one by one took about 4 s of
every pipeline actor's start-up. :func:`add_rule_sets` adds the phrases of one rule under one key with
one rule object (its metadata and category are those every phrase of the rule had), and reads each
phrase's token ids from its space-separated pieces, each piece tokenized once (:class:`PhraseTokens`).

The matches are the same. A phrase matches the same token sequence and maps to the same metadata and
category. The one place where the key itself decides is a token sequence that two phrases share (two
rules of the file naming the same phrase, or two spellings of one rule tokenized alike): the
PhraseMatcher reports each key on the very same tokens, and medSpaCy keeps the first one in the order
of the key hashes. Such phrases keep medSpaCy's own keys, numbered as medSpaCy numbers them, so the
rule that wins stays the one it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, ClassVar

from .normalize import NormalizingTokenizer, normalize_text

__all__ = ["PhraseSet", "PhraseTokens", "add_rule_sets", "flatten", "medspacy_matcher"]


@dataclass(frozen=True)
class PhraseSet:
    """A rule of a rule file as the matcher gets it: ``rule`` (a medSpaCy rule: category, metadata), and
    ``phrases``, the phrases it matches (``rule.pattern`` is then None), or None: ``rule`` is added as it
    is (a token pattern or a regular expression)."""

    rule: Any
    phrases: tuple[str, ...] | None = None


def flatten(sets: Iterable[PhraseSet]) -> list[Any]:
    """The rules medSpaCy's own ``add`` takes: one rule per phrase (metadata copied), in order."""
    out: list[Any] = []
    for s in sets:
        if s.phrases is None:
            out.append(s.rule)
            continue
        rule_type = type(s.rule)
        for phrase in s.phrases:
            out.append(_with_literal(rule_type, s.rule, phrase))
    return out


def _with_literal(rule_type: type, rule: Any, literal: str) -> Any:
    """A copy of a phrase rule with another literal (TargetRule / ConTextRule / SectionRule fields)."""
    copy = rule_type.__new__(rule_type)
    copy.__dict__.update(rule.__dict__)
    copy.literal = literal
    copy.metadata = dict(rule.metadata) if rule.metadata is not None else None
    return copy


class PhraseTokens:
    """The token ids (``LOWER``, ``ORTH``) or texts (``TEXT``) of phrases, as ``tokenizer`` gives them.

    ``tokenizer`` is what medSpaCy calls on a phrase: a spaCy ``Tokenizer``, or the pipeline's
    ``NormalizingTokenizer`` (``pipelines.normalize``), which tokenizes the normalized text. spaCy's
    tokenizer splits the text at spaces first and tokenizes each piece alone (prefixes, suffixes,
    infixes, special cases), and the normalization of a character reads only its neighbours, to which a
    space and the end of the text are alike: so a phrase's tokens are those of its pieces in a row, and
    each distinct piece is normalized and tokenized once. The exceptions are tokenized whole: a
    tokenizer special case holding whitespace among other characters, two spaces in a row, a leading or
    trailing space, a piece whose normalized form is empty or holds whitespace.
    """

    _READ: ClassVar[dict[str, Any]] = {
        "LOWER": lambda doc: tuple(t.lower for t in doc),
        "ORTH": lambda doc: tuple(t.orth for t in doc),
        "TEXT": lambda doc: tuple(t.text for t in doc),
    }

    def __init__(self, tokenizer: Any, normalize: bool = False) -> None:
        """``normalize``: normalize phrases before a spaCy ``tokenizer`` (as a NormalizingTokenizer does)."""
        wrapped = isinstance(tokenizer, NormalizingTokenizer)
        self.normalize = normalize or wrapped
        self.spacy_tokenizer = tokenizer.tokenizer if wrapped else tokenizer
        rules = getattr(self.spacy_tokenizer, "rules", None) or {}
        # special cases that are whitespace alone (" ", "\n") never meet a phrase of single spaces
        self.piecewise = not any(not special.isspace() and any(ch.isspace() for ch in special) for special in rules)
        self._pieces: dict[tuple[str, str], tuple[Any, ...] | None] = {}

    def _whole(self, text: str, attr: str) -> tuple[Any, ...]:
        return self._READ[attr](self.spacy_tokenizer(normalize_text(text).text if self.normalize else text))

    def _piece(self, piece: str, attr: str) -> tuple[Any, ...] | None:
        key = (piece, attr)
        if key not in self._pieces:
            text = normalize_text(piece).text if self.normalize else piece
            simple = bool(text) and text.split() == [text]  # not empty, no whitespace
            self._pieces[key] = self._READ[attr](self.spacy_tokenizer(text)) if simple else None
        return self._pieces[key]

    def tokens(self, text: str, attr: str) -> tuple[Any, ...]:
        """The phrase's token ``attr`` values: for ``LOWER`` / ``ORTH``, the keyword spaCy's PhraseMatcher
        reads from the phrase's Doc."""
        if self.piecewise:
            pieces = [self._piece(piece, attr) for piece in text.split(" ")]
            if None not in pieces:
                return tuple(chain.from_iterable(pieces))  # type: ignore[arg-type]
        return self._whole(text, attr)


def medspacy_matcher(component: Any) -> Any:
    """The ``MedspacyMatcher`` a medSpaCy component (TargetMatcher, ConText, Sectionizer) keeps
    name-mangled."""
    from medspacy.common.medspacy_matcher import MedspacyMatcher

    for value in vars(component).values():
        if isinstance(value, MedspacyMatcher):
            return value
    raise TypeError(f"{type(component).__name__} holds no medSpaCy matcher")


def add_rule_sets(component: Any, sets: Sequence[PhraseSet], *, group: bool = True) -> None:
    """Add ``sets`` to a medSpaCy component, with the same matches as ``component.add(flatten(sets))``.

    With ``group`` the phrases of one set share one key; without it each phrase gets medSpaCy's key, as
    with ``component.add`` (only the tokenizing is faster). Token-pattern and regex rules go through
    medSpaCy's ``add``, with medSpaCy's numbering.
    """
    matcher = medspacy_matcher(component)
    attr = matcher._MedspacyMatcher__phrase_matcher_attr.upper()
    if attr not in ("LOWER", "ORTH"):
        component.add(flatten(sets))
        return
    phrase_matcher = matcher._MedspacyMatcher__phrase_matcher
    tokens = PhraseTokens(matcher.nlp)
    first = matcher._MedspacyMatcher__rule_count
    # medSpaCy's number of every phrase (its place in the flat list) and its keyword
    planned: list[tuple[int, PhraseSet, list[tuple[int, tuple[int, ...]]]]] = []
    n = first
    for s in sets:
        if s.phrases is None:
            planned.append((n, s, []))
            n += 1
            continue
        keywords = []
        for phrase in s.phrases:
            text = phrase.lower() if attr == "LOWER" else phrase  # as medSpaCy does
            keywords.append((n, tokens.tokens(text, attr)))
            n += 1
        planned.append((n - len(s.phrases), s, keywords))
    shared = Counter(kw for _, _, keywords in planned for _, kw in keywords)
    for start, s, keywords in planned:
        rule = s.rule
        matcher._labels.add(rule.category)
        if s.phrases is None:
            matcher._MedspacyMatcher__rule_count = start
            matcher.add([rule])
            continue
        own: list[tuple[int, ...]] = []
        for number, keyword in keywords:
            if group and shared[keyword] == 1:
                own.append(keyword)
                continue
            key = f"{rule.category}_{number}"  # medSpaCy's own key
            matcher._rule_map[key] = rule
            if keyword:
                phrase_matcher.add(key, [keyword], on_match=rule.on_match)
        if own:
            key = f"{rule.category}_{start}+{len(s.phrases)}"  # never one of medSpaCy's keys ("<category>_<n>")
            rule._rule_id = key
            matcher._rule_map[key] = rule
            phrase_matcher.add(key, own, on_match=rule.on_match)
        elif keywords:
            rule._rule_id = f"{rule.category}_{keywords[0][0]}"
    matcher._MedspacyMatcher__rule_count = n
