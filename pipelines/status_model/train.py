"""``qae train``: build the data recipe, train the status model on CPU, choose the hybrid, score it.

Seeded (python, torch) with a fixed number of torch threads, so the same config, data and
machine give the same weights and the same ``metrics.json``. The frozen layers' states are
computed once per distinct window; only the top layer, the target vector and the heads train.
Writes ``<output>/<name>-<version>/``: model.json, weights.safetensors, hybrid.yaml,
metrics.json, data.json (sources, sha256, shares, splits), config.yaml.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from .config import TrainConfig
from .data import (
    Example,
    dev_split,
    dump_json,
    expand_paths,
    file_sha256,
    negex_examples,
    note_examples,
    source_summary,
)
from .hybrid import HybridPolicy, policy_to_yaml
from .network import STATUS_LABELS, TEMPORALITY_LABELS
from .windows import WindowShape

__all__ = ["build_examples", "train_status_model"]

Log = Callable[[str], None]


def build_examples(config: TrainConfig, log: Log = print, nlp: Any = None
                   ) -> tuple[list[Example], dict[str, Any], dict[str, Any]]:
    """(examples, recipe for data.json, dev gold and split) of a training config; ``nlp`` is a
    rules-only pipeline (default: ``build_nlp()``)."""
    from evaluation.extraction import load_gold, load_notes

    src = config.sources
    examples: list[Example] = []
    recipe: dict[str, Any] = {"seed": config.seed, "sources": {}}
    dev: dict[str, Any] = {"gold": {}, "splits": {}, "notes": {}}
    if src.negex:
        examples += negex_examples(src.negex.path, src.negex.split, config.seed)
        recipe["sources"]["negex"] = {"file": src.negex.path.name, "sha256": file_sha256(src.negex.path),
                                      "split_by": "distinct sentence", "split": src.negex.split,
                                      "weight": src.negex.weight}
    gold: dict[str, Any] = {}
    if src.dev:
        gold = load_gold(src.dev.gold)
        dev["gold"], dev["splits"] = gold, dev_split(gold, src.dev.split, config.seed)
        recipe["sources"]["dev"] = {"file": src.dev.gold.name, "sha256": file_sha256(src.dev.gold),
                                    "split_by": "note", "split": src.dev.split, "weight": src.dev.weight,
                                    "notes_by_split": _by_split(dev["splits"])}
    note_paths = expand_paths([*(src.dev.notes if src.dev else []), *(src.weak.notes if src.weak else [])])
    if note_paths:
        wanted_weak = src.weak is not None
        notes = load_notes(note_paths)
        if not wanted_weak:
            notes = {k: v for k, v in notes.items() if k in gold}
        dev["notes"] = {k: v for k, v in notes.items() if k in gold}
        nlp = nlp or _rules_nlp()
        log(f"  reading {len(notes)} notes with the rules ...")
        caps = src.weak.cap_per_status if src.weak else {"default": 0}
        examples += note_examples(nlp, sorted(notes.values(), key=lambda n: n.note_id), gold, dev["splits"],
                                  caps, config.seed)
        recipe["note_files"] = {f"{p.parent.name}/{p.name}": file_sha256(p) for p in note_paths}
        if src.weak:
            recipe["sources"]["weak"] = {"labels": "the rules' status (ConText + sections)",
                                         "cap_per_status": src.weak.cap_per_status, "weight": src.weak.weight}
    recipe["examples"] = source_summary(examples)
    return examples, recipe, dev


def _rules_nlp() -> Any:
    from pipelines.build import build_nlp

    return build_nlp()


def _by_split(splits: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for note_id, split in sorted(splits.items()):
        out.setdefault(split, []).append(note_id)
    return out


def _frozen_states(frozen: Any, encoded: Sequence[Any], log: Log, batch_size: int = 64) -> dict[Any, Any]:
    import torch

    from .network import pad_batch

    unique = list(dict.fromkeys(encoded))
    order = sorted(range(len(unique)), key=lambda i: (len(unique[i].ids), i))
    states: dict[Any, Any] = {}
    t0 = time.time()
    for k in range(0, len(order), batch_size):
        chunk = [unique[i] for i in order[k : k + batch_size]]
        ids, attn, _ = pad_batch(chunk)
        out = frozen(ids, attn)
        for j, w in enumerate(chunk):
            states[w] = out[j, : len(w.ids)].to(torch.float16).clone()
        if k // batch_size % 40 == 0:
            log(f"  frozen layers: {k + len(chunk)}/{len(unique)} windows ({time.time() - t0:.0f} s)")
    return states


def _batch(items: Sequence[tuple[Any, Example]], states: dict[Any, Any], weights: dict[str, float]) -> tuple:
    import torch

    width = max(len(w.ids) for w, _ in items)
    b = len(items)
    x = torch.zeros((b, width, 384))
    attn = torch.zeros((b, width))
    target = torch.zeros((b, width))
    allowed = torch.zeros((b, len(STATUS_LABELS)), dtype=torch.bool)
    has_status = torch.zeros(b)
    temporality = torch.full((b,), -100, dtype=torch.long)
    weight = torch.zeros(b)
    for i, (w, e) in enumerate(items):
        n = len(w.ids)
        x[i, :n] = states[w].float()
        attn[i, :n] = 1.0
        target[i, w.t_start : w.t_end] = 1.0
        if e.status:
            has_status[i] = 1.0
            for s in e.status:
                allowed[i, STATUS_LABELS.index(s)] = True
        if e.temporality:
            temporality[i] = TEMPORALITY_LABELS.index(e.temporality)
        weight[i] = weights[e.source]
    return x, attn, target, allowed, has_status, temporality, weight


def _loss(net: Any, batch: tuple) -> Any:
    import torch
    from torch.nn import functional as F

    x, attn, target, allowed, has_status, temporality, weight = batch
    s_logits, t_logits = net(x, attn, target)
    all_lse = torch.logsumexp(s_logits, dim=-1)
    ok_lse = torch.logsumexp(s_logits.masked_fill(~allowed, float("-inf")), dim=-1)
    ok_lse = torch.nan_to_num(ok_lse, neginf=0.0)
    status_nll = torch.where(has_status > 0, all_lse - ok_lse, torch.zeros_like(all_lse))
    t_nll = F.cross_entropy(t_logits, temporality, ignore_index=-100, reduction="none")
    per = (status_nll * has_status + t_nll) * weight
    return per.sum() / weight.sum().clamp(min=1e-6)


def _read(net: Any, pairs: Sequence[tuple[Any, Example]], states: dict[Any, Any]) -> list[Any]:
    import torch

    from .reader import Reading

    net.eval()
    out: list[Any] = []
    with torch.inference_mode():
        for k in range(0, len(pairs), 64):
            chunk = pairs[k : k + 64]
            x, attn, target, *_ = _batch(chunk, states, {e.source: 1.0 for _, e in chunk})
            s, t = net(x, attn, target)
            for sp, tp in zip(torch.softmax(s, -1).tolist(), torch.softmax(t, -1).tolist(), strict=True):
                si = max(range(len(sp)), key=sp.__getitem__)
                ti = max(range(len(tp)), key=tp.__getitem__)
                out.append(Reading(STATUS_LABELS[si], round(sp[si], 4), TEMPORALITY_LABELS[ti], round(tp[ti], 4),
                                   tuple(round(v, 4) for v in sp), tuple(round(v, 4) for v in tp)))
    return out


def train_status_model(config: TrainConfig, out_dir: Path | None = None, log: Log = print,
                       nlp: Any = None) -> Path:
    """Train, choose the hybrid, write the model directory and score it; returns the directory.

    ``nlp``: a rules-only pipeline to reuse (default: one is built); it is left as it was."""
    import torch
    from safetensors.torch import save_file

    from .encoder import encoder_fingerprint, load_encoder
    from .network import FrozenLayers, StatusNet
    from .windows import encode_windows

    t_start = time.time()
    torch.set_num_threads(config.train.threads)
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    torch.use_deterministic_algorithms(True)
    log("building the data recipe ...")
    nlp = nlp or _rules_nlp()
    examples, recipe, dev = build_examples(config, log, nlp)
    if not any(e.split == "train" for e in examples):
        from engine.errors import ConfigError

        raise ConfigError("the training config yields no training examples; check its sources.")
    tokenizer, bert = load_encoder()
    shape = WindowShape(**config.window.model_dump())
    encoded = encode_windows(tokenizer, [e.window for e in examples], shape)
    pairs = list(zip(encoded, examples, strict=True))
    log(f"{len(examples)} examples, {len(set(encoded))} distinct windows")
    states = _frozen_states(FrozenLayers(bert), encoded, log)
    net = StatusNet(bert.encoder.layer[-1], dropout=config.train.dropout)
    weights = {"negex": 1.0, "dev": 1.0, "weak": 1.0}
    for name in weights:
        s = getattr(config.sources, name)
        if s is not None:
            weights[name] = s.weight
    train_pairs = [p for p in pairs if p[1].split == "train"]
    top = list(net.layer.parameters())
    head = [net.target, *net.status.parameters(), *net.temporality.parameters()]
    opt = torch.optim.AdamW([{"params": top, "lr": config.train.lr_top}, {"params": head, "lr": config.train.lr_head}],
                            weight_decay=config.train.weight_decay)
    bs = config.train.batch_size
    steps = config.train.epochs * ((len(train_pairs) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: max(0.0, 1.0 - i / max(1, steps)))
    rng = random.Random(config.seed)
    for epoch in range(config.train.epochs):
        net.train()
        order = list(range(len(train_pairs)))
        rng.shuffle(order)
        # batches of similar length: sort blocks of 50 batches by length, then shuffle the batches
        batches: list[list[int]] = []
        for k in range(0, len(order), 50 * bs):
            block = sorted(order[k : k + 50 * bs], key=lambda i: len(train_pairs[i][0].ids))
            batches += [block[j : j + bs] for j in range(0, len(block), bs)]
        rng.shuffle(batches)
        total, t0 = 0.0, time.time()
        for idx in batches:
            loss = _loss(net, _batch([train_pairs[i] for i in idx], states, weights))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        mean = total / len(train_pairs)
        log(f"  epoch {epoch + 1}/{config.train.epochs}: loss {mean:.4f} ({time.time() - t0:.0f} s)")

    held = [p for p in pairs if p[1].split != "train"]
    readings = dict(zip([id(e) for _, e in held], _read(net, held, states), strict=True))
    policy, metrics = _choose_and_score(config, [e for _, e in held], readings, log, nlp)

    name = f"{config.name}-{config.version}"
    out = Path(out_dir) if out_dir else Path(config.output) / name
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(out / "weights.safetensors"), metadata={"name": name})
    meta = {
        "format": 1, "name": config.name, "version": config.version, "encoder": encoder_fingerprint(),
        "frozen_layers": 5, "window": shape.__dict__, "status_labels": list(STATUS_LABELS),
        "temporality_labels": list(TEMPORALITY_LABELS), "weights": "weights.safetensors",
        "weights_sha256": hashlib.sha256((out / "weights.safetensors").read_bytes()).hexdigest(),
    }
    (out / "model.json").write_text(dump_json(meta), encoding="utf-8")
    (out / "hybrid.yaml").write_text(policy_to_yaml(policy, "# chosen per class on held-out rows (NegEx val, "
                                                    "dev select) by qae train; edit to change who decides"),
                                     encoding="utf-8")
    config_text = config.source_text or yaml.safe_dump(json.loads(config.model_dump_json()), sort_keys=False)
    (out / "config.yaml").write_text(config_text, encoding="utf-8")
    (out / "data.json").write_text(dump_json(recipe), encoding="utf-8")
    if config.evaluate_dev_notes and dev["gold"]:
        log("scoring the dev notes with the whole pipeline (rules, model, hybrid) ...")
        metrics.update(_dev_metrics(out, dev, nlp))
    (out / "metrics.json").write_text(dump_json(metrics), encoding="utf-8")
    log(f"wrote {out} in {time.time() - t_start:.0f} s")
    return out


def _choose_and_score(config: TrainConfig, held: Sequence[Example], readings: dict[int, Any],
                      log: Log, nlp: Any) -> tuple[HybridPolicy, dict[str, Any]]:
    from evaluation.negex import labels_of, target_reading
    from evaluation.status_model_eval import (
        NegexRow,
        StatusRow,
        negex_table,
        select_negex_policy,
        select_status_policy,
        status_table,
    )
    from pipelines.status import status_of

    negex_rows: dict[str, list[NegexRow]] = {"val": [], "test": []}
    status_rows: dict[str, list[StatusRow]] = {"val": [], "test": [], "select": [], "eval": []}
    for e in held:
        r = readings[id(e)]
        if e.source == "negex":
            found = target_reading(nlp, e.window.text, e.window.start, e.window.end)
            if found is None:
                continue
            extra = dict(e.extra)
            rules = labels_of(*found)
            gold = (extra["negation"], extra["temporality"], extra["experiencer"])
            negex_rows[e.split].append(NegexRow(gold, rules, r))
            status_rows[e.split].append(StatusRow(e.status or (), status_of("condition", *found)[0], r))
        elif e.source == "dev" and e.status:
            status_rows[e.split].append(StatusRow(e.status, dict(e.extra)["rules_status"], r))
    thresholds = [float(t) for t in config.thresholds]
    negex_policy = select_negex_policy(negex_rows["val"], thresholds)
    status_policy = select_status_policy(status_rows["val"] + status_rows["select"], STATUS_LABELS, thresholds)
    policy = HybridPolicy(status_policy, negex_policy)
    metrics: dict[str, Any] = {
        "negex_val": negex_table(negex_rows["val"], negex_policy),
        "negex_test": negex_table(negex_rows["test"], negex_policy),
        "status_select": status_table(status_rows["val"] + status_rows["select"], status_policy, STATUS_LABELS),
        "status_test": status_table(status_rows["test"], status_policy, STATUS_LABELS),
        "status_dev_eval_spans": status_table(status_rows["eval"], status_policy, STATUS_LABELS),
        "hybrid": policy.to_dict(),
    }
    log(f"hybrid: {policy.to_dict()}")
    return policy, metrics


def _dev_metrics(model_dir: Path, dev: dict[str, Any], nlp: Any) -> dict[str, Any]:
    """The dev notes through the whole pipeline: ``nlp`` (rules only) gets the status model for the
    duration, read once per note, then scored with each reader's policy."""
    from evaluation.status_model_eval import disagreement_errors, note_level_table
    from pipelines.extract import GUIDELINE_ELEMENTS, doc_to_evidence, make_doc

    from .hybrid import HybridPolicy

    notes = dev["notes"]
    gold = dev["gold"]
    component = nlp.add_pipe("qm_status_model", before="qm_evidence", config={"model": str(model_dir)})
    try:
        hybrid = component.reader.policy
        readers = {"rules": HybridPolicy.rules_only(STATUS_LABELS),
                   "model": HybridPolicy.model_only(STATUS_LABELS), "hybrid": hybrid}
        evidence: dict[str, dict[str, list[Any]]] = {r: {} for r in readers}
        ordered = [notes[k] for k in sorted(notes)]
        docs = list(nlp.pipe((make_doc(nlp, n) for n in ordered), batch_size=16))
        builder = nlp.get_pipe("qm_evidence")
        for reader, policy in readers.items():  # the model read each note once; the evidence is rebuilt
            for note, doc in zip(ordered, docs, strict=True):
                doc._.qm_status_policy = policy
                evidence[reader][note.note_id] = doc_to_evidence(note, builder(doc))
    finally:
        nlp.remove_pipe("qm_status_model")
    eval_ids = {k for k, s in dev["splits"].items() if s == "eval" and k in notes}
    sub = {k: v for k, v in gold.items() if k in eval_ids}
    allg = {k: v for k, v in gold.items() if k in notes}
    return {
        "dev_eval": note_level_table(sub, evidence, GUIDELINE_ELEMENTS),
        "dev_all": note_level_table(allg, evidence, GUIDELINE_ELEMENTS),
        "disagreement_dev_eval": disagreement_errors(sub, notes, evidence["hybrid"], GUIDELINE_ELEMENTS),
        "disagreement_dev_all": disagreement_errors(allg, notes, evidence["hybrid"], GUIDELINE_ELEMENTS),
    }
