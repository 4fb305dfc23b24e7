"""The sample browser, the sample page, the image route and the comparison, over the two real
runs of `tests.support.sample_runs`, with the index on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.support.dashboard_db import postgres_url
from tests.support.sample_runs import SAMPLES, make_sample_runs
from vlmhyperbench.dashboard.app import DashboardSettings, create_app
from vlmhyperbench.dashboard.db import open_index


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_runs(tmp_path_factory.mktemp("dash-samples"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def index_url(request: pytest.FixtureRequest, runs_dir: Path) -> Iterator[str]:
    """The index on SQLite, then on PostgreSQL (with VLMHB_TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{runs_dir.parent / 'index.sqlite'}"
    else:
        yield from postgres_url()


@pytest.fixture(scope="module")
def client(runs_dir: Path, index_url: str) -> Iterator[TestClient]:
    index = open_index(runs_dir, index_url)
    index.rebuild()
    app = create_app(DashboardSettings(runs_dir=runs_dir, refresh_interval_s=0), index=index)
    with TestClient(app) as c:
        yield c
    index.close()


def _ids(html: str) -> list[str]:
    return re.findall(r'<tr data-sample="([^"]+)">', html)


def _column(html: str, metric: str) -> list[float | None]:
    cells = re.findall(rf'<td class="num" data-metric="{metric}">([^<]*)</td>', html)
    return [float(c) if c else None for c in cells]


def _get(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.text


SAMPLES_A = "/runs/exp/a/samples"


def test_the_browser_lists_every_sample_with_answer_reference_scores_and_error(client: TestClient) -> None:
    html = _get(client, SAMPLES_A)
    assert sorted(_ids(html)) == sorted(s[0] for s in SAMPLES)
    assert "ПЕТР" in html and "ПЁТР" in html  # answer and best reference
    assert len(_column(html, "anls")) == len(SAMPLES)
    assert '<span class="badge err"' in html and ">http</span>" in html


def test_filter_by_doc_class(client: TestClient) -> None:
    assert sorted(_ids(_get(client, f"{SAMPLES_A}?doc_class=invoice"))) == ["i-1", "i-2", "i-3"]


def test_filter_by_field(client: TestClient) -> None:
    assert _ids(_get(client, f"{SAMPLES_A}?question_type={quote('Имя')}")) == ["p-2"]


def test_filter_by_split(client: TestClient) -> None:
    assert sorted(_ids(_get(client, f"{SAMPLES_A}?split=degraded"))) == ["i-2", "p-3"]


def test_filter_by_metric_range(client: TestClient) -> None:
    html = _get(client, f"{SAMPLES_A}?metric=anls&min=0.5&max=0.9")
    assert _ids(html) == ["p-2"]  # ПЕТР for ПЁТР: ANLS 0.75
    assert sorted(_ids(_get(client, f"{SAMPLES_A}?metric=anls&min=1"))) == ["i-1", "i-3", "p-1", "p-3"]


def test_filter_by_error(client: TestClient) -> None:
    assert _ids(_get(client, f"{SAMPLES_A}?error=yes")) == ["i-2"]
    assert _ids(_get(client, f"{SAMPLES_A}?error=http")) == ["i-2"]
    assert _ids(_get(client, f"{SAMPLES_A}?error=timeout")) == []
    assert "i-2" not in _ids(_get(client, f"{SAMPLES_A}?error=no"))


def test_text_search(client: TestClient) -> None:
    assert _ids(_get(client, f"{SAMPLES_A}?q={quote('Ромашка')}")) == ["i-3"]
    assert _ids(_get(client, f"{SAMPLES_A}?q=p-3")) == ["p-3"]


def test_sort_by_a_metric_both_ways(client: TestClient) -> None:
    up = _column(_get(client, f"{SAMPLES_A}?metric=cer&sort=metric&order=asc"), "cer")
    down = _column(_get(client, f"{SAMPLES_A}?metric=cer&sort=metric&order=desc"), "cer")
    assert up == sorted(up) and down == sorted(down, reverse=True) and up != down


def test_sort_by_latency_both_ways(client: TestClient) -> None:
    up = _ids(_get(client, f"{SAMPLES_A}?sort=latency&order=asc"))
    down = _ids(_get(client, f"{SAMPLES_A}?sort=latency&order=desc"))
    answered = [i for i in up if i != "i-2"]
    assert up[-1] == "i-2" and down[-1] == "i-2"  # no latency: last both ways
    assert [i for i in down if i != "i-2"] == answered[::-1]


def test_pagination(client: TestClient) -> None:
    first = _get(client, f"{SAMPLES_A}?per_page=4")
    second = _get(client, f"{SAMPLES_A}?per_page=4&page=2")
    assert len(_ids(first)) == 4 and len(_ids(second)) == 2
    assert set(_ids(first)).isdisjoint(_ids(second))
    assert "Page 1 of 2" in first and 'rel="next"' in first


def test_a_bad_filter_value_is_explained(client: TestClient) -> None:
    response = client.get(f"{SAMPLES_A}?min=abc&per_page=0")
    assert response.status_code == 400
    assert "min" in response.text and "per_page" in response.text


def test_filter_by_confusion(client: TestClient) -> None:
    # B: ИBAHOB for ИВАНОВ (look-alikes, a mixed-script word); A: ПЕТР for ПЁТР (ё/е), i-2 failed
    assert _ids(_get(client, "/runs/exp/b/samples?confusion=yes")) == ["p-1"]
    assert _ids(_get(client, "/runs/exp/b/samples?confusion=homoglyph")) == ["p-1"]
    assert _ids(_get(client, "/runs/exp/b/samples?confusion=mixed")) == ["p-1"]
    assert _ids(_get(client, "/runs/exp/b/samples?confusion=yo")) == []
    assert _ids(_get(client, f"{SAMPLES_A}?confusion=yes")) == ["p-2"]
    assert _ids(_get(client, f"{SAMPLES_A}?confusion=yo")) == ["p-2"]
    assert _ids(_get(client, f"{SAMPLES_A}?confusion=no")) == ["i-1", "i-3", "p-1", "p-3"]
    assert 'option value="yes" selected>has a confusion' in _get(client, f"{SAMPLES_A}?confusion=yes")
    assert client.get(f"{SAMPLES_A}?confusion=maybe").status_code == 400


def test_the_index_keeps_each_samples_confusions_and_position(client: TestClient, runs_dir: Path) -> None:
    from sqlalchemy import select

    from vlmhyperbench.dashboard.db import Run, SampleRow

    index = client.app.state.index  # type: ignore[attr-defined]
    order = [
        json.loads(line)["sample_id"]
        for line in (runs_dir / "exp" / "b" / "metrics" / "samples.jsonl").open()
    ]
    with index.session() as session:
        run = index.get_run(session, "exp", "b")
        assert isinstance(run, Run)
        rows = session.execute(
            select(
                SampleRow.sample_id,
                SampleRow.ordinal,
                SampleRow.conf_homoglyph,
                SampleRow.conf_yo,
                SampleRow.conf_mixed,
            ).where(SampleRow.run_pk == run.id)
        ).all()
    by_id = {sid: (ordinal, h, y, m) for sid, ordinal, h, y, m in rows}
    assert [sid for sid, _ in sorted(by_id.items(), key=lambda kv: kv[1][0])] == order
    assert by_id["p-1"][1:] == (5, 0, 1)
    assert all(v[1:] == (0, 0, 0) for sid, v in by_id.items() if sid != "p-1")


def test_run_confusions_are_counted(client: TestClient) -> None:
    html = _get(client, "/runs/exp/b/samples")
    # ИBAHOB for ИВАНОВ: В, А, Н, О, В as Latin B, A, H, O, B; one mixed-script word
    assert "Latin/Cyrillic look-alikes 5 in 1 answer" in html
    assert "mixed-script words 1 in 1 answer" in html


def test_the_sample_page_shows_the_diff_with_the_confusions(client: TestClient) -> None:
    html = _get(client, "/runs/exp/b/samples/p-1")
    assert 'title="Latin B (U+0042) instead of Cyrillic В (U+0412)"><del>В</del><ins>B</ins>' in html
    assert "5 look-alike characters, 0 ё/е, 1 mixed-script word" in html
    yo = _get(client, "/runs/exp/a/samples/p-2")
    assert '<span class="d-sub d-yo"' in yo and "<del>Ё</del><ins>Е</ins>" in yo


def test_the_sample_page_shows_image_box_prompt_scores_and_timings(client: TestClient) -> None:
    html = _get(client, "/runs/exp/a/samples/p-1")
    assert '<img src="/runs/exp/a/files/images/p-1.png"' in html
    # box [10, 20, 200, 60] on a 400 x 100 page
    assert (
        'id="answer-bbox"' in html and "left: 2.500%; top: 20.000%; width: 47.500%; height: 40.000%" in html
    )
    assert '<pre class="prompt" id="prompt-user">Фамилия?</pre>' in html
    assert re.search(r"<th>anls ↑</th><td>1\.0000</td>", html)
    assert re.search(r"<th>latency</th><td>\d+\.\d{3} s</td>", html)
    no_box = _get(client, "/runs/exp/a/samples/p-2")
    assert 'id="answer-bbox"' not in no_box


def test_a_failed_sample_shows_its_error(client: TestClient) -> None:
    html = _get(client, "/runs/exp/a/samples/i-2")
    assert 'id="answer-error"' in html and "No answer" in html


def test_the_image_route_serves_the_dataset_image(client: TestClient) -> None:
    response = client.get("/runs/exp/a/files/images/p-1.png")
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "path",
    [
        "..%2Fsecret.png",
        "%2E%2E/secret.png",
        "images/..%2F..%2Fsecret.png",
        "%2Fetc%2Fpasswd",
        "annotation.jsonl",  # inside the dataset, but not a page image
        "images/nope.png",
        "images/link.png",
    ],
)
def test_the_image_route_refuses_anything_else(client: TestClient, path: str) -> None:
    response = client.get(f"/runs/exp/a/files/{path}")
    assert response.status_code == 404
    assert b"not yours" not in response.content and b"root:" not in response.content


def test_unknown_run_and_sample_are_404(client: TestClient) -> None:
    assert client.get("/runs/exp/nope/samples").status_code == 404
    assert client.get("/runs/exp/a/samples/nope").status_code == 404


def test_compare_counts_outcomes_runs_the_paired_test_and_links_both_samples(client: TestClient) -> None:
    html = _get(client, "/compare?a=exp/a&b=exp/b&metric=exact_match")
    # exact_match, right at >= 0.5: A right & B wrong on p-1, i-1, i-3; B right & A wrong on p-2
    # (i-2: A failed and was scored as an empty answer, so B right there too)
    assert re.search(r'id="a-only"><strong>3</strong>', html)
    assert re.search(r'id="b-only"><strong>2</strong>', html)
    assert re.search(r'id="both-right">1<', html)
    assert 'data-fragment="/compare/paired?a=exp/a&amp;b=exp/b&amp;metric=exact_match"' in html
    assert 'id="verdict">too few samples' in _get(
        client, "/compare/paired?a=exp/a&b=exp/b&metric=exact_match"
    )
    assert '<a href="/runs/exp/a/samples/p-1">in A</a>' in html
    assert '<a href="/runs/exp/b/samples/p-1">in B</a>' in html


def test_compare_threshold_changes_what_is_right(client: TestClient) -> None:
    html = _get(client, "/compare?a=exp/a&b=exp/b&metric=anls&threshold=0.7")
    # ANLS: p-2 A 0.75 (right at 0.7), so p-2 is no longer a disagreement
    assert 'data-sample="p-2"' not in html
    strict = _get(client, "/compare?a=exp/a&b=exp/b&metric=anls&threshold=0.8")
    assert 'data-sample="p-2"' in strict


def test_compare_explains_a_bad_request(client: TestClient) -> None:
    response = client.get("/compare?a=exp/a&b=exp/nope")
    assert response.status_code == 400 and "no such run" in response.text
    response = client.get("/compare?a=exp/a&b=exp/b&metric=bleu")
    assert response.status_code == 400 and "not scored in both runs" in response.text


def test_compare_gives_the_paired_result_of_the_comparison_report(client: TestClient, runs_dir: Path) -> None:
    with (runs_dir / "exp" / "comparison_pairs.csv").open(encoding="utf-8") as fh:
        row = next(
            r
            for r in csv.DictReader(fh)
            if (r["run_a"], r["run_b"], r["metric"], r["doc_class"]) == ("a", "b", "anls", "")
        )
    html = _get(client, "/compare/paired?a=exp/a&b=exp/b&metric=anls")
    paired = re.search(r'<p id="paired">(.*?)</p>', html, re.DOTALL)
    assert paired is not None
    text = " ".join(paired.group(1).split())
    assert f"Over the {row['n']} samples" in text
    assert f"mean anls A {float(row['mean_a']):.4f}, B {float(row['mean_b']):.4f}" in text
    assert f"A − B = {float(row['difference']):.4f}" in text
    assert f"p = {float(row['p_value']):.4g}" in text
    assert row["verdict"] in text


def test_compare_answers_without_running_the_paired_test(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def blocked(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise AssertionError("the comparison page waited for the paired test")

    monkeypatch.setattr("vlmhyperbench.dashboard._compare.paired_test", blocked)
    # a threshold no other test uses: nothing about this request is cached
    html = _get(client, "/compare?a=exp/a&b=exp/b&metric=anls&threshold=0.123")
    assert 'id="disagreements"' in html and 'data-sample="' in html
    assert calls == []


def test_the_paired_fragment_explains_a_bad_request(client: TestClient) -> None:
    response = client.get("/compare/paired?a=exp/a&b=exp/nope")
    assert response.status_code == 400 and "no such run" in response.text


def _copy_run(runs_dir: Path, client: TestClient, name: str, **changes: Any) -> None:
    """Run b copied to ``other/<name>`` with its spec changed, then indexed."""
    import shutil

    from vlmhyperbench.core import RunDir

    target = runs_dir / "other" / name
    if not target.exists():
        shutil.copytree(runs_dir / "exp" / "b", target)
        run_dir = RunDir(target)
        spec = run_dir.read_spec()
        run_dir.write_spec(spec.model_copy(update={"run_id": name, "experiment": "other", **changes}))
    client.app.state.index.refresh()  # type: ignore[attr-defined]


def test_compare_refuses_runs_of_different_datasets(client: TestClient, runs_dir: Path) -> None:
    spec = json.loads((runs_dir / "exp" / "b" / "run_spec.json").read_text(encoding="utf-8"))
    dataset = {**spec["dataset"], "fingerprint": "sha256:" + "0" * 64}
    from vlmhyperbench.core import DatasetSpec

    _copy_run(runs_dir, client, "other-data", dataset=DatasetSpec.model_validate(dataset))
    response = client.get("/compare?a=exp/a&b=other/other-data")
    assert response.status_code == 400
    assert "ran on different datasets" in response.text and "sha256:000000000000" in response.text


def test_compare_warns_when_the_metric_options_differ(client: TestClient, runs_dir: Path) -> None:
    from vlmhyperbench.core import PluginRef

    spec = json.loads((runs_dir / "exp" / "b" / "run_spec.json").read_text(encoding="utf-8"))
    metrics = [
        PluginRef(name=m["name"], options={"threshold": 0.3} if m["name"] == "anls" else {})
        for m in spec["metrics"]
    ]
    _copy_run(runs_dir, client, "other-options", metrics=metrics)
    assert "different options" in _get(client, "/compare?a=exp/a&b=other/other-options&metric=anls")
    assert "different options" not in _get(client, "/compare?a=exp/a&b=exp/b&metric=anls")


def test_compare_with_run_a_only_offers_its_metrics(client: TestClient) -> None:
    html = _get(client, "/compare?a=exp/a")
    assert re.findall(r"<option>(\w+)</option>", html) == ["anls", "exact_match", "cer"]
    assert 'id="outcomes"' not in html
