"""Russian look-alike confusions: the homoglyph table, ё/е, mixed-script words, run totals."""

from __future__ import annotations

import random

import pytest

from vlmhyperbench.dashboard._confusions import (
    HOMOGLYPHS,
    ConfusionCounts,
    RunConfusions,
    confusion_of,
    describe_pair,
    mixed_script_words,
    script_of,
)
from vlmhyperbench.dashboard._diff import count_confusions, diff_answer


def test_every_table_entry_pairs_a_cyrillic_letter_with_a_latin_one() -> None:
    assert {"А", "В", "Е", "К", "М", "Н", "О", "Р", "С", "Т", "Х", "а", "е", "о", "р", "с", "у", "х"} <= set(
        HOMOGLYPHS
    )
    for cyr, lat in HOMOGLYPHS.items():
        assert (script_of(cyr), script_of(lat)) == ("cyrillic", "latin"), (cyr, lat)


@pytest.mark.parametrize(
    ("reference", "answer", "kind"),
    [
        ("Р", "P", "homoglyph"),
        ("P", "Р", "homoglyph"),  # Cyrillic where the reference has Latin
        ("с", "c", "homoglyph"),
        ("ё", "е", "yo"),
        ("Е", "Ё", "yo"),
        ("ё", "e", None),  # Latin e is not the look-alike of ё
        ("Р", "Б", None),
        ("a", "b", None),
    ],
)
def test_confusion_of_a_character_pair(reference: str, answer: str, kind: str | None) -> None:
    assert confusion_of(reference, answer) == kind


def test_describe_pair_names_both_scripts_and_code_points() -> None:
    assert describe_pair("Р", "P") == "Latin P (U+0050) instead of Cyrillic Р (U+0420)"


def test_mixed_script_words_are_words_with_both_scripts() -> None:
    text = "Пaспорт РОССИЯ COVID-19 Санкт-Пeтербург iPhone ООО"
    words = [text[s:e] for s, e in mixed_script_words(text)]
    assert words == ["Пaспорт", "Пeтербург"]


def test_mixed_script_word_at_the_end_of_the_text_is_found() -> None:
    assert mixed_script_words("номер: 4O22") == []  # digits split words; "O" alone is one script
    assert mixed_script_words("ИBAHOB") == [(0, 6)]


def test_answer_confusions_count_homoglyphs_yo_and_mixed_words() -> None:
    # reference "РОССИЯ Пётр Сергеевич", answer: Latin P and C, е for ё, Latin e in a word
    counts = diff_answer("PОCСИЯ Петр Сepгеевич", ["РОССИЯ Пётр Сергеевич"]).confusions
    assert counts == ConfusionCounts(homoglyph=4, yo=1, mixed_script=2)
    assert counts.total == 7


def test_an_all_latin_look_alike_word_counts_homoglyphs_but_is_not_mixed() -> None:
    counts = diff_answer("CCCP", ["СССР"]).confusions
    assert counts == ConfusionCounts(homoglyph=4, yo=0, mixed_script=0)


def test_a_failed_request_has_no_confusions() -> None:
    assert diff_answer(None, ["Иванов"]).confusions == ConfusionCounts()


def test_run_confusions_sum_counts_and_count_answers_with_each_kind() -> None:
    run = RunConfusions.of(
        [ConfusionCounts(2, 0, 1), ConfusionCounts(0, 3, 0), ConfusionCounts(), ConfusionCounts(1, 0, 0)]
    )
    assert run.answers == 4
    assert run.totals == ConfusionCounts(3, 3, 1)
    assert run.answers_with == ConfusionCounts(2, 1, 1)


def test_count_confusions_counts_what_the_diff_marks() -> None:
    rng = random.Random(3)
    alphabet = "АВЕКМНОРСТУХаеорсухёЁABEKMHOPCTYXaeopcyxë бвгд0123-\n"
    for _ in range(300):
        reference = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        answer = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        others = ["".join(rng.choice(alphabet) for _ in range(5))]
        refs = [reference, *others] if rng.random() < 0.5 else [reference]
        diff = diff_answer(answer, refs)
        marked = [s.confusion for s in diff.segments if s.confusion]
        assert count_confusions(answer, refs) == diff.confusions, (answer, refs)
        assert (diff.confusions.homoglyph, diff.confusions.yo) == (
            marked.count("homoglyph"),
            marked.count("yo"),
        )
    assert count_confusions(None, ["x"]) == ConfusionCounts()
    assert count_confusions("Пaспорт", []) == ConfusionCounts(mixed_script=1)
