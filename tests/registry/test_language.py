"""The shared language rules: the same folding and stems at index and at query time."""

import pytest

from registry.language import analyze, fold, joined, stem, words


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Évora", ["evora"]),
        ("Lumière Skin", ["lumiere", "skin"]),
        ("Søndergaard", ["sondergaard"]),
        ("Nguyễn Dermatology & Laser", ["nguyen", "dermatology", "laser"]),
        ("Zoë's Glow Bar", ["zoes", "glow", "bar"]),
        ("micro-needling", ["micro", "needling"]),
        ("Washington, D.C.", ["washington", "dc"]),
        ("28202-1234", ["28202", "1234"]),
        ("ＢＯＴＯＸ", ["botox"]),  # full-width letters (NFKC)
        ("Straße", ["strasse"]),
        ("  !!! ", []),
        ("botox ✨🙂 ©", ["botox"]),  # symbols are no words
    ],
)
def test_words_are_folded_and_split(text, expected):
    assert words(text) == expected


def test_other_scripts_are_spelt_in_latin_letters_the_same_way_on_both_sides():
    assert words("한빛 피부과") == words("한빛  피부과") != []
    assert fold("Crème") == "creme"


@pytest.mark.parametrize(
    "a, b",
    [("peels", "peel"), ("microneedles", "microneedling"), ("injections", "injection"), ("scars", "scar")],
)
def test_stems_meet(a, b):
    assert stem(a) == stem(b)


def test_numbers_and_codes_are_not_stemmed():
    assert stem("co2") == "co2" and stem("33602") == "33602"


def test_joined_spellings_share_a_key():
    assert joined(["micro", "needling"]) == joined(["microneedling"])
    assert joined(["stretch", "marks"]) == joined(["stretchmarks"])
    assert joined(["morpheus", "8"]) == joined(["morpheus8"])


def test_analyze_is_what_the_index_stores():
    assert analyze("Lumière Peels") == "lumier peel"
