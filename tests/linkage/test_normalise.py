"""Name normalisation maps every spelling the registry produces to one canonical form."""

import numpy as np
import pytest

from payproof.engine import DuckDBEngine
from payproof.linkage.normalise import install_normalise_macros
from payproof.scenario.names import (
    FEMALE,
    MALE,
    SURNAMES,
    mother_names,
    name_variant,
    russianise,
    transliterate,
)


@pytest.fixture(scope="module")
def engine():
    e = DuckDBEngine()
    install_normalise_macros(e.con)
    return e


def _one(engine, fn, value):
    return engine.rows(f"SELECT {fn}(?)", [value])[0][0]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Жұлдыз", "Zhuldyz"),
        ("Жұлдыз", "Juldyz"),
        ("Жұлдыз", "Жулдыз"),
        ("Қайрат", "Kairat"),
        ("Қайрат", "Qaırat"),
        ("Ахметова", "Akhmetova"),
        ("Ахметова", "Ahmetov"),
        ("Есенова", "Yesenova"),
        ("Юсупова", "Iusupova"),
        ("Ләззат", "Lazat"),
        ("Ибрагимова", "IBRAGIMOVA"),
        ("Хадиша", "Khadisha"),
        ("Мейірханқызы", "Meirkhan-kyzy"),
        ("Шәріпова", "Şaripova"),
        ("Дарья", "Daria"),
        ("Серікбаева", "Serikbayeva"),
    ],
)
def test_transliteration_pairs_are_equal(engine, a, b):
    assert _one(engine, "pp_name_norm", a) == _one(engine, "pp_name_norm", b)


@pytest.mark.parametrize(("a", "b"), [("Айгүл", "Айжан"), ("Ахметова", "Омарова")])
def test_different_names_stay_different(engine, a, b):
    assert _one(engine, "pp_name_norm", a) != _one(engine, "pp_name_norm", b)


def test_every_generator_variant_is_normalised_to_match(engine):
    rng = np.random.default_rng(11)
    names, _ = mother_names(2000, rng, latin_rate=0.3)
    names = names.to_pylist()
    for kind in ("translit", "russian_letters", "no_patronymic"):
        variants = name_variant(names, [kind] * len(names))
        bad = engine.rows(
            "SELECT a, b FROM (SELECT unnest(?) a, unnest(?) b) "
            "WHERE pp_name_sorted(a) IS DISTINCT FROM pp_name_sorted(b) "
            "OR pp_name_key(a) IS DISTINCT FROM pp_name_key(b)",
            [names, variants],
        )
        assert bad == [], kind


def test_whole_vocabulary_in_all_three_scripts(engine):
    words = FEMALE + MALE + SURNAMES
    forms = [transliterate(w) for w in words] + [russianise(w) for w in words]
    bad = engine.rows(
        "SELECT a, b FROM (SELECT unnest(?) a, unnest(?) b) "
        "WHERE pp_name_norm(a) <> pp_name_norm(b)",
        [words + words, forms],
    )
    assert bad == []


def test_word_order_and_patronymic_do_not_matter_for_sorted_form(engine):
    a = _one(engine, "pp_name_sorted", "Жұмабаева Әйгерім Нұрланқызы")
    assert a == _one(engine, "pp_name_sorted", "Aigerim Zhumabaeva")


def test_unusable_names_become_null(engine):
    for value in (None, "", "  ", "123 !!", "-"):
        assert _one(engine, "pp_name_norm", value) is None


@pytest.mark.parametrize(
    "value",
    ["Ахметов Мальчик", "Akhmetova Devochka", "ДЕВОЧКА", "Ахметова Қыз", "Неизвестно",
     "baby boy", "Lady of the house", "Mr", "Белгісіз", "N/A", "Н/Д", "н.д.", "XXX", "x"],
)  # fmt: skip
def test_placeholder_names_are_missing_not_equal(engine, value):
    # twin babies both entered as "Ахметов Мальчик" must not look like one child
    assert _one(engine, "pp_name_placeholder", value) is True
    assert _one(engine, "pp_name_norm", value) is None
    assert _one(engine, "pp_name_sorted", value) is None


@pytest.mark.parametrize(
    "value",
    ["Ахметова Айгерим", "A. Akhmetova", "Ұлжан Серікқызы", "Ерлан Нұрланұлы", "Son Ye", "Ли Ен",
     "Ахметова А."],
)  # fmt: skip
def test_real_names_are_not_placeholders(engine, value):
    assert _one(engine, "pp_name_placeholder", value) is False
    assert _one(engine, "pp_name_norm", value) is not None


def test_phone_account_and_date_helpers(engine):
    row = engine.rows(
        "SELECT pp_phone('+7 (701) 123-45-67'), pp_phone('87011234567'), pp_phone('x'), "
        "pp_account(' kz12 3456-78 '), pp_date_swapped(DATE '2001-03-05'), "
        "pp_date_swapped(DATE '2001-03-25'), pp_date_unordered(DATE '2001-05-03') "
        "= pp_date_unordered(DATE '2001-03-05')"
    )[0]
    assert row == ("7011234567", "7011234567", None, "KZ12345678", "2001-05-03", None, True)


def test_invisible_characters_do_not_split_a_name(engine):
    """A zero-width space, soft hyphen or BOM pasted into a name is not a word break."""
    for value in ("Куд\u200bайбергенов", "Куд\u00adайбергенов", "\ufeffКудайбергенов",
                  "Куд\u2060айбергенов"):  # fmt: skip
        assert _one(engine, "pp_name_norm", value) == _one(engine, "pp_name_norm", "Кудайбергенов")
