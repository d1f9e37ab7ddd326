"""Valid-looking Kazakh identifiers, vectorised: IINs, IBANs and mobile numbers.

The IIN (individual identification number) is YYMMDD, a century/sex digit, a
4-digit serial and a check digit: weights 1..11 modulo 11; if that gives 10,
weights 3..11,1,2; if that gives 10 again the number is never issued.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

W1 = np.arange(1, 12, dtype=np.int64)
W2 = np.array([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], dtype=np.int64)
_POW = 10 ** np.arange(10, -1, -1, dtype=np.int64)  # digit k of an 11-digit number


def _digits(body: np.ndarray) -> np.ndarray:
    return (body[:, None] // _POW[None, :]) % 10


def iin_check(body: np.ndarray) -> np.ndarray:
    """Check digit of each 11-digit IIN body; 10 means 'never issued'."""
    d = _digits(np.asarray(body, dtype=np.int64))
    c1 = (d * W1).sum(axis=1) % 11
    c2 = (d * W2).sum(axis=1) % 11
    return np.where(c1 == 10, c2, c1)


def iin_is_valid(text: str) -> bool:
    """True when ``text`` is 12 digits with a correct check digit (scalar, for tests)."""
    if len(text) != 12 or not text.isdigit():
        return False
    check = int(iin_check(np.array([int(text[:11])]))[0])
    return check != 10 and check == int(text[11])


def century_sex_digit(birth_days: np.ndarray, female: np.ndarray) -> np.ndarray:
    """3/4 for men/women born 1900-1999, 5/6 for 2000-2099."""
    year = birth_days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    base = np.where(year >= 2000, 5, 3)
    return base + np.asarray(female, dtype=np.int64)


def iin_numbers(birth_days: np.ndarray, female: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """12-digit IINs (as int64) for people born on ``birth_days``; serials are random."""
    b = np.asarray(birth_days, dtype=np.int64).astype("datetime64[D]")
    year = b.astype("datetime64[Y]").astype(np.int64) + 1970
    month = b.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (b - b.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    head = (year % 100) * 10**9 + month * 10**7 + day * 10**5
    head += century_sex_digit(b.astype(np.int64), female) * 10**4
    serial = rng.integers(1, 10_000, size=len(head), dtype=np.int64)
    check = iin_check(head + serial)
    bad = check == 10
    while bad.any():  # rare: move to the next serial
        serial[bad] = serial[bad] % 9999 + 1
        check[bad] = iin_check(head[bad] + serial[bad])
        bad = check == 10
    return (head + serial) * 10 + check


def iin_with_typo(iins: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change one serial digit and recompute the check digit: a valid but different IIN."""
    body = np.asarray(iins, dtype=np.int64) // 10
    pos = rng.integers(0, 4, size=len(body))  # one of the 4 serial digits (units..thousands)
    place = 10**pos  # the body's last 4 digits are the serial
    digit = (body // place) % 10
    new = (digit + rng.integers(1, 10, size=len(body))) % 10
    body = body + (new - digit) * place
    check = iin_check(body)
    bad = check == 10
    while bad.any():  # rare: bump the changed digit once more (skipping the original)
        cur = (body[bad] // place[bad]) % 10
        nxt = (cur + 1) % 10
        nxt = np.where(nxt == digit[bad], (nxt + 1) % 10, nxt)
        body[bad] += (nxt - cur) * place[bad]
        check[bad] = iin_check(body[bad])
        bad = check == 10
    return body * 10 + check


def iin_with_swap(iins: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Swap two neighbouring serial digits that differ, and recompute the check digit.

    Returns the new IINs and a mask of those changed; where the serial's digits
    are all equal, or the swap gives a never-issued number, the IIN is unchanged.
    """
    body = np.asarray(iins, dtype=np.int64) // 10
    pos = rng.integers(0, 3, size=len(body))  # swap serial digits pos and pos + 1
    lo_place, hi_place = 10**pos, 10 ** (pos + 1)
    lo, hi = (body // lo_place) % 10, (body // hi_place) % 10
    ok = lo != hi
    for step in (1, 2):  # try the other neighbouring pairs where the chosen one is equal
        alt = (pos + step) % 3
        a_lo, a_hi = (body // 10**alt) % 10, (body // 10 ** (alt + 1)) % 10
        use = ~ok & (a_lo != a_hi)
        pos = np.where(use, alt, pos)
        ok |= use
    lo_place, hi_place = 10**pos, 10 ** (pos + 1)
    lo, hi = (body // lo_place) % 10, (body // hi_place) % 10
    swapped = body + (hi - lo) * lo_place + (lo - hi) * hi_place
    check = iin_check(swapped)
    ok &= check != 10
    out = np.where(ok, swapped * 10 + check, np.asarray(iins, dtype=np.int64))
    return out, ok


def swap_day_month(day_numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dates with day and month exchanged (3 April -> 4 March) where that is another date."""
    b = np.asarray(day_numbers, np.int64).astype("datetime64[D]")
    year = b.astype("datetime64[Y]")
    month = b.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (b - b.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    ok = (day <= 12) & (day != month)
    new_month = (year.astype("datetime64[M]") + (np.where(ok, day, month) - 1)).astype(
        "datetime64[D]"
    )
    new = new_month + (np.where(ok, month, day) - 1)
    return new.astype(np.int64), ok


def zero_padded(values: np.ndarray, width: int, prefix: str = "") -> pa.Array:
    """``prefix`` + each integer left-padded with zeros to ``width`` digits, as Arrow strings."""
    text = pc.utf8_lpad(pc.cast(pa.array(values, type=pa.int64()), pa.string()), width, "0")
    if prefix:
        text = pc.binary_join_element_wise(prefix, text, "")
    return text


BANK_CODES = np.array([722, 601, 998, 914, 926, 856, 965, 832], dtype=np.int64)
BANK_WEIGHTS = np.array([0.42, 0.24, 0.1, 0.06, 0.06, 0.05, 0.04, 0.03])


def ibans(n: int, rng: np.random.Generator) -> pa.Array:
    """KZ IBANs: KZ, 2 check digits (ISO 13616 mod 97), 3-digit bank code, 13-digit account."""
    bank = rng.choice(BANK_CODES, size=n, p=BANK_WEIGHTS)
    account = rng.integers(0, 10**13, size=n, dtype=np.int64)
    bban = bank * 10**13 + account  # 16 digits, fits int64
    # mod 97 of BBAN followed by "KZ00" -> digits "203500"
    rem = ((bban % 97) * (10**6 % 97) + 203500) % 97
    check = 98 - rem
    return pc.binary_join_element_wise("KZ", zero_padded(check, 2), zero_padded(bban, 16), "")


OPERATORS = np.array([701, 702, 705, 707, 708, 747, 771, 775, 776, 777, 778], dtype=np.int64)


def phones(n: int, rng: np.random.Generator) -> pa.Array:
    """Kazakh mobile numbers +7 7xx xxx xxxx written as +77xxxxxxxxx."""
    number = rng.choice(OPERATORS, size=n) * 10**7 + rng.integers(0, 10**7, size=n)
    return pc.binary_join_element_wise("+7", zero_padded(number, 10), "")
