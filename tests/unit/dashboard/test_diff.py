"""The character diff of an answer against its best reference, rendered as safe HTML."""

from __future__ import annotations

from vlmhyperbench.dashboard._diff import DiffSegment, best_reference, char_diff, diff_answer, render_diff


def _ops(segments: list[DiffSegment]) -> list[tuple[str, str, str]]:
    return [(s.op, s.reference, s.answer) for s in segments]


def test_best_reference_is_the_nearest_by_normalised_edit_distance() -> None:
    assert best_reference("4022 646520", ["40 22 646520", "4022 646520", "4022646520"]) == 1
    assert best_reference("x", []) is None
    assert best_reference("ab", ["ab", "ab"]) == 0  # first on ties


def test_diff_marks_insertions_deletions_and_substitutions_minimally() -> None:
    # reference → answer: "к" deleted, "и" → "ы" substituted, "!" inserted
    segments = char_diff("Привет мыр!", "Привет кмир")
    assert _ops(segments) == [
        ("equal", "Привет ", "Привет "),
        ("delete", "к", ""),
        ("equal", "м", "м"),
        ("replace", "и", "ы"),
        ("equal", "р", "р"),
        ("insert", "", "!"),
    ]


def test_the_diff_is_a_complete_edit_script_of_both_texts() -> None:
    answer, reference = "ООО «Ромашка», ИНН 7707О83893\nКПП", 'ООО "Ромашка" ИНН 7707083893 КПП 770701001'
    segments = char_diff(answer, reference)
    assert "".join(s.answer for s in segments) == answer
    assert "".join(s.reference for s in segments) == reference


def test_html_escapes_both_texts_and_marks_each_operation() -> None:
    html = str(diff_answer("<b>x</b> & <i>", ["<b>y</b> &"]).html)
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;b&gt;" in html and "&amp;" in html
    assert '<span class="d-sub" title="substituted"><del>y</del><ins>x</ins></span>' in html
    assert '<ins class="d-ins" title="not in the reference">␣&lt;i&gt;</ins>' in html


def test_deleted_whitespace_is_made_visible() -> None:
    html = str(render_diff(char_diff("ab", "a b\n")))
    assert '<del class="d-del" title="missing from the answer">␣</del>' in html
    assert "↵" in html


def test_confusions_are_highlighted_in_the_diff_with_a_tooltip() -> None:
    html = str(diff_answer("PОССИЯ елка", ["РОССИЯ ёлка"]).html)
    assert (
        '<span class="d-sub d-homoglyph d-mixed" title="Latin P (U+0050) instead of Cyrillic Р (U+0420)">'
        "<del>Р</del><ins>P</ins></span>"
    ) in html
    assert '<span class="d-sub d-yo" title="Cyrillic е (U+0435) instead of Cyrillic ё (U+0451)">' in html
    assert '<span class="d-eq d-mixed" title="word mixing Cyrillic and Latin letters">ОССИЯ</span>' in html


def test_a_mixed_word_is_marked_only_over_its_own_characters() -> None:
    segments = char_diff("да Пaспорт нет", "да Паспорт нет")
    mixed = "".join(s.answer for s in segments if s.mixed)
    assert mixed == "Пaспорт"


def test_without_references_the_whole_answer_is_an_insertion() -> None:
    diff = diff_answer("ответ", [])
    assert diff.reference is None and _ops(diff.segments) == [("insert", "", "ответ")]


def test_the_diff_uses_the_best_reference() -> None:
    diff = diff_answer("4022 646520", ["40 22 646520", "4022 646520"])
    assert diff.reference_index == 1 and all(s.op == "equal" for s in diff.segments)
