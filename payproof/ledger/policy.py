"""c2sp.org/tlog-policy: which log key and which witnesses a verifier trusts, and the quorum.

Example::

    log gov.example/payproof/allowance+1a2b3c4d+AX... https://ledger.gov.example/
    witness ngo ngo.example/w1+5e6f7a8b+BA... https://ngo.example/witness/
    witness paper paper.example/w+9c0d1e2f+BA...
    group civil-society any ngo paper
    quorum civil-society
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from payproof.errors import InputError
from payproof.ledger.note import Verifier, cosignature_verifier, parse_vkey


@dataclass
class Witness:
    name: str
    verifier: Verifier
    url: str | None = None


@dataclass
class Policy:
    logs: list[tuple[Verifier, str | None]] = field(default_factory=list)
    witnesses: dict[str, Witness] = field(default_factory=dict)
    groups: dict[str, tuple[int | str, list[str]]] = field(default_factory=dict)
    quorum: str | None = None  # None: no cosignatures required

    def witness_verifiers(self) -> list[Verifier]:
        return [w.verifier for w in self.witnesses.values()]

    def satisfied(self, cosigned_by: set[tuple[str, int]]) -> bool:
        """Is the quorum met by the (key name, key ID) pairs that verified?"""
        if self.quorum is None:
            return True
        return self._met(self.quorum, cosigned_by, set())

    def _met(self, name: str, signed: set[tuple[str, int]], seen: set[str]) -> bool:
        if name in self.witnesses:
            v = self.witnesses[name].verifier
            return (v.name, v.key_id) in signed
        if name in seen:
            raise InputError(f"policy group {name!r} contains itself")
        k, members = self.groups[name]
        hits = sum(self._met(m, signed, seen | {name}) for m in members)
        need = {"any": 1, "all": len(members)}.get(k, k) if isinstance(k, str) else k
        return hits >= need


def parse_policy(text: str, where: str = "policy") -> Policy:
    """Parse a tlog-policy file strictly: unknown lines and names are errors."""
    pol = Policy()
    quorum_seen = False

    def bad(lineno: int, why: str) -> InputError:
        return InputError(
            f"invalid witness policy: {why}",
            where=f"{where}, line {lineno}",
            fix="see docs/ledger.md, 'Witness policy'",
        )

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        word, *args = line.split()
        try:
            if word == "log" and len(args) in (1, 2):
                pol.logs.append((parse_vkey(args[0]), args[1] if len(args) == 2 else None))
            elif word == "witness" and len(args) in (2, 3):
                name = args[0]
                if name in pol.witnesses or name in pol.groups:
                    raise bad(lineno, f"name {name!r} defined twice")
                url = args[2] if len(args) == 3 else None
                pol.witnesses[name] = Witness(name, cosignature_verifier(args[1]), url)
            elif word == "group" and len(args) >= 3:
                name, k, members = args[0], args[1], args[2:]
                if name in pol.witnesses or name in pol.groups:
                    raise bad(lineno, f"name {name!r} defined twice")
                for m in members:
                    if m not in pol.witnesses and m not in pol.groups:
                        raise bad(lineno, f"group member {m!r} is not defined above")
                if k not in ("any", "all"):
                    if not k.isdigit() or not 1 <= int(k) <= len(members):
                        raise bad(lineno, f"threshold {k!r} must be any, all or 1..{len(members)}")
                    k = int(k)
                pol.groups[name] = (k, members)
            elif word == "quorum" and len(args) == 1 and not quorum_seen:
                quorum_seen = True
                if args[0] != "none":
                    if args[0] not in pol.witnesses and args[0] not in pol.groups:
                        raise bad(lineno, f"quorum {args[0]!r} is not defined")
                    pol.quorum = args[0]
            else:
                raise bad(lineno, f"unexpected line {line[:60]!r}")
        except InputError:
            raise
        except Exception as exc:  # a bad key string inside a known line
            raise bad(lineno, str(exc).splitlines()[0]) from exc
    if not quorum_seen:
        raise bad(0, "no 'quorum' line (write 'quorum none' to require no witnesses)")
    return pol


def load_policy(path: Path) -> Policy:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read witness policy {path}: {exc}") from exc
    return parse_policy(text, str(path))
