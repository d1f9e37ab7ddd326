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


def iin_valid_array(text: pa.Array) -> np.ndarray:
    """Vectorised :func:`iin_is_valid` over Arrow strings (the duplicates' truth column)."""
    ok = pc.fill_null(pc.match_substring_regex(text, r"^[0-9]{12}$"), False)
    values = pc.cast(pc.if_else(ok, text, "0"), pa.int64()).to_numpy(zero_copy_only=False)
    d = (values[:, None] // _POW12[None, :]) % 10
    return ok.to_numpy(zero_copy_only=False) & _valid12(d)


def century_sex_digit(birth_days: np.ndarray, female: np.ndarray) -> np.ndarray:
    """3/4 for men/women born 1900-1999, 5/6 for 2000-2099."""
    year = birth_days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    base = np.where(year >= 2000, 5, 3)
    return base + np.asarray(female, dtype=np.int64)


def _iin_draw(b: np.ndarray, female: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One IIN per birth day with a random serial (may repeat across rows)."""
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


def repeats(values: np.ndarray, taken: np.ndarray | None = None) -> np.ndarray:
    """Mask of values seen earlier in ``values`` or present in ``taken``."""
    _, first = np.unique(values, return_index=True)
    out = np.ones(len(values), bool)
    out[first] = False
    if taken is not None and len(taken):
        out |= np.isin(values, taken)
    return out


def iin_numbers(
    birth_days: np.ndarray,
    female: np.ndarray,
    rng: np.random.Generator,
    taken: np.ndarray | None = None,
) -> np.ndarray:
    """12-digit IINs (as int64), one per person and never one in ``taken``.

    Serials are random; an IIN is unique per person in reality, so a serial that
    repeats one already given (same birth day and sex) is drawn again.
    """
    b = np.asarray(birth_days, dtype=np.int64).astype("datetime64[D]")
    fem = np.asarray(female, bool)
    iin = _iin_draw(b, fem, rng)
    for _ in range(1000):
        again = np.nonzero(repeats(iin, taken))[0]
        if not len(again):
            return iin
        iin[again] = _iin_draw(b[again], fem[again], rng)
    raise ValueError("More people share one birth day and sex than IIN serials exist.")


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


# Slips the check digit catches: one wrong digit, two neighbours swapped, a digit lost,
# a digit typed twice (or a stray one). Codes for :func:`iin_broken`.
WRONG_DIGIT, SWAP, DROPPED, EXTRA = range(4)
_POW12 = 10 ** np.arange(11, -1, -1, dtype=np.int64)


def _valid12(d: np.ndarray) -> np.ndarray:
    """Rows of 12 digits whose check digit is right."""
    body = (d[:, :11] * _POW12[1:]).sum(axis=1)
    check = iin_check(body)
    return (check != 10) & (check == d[:, 11])


def iin_broken(
    iins: np.ndarray, kind: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """IINs as a clerk mistypes them so that the number no longer checks out.

    ``kind`` holds one of WRONG_DIGIT, SWAP, DROPPED, EXTRA per IIN; the result is
    text (11, 12 or 13 digits) that never passes the check digit, and the kinds
    really applied (a swap where all neighbours are equal, or one that happens to
    check out, becomes a wrong digit).
    """
    iins = np.asarray(iins, np.int64)
    kind = np.asarray(kind, np.int64).copy()
    n = len(iins)
    d = (iins[:, None] // _POW12[None, :]) % 10
    out = np.full((n, 13), -1, np.int64)
    out[:, :12] = d
    # two neighbouring digits that differ, swapped
    sw = np.nonzero(kind == SWAP)[0]
    score = rng.random((len(sw), 11))
    score[d[sw, :-1] == d[sw, 1:]] = -1
    pos = score.argmax(axis=1)
    kind[sw[score.max(axis=1) < 0]] = WRONG_DIGIT
    r = sw[score.max(axis=1) >= 0]
    pos = pos[score.max(axis=1) >= 0]
    out[r, pos], out[r, pos + 1] = d[r, pos + 1], d[r, pos]
    kind[r[_valid12(out[r, :12])]] = WRONG_DIGIT  # the check digit missed it: rare
    # a digit lost: the rest move left
    dr = np.nonzero(kind == DROPPED)[0]
    pos = rng.integers(0, 12, size=len(dr))
    cols = np.arange(12)[None, :]
    src = np.where(cols < pos[:, None], cols, cols + 1)
    out[dr, :12] = np.where(src < 12, np.take_along_axis(d[dr], np.minimum(src, 11), 1), -1)
    # a digit typed twice (or a stray one): the rest move right
    ex = np.nonzero(kind == EXTRA)[0]
    pos = rng.integers(0, 12, size=len(ex))
    cols = np.arange(13)[None, :]
    src = np.where(cols <= pos[:, None], cols, cols - 1)
    out[ex] = np.take_along_axis(d[ex], np.minimum(src, 11), 1)
    stray = rng.random(len(ex)) < 0.5
    out[ex[stray], pos[stray]] = rng.integers(0, 10, size=int(stray.sum()))
    # one wrong digit, anywhere (the date part too), until the number fails its check
    wd = np.nonzero(kind == WRONG_DIGIT)[0]
    out[wd, :12] = d[wd]
    todo = wd
    while len(todo):
        pos = rng.integers(0, 12, size=len(todo))
        out[todo, :12] = d[todo]
        out[todo, pos] = (d[todo, pos] + rng.integers(1, 10, size=len(todo))) % 10
        todo = todo[_valid12(out[todo, :12])]
    chars = np.where(out >= 0, out + 48, 0).astype(np.uint8)
    text = np.ascontiguousarray(chars).view("S13").ravel().astype(str)
    return text, kind


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
