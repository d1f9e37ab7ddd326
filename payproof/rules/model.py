"""The validated, in-memory form of a rules file.

Every number is an integer scaled by ``10 ** decimals`` so that the arithmetic
that turns rules into money is exact; see docs/rules.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from payproof.errors import RulesError

FORMULA_KINDS = ("fixed", "per_child", "scale_by_count")
ROUNDINGS = ("up", "down", "half_up")

Value = int | Mapping[int, int]


@dataclass(frozen=True)
class Entry:
    """One effective-dated value: in force from ``start`` until the next entry's start."""

    start: date
    value: Value


@dataclass(frozen=True)
class Parameter:
    """An effective-dated parameter; values are integers scaled by ``10 ** decimals``."""

    name: str
    decimals: int
    entries: tuple[Entry, ...]
    description: str = ""

    @property
    def is_scale(self) -> bool:
        """A scale maps a count of children to a value (the same for every entry)."""
        return isinstance(self.entries[0].value, Mapping)

    def at(self, day: date, *, source: str = "<rules>") -> Value:
        """The value in force on ``day``; no value yet is a rules problem, not a zero."""
        current: Value | None = None
        for entry in self.entries:
            if entry.start <= day:
                current = entry.value
            else:
                break
        if current is None:
            first = self.entries[0].start
            raise RulesError(
                f"Parameter '{self.name}' has no value in force on {day.isoformat()}: "
                f"its first value is from {first.isoformat()}.",
                where=f"{source}: parameters.{self.name}.values[0].from",
                fix=f"add a value from {day.isoformat()} or earlier to the rules file, "
                f"or compute periods from {first.year:04d}-{first.month:02d} on.",
            )
        return current


@dataclass(frozen=True)
class Eligibility:
    """Who counts as a child of the family on the first day of a month."""

    min_children: int
    age_limit: int
    student_age_limit: int | None = None


DEFAULT_DECISION_TERM_DAYS = 30  # docs/rules.md: used when a rules file names no term


@dataclass(frozen=True)
class Applications:
    """How applications must be handled: the legal term to decide one (calendar days from
    submission), against which the audit counts late decisions (payproof.exclusion)."""

    decision_term_days: int = DEFAULT_DECISION_TERM_DAYS


@dataclass(frozen=True)
class Formula:
    """A formula of one documented kind, naming the parameters it uses."""

    kind: str
    rounding: str
    base: str | None = None
    coefficient: str | None = None
    scale: str | None = None
    per_child_from: int | None = None
    per_child: str | None = None

    def coefficient_parameters(self) -> tuple[str, ...]:
        """The parameters multiplied by the base (written in units of the base)."""
        names = (self.coefficient, self.scale, self.per_child)
        return tuple(n for n in names if n)


@dataclass(frozen=True)
class Rules:
    """A loaded, validated rules file and the identity of the exact text it came from."""

    id: str
    version: str
    title: str
    currency: str
    national_id: str  # "iin", "plain" or "auto" (absent: decided from the IDs' shape)
    sources: tuple[Mapping[str, str], ...]
    parameters: Mapping[str, Parameter]
    eligibility: Eligibility
    formula: Formula
    source: str
    sha256: str
    applications: Applications = field(default_factory=Applications)
    raw: Mapping = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        """What every computed entitlement records: ``<id>@<version>``."""
        return f"{self.id}@{self.version}"

    @property
    def coefficient_decimals(self) -> int:
        """Common scale of all coefficients (the largest of their ``decimals``)."""
        return max(self.parameters[n].decimals for n in self.formula.coefficient_parameters())

    @property
    def base_decimals(self) -> int:
        return self.parameters[self.formula.base].decimals if self.formula.base else 0

    def first_day(self) -> date:
        """The first day on which every parameter the formula needs has a value."""
        return max(p.entries[0].start for p in self.used_parameters())

    def used_parameters(self) -> list[Parameter]:
        names = list(self.formula.coefficient_parameters())
        if self.formula.base:
            names.append(self.formula.base)
        return [self.parameters[n] for n in names]
