"""Load and validate a rules YAML file.

The JSON Schema (schema.json) checks the shape; the explicit checks here check
the meaning -- exact decimals, dates in order, formula references -- because a
rules file that loads must never compute a wrong amount silently. Every problem
is a RulesError naming the file, the key path and the fix.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from payproof.errors import RulesError
from payproof.rules.model import (
    FORMULA_KINDS,
    Applications,
    Eligibility,
    Entry,
    Formula,
    Parameter,
    Rules,
    Value,
)

DEFAULT_RULES = "kz-large-family"
_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?$")
_DECIMAL_RE = re.compile(r"^[0-9]+(?:\.([0-9]+))?$")


def builtin_names() -> list[str]:
    """Names of the rules files shipped with payproof."""
    folder = resources.files("payproof.rules") / "builtin"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_rules(name_or_path: str | Path | None = None) -> Rules:
    """Load a built-in rules file by name (None = kz-large-family) or a YAML file by path."""
    if name_or_path is None:
        name_or_path = DEFAULT_RULES
    text_name = str(name_or_path)
    if isinstance(name_or_path, str) and text_name in builtin_names():
        resource = resources.files("payproof.rules") / "builtin" / f"{text_name}.yaml"
        return parse_rules(resource.read_bytes(), source=f"builtin:{text_name}")
    path = Path(name_or_path)
    if not path.is_file():
        raise RulesError(
            f"Rules file not found: {text_name}",
            where=text_name,
            fix="give the path of a rules YAML file or a built-in name "
            f"({', '.join(builtin_names())}).",
        )
    return parse_rules(path.read_bytes(), source=str(path))


def parse_rules(data: bytes, *, source: str = "<rules>") -> Rules:
    """Validate the bytes of a rules file and build ``Rules`` (sha256 of exactly these bytes)."""
    doc = _read_yaml(data, source)
    _check_schema(doc, source)
    parameters = {name: _parameter(name, spec, source) for name, spec in doc["parameters"].items()}
    el = doc["eligibility"]
    eligibility = Eligibility(
        min_children=el["min_children"],
        age_limit=el["age_limit"],
        student_age_limit=el.get("student_age_limit"),
    )
    if eligibility.student_age_limit is not None and (
        eligibility.student_age_limit < eligibility.age_limit
    ):
        _fail(
            source,
            "eligibility.student_age_limit",
            f"student_age_limit {eligibility.student_age_limit} is below age_limit "
            f"{eligibility.age_limit}.",
            "students are counted beyond the age limit: make student_age_limit >= age_limit, "
            "or leave it out.",
        )
    formula = _formula(doc["formula"], parameters, eligibility, source)
    return Rules(
        id=doc["id"],
        version=doc["version"],
        title=doc["title"],
        currency=doc["currency"],
        national_id=doc.get("national_id", "auto"),
        sources=tuple(doc.get("sources", [])),
        parameters=parameters,
        eligibility=eligibility,
        formula=formula,
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        applications=Applications(**doc.get("applications", {})),
        raw=doc,
    )


def _fail(source: str, path: str, what: str, fix: str) -> None:
    raise RulesError(f"Invalid rules file: {what}", where=f"{source}: {path}", fix=fix)


def _read_yaml(data: bytes, source: str) -> dict:
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RulesError(
            "Invalid rules file: it is not UTF-8 text.",
            where=source,
            fix="save the rules file as UTF-8.",
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}, line {mark.line + 1}" if mark else source
        raise RulesError(
            f"Invalid rules file: not valid YAML ({getattr(exc, 'problem', exc)}).",
            where=where,
            fix="correct the YAML syntax at that line (indentation, colons, quotes).",
        ) from exc
    if not isinstance(doc, dict):
        _fail(source, "(top level)", "the file is not a mapping of keys.", _FIX_SEE_DOCS)
    return _stringify_dates(doc)


_FIX_SEE_DOCS = "see docs/rules.md for the rules file format."


def _stringify_dates(node: Any) -> Any:
    """YAML turns unquoted 2020-01-01 into a date; treat it as the string it was written as."""
    if isinstance(node, dict):
        return {k: _stringify_dates(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_stringify_dates(v) for v in node]
    if isinstance(node, date):
        return node.isoformat()
    return node


def _schema() -> dict:
    text = (resources.files("payproof.rules") / "schema.json").read_text("utf-8")
    return json.loads(text)


def key_path(parts: Any) -> str:
    """Format a JSON path as ``parameters.mci.values[3].from``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _check_schema(doc: dict, source: str) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is None:
        return
    path = key_path(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        path = key_path([*error.absolute_path, missing])
        _fail(source, path, f"required key '{missing}' is missing.", _FIX_SEE_DOCS)
    if error.validator == "additionalProperties":
        _fail(source, path, error.message + ".", "remove or rename the key; " + _FIX_SEE_DOCS)
    _fail(source, path, error.message + ".", _FIX_SEE_DOCS)


def _parse_from(text: str, source: str, path: str) -> date:
    match = _DATE_RE.match(text)
    try:
        if not match:
            raise ValueError(text)
        year, month, day = match.groups()
        return date(int(year), int(month), int(day or 1))
    except ValueError:
        _fail(
            source,
            path,
            f"'{text}' is not a date.",
            "write dates as 'YYYY-MM-DD' (or 'YYYY-MM' for the first day of the month).",
        )
    raise AssertionError  # unreachable: _fail raises


def _exact(value: Any, decimals: int, source: str, path: str) -> int:
    """An exact, non-negative number scaled to an integer by ``10 ** decimals``."""
    if isinstance(value, float):
        _fail(
            source,
            path,
            f"{value!r} is a floating-point number, which is not exact.",
            f'quote it as a decimal string, e.g. value: "{value}" (at most {decimals} decimals '
            "as declared by the parameter's 'decimals').",
        )
    if isinstance(value, bool) or not isinstance(value, int | str):
        _fail(source, path, f"{value!r} is not a number.", "write an integer or a quoted decimal.")
    text = str(value).strip()
    match = _DECIMAL_RE.match(text)
    if not match:
        _fail(
            source,
            path,
            f"{value!r} is not a non-negative decimal number.",
            'write an integer or a quoted decimal such as "16.03".',
        )
    places = len(match.group(1) or "")
    if places > decimals:
        _fail(
            source,
            path,
            f"{text} has {places} decimals but the parameter declares decimals: {decimals}.",
            f"raise the parameter's 'decimals' to {places} or write the value exactly with "
            f"{decimals} decimals.",
        )
    return int(Decimal(text).scaleb(decimals))


def _value(raw: Any, decimals: int, source: str, path: str) -> Value:
    if not isinstance(raw, dict):
        return _exact(raw, decimals, source, path)
    if not raw:
        _fail(source, path, "the scale is empty.", "map each number of children to a value.")
    scale: dict[int, int] = {}
    for key, item in raw.items():
        if isinstance(key, bool) or not (
            isinstance(key, int) or (isinstance(key, str) and key.isdigit())
        ):
            _fail(
                source,
                f"{path}.{key}",
                f"scale key {key!r} is not a number of children.",
                'use whole numbers of children as keys, e.g. 4: "16.03".',
            )
        scale[int(key)] = _exact(item, decimals, source, f"{path}.{key}")
    return dict(sorted(scale.items()))


def _parameter(name: str, spec: dict, source: str) -> Parameter:
    decimals = spec.get("decimals", 0)
    entries: list[Entry] = []
    base = f"parameters.{name}.values"
    for i, item in enumerate(spec["values"]):
        start = _parse_from(str(item["from"]), source, f"{base}[{i}].from")
        if entries and start == entries[-1].start:
            _fail(
                source,
                f"{base}[{i}].from",
                f"duplicate date {start.isoformat()} for parameter '{name}'.",
                "keep one value per date: remove or merge the duplicate entry.",
            )
        if entries and start < entries[-1].start:
            _fail(
                source,
                f"{base}[{i}].from",
                f"dates of parameter '{name}' are not in increasing order "
                f"({start.isoformat()} comes after {entries[-1].start.isoformat()}).",
                "list the values of a parameter from the oldest date to the newest.",
            )
        value = _value(item["value"], decimals, source, f"{base}[{i}].value")
        if entries and isinstance(value, dict) != isinstance(entries[0].value, dict):
            _fail(
                source,
                f"{base}[{i}].value",
                f"parameter '{name}' mixes single values and scales.",
                "every value of a parameter must be of the same kind (a number or a scale).",
            )
        entries.append(Entry(start=start, value=value))
    return Parameter(
        name=name,
        decimals=decimals,
        entries=tuple(entries),
        description=spec.get("description", ""),
    )


_KIND_NEEDS = {
    "fixed": ("coefficient",),
    "per_child": ("coefficient",),
    "scale_by_count": ("scale",),
}
_KIND_FORBIDS = {
    "fixed": ("scale", "per_child_from", "per_child"),
    "per_child": ("scale", "per_child_from", "per_child"),
    "scale_by_count": ("coefficient",),
}


def _formula(
    spec: dict, parameters: dict[str, Parameter], eligibility: Eligibility, source: str
) -> Formula:
    kind = spec["kind"]
    if kind not in FORMULA_KINDS:
        _fail(
            source,
            "formula.kind",
            f"unknown formula kind '{kind}'.",
            f"use one of: {', '.join(FORMULA_KINDS)} (see docs/rules.md).",
        )
    for key in _KIND_NEEDS[kind]:
        if key not in spec:
            _fail(
                source,
                f"formula.{key}",
                f"formula kind '{kind}' needs '{key}'.",
                f"add formula.{key}: <parameter name>.",
            )
    for key in _KIND_FORBIDS[kind]:
        if key in spec:
            _fail(
                source,
                f"formula.{key}",
                f"formula kind '{kind}' does not use '{key}'.",
                "remove the key or change formula.kind (see docs/rules.md).",
            )
    if ("per_child_from" in spec) != ("per_child" in spec):
        _fail(
            source,
            "formula.per_child" if "per_child_from" in spec else "formula.per_child_from",
            "per_child_from and per_child must be given together.",
            "give both (from which count the amount is per child, and the amount per child) "
            "or neither.",
        )
    formula = Formula(
        kind=kind,
        rounding=spec["rounding"],
        base=spec.get("base"),
        coefficient=spec.get("coefficient"),
        scale=spec.get("scale"),
        per_child_from=spec.get("per_child_from"),
        per_child=spec.get("per_child"),
    )
    for key in ("base", "coefficient", "scale", "per_child"):
        name = getattr(formula, key)
        if name is None:
            continue
        if name not in parameters:
            _fail(
                source,
                f"formula.{key}",
                f"formula.{key} names parameter '{name}', which is not defined.",
                f"define parameters.{name} or use one of: {', '.join(parameters)}.",
            )
        wants_scale = key == "scale"
        if parameters[name].is_scale != wants_scale:
            _fail(
                source,
                f"formula.{key}",
                f"parameter '{name}' is {'a scale' if parameters[name].is_scale else 'a number'}"
                f" but formula.{key} needs {'a scale' if wants_scale else 'a number'}.",
                "point the formula at a parameter of the right kind.",
            )
    if formula.scale:
        _check_scale(formula, parameters[formula.scale], eligibility, source)
    return formula


def _check_scale(formula: Formula, scale: Parameter, eligibility: Eligibility, source: str) -> None:
    """Each scale must give a value for every count it is used for: no holes, no dead keys."""
    low = eligibility.min_children
    for i, entry in enumerate(scale.entries):
        keys = sorted(entry.value)
        high = formula.per_child_from - 1 if formula.per_child_from else keys[-1]
        path = f"parameters.{scale.name}.values[{i}].value"
        if keys[0] < low or keys[-1] > high:
            _fail(
                source,
                path,
                f"scale keys {keys[0]}..{keys[-1]} fall outside the counts it is used for "
                f"({low}..{high}: eligibility.min_children to formula.per_child_from - 1).",
                "remove the keys outside that range or change min_children / per_child_from.",
            )
        missing = [n for n in range(low, high + 1) if n not in entry.value]
        if missing:
            _fail(
                source,
                path,
                f"the scale has no value for {', '.join(map(str, missing))} children.",
                f"give a value for every count from {low} to {high}.",
            )
