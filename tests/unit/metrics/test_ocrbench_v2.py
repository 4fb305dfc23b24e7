"""The ``ocrbench_v2`` metric equals OCRBench v2's official ``eval.py`` row by row, and the
``MeanOfCapabilities`` rule equals its ``get_score.py`` (golden: tests/data/golden/benchmarks/
ocrbench_v2, made by the official code on tests/support/fixtures_ocrbench_v2.py)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import ON_CI
from tests.support import fixtures_ocrbench_v2 as fx
from vlmhyperbench.aggregators import ScoredSample
from vlmhyperbench.benchmarks import benchmarks
from vlmhyperbench.core import Sample
from vlmhyperbench.datasets import load_dataset
from vlmhyperbench.datasets.sources import ReadOptions, import_source
from vlmhyperbench.metrics import Score, build_metric
from vlmhyperbench.metrics import _ocrbench_v2_text as page_text
from vlmhyperbench.metrics.ocrbench_v2 import OCRBENCH_V2_TYPES

GOLDEN = json.loads(
    (Path(__file__).parents[2] / "data/golden/benchmarks/ocrbench_v2/ocrbench_v2.json").read_text("utf-8")
)
TOLERANCE = 1e-9
PAGE_TYPES = {
    "full-page OCR en",
    "full-page OCR cn",
    "fine-grained text recognition en",
    "text translation cn",
}
ALL_PREDICTIONS = {**fx.PREDICTIONS, **fx.RAISING_PREDICTIONS}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sample]:
    """The fixture's rows (scorable and raising) imported by the ``ocrbench_v2`` reader."""
    root = tmp_path_factory.mktemp("ocrbench_v2")
    fx.write_ocrbench_v2(root / "src", [*fx.ROWS, *fx.RAISING])
    import_source("ocrbench_v2", root / "src", root / "native", ReadOptions())
    return {s.id: s for s in load_dataset(root / "native").samples}


@pytest.fixture(scope="module")
def wordnet() -> bool:
    """Whether NLTK's WordNet loads (tests/conftest.py builds it from Debian's packages)."""
    pytest.importorskip("nltk")
    from vlmhyperbench.metrics._ocrbench_v2_text import page_toolkit

    return not isinstance(page_toolkit(), str)


def _uses_page_measures(row_id: str) -> bool:
    row = GOLDEN["rows"][row_id]
    return row["type"] in PAGE_TYPES or "简答" in _question(row_id)


def _question(row_id: str) -> str:
    return next(r["question"] for r in [*fx.ROWS, *fx.RAISING] if str(r["id"]) == row_id)


@pytest.mark.parametrize("row_id", list(GOLDEN["rows"]))
def test_each_row_scores_as_the_official_eval_py(
    row_id: str, samples: dict[str, Sample], wordnet: bool
) -> None:
    expected = GOLDEN["rows"][row_id]
    metric = build_metric("ocrbench_v2")
    score = metric.score(ALL_PREDICTIONS[row_id], samples[row_id])
    if _uses_page_measures(row_id) and not wordnet and ALL_PREDICTIONS[row_id]:
        assert score.value is None and "WordNet" in (score.invalid or "")
        no_wordnet()
    if "raises" in expected:
        assert score.value is None and score.invalid, score
    elif expected["ignore"]:
        assert score.value is None and score.detail == {"ignored": True}
    else:
        assert score.invalid is None, score.invalid
        assert score.value == pytest.approx(expected["score"], abs=TOLERANCE)


def test_the_reasons_name_what_the_official_code_cannot_do(samples: dict[str, Sample]) -> None:
    metric = build_metric("ocrbench_v2")
    reasons = {
        row_id: metric.score(ALL_PREDICTIONS[row_id], samples[row_id]).invalid for row_id in ("1000", "1001")
    }
    assert "needs 'eval'" in (reasons["1000"] or "")
    assert "unknown eval 'fuzzy'" in (reasons["1001"] or "")
    table = metric.score(ALL_PREDICTIONS["1003"], samples["1003"]).invalid or ""
    assert "neither HTML nor Markdown" in table
    unknown = samples["0"].model_copy(update={"question_type": "text recognition fr"})
    assert metric.score("x", unknown).invalid == "'text recognition fr' is not an OCRBench v2 type"


def test_without_nltk_the_page_types_are_not_scored_rather_than_zero(
    samples: dict[str, Sample], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_text, "_loaded", [])
    monkeypatch.setitem(sys.modules, "nltk.translate", None)  # makes the import fail
    metric = build_metric("ocrbench_v2")
    page = metric.score(fx.PREDICTIONS["35"], samples["35"])
    assert page.value is None
    assert page.invalid == (
        "'full-page OCR en' needs the Python packages nltk and jieba (nltk.translate is missing): "
        "pip install 'vlmhyperbench[benchmarks]'"
    )
    assert metric.score(fx.PREDICTIONS["36"], samples["36"]).value == 0.0  # an empty answer needs no NLTK
    assert metric.score(fx.PREDICTIONS["0"], samples["0"]).value == 1.0


def test_hugging_face_rows_score_like_the_official_json(samples: dict[str, Sample]) -> None:
    """lmms-lab/OCRBench-v2 keeps answers as strings, eval as 'None', spotting boxes in bbox_list."""
    metric = build_metric("ocrbench_v2")
    grounding, spotting, vqa = samples["71"], samples["75"], samples["0"]
    as_hf = {
        "71": grounding.model_copy(update={"metadata": {"eval": "None", "bbox": None}}),
        "75": spotting.model_copy(
            update={
                "metadata": {
                    "eval": "None",
                    "bbox": None,
                    "bbox_list": fx.SPOT_BOXES,
                    "content": ["HELLO", "World!"],
                }
            }
        ),
        "0": vqa.model_copy(update={"metadata": {"eval": "None"}}),
    }
    assert grounding.answers == ("100", "200", "300", "400") and "answers" not in as_hf["71"].metadata
    for row_id, sample in as_hf.items():
        score = metric.score(fx.PREDICTIONS[row_id], sample)
        assert score.value == pytest.approx(GOLDEN["rows"][row_id]["score"], abs=TOLERANCE)
    chart = samples["61"].model_copy(
        update={"metadata": {}, "answers": (json.dumps(fx.ROWS[61]["answers"][0]),)}
    )
    assert metric.score(fx.PREDICTIONS["61"], chart).value == pytest.approx(GOLDEN["rows"]["61"]["score"])


def test_the_capability_table_covers_every_type_the_metric_scores() -> None:
    preset = benchmarks.get("ocrbench_v2")
    languages = preset.headline.languages  # type: ignore[attr-defined]
    listed = [
        kind for capabilities in languages.values() for kinds in capabilities.values() for kind in kinds
    ]
    assert sorted(listed) == sorted(OCRBENCH_V2_TYPES) and len(listed) == len(set(listed)) == 30


def _rows(samples: dict[str, Sample], wordnet: bool) -> list[ScoredSample]:
    metric = build_metric("ocrbench_v2")
    return [
        ScoredSample(
            samples[str(r["id"])],
            {"ocrbench_v2": metric.score(fx.PREDICTIONS[str(r["id"])], samples[str(r["id"])])},
        )
        for r in fx.ROWS
    ]


def test_the_headline_is_get_score_py(samples: dict[str, Sample], wordnet: bool) -> None:
    if not wordnet:
        no_wordnet()
    preset = benchmarks.get("ocrbench_v2")
    value, parts, unit = preset.headline.compute(_rows(samples, wordnet), {})
    grouped = GOLDEN["grouped"]
    expected = {"EN": grouped["en_overall"], "CN": grouped["cn_overall"]}
    for language in ("en", "cn"):
        for name, mean in grouped[language].items():
            expected[f"{language.upper()} {name.replace('_', ' ')}"] = mean
    assert list(parts)[:9] == ["EN", *(f"EN {n.replace('_', ' ')}" for n in grouped["en"])]
    assert set(parts) == set(expected) and unit == "%"
    for name, mean in expected.items():
        assert parts[name] == pytest.approx(100 * mean, abs=TOLERANCE), name
    assert value == parts["EN"]


def test_an_unscorable_question_leaves_its_capability_and_language_without_value(
    samples: dict[str, Sample], wordnet: bool
) -> None:
    rows = _rows(samples, wordnet)
    rows[0] = ScoredSample(rows[0].sample, {"ocrbench_v2": Score(None, invalid="not scored")})
    value, parts, _ = benchmarks.get("ocrbench_v2").headline.compute(rows, {})
    assert value is None and parts["EN"] is None and parts["EN text recognition"] is None
    assert parts["EN text spotting"] is not None
    ignored = [r for r in rows if r.scores["ocrbench_v2"].detail == {"ignored": True}]
    assert [r.sample.id for r in ignored] == ["44"]  # the empty translation reference, as get_score.py


def no_wordnet() -> None:
    """Without Debian's WordNet the rest of the test cannot run: a skip here, a failure on CI
    (which installs wordnet-base and wordnet-sense-index)."""
    message = "WordNet (Debian wordnet-base, wordnet-sense-index) is not installed"
    if ON_CI:
        pytest.fail(message)
    pytest.skip(message)


def test_debian_wordnet_is_found_without_any_nltk_data(tmp_path: Path) -> None:
    """Users install Debian's packages; the metric builds NLTK's corpus from them itself."""
    import subprocess

    if not Path("/usr/share/wordnet/data.noun").is_file():
        no_wordnet()
    env = {
        **os.environ,
        "NLTK_DATA": str(tmp_path / "none"),
        "HOME": str(tmp_path),
        "VLMHB_CACHE_DIR": str(tmp_path / "c"),
    }
    code = (
        "from vlmhyperbench.metrics._ocrbench_v2_text import page_toolkit, page_measures\n"
        "t = page_toolkit(); assert not isinstance(t, str), t\n"
        "print(round(page_measures('the cat sat on the mat', 'the cat is on the mat', t).meteor, 6))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "c" / "nltk_data" / "corpora" / "wordnet" / "lexnames").is_file()
