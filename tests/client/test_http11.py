"""HTTP/1.1 framing without sockets: scripted bytes into the parser, heads out of serialize."""

from __future__ import annotations

import pytest
from httptools import HttpParserError
from yarl import URL

from aiotape.client.error_mapping import IncompleteResponse
from aiotape.client.exceptions import InvalidURL
from aiotape.client.http11 import (
    LAST_CHUNK,
    ParserState,
    ResponseParser,
    frame_chunk,
    serialize_head,
)

CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
)


def parse(data: bytes, method: str = "GET", **limits: int) -> ResponseParser:
    parser = ResponseParser(**limits)
    parser.start(method)
    parser.feed(data)
    return parser


def body(parser: ResponseParser) -> bytes:
    return b"".join(parser.chunks)


# -- serialize_head ---------------------------------------------------------------------
def test_serialize_head_writes_request_line_and_headers_in_order() -> None:
    head = serialize_head(
        "GET", URL("http://h.test/a%20b?x=1&y=2"), [("Host", "h.test"), ("Accept", "*/*")]
    )
    assert head == b"GET /a%20b?x=1&y=2 HTTP/1.1\r\nHost: h.test\r\nAccept: */*\r\n\r\n"


def test_serialize_head_uses_slash_for_empty_path() -> None:
    assert serialize_head("GET", URL("http://h.test"), []).startswith(b"GET / HTTP/1.1\r\n")


def test_serialize_head_encodes_non_ascii_header_values_as_utf8() -> None:
    head = serialize_head("GET", URL("http://h.test/"), [("X-Name", "Тест")])
    assert "X-Name: Тест\r\n".encode() in head


@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b"])
def test_serialize_head_rejects_control_characters_in_header_values(value: str) -> None:
    with pytest.raises(ValueError, match="Newline or carriage return"):
        serialize_head("GET", URL("http://h.test/"), [("X", value)])


def test_serialize_head_rejects_control_characters_in_header_names() -> None:
    with pytest.raises(ValueError, match="Newline or carriage return"):
        serialize_head("GET", URL("http://h.test/"), [("X\r\nEvil", "1")])


def test_serialize_head_rejects_control_characters_in_method() -> None:
    with pytest.raises(ValueError, match="Method"):
        serialize_head("GET / HTTP/1.1\r\nX:", URL("http://h.test/"), [])


def test_serialize_head_rejects_control_characters_in_target() -> None:
    url = URL.build(scheme="http", host="h.test", path="/a\r\nX-Evil: 1", encoded=True)
    with pytest.raises(InvalidURL):
        serialize_head("GET", url, [])


def test_frame_chunk_prefixes_hex_length() -> None:
    assert frame_chunk(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"
    assert LAST_CHUNK == b"0\r\n\r\n"


# -- response parsing --------------------------------------------------------------------
def test_content_length_body_completes_with_keep_alive() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
    assert parser.head is not None
    assert (parser.head.status, parser.head.reason, parser.head.version) == (200, "OK", (1, 1))
    assert body(parser) == b"hello"
    assert parser.state is ParserState.COMPLETE
    assert parser.keep_alive and not parser.should_close


def test_head_exposes_headers_and_raw_headers() -> None:
    parser = parse(
        b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n"
    )
    assert parser.head is not None
    assert parser.head.headers.getall("SET-COOKIE") == ["a=1", "b=2"]
    assert parser.head.raw_headers == (
        (b"Set-Cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"Content-Length", b"0"),
    )


def test_body_waits_for_declared_length() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello")
    assert parser.state is ParserState.READING_BODY
    assert parser.buffered == 5


@pytest.mark.parametrize("split", range(1, len(CHUNKED)))
def test_chunked_body_parses_when_split_at_any_byte(split: int) -> None:
    parser = ResponseParser()
    parser.start("GET")
    parser.feed(CHUNKED[:split])
    parser.feed(CHUNKED[split:])
    assert body(parser) == b"hello world"
    assert parser.state is ParserState.COMPLETE
    assert parser.keep_alive


def test_chunked_body_parses_fed_one_byte_at_a_time() -> None:
    parser = ResponseParser()
    parser.start("GET")
    for i in range(len(CHUNKED)):
        parser.feed(CHUNKED[i : i + 1])
    assert body(parser) == b"hello world"
    assert parser.state is ParserState.COMPLETE


def test_chunked_trailers_are_ignored() -> None:
    parser = parse(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    assert parser.head is not None
    assert "X-Trailer" not in parser.head.headers
    assert body(parser) == b"hi"
    assert parser.state is ParserState.COMPLETE


def test_close_delimited_body_completes_at_eof_without_keep_alive() -> None:
    parser = parse(b"HTTP/1.0 200 OK\r\n\r\npart one, ")
    parser.feed(b"part two")
    states = [parser.state]
    parser.feed_eof()
    states.append(parser.state)
    assert states == [ParserState.READING_BODY, ParserState.COMPLETE]
    assert body(parser) == b"part one, part two"
    assert parser.should_close


def test_connection_close_header_disables_keep_alive() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert parser.state is ParserState.COMPLETE
    assert parser.should_close


@pytest.mark.parametrize("status", [204, 304])
def test_bodyless_statuses_complete_at_head(status: int) -> None:
    parser = parse(b"HTTP/1.1 %d X\r\n\r\n" % status)
    assert parser.state is ParserState.COMPLETE
    assert parser.keep_alive


def test_head_response_completes_despite_content_length() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", method="HEAD")
    assert parser.state is ParserState.COMPLETE
    assert body(parser) == b""
    assert parser.keep_alive


def test_parser_serves_a_get_after_a_head_on_the_same_connection() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", method="HEAD")
    parser.start("GET")
    parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
    assert body(parser) == b"abc"
    assert parser.state is ParserState.COMPLETE


@pytest.mark.parametrize(
    "interim",
    [b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"],
)
def test_informational_responses_are_skipped(interim: bytes) -> None:
    parser = parse(interim + b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
    assert parser.head is not None
    assert parser.head.status == 201
    assert "Link" not in parser.head.headers
    assert body(parser) == b"ok"


def test_interim_response_alone_keeps_waiting_for_the_head() -> None:
    parser = parse(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert parser.head is None
    assert parser.state is ParserState.AWAITING_HEAD


def test_keep_alive_parser_handles_consecutive_exchanges() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
    parser.start("GET")
    parser.feed(b"HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb")
    assert parser.head is not None
    assert parser.head.status == 404
    assert body(parser) == b"b"


def test_bytes_after_a_complete_response_prevent_reuse() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\n")
    assert parser.head is not None
    assert body(parser) == b"a"
    assert parser.state is ParserState.COMPLETE
    assert parser.should_close


def test_feeding_an_idle_parser_is_an_error() -> None:
    parser = ResponseParser()
    with pytest.raises(HttpParserError, match="Unexpected data"):
        parser.feed(b"HTTP/1.1 200 OK\r\n")
    assert parser.state is ParserState.BROKEN


def test_starting_while_a_response_is_pending_is_refused() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
    with pytest.raises(RuntimeError, match="reading body"):
        parser.start("GET")


def test_upgrade_response_completes_and_closes_the_connection() -> None:
    parser = parse(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        b"\x81\x02hi"
    )
    assert parser.head is not None
    assert parser.head.status == 101
    assert parser.should_close


# -- incomplete and malformed responses -------------------------------------------------
def test_eof_before_head_reports_no_head() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-")
    with pytest.raises(IncompleteResponse) as info:
        parser.feed_eof()
    assert not info.value.head_received
    assert parser.state is ParserState.BROKEN


def test_eof_inside_content_length_body_is_incomplete() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    with pytest.raises(IncompleteResponse, match="content length") as info:
        parser.feed_eof()
    assert info.value.head_received


def test_eof_inside_chunked_body_is_incomplete() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
    with pytest.raises(IncompleteResponse, match="transfer length"):
        parser.feed_eof()


def test_eof_after_complete_response_is_fine() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
    parser.feed_eof()
    assert parser.state is ParserState.COMPLETE


def test_bad_status_line_raises_parser_error() -> None:
    with pytest.raises(HttpParserError):
        parse(b"HTTX/1.1 200 OK\r\n\r\n")


def test_bad_chunk_size_raises_parser_error() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(HttpParserError, match="chunk size"):
        parser.feed(b"zz\r\n")
    assert parser.state is ParserState.BROKEN


def test_header_value_over_max_field_size_is_rejected() -> None:
    with pytest.raises(HttpParserError, match="Got more than 100 bytes when reading Header value"):
        parse(b"HTTP/1.1 200 OK\r\nX: " + b"a" * 101 + b"\r\n\r\n", max_field_size=100)


def test_header_name_over_max_field_size_is_rejected() -> None:
    with pytest.raises(HttpParserError, match="Header name is too long"):
        parse(b"HTTP/1.1 200 OK\r\n" + b"a" * 101 + b": 1\r\n\r\n", max_field_size=100)


def test_status_line_over_max_line_size_is_rejected() -> None:
    with pytest.raises(HttpParserError, match="Status line is too long"):
        parse(b"HTTP/1.1 200 " + b"O" * 100 + b"\r\n\r\n", max_line_size=100)


def test_status_line_limit_applies_across_fragments() -> None:
    parser = parse(b"HTTP/1.1 200 " + b"O" * 60, max_line_size=100)
    with pytest.raises(HttpParserError, match="Status line is too long"):
        parser.feed(b"O" * 60)


def test_more_headers_than_max_headers_are_rejected() -> None:
    lines = b"".join(b"X-%d: 1\r\n" % i for i in range(11))
    with pytest.raises(HttpParserError, match="Too many headers"):
        parse(b"HTTP/1.1 200 OK\r\n" + lines + b"\r\n", max_headers=10)


def test_default_limits_accept_a_header_of_exactly_8190_bytes() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nX: " + b"a" * 8190 + b"\r\nContent-Length: 0\r\n\r\n")
    assert parser.head is not None
    assert len(parser.head.headers["X"]) == 8190


def test_endless_head_is_cut_off_before_it_is_complete() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nX: ", max_field_size=10, max_headers=2, max_line_size=20)
    with pytest.raises(HttpParserError, match="response head"):
        parser.feed(b"a" * 100)


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def feed_pieces(parser: ResponseParser, piece: bytes, count: int) -> int:
    """Feed ``piece`` up to ``count`` times; returns how many bytes went in before an error."""
    for i in range(count):
        try:
            parser.feed(piece)
        except HttpParserError:
            return i * len(piece)
    return count * len(piece)


def test_header_value_growing_in_pieces_is_cut_off_near_the_field_limit() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nX: ", max_field_size=100, max_line_size=100)
    assert feed_pieces(parser, b"a" * 10, 1000) < 1000
    assert parser.state is ParserState.BROKEN


def test_header_of_exactly_max_field_size_fed_byte_by_byte_is_accepted() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nX: ", max_field_size=100)
    assert feed_pieces(parser, b"a", 100) == 100
    parser.feed(b"\r\nContent-Length: 0\r\n\r\n")
    assert parser.head is not None
    assert len(parser.head.headers["X"]) == 100


def test_whitespace_flood_inside_a_header_is_cut_off() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nX:", max_field_size=100, max_line_size=100)
    assert feed_pieces(parser, b" " * 10, 1000) < 1000


def test_endless_trailer_is_cut_off() -> None:
    parser = parse(
        CHUNKED_HEAD + b"1\r\na\r\n0\r\nX-Trailer: ", max_field_size=100, max_line_size=100
    )
    assert feed_pieces(parser, b"a" * 10, 1000) < 1000
    assert parser.state is ParserState.BROKEN


def test_more_trailers_than_max_headers_are_rejected() -> None:
    parser = parse(CHUNKED_HEAD + b"0\r\n", max_headers=10)
    with pytest.raises(HttpParserError, match="Too many trailers"):
        parser.feed(b"".join(b"X-%d: 1\r\n" % i for i in range(12)) + b"\r\n")


def test_endless_chunk_extension_is_cut_off() -> None:
    parser = parse(CHUNKED_HEAD + b"5;ext=", max_field_size=100, max_line_size=100)
    assert feed_pieces(parser, b"a" * 10, 1000) < 1000


def test_tiny_chunks_fed_byte_by_byte_never_count_as_a_stall() -> None:
    message = CHUNKED_HEAD + b"1\r\na\r\n" * 1000 + b"0\r\n\r\n"
    parser = parse(message[:1], max_field_size=20, max_line_size=20)
    for i in range(1, len(message)):
        parser.feed(message[i : i + 1])
    assert parser.state is ParserState.COMPLETE
    assert body(parser) == b"a" * 1000
