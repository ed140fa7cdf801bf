"""Measure catalogue for ``qae measures`` and the plain-language view for ``qae measures show``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.criteria import describe_criterion
from engine.episodes import describe_episodes
from engine.gaps import GAP_DISPLAY, REASON_ORDER, gap_action
from engine.spec import MeasureSpec

__all__ = ["catalogue_markdown", "catalogue_rows", "catalogue_text", "describe"]

_POP_TITLES = {
    "ipp": "Initial population",
    "denom": "Denominator",
    "denex": "Denominator exclusions",
    "denexcep": "Denominator exceptions",
    "numer": "Numerator",
    "numex": "Numerator exclusions",
}
_UNDATED = {
    "review": "counted as not met and flagged for chart review",
    "count": "counted (the mention is accepted without a date)",
    "ignore": "ignored",
}


def _values(specs: Mapping[str, MeasureSpec] | Sequence[MeasureSpec]) -> list[MeasureSpec]:
    items = specs.values() if isinstance(specs, Mapping) else specs
    return sorted(items, key=lambda s: s.id)


def catalogue_rows(specs: Mapping[str, MeasureSpec] | Sequence[MeasureSpec]) -> list[dict[str, Any]]:
    """One flat row per measure (stable keys) for a table or CSV."""
    rows = []
    for spec in _values(specs):
        rows.append({
            "id": spec.id,
            "title": spec.title,
            "version": spec.version,
            "aliases": ", ".join(a for a in spec.aliases if a != spec.id),
            "hedis": spec.programs.hedis or "",
            "cms_ecqm": spec.programs.cms_ecqm or "",
            "mips_quality": spec.programs.mips_quality or "",
            "mssp_app_plus": spec.programs.mssp_app_plus or "",
            "age": spec.age.short(),
            "sex": {"any": "any", "F": "female", "M": "male"}[spec.sex],
            "inverse": spec.inverse,
            "groups": len(spec.groups),
        })
    return rows


def _programs(spec: MeasureSpec) -> str:
    p = spec.programs
    parts = [f"HEDIS {p.hedis}" if p.hedis else "", p.cms_ecqm or "",
             f"MIPS {p.mips_quality}" if p.mips_quality else "", f"MSSP APP Plus {p.mssp_app_plus}"
             if p.mssp_app_plus else "", f"Stars {p.stars}" if p.stars else ""]
    return "; ".join(x for x in parts if x) or "no program listed"


def catalogue_text(specs: Mapping[str, MeasureSpec] | Sequence[MeasureSpec], width: int = 80) -> str:
    """The catalogue as plain text that fits ``width`` columns (piped output, narrow terminals): per
    measure its id and title, then the programs, version, who, direction and groups, wrapped."""
    import textwrap

    items = _values(specs)
    pad = max(len(s.id) for s in items) + 2 if items else 2
    lines = []
    for spec in items:
        head = textwrap.wrap(spec.title, width=max(20, width - pad), break_on_hyphens=False)
        lines.append(f"{spec.id:<{pad}}{head[0]}")
        lines.extend(" " * pad + more for more in head[1:])
        who = {"any": "any sex", "F": "women", "M": "men"}[spec.sex]
        groups = f"{len(spec.groups)} groups ({', '.join(g.id for g in spec.groups)})" if len(spec.groups) > 1 \
            else "1 group"
        detail = (f"{_programs(spec)} | version {spec.version} | ages {spec.age.short()}, {who} | "
                  f"{'LOWER is better (inverse)' if spec.inverse else 'higher is better'} | {groups}")
        lines.extend(textwrap.wrap(detail, width=width, initial_indent=" " * pad, subsequent_indent=" " * pad,
                                   break_on_hyphens=False))
    return "\n".join(lines) + "\n"


def _service_words(services: tuple[str, ...]) -> str:
    if len(services) == 1:
        return services[0]
    return f"{services[0]}, or if the patient has no such row, {' / '.join(services[1:])}"


def describe(spec: MeasureSpec) -> str:
    """The spec in words a quality analyst reads."""
    lines = [f"{spec.id} — {spec.title} (version {spec.version})"]
    if spec.aliases:
        lines.append(f"Also called: {', '.join(spec.aliases)}")
    if spec.deprecated_aliases:
        lines.append(f"Old ids that still resolve here, with a deprecation warning: "
                     f"{', '.join(spec.deprecated_aliases)}")
    progs = [f"{label}: {value}" for label, value in (
        ("HEDIS", spec.programs.hedis), ("CMS eCQM", spec.programs.cms_ecqm),
        ("MIPS quality", spec.programs.mips_quality), ("MSSP APP Plus", spec.programs.mssp_app_plus),
        ("Stars", spec.programs.stars)) if value]
    if progs:
        lines.append("Programs: " + "; ".join(progs))
    if spec.description:
        lines.extend(["", spec.description.strip()])
    lines.append("")
    who = {"any": "Patients", "F": "Women", "M": "Men"}[spec.sex]
    lines.append(f"Who: {who} {spec.age.describe()}.")
    if spec.strata:
        anchors = {st.at or spec.age.at for st in spec.strata}
        at = "end" if anchors == {"mp_end"} else "start" if anchors == {"mp_start"} else "stated"
        lines.append(f"Reported by age stratum (age at the {at} of the measurement period): "
                     f"{'; '.join(st.describe() for st in spec.strata)}.")
    if spec.inverse:
        lines.append("Inverse measure: lower is better; a patient in the numerator has an open care gap.")
    else:
        lines.append("Higher is better: a patient in the denominator but not the numerator has an open gap.")
    if spec.episode is not None:
        lines.append(describe_episodes(spec.episode))
    services = {g.id: spec.services(g.id) for g in spec.groups}
    if len({v for v in services.values()}) == 1:
        lines.append(f"Clinic worklist service: {_service_words(next(iter(services.values())))}.")
    else:
        lines.append("Clinic worklist services: " + "; ".join(f"group {g}: {_service_words(v)}"
                                                             for g, v in services.items()) + ".")
    lines.append(f"Evidence that counts: {', '.join(spec.count_statuses)} mentions only.")
    lines.append(f"Evidence without a date: {_UNDATED[spec.undated_policy]}.")
    for group in spec.groups:
        lines.append("")
        if len(spec.groups) > 1:
            lines.append(f"Population group {group.id}" + (f": {group.title}" if group.title else ""))
        for name, title in _POP_TITLES.items():
            crit = getattr(group.populations, name)
            term = spec.population_terms.get(name)
            heading = f"{title}" + (f" ({term})" if term else "")
            if crit is None:
                if name == "ipp":
                    lines.append(f"{heading}: everyone of that age and sex.")
                elif name == "denom":
                    lines.append(f"{heading}: the initial population.")
                continue
            lines.append(f"{heading}:")
            lines.extend("  " + line for line in describe_criterion(crit))
    lines.append("")
    lines.append("Open care gaps are reported with a reason and the clinic's action:")
    for reason in REASON_ORDER:
        action = gap_action(reason, spec.gap_actions)
        lines.append(f"  - {reason.value}: {GAP_DISPLAY[reason]}. Action: {action}")
    if spec.notes:
        lines.append("")
        lines.append("How this spec reads the published text:")
        lines.extend(f"  - {note}" for note in spec.notes)
    return "\n".join(lines)


def catalogue_markdown(specs: Mapping[str, MeasureSpec] | Sequence[MeasureSpec]) -> str:
    """The whole catalogue as Markdown (``measures/CATALOGUE.md``): a table, then each spec in words."""
    items = _values(specs)
    rows = catalogue_rows(items)
    cols = ["id", "title", "version", "aliases", "hedis", "cms_ecqm", "mips_quality", "mssp_app_plus",
            "age", "sex", "inverse", "groups"]
    out = [
        "# Measure catalogue",
        "",
        "Generated from `measures/*.yaml` by `qae measures --markdown > measures/CATALOGUE.md`;",
        "a test fails when this file is out of date. One spec file per measure; adding a measure is",
        "adding a file. MP = measurement period; dates are given for a calendar-year MP. Evidence",
        "elements are those of `measures/elements.yaml`.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for row in rows:
        out.append("| " + " | ".join(str(row[c]).replace("|", "\\|") for c in cols) + " |")
    for spec in items:
        out.extend(["", f"## {spec.id}", "", "```text", describe(spec), "```"])
    return "\n".join(out) + "\n"
