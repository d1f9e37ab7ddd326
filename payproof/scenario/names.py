"""Kazakh names in Cyrillic (most) or Latin transliteration, built from vocabularies.

Rows only hold indices into the vocabularies; strings are assembled with Arrow
compute, so a million names cost a few vectorised calls, not a Python loop.
"""

from __future__ import annotations

import zlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FEMALE = [
    "Айгүл",
    "Гүлнар",
    "Жанар",
    "Салтанат",
    "Динара",
    "Әсел",
    "Айжан",
    "Мадина",
    "Ақерке",
    "Әйгерім",
    "Назгүл",
    "Гүлмира",
    "Сәуле",
    "Жұлдыз",
    "Бибігүл",
    "Айнұр",
    "Шынар",
    "Ботагөз",
    "Гаухар",
    "Перизат",
    "Индира",
    "Камила",
    "Аружан",
    "Меруерт",
    "Гүлжан",
    "Роза",
    "Зәуре",
    "Балжан",
    "Ләззат",
    "Сымбат",
    "Нұргүл",
    "Айдана",
    "Жансая",
    "Мөлдір",
    "Ақмарал",
    "Қарлығаш",
    "Дана",
    "Томирис",
    "Аяжан",
    "Раушан",
]
MALE = [
    "Нұрлан",
    "Серік",
    "Ерлан",
    "Асқар",
    "Бауыржан",
    "Қайрат",
    "Марат",
    "Ержан",
    "Дәурен",
    "Азамат",
    "Талғат",
    "Жандос",
    "Бекзат",
    "Олжас",
    "Нұрсұлтан",
    "Әлібек",
    "Ақылбек",
    "Мұхтар",
    "Ғалым",
    "Руслан",
    "Айдос",
    "Ерасыл",
    "Нұрболат",
    "Бақыт",
    "Дархан",
    "Саят",
    "Темірлан",
    "Алихан",
    "Ислам",
    "Мирас",
    "Әмір",
    "Санжар",
    "Еркебұлан",
    "Абылай",
    "Жасұлан",
    "Қуаныш",
    "Мейірхан",
    "Расул",
    "Тимур",
    "Арман",
]
SURNAMES = [
    "Ахметов",
    "Жұмабаев",
    "Нұрланов",
    "Серікбаев",
    "Омаров",
    "Әбдірахманов",
    "Төлегенов",
    "Сәрсенбаев",
    "Исаев",
    "Қасымов",
    "Мұратов",
    "Есенов",
    "Оспанов",
    "Тұрсынов",
    "Байжанов",
    "Қалиев",
    "Сұлтанов",
    "Әлиев",
    "Бекмұратов",
    "Жақсылықов",
    "Садықов",
    "Құдайбергенов",
    "Әбілов",
    "Ержанов",
    "Тажибаев",
    "Рахымов",
    "Мәмбетов",
    "Нұрмағанбетов",
    "Сейітов",
    "Бейсенов",
    "Ысқақов",
    "Әшімов",
    "Ташенов",
    "Үсенов",
    "Жолдасбеков",
    "Шәріпов",
    "Қожахметов",
    "Мырзахметов",
    "Абдуллаев",
    "Юсупов",
    "Ибрагимов",
    "Сапаров",
    "Турсунов",
    "Әуезов",
    "Досмұхамедов",
    "Құрманов",
    "Алдабергенов",
    "Сыздықов",
    "Өтегенов",
    "Тілеубаев",
]

# More names, so a million mothers do not share a few thousand full names: real Kazakh
# surnames are numerous (built from an ancestor's name: -ов/-ев, -баев, -беков).
FEMALE += [
    "Айым", "Ақбота", "Ақжан", "Алма", "Алия", "Анар", "Арайлым", "Ақниет", "Баян", "Гүлназ",
    "Гүлшат", "Гүлдана", "Дариға", "Жаннат", "Жібек", "Зарина", "Зере", "Зейнеп", "Інжу",
    "Қуралай", "Қымбат", "Майра", "Мақпал", "Маржан", "Мәншүк", "Назерке", "Нұрай", "Нәзира",
    "Сабина", "Сая", "Сұлушаш", "Талшын", "Тоғжан", "Толқын", "Ұлжан", "Ұлпан", "Шолпан",
    "Қаламқас", "Гүлсім", "Күләш", "Алтынай", "Ақсұлу", "Нұржамал", "Бақытгүл", "Дәмеш",
    "Жазира", "Айсұлу", "Ақтоты", "Гүлбану", "Жамал", "Күлпаш", "Мейрамгүл", "Сәния", "Үміт",
    "Әлия", "Әмина", "Әсем", "Айгерім", "Айжамал", "Бибісара", "Гүлзат", "Дилназ", "Жанерке",
    "Жансұлу", "Кәмшат", "Ләйла", "Мархабат", "Нұрсұлу", "Салима", "Сәбира", "Тамара",
    "Торғын", "Ұлбосын", "Шырын", "Айсәуле", "Балнұр", "Гүлнұр", "Жұпар", "Самал", "Ару",
]  # fmt: skip
MALE += [
    "Ақан", "Алмас", "Аманжол", "Арыстан", "Асан", "Әділ", "Әлішер", "Бағдат", "Бақытжан",
    "Батыр", "Бекжан", "Болат", "Ғабит", "Дамир", "Дәулет", "Досжан", "Ербол", "Ерболат",
    "Ердос", "Ермек", "Есен", "Жанат", "Жарас", "Ілияс", "Қанат", "Қасым", "Құдайберген",
    "Мағжан", "Мақсат", "Мейрам", "Мұрат", "Мұса", "Нұржан", "Оспан", "Өмірзақ", "Рақым",
    "Райымбек", "Сабыр", "Сәкен", "Самат", "Сапар", "Сұлтан", "Талап", "Темір", "Тілек",
    "Төлеген", "Ұлан", "Ұлықбек", "Шыңғыс", "Ырысбек", "Бекболат", "Ғани", "Жеңіс", "Ислям",
    "Қожа", "Нұрлыбек", "Рүстем", "Сейіт", "Тоқтар", "Ұзақ", "Шәкен", "Әбу", "Бауыр",
    "Даулет", "Елдос", "Жомарт", "Кенжебек", "Мақұлбек", "Нариман", "Өтеген", "Серікбол",
    "Тұрар", "Хасен", "Шерхан", "Ахмет", "Жақып", "Исабек", "Қалдыбек", "Оразбек",
]  # fmt: skip
_BAI_ROOTS = ["Жұма", "Сәрсен", "Тілеу", "Серік", "Ораз", "Құл", "Есім", "Дүйсен", "Әбіл",
              "Мырза", "Тұрсын", "Жақып", "Ермек", "Қалды", "Бөкен", "Ақ", "Қара", "Сары",
              "Бекмұрат", "Төле", "Кенже", "Иман", "Шал", "Үсен", "Мақ", "Нұр", "Ыбырай",
              "Қожа", "Байтұр", "Досжан"]  # fmt: skip
_BEK_ROOTS = ["Жолдас", "Мұрат", "Ақыл", "Талғат", "Нұр", "Әли", "Ораз", "Жан", "Ер", "Қыдыр",
              "Сейіт", "Темір", "Бай", "Қали", "Ажы", "Досым", "Жолам", "Ілияс"]  # fmt: skip


def _surname(root: str) -> str:
    """Masculine surname from an ancestor's name: -ов after a consonant, -ев after a vowel."""
    if root.endswith("й"):
        return root[:-1] + "ев"
    return root + ("ев" if root[-1] in "аәеиоөұүыі" else "ов")


SURNAMES += [
    x
    for x in dict.fromkeys(
        [_surname(m) for m in MALE]
        + [r + "баев" for r in _BAI_ROOTS]
        + [r + "беков" for r in _BEK_ROOTS]
    )
    if x not in SURNAMES
]
FEMALE = list(dict.fromkeys(FEMALE))
MALE = list(dict.fromkeys(MALE))


def name_weights(n: int) -> np.ndarray:
    """Zipf-like popularity over a vocabulary: a few names are common, most are rare."""
    w = 1.0 / (np.arange(n) + 8.0)
    return w / w.sum()


_LATIN = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
# Kazakh-specific letters a Russian-language clerk types as their Russian look-alikes.
_RUSSIAN_LOOKALIKE = {"ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у",
                      "һ": "х", "і": "и"}  # fmt: skip


def transliterate(text: str) -> str:
    """Passport-style Latin spelling of a Kazakh Cyrillic name."""
    out = []
    for ch in text:
        low = ch.lower()
        lat = _LATIN.get(low, low)
        out.append(lat.capitalize() if ch != low else lat)
    return "".join(out)


def russianise(text: str) -> str:
    """The same name with Kazakh letters replaced by Russian look-alikes."""
    out = []
    for ch in text:
        low = ch.lower()
        rep = _RUSSIAN_LOOKALIKE.get(low, low)
        out.append(rep.upper() if ch != low else rep)
    return "".join(out)


def feminine(surname: str) -> str:
    return surname + "а"


def _vocab(words: list[str], latin: bool) -> pa.Array:
    return pa.array([transliterate(w) if latin else w for w in words], type=pa.string())


def _pick(words: list[str], idx: np.ndarray, latin: np.ndarray) -> pa.Array:
    """words[idx], in Latin where ``latin`` is set."""
    both = pa.concat_arrays([_vocab(words, False), _vocab(words, True)])
    return both.take(pa.array(idx + latin.astype(np.int64) * len(words)))


def mother_names(
    n: int, rng: np.random.Generator, latin_rate: float = 0.12
) -> tuple[pa.Array, np.ndarray]:
    """'Surname Given Patronymic-қызы' for mothers; returns the names and the Latin mask."""
    latin = rng.random(n) < latin_rate

    def draw(words: list[str]) -> np.ndarray:
        return rng.choice(len(words), size=n, p=name_weights(len(words)))

    surname = _pick([feminine(s) for s in SURNAMES], draw(SURNAMES), latin)
    given = _pick(FEMALE, draw(FEMALE), latin)
    patronymic = _pick([m + "қызы" for m in MALE], draw(MALE), latin)
    with_patronymic = rng.random(n) < 0.8
    full = pc.binary_join_element_wise(surname, given, patronymic, " ")
    short = pc.binary_join_element_wise(surname, given, " ")
    return pc.if_else(pa.array(with_patronymic), full, short), latin


def name_parts(names: pa.Array, swapped: np.ndarray | None = None) -> tuple[pa.Array, ...]:
    """(surname, given name, patronymic) of 'Surname Given [Patronymic]' names, as a 1C
    export holds them in three columns (NULL where a part is absent).

    ``swapped`` marks names written 'Given Surname' (a duplicate registration that left the
    patronymic out and turned the name round): their fields still hold each part.
    """
    split = pc.extract_regex(names, r"^(?P<a>\S+)(?: (?P<b>\S+))?(?: (?P<c>.+))?$")
    a, b, c = (pc.struct_field(split, i) for i in range(3))
    if swapped is not None and swapped.any():
        turn = pa.array(swapped)
        a, b = pc.if_else(turn, b, a), pc.if_else(turn, a, b)
    return tuple(pc.if_else(pc.equal(x, ""), pa.scalar(None, pa.string()), x) for x in (a, b, c))


def child_names(
    surname_idx: np.ndarray,
    female: np.ndarray,
    latin: np.ndarray,
    rng: np.random.Generator,
    apart: np.ndarray | None = None,
) -> pa.Array:
    """'Surname Given' for children; the surname root is the father's, shared in a family.

    ``apart`` lists children whose given name must differ from the child before them
    (the second of twins: parents do not give twins one name).
    """
    n = len(surname_idx)
    f_surname = _pick([feminine(s) for s in SURNAMES], surname_idx, latin)
    m_surname = _pick(SURNAMES, surname_idx, latin)
    f_idx, m_idx = rng.integers(0, len(FEMALE), n), rng.integers(0, len(MALE), n)
    if apart is not None and len(apart):
        for idx, pool in ((f_idx, FEMALE), (m_idx, MALE)):
            same = apart[idx[apart] == idx[apart - 1]]
            idx[same] = (idx[same] + 1) % len(pool)
    f_given = _pick(FEMALE, f_idx, latin)
    m_given = _pick(MALE, m_idx, latin)
    fem = pa.array(female)
    return pc.binary_join_element_wise(
        pc.if_else(fem, f_surname, m_surname), pc.if_else(fem, f_given, m_given), " "
    )


def staff_names(n: int, rng: np.random.Generator) -> list[str]:
    """Clerks' names (few hundred rows: plain Python is fine)."""
    out = []
    for _ in range(n):
        if rng.random() < 0.7:
            out.append(
                f"{feminine(SURNAMES[rng.integers(len(SURNAMES))])} "
                f"{FEMALE[rng.integers(len(FEMALE))]}"
            )
        else:
            out.append(f"{SURNAMES[rng.integers(len(SURNAMES))]} {MALE[rng.integers(len(MALE))]}")
    return out


def zh_to_j(name: str) -> str:
    """Zh as J: 'Жанар' -> 'Джанар' (Russian spelling), 'Zhanar' -> 'Janar' (Latin)."""
    if name.isascii():
        return name.replace("Zh", "J").replace("zh", "j")
    return name.translate({ord("Ж"): "Дж", ord("ж"): "дж"})


def ova_eva(name: str) -> str:
    """Swap the surname's -ова/-ева (-ova/-eva) ending, a common clerk's slip."""
    surname, sep, rest = name.partition(" ")
    for a, b in (("ова", "ева"), ("ева", "ова"), ("ova", "eva"), ("eva", "ova")):
        if surname.endswith(a):
            return surname[: -len(a)] + b + sep + rest
    return name


def russian_patronymic(name: str) -> str:
    """'Нұрланқызы' written the Russian way, 'Нурлановна' ('Nurlankyzy' -> 'Nurlanovna')."""
    parts = name.split(" ")
    if len(parts) < 3:
        return name
    last = parts[-1]
    for kazakh, russian in (("қызы", "овна"), ("kyzy", "ovna")):
        if last.endswith(kazakh):
            root = last[: -len(kazakh)]
            root = root if root.isascii() else russianise(root)
            return " ".join([*parts[:-1], root + russian])
    return name


def name_variant(names: list[str], kinds: list[str]) -> list[str]:
    """A duplicate registration's spelling of each mother's name (small lists only).

    Kinds that do not change a name (no Ж in it, no patronymic) leave it as it is;
    the generator gives those duplicates a transliteration instead.
    """
    out = []
    for name, kind in zip(names, kinds, strict=True):
        if kind == "translit":
            out.append(transliterate(name) if not name.isascii() else name.upper())
        elif kind == "zh_j":
            out.append(zh_to_j(name))
        elif kind == "ova_eva":
            out.append(ova_eva(name))
        elif kind == "russian_patronymic":
            out.append(russian_patronymic(name))
        elif kind == "russian_letters":
            if name.isascii():  # another Latin spelling of the same sounds
                out.append(name.replace("zh", "j").replace("kh", "h").replace("y", "i"))
            else:
                out.append(russianise(name))
        elif kind in ROMANISATIONS:  # a Latin original has no Cyrillic to start from
            out.append(name if name.isascii() else romanise(name, kind))
        elif kind == "homoglyph":
            out.append(homoglyph_typed(name, _name_rng(name)))
        elif kind == "married":
            out.append(married_name(name))
        elif kind == "no_patronymic":
            parts = name.split(" ")
            out.append(" ".join(parts[:2]) if len(parts) > 2 else " ".join(parts[::-1]))
        else:
            out.append(name)
    return out


# How other offices and countries write a Kazakh Cyrillic name in Latin letters (a duplicate
# registration's spelling, --name-variants). Letters not listed are kept as they are.
_BASE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
ROMANISATIONS = {
    # ICAO Doc 9303 (machine-readable passports), Kazakh letters as a Kazakh passport writes
    "icao": _BASE | {"ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u",
                     "һ": "h", "і": "i", "ъ": "ie"},
    # BGN/PCGN (Russian 1947, Kazakh 1979); е is ye at a word's start and after a vowel
    "bgn": _BASE | {"ё": "ë", "й": "y", "ю": "yu", "я": "ya", "ь": "ʹ", "ъ": "ʺ", "ә": "ä",
                    "ғ": "gh", "қ": "q", "ң": "ng", "ө": "ö", "ұ": "ū", "ү": "ü", "һ": "h",
                    "і": "i"},
    # German (Duden): sch, tsch, j for й, w for в, z for ц, s for з (ss for с between vowels)
    "german": _BASE | {"в": "w", "е": "e", "ё": "jo", "ж": "sch", "з": "s", "й": "j",
                       "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch", "ю": "ju",
                       "я": "ja", "ә": "ä", "ғ": "g", "қ": "k", "ң": "ng", "ө": "ö", "ұ": "u",
                       "ү": "ü", "һ": "h", "і": "i"},
    # French: ch for ш, dj for ж, ou for у, tch for ч, ï for й after a vowel
    "french": _BASE | {"ж": "dj", "у": "ou", "ч": "tch", "ш": "ch", "щ": "chtch", "ю": "iou",
                       "ё": "io", "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "ou",
                       "ү": "u", "һ": "h", "і": "i"},
    # scientific (ISO 9 / scholarly): háčeks, x for х, c for ц, j for й
    "scientific": _BASE | {"ж": "ž", "ш": "š", "щ": "šč", "ч": "č", "х": "x", "ц": "c",
                           "й": "j", "ю": "ju", "я": "ja", "ё": "ë", "ә": "ä", "ғ": "ğ",
                           "қ": "q", "ң": "ŋ", "ө": "ö", "ұ": "ū", "ү": "ü", "һ": "h",
                           "і": "i"},
    # Kazakh Latin alphabets: 2017 (apostrophes), 2018 (acute accents), 2021 (diacritics)
    "kz2017": _BASE | {"ә": "a'", "ғ": "g'", "ж": "j", "и": "i'", "й": "i'", "қ": "q",
                       "ң": "n'", "ө": "o'", "у": "y'", "ұ": "u", "ү": "u'", "х": "h",
                       "һ": "h", "ч": "c'", "ш": "s'", "щ": "s'", "і": "i", "ю": "iy'",
                       "я": "ia"},
    "kz2018": _BASE | {"ә": "á", "ғ": "ǵ", "ж": "j", "и": "ı", "й": "ı", "қ": "q", "ң": "ń",
                       "ө": "ó", "у": "ý", "ұ": "u", "ү": "ú", "х": "h", "һ": "h", "і": "i",
                       "ю": "ıý", "я": "ıa"},
    "kz2021": _BASE | {"ә": "ä", "ғ": "ğ", "ж": "j", "қ": "q", "ң": "ñ", "ө": "ö", "ұ": "ū",
                       "ү": "ü", "х": "h", "һ": "h", "ч": "ç", "ш": "ş", "щ": "şş", "і": "ı"},
}  # fmt: skip
_VOWELS = "аәеёиоөуұүыіэюя"


def romanise(text: str, system: str) -> str:
    """``text`` (Cyrillic) in the Latin spelling of ``system`` (a key of ROMANISATIONS).

    The context rules of the systems that have them: BGN/PCGN and German write е as
    ye/je at a word's start and after a vowel; German and French double s between
    vowels (one s would read з); French writes й after a vowel ï.
    """
    table = ROMANISATIONS[system]
    out, prev = [], ""
    for i, ch in enumerate(text):
        low = ch.lower()
        nxt = text[i + 1].lower() if i + 1 < len(text) else ""
        lat = table.get(low, low)
        start_or_vowel = prev == "" or prev in _VOWELS + "йъь"
        if low == "е" and start_or_vowel and system in ("bgn", "german"):
            lat = "ye" if system == "bgn" else "je"
        elif low == "с" and prev in _VOWELS and prev and nxt in _VOWELS and nxt and (
            system in ("german", "french")
        ):
            lat = "ss"
        elif low == "й" and system == "french" and prev in _VOWELS and prev:
            lat = "ï"
        out.append(lat[:1].upper() + lat[1:] if ch != low else lat)
        prev = low if low.isalpha() else ""
    return "".join(out)


# Latin and Cyrillic letters that look alike: a clerk on the wrong keyboard layout types one
# for the other (identical on screen, different to a computer).
_TO_LATIN = str.maketrans("АаВСсЕеНКкМОоРрТХху", "AaBCcEeHKkMOoPpTXxy")


def homoglyph_typed(text: str, rng: np.random.Generator) -> str:
    """The name with some Cyrillic letters typed as their Latin look-alikes (at least one
    where the name has any), as when a clerk switches layouts mid-word."""
    chars = list(text)
    spots = [i for i, ch in enumerate(chars) if ch.translate(_TO_LATIN) != ch]
    if not spots:
        return text
    k = int(rng.integers(1, max(2, len(spots) // 2 + 1)))
    for i in rng.choice(spots, size=min(k, len(spots)), replace=False):
        chars[i] = chars[i].translate(_TO_LATIN)
    return "".join(chars)


def _name_rng(name: str) -> np.random.Generator:
    """A generator seeded by the name: a variant is the same however often it is asked for."""
    return np.random.default_rng(zlib.crc32(name.encode("utf-8")))


def married_name(name: str) -> str:
    """The name with another (feminine) surname, in the name's script: a mother registered
    again after marrying keeps her IIN and birth date."""
    surname, sep, rest = name.partition(" ")
    rng = _name_rng(name)
    while True:
        new = feminine(SURNAMES[int(rng.integers(len(SURNAMES)))])
        new = transliterate(new) if name.isascii() else new
        if new != surname:
            return new + sep + rest
