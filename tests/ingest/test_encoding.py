"""Guessing a legacy encoding from its bytes; text that is safe to print."""

from payproof.ingest.encoding import guess, printable


def test_guess_tells_cyrillic_encodings_apart():
    text = "Айгерим Нурланова, Алматы облысы, Жамбылский район"
    assert guess([text.encode("cp1251")]) == "cp1251"
    assert guess([text.encode("koi8_r")]) == "koi8-r"
    assert guess([text.encode("cp866")]) == "cp866"
    assert guess(["Қанат Әбдіраманұлы Өтеғұлов".encode("kz1048")]) == "kz1048"
    assert guess([b"plain ascii"]) is None


def test_printable_escapes_control_characters_and_caps_length():
    assert printable("a\x00b\x1b[31m\ttab") == "a\\x00b\\x1b[31m\\x09tab"
    assert len(printable("x" * 1000)) == 200
