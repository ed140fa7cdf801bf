"""Reports written from partitions: each partition gives its rows (sorted) and its counts; the files are
written by merging them, so no report holds more than one partition's outcomes in memory.

A report writer is split in two (engine/reports.py wires them):

* a *material* function reads one :class:`RunData` (a partition of a run: its patients, its outcomes,
  the evidence they name) and returns a :class:`Material`: row streams (``name -> [(key, payload)]``,
  sorted by key; keys are JSON lists, payloads JSON values) and counts (JSON values);
* a *file* writer reads :class:`Parts` (the material of every partition, in partition order): a
  stream is the k-way merge of the partitions' sorted streams (``heapq.merge``, stable: equal keys
  keep partition order); counts are folded partition by partition as they are read, with the
  function their writer registered (:func:`register_counts`: two partitions' counts in, one
  partition's counts out), so the writer reads one partition's worth of counts whatever the number
  of partitions (counts without a registered function are kept as the list of the partitions').

``qae run`` and ``qae report --run`` compute the material per partition (qae/report_run.py; a
partition in slices of patients, :func:`merge_saved`) and save it as files (:func:`save_material`:
``<stream>.jsonl`` lines ``[key, payload]`` and ``counts.json``), then write every report from the
saved files. A stream whose payloads a material function already has as JSON text (FHIR resources) adds
them with :meth:`Material.add_encoded`: saved as they are (``[key,<the text>]``, no second encoding as a
JSON string) and read back as text by :meth:`Parts.encoded_payloads`. An in-memory :class:`RunData`
(tests, ``render_reports``) is one partition held in memory. Same code, same bytes.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Material", "Parts", "fold_counts", "load_material", "merge_saved", "register_counts", "save_material",
           "sum_rows"]

# name -> fn(counts of earlier partitions, counts of the next one) -> the counts of both (new objects:
# neither argument is changed); registered by the writers' modules (engine/reports.py imports them all)
COMBINE: dict[str, Callable[[Any, Any], Any]] = {}


def register_counts(name: str, combine: Callable[[Any, Any], Any]) -> None:
    """How counts ``name`` of two partitions become one partition's (what its writer reads)."""
    COMBINE[name] = combine


def fold_counts(counts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Partitions' counts, in partition order, as few as the registered functions allow: one entry
    holding every registered name folded, then (for names without a function) the partitions' own."""
    folded: dict[str, Any] = {}
    kept: list[dict[str, Any]] = []
    for c in counts:
        other = {}
        for name, value in c.items():
            fn = COMBINE.get(name)
            if fn is None:
                other[name] = value
            else:
                folded[name] = fn(folded[name], value) if name in folded else value
        if other:
            kept.append(other)
    return ([folded] if folded else []) + kept


@dataclass
class Material:
    """One partition's report rows (per stream, sorted by key when saved or read) and counts."""

    streams: dict[str, list[tuple[list[Any], Any]]] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    encoded: set[str] = field(default_factory=set)  # streams whose payloads are JSON text (add_encoded)

    def add(self, stream: str, key: list[Any], payload: Any) -> None:
        self.streams.setdefault(stream, []).append((key, payload))

    def add_encoded(self, stream: str, key: list[Any], text: str) -> None:
        """A row whose payload is given as its JSON text: an object or array on one line, as ``json.dumps``
        writes it."""
        self.encoded.add(stream)
        self.streams.setdefault(stream, []).append((key, text))

    def merge(self, other: Material) -> Material:
        for name, rows in other.streams.items():
            self.streams.setdefault(name, []).extend(rows)
        self.counts.update(other.counts)
        self.encoded |= other.encoded
        return self

    def sort(self) -> Material:
        for rows in self.streams.values():
            rows.sort(key=lambda kp: kp[0])
        return self


def _stream_file(folder: Path, name: str) -> Path:
    return folder / f"{name}.jsonl"


def save_material(material: Material, folder: Path) -> None:
    """Write a partition's material under ``folder`` (streams sorted; one JSON line per row)."""
    folder.mkdir(parents=True, exist_ok=True)
    material.sort()
    for name, rows in material.streams.items():
        with _stream_file(folder, name).open("w", encoding="utf-8", newline="\n") as fh:
            if name in material.encoded:  # the payload's text as it is: the same JSON value
                for key, text in rows:
                    fh.write(f"[{json.dumps(key, ensure_ascii=False, separators=(',', ':'))},{text}]\n")
                continue
            for key, payload in rows:
                fh.write(json.dumps([key, payload], ensure_ascii=False, separators=(",", ":")) + "\n")
    (folder / "counts.json").write_text(json.dumps([material.counts], ensure_ascii=False), encoding="utf-8")


def merge_saved(folders: Sequence[Path], target: Path) -> None:
    """Saved material of several slices of one partition as one (streams merged by key, in slice order on
    equal keys; the slices' counts folded, :func:`fold_counts`)."""
    target.mkdir(parents=True, exist_ok=True)
    names = sorted({p.stem for f in folders for p in Path(f).glob("*.jsonl")})

    def lines(path: Path) -> Iterator[tuple[list[Any], str]]:
        if not path.is_file():
            return
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                yield _key_of(line), line

    for name in names:
        with _stream_file(target, name).open("w", encoding="utf-8", newline="\n") as out:
            for _, line in heapq.merge(*(lines(_stream_file(Path(f), name)) for f in folders),
                                       key=lambda kl: kl[0]):
                out.write(line)
    counts = fold_counts(c for f in folders for c in json.loads((Path(f) / "counts.json").read_text(encoding="utf-8")))
    (target / "counts.json").write_text(json.dumps(counts, ensure_ascii=False), encoding="utf-8")


_DECODER = json.JSONDecoder()


def _key_of(line: str) -> list[Any]:
    """The key of a saved row (``[key, payload]``), its payload left unread."""
    return _DECODER.raw_decode(line, 1)[0]


@dataclass(frozen=True)
class _Saved:
    folder: Path

    def _lines(self, name: str) -> Iterator[str]:
        path = _stream_file(self.folder, name)
        if path.is_file():
            with path.open(encoding="utf-8") as fh:
                yield from fh

    def rows(self, name: str) -> Iterator[tuple[list[Any], Any]]:
        for line in self._lines(name):
            key, payload = json.loads(line)
            yield key, payload

    def texts(self, name: str) -> Iterator[tuple[list[Any], str]]:
        """(key, the payload's JSON text) of each row (a stream saved from :meth:`Material.add_encoded`)."""
        for line in self._lines(name):
            key, end = _DECODER.raw_decode(line, 1)
            text = line[end + 1:-2] if line.endswith("]\n") else line[end + 1:-1]
            # material saved before add_encoded held the text as a JSON string: its text is the string
            yield key, json.loads(text) if text.startswith('"') else text

    def counts(self) -> list[dict[str, Any]]:
        return json.loads((self.folder / "counts.json").read_text(encoding="utf-8"))


def load_material(folder: Path) -> _Saved:
    """A partition's saved material (read lazily)."""
    return _Saved(Path(folder))


class _Held:
    def __init__(self, material: Material) -> None:
        material.sort()
        # a round trip through JSON, as the saved material makes it (tuples become lists ...)
        self.material = Material({k: [tuple(json.loads(json.dumps([key, p], ensure_ascii=False)))
                                      if k not in material.encoded else (json.loads(json.dumps(key)), p)
                                      for key, p in rows]
                                  for k, rows in material.streams.items()},
                                 json.loads(json.dumps(material.counts, ensure_ascii=False)), set(material.encoded))

    def rows(self, name: str) -> Iterator[tuple[list[Any], Any]]:
        if name in self.material.encoded:
            yield from ((key, json.loads(text)) for key, text in self.material.streams.get(name, []))
            return
        yield from self.material.streams.get(name, [])

    def texts(self, name: str) -> Iterator[tuple[list[Any], str]]:
        yield from self.material.streams.get(name, [])

    def counts(self) -> list[dict[str, Any]]:
        return [self.material.counts]


class Parts:
    """The material of every partition of a run, in partition order (held or saved)."""

    def __init__(self, sources: Iterable[Material | _Saved]) -> None:
        self.sources = [_Held(s) if isinstance(s, Material) else s for s in sources]
        self._counts: list[dict[str, Any]] | None = None

    def stream(self, name: str) -> Iterator[tuple[list[Any], Any]]:
        """Every partition's rows of ``name``, merged by key."""
        return heapq.merge(*(s.rows(name) for s in self.sources), key=lambda kp: kp[0])

    def payloads(self, name: str) -> Iterator[Any]:
        return (p for _, p in self.stream(name))

    def encoded_payloads(self, name: str) -> Iterator[str]:
        """The JSON text of every partition's payloads of ``name`` (added with :meth:`Material.add_encoded`),
        merged by key as :meth:`stream`."""
        return (t for _, t in heapq.merge(*(s.texts(name) for s in self.sources), key=lambda kt: kt[0]))

    def counts(self, name: str) -> list[Any]:
        """The partitions' counts of ``name`` (partitions without it are left out), folded as they are
        read when ``name`` has a registered function (:func:`fold_counts`: a list of one)."""
        if self._counts is None:
            self._counts = fold_counts(c for s in self.sources for c in s.counts())
        return [c[name] for c in self._counts if name in c]


def sum_rows(parts: Sequence[Sequence[dict[str, Any]]], key: Sequence[str], numeric: Sequence[str]) -> \
        dict[tuple[Any, ...], dict[str, Any]]:
    """Rows of several partitions keyed by ``key``: the first row's other fields, ``numeric`` summed."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for rows in parts:
        for row in rows:
            k = tuple(row[c] for c in key)
            acc = out.get(k)
            if acc is None:
                out[k] = dict(row)
                continue
            for c in numeric:
                acc[c] += row[c]
    return out
