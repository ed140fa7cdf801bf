"""Which of a list of regular expressions can match a text, read from the literals every match of each holds.

``pipelines.regex_matching.required_literals`` reads, from a pattern's parse, sets of lower-case strings such
that every match holds one string of each set; ``holds_literals`` tests a text for them with one compiled
alternation per set. :class:`LiteralGate` gives the same answers for a whole list of patterns at once, cheaper:
each distinct set of the list is tested at most once per text, with substring tests (``str.__contains__``, a
scan in C that skips ahead, where an alternation such as ``anterior|posterior`` is tried at every position), and
a set keeps only its strings that hold none of its other strings (a text holds "sep" whenever it holds
"september"). The date tagger and the note profile gate their expressions with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

__all__ = ["LiteralGate"]


def _shortest(words: frozenset[str]) -> tuple[str, ...]:
    """The strings of a set that hold no other string of it, shortest first: a text holds one string of the set
    exactly when it holds one of these."""
    kept = [w for w in words if not any(v != w and v in w for v in words)]
    return tuple(sorted(kept, key=lambda w: (len(w), w)))


def _test_of(words: frozenset[str]) -> Callable[[str], bool]:
    """Whether a text holds a string of ``words``: a set of single characters (a digit) is one character class
    searched for, any other set one substring test per string."""
    kept = _shortest(words)
    if kept and all(len(w) == 1 for w in kept):
        search = re.compile("[" + "".join(re.escape(c) for c in kept) + "]").search
        return lambda text: search(text) is not None
    return lambda text: any(w in text for w in kept)


class LiteralGate:
    """For patterns' needs (one tuple of sets per pattern, as ``required_literals`` gives them),
    :meth:`passing` says for each pattern whether a text holds a string of each of its sets."""

    def __init__(self, needs: Sequence[tuple[frozenset[str], ...]]) -> None:
        index: dict[frozenset[str], int] = {}
        self._tests: list[Callable[[str], bool]] = []
        own: list[tuple[int, ...]] = []
        for pattern_needs in needs:
            ids = []
            for words in pattern_needs:
                k = index.get(words)
                if k is None:
                    k = index[words] = len(self._tests)
                    self._tests.append(_test_of(words))
                ids.append(k)
            own.append(tuple(ids))
        self._own = tuple(own)

    def __len__(self) -> int:
        return len(self._own)

    def passing(self, lowered: str | None) -> list[bool]:
        """Per pattern, whether a lower-cased ASCII text holds a string of each of its sets (what
        ``regex_matching.holds_literals`` answers); every pattern passes on any other text (``lowered`` None),
        where the literals prove nothing."""
        if lowered is None:
            return [True] * len(self._own)
        found: list[bool | None] = [None] * len(self._tests)
        tests = self._tests
        out = []
        for ids in self._own:
            ok = True
            for k in ids:
                held = found[k]
                if held is None:
                    held = found[k] = tests[k](lowered)
                if not held:
                    ok = False
                    break
            out.append(ok)
        return out
