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
``<stream>.jsonl`` lines ``[key, payload]``, ``bounds.json`` and ``counts.json``), then write every report
from the saved files. A stream whose payloads a material function already has as JSON text (FHIR
resources) adds them with :meth:`Material.add_encoded`: saved as they are, apart from their keys
(``<stream>.keys.jsonl`` a key a line, ``<stream>.ndjson`` the text a line, in the same order), and read
back as text by :meth:`Parts.encoded_payloads`, or copied as they are into a file by
:meth:`Parts.write_encoded`. Sources (slices, partitions) whose keys follow each other (``bounds.json``:
each stream's first and last key; partitions are ranges of patients, so streams keyed by patient do) are
read one after the other, and their files copied as they are (:func:`merge_saved`,
:meth:`Parts.write_encoded`): the merge would give the same rows in the same order. An in-memory
:class:`RunData` (tests, ``render_reports``) is one partition held in memory. Same code, same bytes.
"""

from __future__ import annotations

import heapq
import itertools
import json
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

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


def _keys_file(folder: Path, name: str) -> Path:
    return folder / f"{name}{_KEYS}"


def _texts_file(folder: Path, name: str) -> Path:
    return folder / f"{name}.ndjson"


_KEYS = ".keys.jsonl"  # an encoded stream: its keys, one per line; its payloads' text in <name>.ndjson, line by line
BOUNDS_FILE = "bounds.json"  # {stream: [its first key, its last key]} of the streams saved in a folder
LINKS_FILE = "links.json"  # {stream: [its slices' folders]}: read from them in turn (merge_saved(link=True))
_encode_str = json.encoder.encode_basestring  # json.dumps(s, ensure_ascii=False) of a str


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _key_text(key: list[Any]) -> str:
    """``_dumps(key)``, faster for the usual keys (lists of str and int)."""
    parts = []
    for k in key:
        t = type(k)
        if t is str:
            parts.append(_encode_str(k))
        elif t is int:
            parts.append(int.__repr__(k))
        elif t is bool:
            parts.append("true" if k else "false")
        elif k is None:
            parts.append("null")
        else:
            return _dumps(key)
    return "[" + ",".join(parts) + "]"


def _plain_text(value: Any) -> str:
    """A plain row as JSON text, read back as the same value (orjson when it can encode it: the text
    may differ from ``json.dumps``'s in float spelling, never in the value read back; the material's
    payloads hold no NaN or infinity, which orjson would write as null)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # what orjson refuses (non-str dict keys, very large ints ...): json says it its way
        return _dumps(value)


def _plain_line(row: tuple[list[Any], Any]) -> bytes:
    """:func:`_plain_text` of ``[key, payload]`` and a newline, as UTF-8."""
    try:
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (_dumps(list(row)) + "\n").encode("utf-8")


def save_material(material: Material, folder: Path) -> None:
    """Write a partition's material under ``folder`` (streams sorted): a stream ``<name>.jsonl``, one
    ``[key, payload]`` line per row; an encoded stream (:meth:`Material.add_encoded`) its keys
    ``<name>.keys.jsonl`` and its payloads' text ``<name>.ndjson``, a line each, in the same order;
    ``bounds.json`` the first and last key of each stream, ``counts.json`` the counts."""
    folder.mkdir(parents=True, exist_ok=True)
    material.sort()
    bounds: dict[str, list[Any]] = {}
    for name, rows in material.streams.items():
        if rows:
            bounds[name] = [rows[0][0], rows[-1][0]]
        if name in material.encoded:  # the payload's text as it is, apart from its key
            with _keys_file(folder, name).open("w", encoding="utf-8", newline="\n") as fh:
                fh.write("".join(_key_text(key) + "\n" for key, _ in rows))
            with _texts_file(folder, name).open("w", encoding="utf-8", newline="\n") as fh:
                for _, text in rows:  # row by row: joined, large texts would cost fresh memory (page faults)
                    fh.write(text)
                    fh.write("\n")
            continue
        with _stream_file(folder, name).open("wb") as out:
            write = out.write
            for row in rows:
                write(_plain_line(row))
    (folder / BOUNDS_FILE).write_text(_dumps(bounds), encoding="utf-8")
    (folder / "counts.json").write_text(json.dumps([material.counts], ensure_ascii=False), encoding="utf-8")


def _names(folder: Path) -> tuple[set[str], set[str]]:
    """(plain streams, encoded streams) saved in ``folder``."""
    plain, encoded = set(), set()
    for p in Path(folder).glob("*.jsonl"):
        if p.name.endswith(_KEYS):
            encoded.add(p.name[:-len(_KEYS)])
        else:
            plain.add(p.stem)
    return plain, encoded


def _bounds(folder: Path) -> dict[str, list[Any]] | None:
    try:
        return json.loads((Path(folder) / BOUNDS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # saved before bounds were: streams are merged row by row


def in_order(bounds: Sequence[list[Any] | None]) -> bool:
    """Whether sources whose streams span ``bounds`` (first key, last key; None: an empty stream) follow
    each other: each source's last key at most the next one's first. Their k-way merge by key (stable:
    equal keys in source order) is then the sources one after the other."""
    last = None
    for b in bounds:
        if b is None:
            continue
        if last is not None and b[0] < last:
            return False
        last = b[1]
    return True


def _copy(paths: Iterable[Path], out: Any) -> None:
    for path in paths:
        if path.is_file():
            with path.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)


def merge_saved(folders: Sequence[Path], target: Path, *, link: bool = False) -> None:
    """Saved material of several slices of one partition as one (streams merged by key, in slice order on
    equal keys: copied as they are when the slices' keys follow each other; the slices' counts folded,
    :func:`fold_counts`).

    ``link``: the slices' folders are inside ``target`` and stay there: a stream whose slices' keys follow
    each other is not copied but listed in ``links.json`` (its slices' folders, in order) and read from
    them one after the other; a stream merged row by row is written to ``target`` and its slices' files
    removed."""
    target.mkdir(parents=True, exist_ok=True)
    folders = [Path(f) for f in folders]
    links: dict[str, list[str]] = {}
    found = [_names(f) for f in folders]
    plain = sorted({n for p, _ in found for n in p})
    encoded = sorted({n for _, e in found for n in e})
    if set(plain) & set(encoded):
        raise ValueError(f"streams saved both plain and encoded: {sorted(set(plain) & set(encoded))}")
    all_bounds = [_bounds(f) for f in folders]
    bounds: dict[str, list[Any]] = {}
    for name in (*plain, *encoded):
        spans = [None if b is None else b.get(name) for b in all_bounds]
        ordered = all(b is not None for b in all_bounds) and in_order(spans)
        present = [s for s in spans if s is not None]
        if present:
            bounds[name] = [min(s[0] for s in present), max(s[1] for s in present)]
        if link and ordered:
            links[name] = [f.relative_to(target).as_posix() for f in folders
                           if (_keys_file if name in encoded else _stream_file)(f, name).is_file()]
            continue
        if name in encoded:
            with _keys_file(target, name).open("wb") as keys_out, _texts_file(target, name).open("wb") as texts_out:
                if ordered:
                    _copy((_keys_file(f, name) for f in folders), keys_out)
                    _copy((_texts_file(f, name) for f in folders), texts_out)
                    continue
                for key, text in heapq.merge(*(_Saved(f).texts(name) for f in folders), key=lambda kt: kt[0]):
                    keys_out.write((_key_text(key) + "\n").encode("utf-8"))
                    texts_out.write((text + "\n").encode("utf-8"))
            continue
        with _stream_file(target, name).open("wb") as out:
            if ordered:
                _copy((_stream_file(f, name) for f in folders), out)
                continue

            def lines(path: Path) -> Iterator[tuple[list[Any], bytes]]:
                if not path.is_file():
                    return
                with path.open("rb") as fh:
                    for line in fh:
                        yield _key_of(line.decode("utf-8")), line

            for _, line in heapq.merge(*(lines(_stream_file(f, name)) for f in folders), key=lambda kl: kl[0]):
                out.write(line)
    if link:
        for name in (*plain, *encoded):
            if name not in links:  # merged into target: the slices' copies are not read
                for f in folders:
                    for path in (_stream_file(f, name), _keys_file(f, name), _texts_file(f, name)):
                        path.unlink(missing_ok=True)
        (target / LINKS_FILE).write_text(_dumps(links), encoding="utf-8")
    (target / BOUNDS_FILE).write_text(_dumps(bounds), encoding="utf-8")
    counts = fold_counts(c for f in folders for c in json.loads((f / "counts.json").read_text(encoding="utf-8")))
    (target / "counts.json").write_text(json.dumps(counts, ensure_ascii=False), encoding="utf-8")


_DECODER = json.JSONDecoder()


def _key_of(line: str) -> list[Any]:
    """The key of a saved row (``[key, payload]``), its payload left unread."""
    return _DECODER.raw_decode(line, 1)[0]


@dataclass(frozen=True)
class _Saved:
    folder: Path

    def _lines(self, path: Path) -> Iterator[str]:
        if path.is_file():
            with path.open(encoding="utf-8") as fh:
                yield from fh

    def _linked(self, name: str) -> list[_Saved] | None:
        """The slices stream ``name`` is read from, one after the other (:data:`LINKS_FILE`), if any."""
        path = self.folder / LINKS_FILE
        if not path.is_file():
            return None
        subs = json.loads(path.read_text(encoding="utf-8")).get(name)
        return None if subs is None else [_Saved(self.folder / sub) for sub in subs]

    def _encoded(self, name: str) -> bool:
        return _keys_file(self.folder, name).is_file()

    def rows(self, name: str) -> Iterator[tuple[list[Any], Any]]:
        linked = self._linked(name)
        if linked is not None:
            for sub in linked:
                yield from sub.rows(name)
            return
        if self._encoded(name):
            for key, text in self.texts(name):
                yield key, orjson.loads(text)
            return
        path = _stream_file(self.folder, name)
        if path.is_file():
            with path.open("rb") as fh:  # orjson reads the UTF-8 bytes as they are
                for line in fh:
                    key, payload = orjson.loads(line)
                    yield key, payload

    def texts(self, name: str) -> Iterator[tuple[list[Any], str]]:
        """(key, the payload's JSON text) of each row (a stream saved from :meth:`Material.add_encoded`)."""
        linked = self._linked(name)
        if linked is not None:
            for sub in linked:
                yield from sub.texts(name)
            return
        if self._encoded(name):
            keys = self._lines(_keys_file(self.folder, name))
            for key, line in zip(keys, self._lines(_texts_file(self.folder, name)), strict=True):
                yield orjson.loads(key), line[:-1]
            return
        for line in self._lines(_stream_file(self.folder, name)):  # saved as [key, payload] lines
            key, end = _DECODER.raw_decode(line, 1)
            text = line[end + 1:-2] if line.endswith("]\n") else line[end + 1:-1]
            # material saved before add_encoded held the text as a JSON string: its text is the string
            yield key, json.loads(text) if text.startswith('"') else text

    def text_files(self, name: str) -> list[Path] | None:
        """The files of the payloads' text of encoded stream ``name`` (a line each), when saved as such."""
        linked = self._linked(name)
        if linked is not None:
            files = [sub.text_files(name) for sub in linked]
            return None if any(f is None for f in files) else [p for f in files for p in f or ()]
        return [_texts_file(self.folder, name)] if self._encoded(name) else None

    def bounds(self, name: str) -> list[Any] | None | bool:
        """The first and last key of stream ``name``; None: it is empty; False: not known."""
        b = _bounds(self.folder)
        return False if b is None else b.get(name)

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

    def text_files(self, name: str) -> list[Path] | None:
        return None

    def bounds(self, name: str) -> list[Any] | None:
        rows = self.material.streams.get(name)
        return [rows[0][0], rows[-1][0]] if rows else None

    def counts(self) -> list[dict[str, Any]]:
        return [self.material.counts]


class Parts:
    """The material of every partition of a run, in partition order (held or saved)."""

    def __init__(self, sources: Iterable[Material | _Saved]) -> None:
        self.sources = [_Held(s) if isinstance(s, Material) else s for s in sources]
        self._counts: list[dict[str, Any]] | None = None

    def _in_order(self, name: str) -> bool:
        """Whether the partitions' rows of ``name`` follow each other by key (:func:`in_order`)."""
        bounds = [s.bounds(name) for s in self.sources]
        return all(b is not False for b in bounds) and in_order(bounds)

    def stream(self, name: str) -> Iterator[tuple[list[Any], Any]]:
        """Every partition's rows of ``name``, merged by key."""
        if self._in_order(name):
            return itertools.chain.from_iterable(s.rows(name) for s in self.sources)
        return heapq.merge(*(s.rows(name) for s in self.sources), key=lambda kp: kp[0])

    def payloads(self, name: str) -> Iterator[Any]:
        return (p for _, p in self.stream(name))

    def encoded_payloads(self, name: str) -> Iterator[str]:
        """The JSON text of every partition's payloads of ``name`` (added with :meth:`Material.add_encoded`),
        merged by key as :meth:`stream`."""
        if self._in_order(name):
            return (t for s in self.sources for _, t in s.texts(name))
        return (t for _, t in heapq.merge(*(s.texts(name) for s in self.sources), key=lambda kt: kt[0]))

    def write_encoded(self, name: str, out: BinaryIO) -> None:
        """Write the JSON text of every partition's payloads of ``name``, a line each (UTF-8), in the
        order of :meth:`encoded_payloads`: the saved files copied as they are when the partitions' keys
        follow each other (no line is decoded)."""
        files = [s.text_files(name) for s in self.sources]
        if self._in_order(name) and all(f is not None for f in files):
            _copy((p for f in files for p in f or ()), out)
            return
        for text in self.encoded_payloads(name):
            out.write(text.encode("utf-8"))
            out.write(b"\n")

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
