"""The 300-mother test registry with the children each record lists, and hand-made
cases where the children two mother records share decide (or must not decide).

Every mother of the registry lists one to three children; her duplicate registrations
list the same children under new child ids (as a second registration does). On top:

* ``K1``/``K2``: the miss of the audit benchmark -- one woman of a common name (twenty
  namesakes around her), registered again with an IIN serial typo that kept a valid check
  digit, the same birth date, another district, phone and account; both records list the
  same two children. One woman: merged only because of the children.
* ``S1``/``S2``: sisters, each with her own valid IIN, one surname and patronymic, one
  home; S2 took custody of one of S1's children, so both list it. Two women.
* ``Q1``/``Q2``: two women of the common name born the same day, each with her own
  valid IIN (serials far apart), both listing one child (a child counted in two
  families). Two women: two issued IINs outweigh a shared child.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from payproof.scenario.identity import iin_numbers
from payproof.scenario.names import mother_names
from tests.linkage.test_hard_cases import COMMON, iin, iin_check

KID_COLUMNS = ("child_id", "family_id", "child_national_id", "name", "birth_date")
K_BORN = date(1986, 3, 14)


def _valid_serial_typo(born: date, serial: int) -> tuple[str, str]:
    """A valid IIN and another valid one a single serial digit away (check recomputed)."""
    while True:
        a = iin(born, serial)
        if a:
            for digit in range(10):
                s = f"{serial:04d}"
                other = int(s[:3] + str(digit))
                b = iin(born, other) if other != serial else None
                if b:
                    return a, b
        serial += 1


K1_IIN, K2_IIN = _valid_serial_typo(K_BORN, 4520)


def kid_iin(born: date, female: bool, serial: int) -> str:
    """A valid IIN of a child born 2000-2099 (century digit 5 or 6)."""
    while True:
        head = born.strftime("%y%m%d") + ("6" if female else "5") + f"{serial:04d}"
        check = iin_check(head)
        if check is not None:
            return head + str(check)
        serial += 1


def _kid(name: str, born: date, female: bool, serial: int) -> tuple[str, str, date]:
    return kid_iin(born, female, serial), name, born


def _child_rows(fid: str, kids: list[tuple[str | None, str, date]], start: int) -> list[dict]:
    return [
        dict(zip(KID_COLUMNS, (f"{fid}-{start + j}", fid, kid_iin, name, born), strict=True))
        for j, (kid_iin, name, born) in enumerate(kids)
    ]


def _background(n: int, rng) -> list[dict]:
    """``n`` more distinct mothers (a registry of realistic size: the prior, how rare a
    duplicate is, falls with the number of records, as in a real registry)."""
    births = rng.integers(-9000, 3000, size=n)
    iins = iin_numbers(births, np.ones(n, bool), rng)
    names = mother_names(n, rng, latin_rate=0.0)[0].to_pylist()
    return [{"family_id": f"G{k:05d}", "mother_id": f"{iins[k]:012d}", "mother_name": names[k],
             "mother_birth_date": date(1970, 1, 1) + timedelta(days=int(births[k])),
             "district": f"district {k % 7}", "phone": f"77{k:08d}", "bank_account": f"KZG{k:05d}"}
            for k in range(n)]  # fmt: skip


def families_with_children(registry, background: int = 0) -> tuple[pa.Table, pa.Table, set]:
    """(families, children, true duplicate pairs) for the registry plus the cases above,
    and ``background`` more mothers."""
    table, truth = registry
    rng = np.random.default_rng(77)
    base = table.to_pylist() + _background(background, rng)
    n = len(base)
    per = [1 + k % 3 for k in range(n)]
    total = sum(per)
    births = rng.integers(12000, 19500, size=total)
    kid_iins = iin_numbers(births, rng.random(total) < 0.5, rng)
    kid_names = [" ".join(x.split(" ")[:2]) for x in mother_names(total, rng, 0.0)[0].to_pylist()]
    listed: dict[str, list[tuple]] = {}
    at = 0
    for k in range(n):
        listed[base[k]["family_id"]] = [
            (f"{kid_iins[at + j]:012d}", kid_names[at + j],
             date(1970, 1, 1) + timedelta(days=int(births[at + j])))
            for j in range(per[k])
        ]  # fmt: skip
        at += per[k]
    for a, b in truth:  # a duplicate registration lists its original's children
        orig, dup = (a, b) if a.startswith("F") else (b, a)
        listed[dup] = listed[orig]
    listed.pop("N01")  # the relative lists none

    def mother(fid, mid, name, born, district, phone, account):
        return {"family_id": fid, "mother_id": mid, "mother_name": name,
                "mother_birth_date": born, "district": district, "phone": phone,
                "bank_account": account}  # fmt: skip

    rows = list(base)
    # twenty namesakes of the common name make it common (its frequency weighs)
    for j in range(20):
        born = date(1974 + j, 1 + j % 12, 2 + j)
        mid = iin(born, 6000 + j) or iin(born, 6100 + j)
        rows.append(mother(f"CN{j:02d}", mid, COMMON, born, f"district {j % 7}",
                           f"70120000{j:02d}", f"KZ00CN{j:02d}"))  # fmt: skip
    two = [_kid("Омаров Алихан", date(2015, 7, 12), False, 41),
           _kid("Омарова Амина", date(2018, 2, 3), True, 127)]  # fmt: skip
    rows.append(mother("K1", K1_IIN, COMMON, K_BORN, "district 2", "7012345678", "KZ11AAA"))
    rows.append(mother("K2", K2_IIN, COMMON, K_BORN, "district 5", "7079876543", "KZ22BBB"))
    listed["K1"] = listed["K2"] = two
    home = ("district 3", "7015550101", "KZ33HOME")
    s1_born, s2_born = date(1984, 9, 21), date(1987, 2, 11)
    rows.append(mother("S1", iin(s1_born, 1201) or iin(s1_born, 1202),
                       "Бекова Айнур Серiковна", s1_born, *home))  # fmt: skip
    rows.append(mother("S2", iin(s2_born, 1301) or iin(s2_born, 1302),
                       "Бекова Жанар Серiковна", s2_born, *home))  # fmt: skip
    custody = _kid("Беков Арман", date(2010, 4, 5), False, 233)
    listed["S1"] = [custody, _kid("Бекова Дана", date(2013, 9, 18), True, 114)]
    listed["S2"] = [custody, _kid("Бекова Мира", date(2016, 1, 1), True, 313)]
    q_born = date(1990, 6, 15)
    rows.append(mother("Q1", iin(q_born, 1010) or iin(q_born, 1011), COMMON, q_born,
                       "district 1", "7011110001", "KZ44Q1"))  # fmt: skip
    rows.append(mother("Q2", iin(q_born, 8830) or iin(q_born, 8831), COMMON, q_born,
                       "district 6", "7011110002", "KZ44Q2"))  # fmt: skip
    shared = _kid("Сейтов Ерлан", date(2012, 8, 8), False, 19)
    listed["Q1"] = [shared]
    listed["Q2"] = [shared, _kid("Сейтова Алина", date(2019, 3, 3), True, 200)]
    kids: list[dict] = []
    for fid, its in listed.items():
        kids += _child_rows(fid, its, len(kids))
    fams = pa.table({c: [r.get(c) for r in rows] for c in base[0]})
    at = fams.schema.get_field_index("mother_birth_date")
    born = pa.array(fams["mother_birth_date"].to_pylist(), pa.date32())
    fams = fams.set_column(at, "mother_birth_date", born)
    children = pa.table({c: [r[c] for r in kids] for c in KID_COLUMNS})
    children = children.set_column(4, "birth_date", pa.array(children["birth_date"].to_pylist(),
                                                             pa.date32()))  # fmt: skip
    return fams, children, truth | {("K1", "K2")}
