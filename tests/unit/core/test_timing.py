"""The one timing model: TTFT, E2E, TPOT, decode speed and ITL from a request's raw times."""

from __future__ import annotations

import pytest

from vlmhyperbench.core import Timings, inter_token_latencies, request_timing


def test_figures_follow_the_definitions() -> None:
    t = request_timing(t_send=10.0, t_first_content=10.5, t_end=12.5, output_tokens=5)
    assert t.ttft_s == pytest.approx(0.5)
    assert t.e2e_s == pytest.approx(2.5)
    assert t.tpot_s == pytest.approx(2.0 / 4)  # (E2E − TTFT) / (n − 1)
    assert t.output_tokens_per_s == pytest.approx(4 / 2.0)  # (n − 1) / (E2E − TTFT)


@pytest.mark.parametrize("tokens", [None, 0, 1])
def test_tpot_and_decode_speed_need_two_tokens(tokens: int | None) -> None:
    t = request_timing(t_send=0.0, t_first_content=0.2, t_end=0.3, output_tokens=tokens)
    assert (t.ttft_s, t.e2e_s) == (pytest.approx(0.2), pytest.approx(0.3))
    assert t.tpot_s is None and t.output_tokens_per_s is None


def test_missing_times_give_missing_figures_not_zeros() -> None:
    nothing = request_timing(t_send=1.0, t_first_content=None, t_end=None, output_tokens=None)
    assert (nothing.ttft_s, nothing.e2e_s, nothing.tpot_s, nothing.output_tokens_per_s) == (None,) * 4
    whole = request_timing(t_send=1.0, t_first_content=None, t_end=3.0, output_tokens=9)  # not streamed
    assert whole.e2e_s == 2.0 and whole.ttft_s is None and whole.tpot_s is None
    instant = request_timing(t_send=0.0, t_first_content=1.0, t_end=1.0, output_tokens=3)
    assert instant.tpot_s == 0.0 and instant.output_tokens_per_s is None  # no division by zero


def test_timings_of_an_answer_record() -> None:
    t = request_timing(t_send=0.0, t_first_content=0.25, t_end=1.25, output_tokens=11)
    assert t.timings(started_at=1700000000.0) == Timings(
        started_at=1700000000.0, latency_s=1.25, ttft_s=0.25, tpot_s=0.1, output_tokens_per_s=10.0
    )


def test_itl_is_the_gaps_between_content_events_split_per_token() -> None:
    assert inter_token_latencies([]) == ([], 0)
    assert inter_token_latencies([1.0]) == ([], 0)
    gaps, split = inter_token_latencies([1.0, 1.1, 1.3])
    assert gaps == pytest.approx([0.1, 0.2]) and split == 0
    gaps, split = inter_token_latencies([1.0, 1.4, 1.5], [1, 4, 1])
    assert gaps == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.1]) and split == 1
