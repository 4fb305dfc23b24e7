"""The one SSE reader: bytes of an OpenAI stream in, events and chat chunks out."""

from __future__ import annotations

import pytest

from vlmhyperbench.core import MalformedEvent, SSEParser, parse_chunk
from vlmhyperbench.core.sse import DONE


def _events(stream: bytes, size: int) -> list[bytes]:
    parser, got = SSEParser(), []
    for i in range(0, len(stream), size):
        got += parser.feed(stream[i : i + size])
    return got


def test_split_packed_crlf_comments_and_data_without_space() -> None:
    stream = b': ping\r\n\r\ndata: {"a": 1}\r\n\r\ndata:{"b": 2}\n\nevent: x\ndata: [DONE]\n\n'
    for size in (1, 2, 3, 7, len(stream)):
        assert _events(stream, size) == [b'{"a": 1}', b'{"b": 2}', DONE], size


def test_multi_line_data_is_joined_and_an_unfinished_event_waits() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: one\ndata: two\n\ndata: th") == [b"one\ntwo"]
    assert parser.feed(b"ree\r") == []  # a lone \r waits for its \n
    assert parser.feed(b"\n\r\n") == [b"three"]


def test_a_chunk_gives_content_usage_performance_and_finish() -> None:
    chunk = parse_chunk(
        b'{"choices": [{"delta": {"content": "\xd0\x98\xd0\x9d", "reasoning_content": "hm"},'
        b' "token_ids": [5, 6], "finish_reason": "stop"}],'
        b' "usage": {"completion_tokens": 7}, "performance": {"queue_s": 0.1}}'
    )
    assert chunk.content == "ИН" and chunk.reasoning == "hm" and chunk.token_ids == 2
    assert chunk.has_choices and chunk.finish_reason == "stop"
    assert chunk.completion_tokens == 7 and chunk.performance == {"queue_s": 0.1}
    assert chunk.error is None
    usage_only = parse_chunk('{"choices": [], "usage": {"prompt_tokens": 3}}')
    assert not usage_only.has_choices and usage_only.content == "" and usage_only.completion_tokens is None


def test_an_error_event_mid_stream_is_a_chunk_with_the_error() -> None:
    chunk = parse_chunk(b'{"error": {"message": "CUDA out of memory", "type": "server_error", "code": 500}}')
    assert chunk.error == "CUDA out of memory" and chunk.error_code == 500 and chunk.content == ""
    assert parse_chunk(b'{"error": "boom"}').error == "boom"


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b'"text"'])
def test_malformed_events_raise(payload: bytes) -> None:
    with pytest.raises(MalformedEvent, match="SSE event"):
        parse_chunk(payload)
