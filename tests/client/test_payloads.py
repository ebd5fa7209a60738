"""Request bodies: encode_body rules, FormData/multipart encoding, and what a real server gets."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from multidict import MultiDict

import aiotape
from aiotape import ClientPayloadError, FormData
from aiotape.client.multipart import MultipartWriter, Part, content_disposition
from aiotape.client.payloads import CHUNK_SIZE, EncodedBody, encode_body, rewind_body
from tests.servers import serve_app

# -- helpers -------------------------------------------------------------------------------


def encode(data: Any = None, json_data: Any = None) -> EncodedBody:
    return encode_body(data, json_data, json.dumps)


async def collect(body: bytes | Any) -> bytes:
    """Every byte of an encoded body, streaming it if needed."""
    if isinstance(body, bytes):
        return body
    return b"".join([piece async for piece in body])


def stream(body: EncodedBody) -> Any:
    """The body's stream: iterate it with ``async for``, release it with ``aclose()``."""
    assert not isinstance(body.body, bytes)
    return body.body


async def pieces_of(*items: bytes) -> AsyncIterator[bytes]:
    for item in items:
        yield item


def pattern(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


# -- encode_body: simple values ------------------------------------------------------------


def test_json_is_serialized_as_application_json() -> None:
    body = encode(json_data={"a": [1, "é"]})
    assert body == EncodedBody(b'{"a": [1, "\\u00e9"]}', "application/json", 20)


def test_json_uses_the_given_serializer() -> None:
    body = encode_body(None, {"a": 1}, lambda obj: "custom")
    assert body.body == b"custom"


def test_json_serializer_returning_bytes_is_sent_as_is() -> None:
    body = encode_body(None, {"a": 1}, lambda obj: b'{"a":1}')  # type: ignore[arg-type,return-value]
    assert body.body == b'{"a":1}'


def test_data_and_json_together_are_rejected() -> None:
    with pytest.raises(ValueError, match="data and json parameters can not be used"):
        encode({"a": 1}, {"b": 2})


@pytest.mark.parametrize("data", [b"\x00raw", bytearray(b"\x00raw"), memoryview(b"\x00raw")])
def test_bytes_like_data_is_octet_stream(data: Any) -> None:
    assert encode(data) == EncodedBody(b"\x00raw", "application/octet-stream", 4)


def test_str_data_is_utf8_text_plain() -> None:
    assert encode("héllo") == EncodedBody("héllo".encode(), "text/plain; charset=utf-8", 6)


def test_unsupported_data_raises_type_error() -> None:
    with pytest.raises(TypeError):
        encode(object())


# -- encode_body: forms --------------------------------------------------------------------


def test_dict_is_urlencoded_with_sequences_expanded() -> None:
    body = encode({"a": "1", "b": ["x", "y"], "c": 3, "d": "a b&c"})
    assert body.body == b"a=1&b=x&b=y&c=3&d=a+b%26c"
    assert body.content_type == "application/x-www-form-urlencoded"
    assert body.length == len(body.body)


def test_multidict_keeps_repeated_keys_in_order() -> None:
    body = encode(MultiDict([("k", "1"), ("j", "2"), ("k", "3")]))
    assert body.body == b"k=1&j=2&k=3"


def test_list_of_pairs_is_urlencoded() -> None:
    assert encode([("a", "1"), ("a", "2")]).body == b"a=1&a=2"


def test_form_charset_encodes_values_and_is_announced() -> None:
    body = encode(FormData({"name": "Тест"}, charset="cp1251"))
    assert body.body == b"name=%D2%E5%F1%F2"
    assert body.content_type == "application/x-www-form-urlencoded; charset=cp1251"


def test_dict_with_a_file_value_becomes_multipart(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"content")
    with path.open("rb") as file:
        body = encode({"file": file, "x": "1"})
    assert body.content_type is not None
    assert body.content_type.startswith("multipart/form-data; boundary=")


def test_list_with_something_else_than_pairs_raises_type_error() -> None:
    with pytest.raises(TypeError, match="pairs allowed"):
        encode([("a", "1"), ("b",)])


# -- encode_body: files and streams --------------------------------------------------------


async def test_bytesio_is_streamed_from_its_position_with_known_length() -> None:
    buffer = io.BytesIO(b"skipped:" + pattern(3 * CHUNK_SIZE))
    buffer.seek(8)
    body = encode(buffer)
    assert (body.content_type, body.length) == ("application/octet-stream", 3 * CHUNK_SIZE)
    assert await collect(body.body) == pattern(3 * CHUNK_SIZE)
    assert not buffer.closed


async def test_file_length_comes_from_its_size_minus_its_position(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"0123456789")
    with path.open("rb") as file:
        file.read(4)
        body = encode(file)
        assert body.length == 6
        assert await collect(body.body) == b"456789"


def test_file_content_type_is_guessed_from_its_name(tmp_path: Path) -> None:
    path = tmp_path / "picture.png"
    path.write_bytes(b"png")
    with path.open("rb") as file:
        assert encode(file).content_type == "image/png"


async def test_file_is_read_in_chunk_size_pieces(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(pattern(2 * CHUNK_SIZE + 10))
    with path.open("rb") as file:
        sizes = [len(piece) async for piece in stream(encode(file))]
    assert sizes == [CHUNK_SIZE, CHUNK_SIZE, 10]


async def test_streamed_file_rewinds_for_a_redirect_and_closes_on_aclose(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    file = path.open("rb")
    body = stream(encode(file))
    assert await collect(body) == b"abc"
    assert not file.closed and rewind_body(body)
    assert await collect(body) == b"abc"
    await body.aclose()
    assert file.closed and not rewind_body(body)


async def test_aclose_closes_a_file_that_was_never_streamed(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    file = path.open("rb")
    await stream(encode(file)).aclose()
    assert file.closed


async def test_pipe_has_unknown_length_and_is_streamed() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"from a pipe")
    os.close(write_fd)
    with open(read_fd, "rb") as file:
        body = encode(file)
        assert body.length is None
        assert await collect(body.body) == b"from a pipe"


async def test_text_file_is_encoded_to_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("héllo", encoding="utf-8")
    with path.open(encoding="utf-8") as file:
        body = encode(file)
        assert (body.content_type, body.length) == ("text/plain; charset=utf-8", None)
        assert await collect(body.body) == "héllo".encode()


def test_stringio_is_sent_as_utf8_text() -> None:
    assert encode(io.StringIO("é")) == EncodedBody(b"\xc3\xa9", "text/plain; charset=utf-8", 2)


async def test_file_shorter_than_announced_raises_client_payload_error() -> None:
    buffer = io.BytesIO(b"0123456789")
    body = encode(buffer)
    buffer.truncate(4)
    with pytest.raises(ClientPayloadError, match="short"):
        await collect(body.body)


async def test_async_generator_is_streamed_with_unknown_length() -> None:
    body = encode(pieces_of(b"ab", b"cd"))
    assert (body.content_type, body.length) == ("application/octet-stream", None)
    assert await collect(body.body) == b"abcd"


async def test_async_generator_bytearray_pieces_are_sent_as_bytes() -> None:
    async def buffers() -> AsyncIterator[bytearray]:
        yield bytearray(b"ab")

    assert [piece async for piece in stream(encode(buffers()))] == [b"ab"]


async def test_async_generator_empty_pieces_are_skipped() -> None:
    body = encode(pieces_of(b"a", b"", b"b"))
    assert [piece async for piece in stream(body)] == [b"a", b"b"]


async def test_async_generator_yielding_str_raises_type_error() -> None:
    async def text() -> AsyncIterator[str]:
        yield "not bytes"

    with pytest.raises(TypeError, match="not bytes"):
        await collect(encode(text()).body)


async def test_stream_reader_is_streamed_piece_by_piece() -> None:
    reader = aiotape.StreamReader()
    reader.feed_data(b"ab")
    reader.feed_data(b"cd")
    reader.feed_eof()
    body = encode(reader)
    assert body.length is None
    assert await collect(body.body) == b"abcd"


# -- FormData and multipart ----------------------------------------------------------------


def test_bytes_field_becomes_a_file_part_named_after_the_field() -> None:
    form = FormData()
    form.add_field("blob", b"\x00\x01")
    assert form.is_multipart
    assert form.fields[0].filename == "blob"


def test_file_field_takes_its_filename_from_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b")
    with path.open("rb") as file:
        form = FormData({"upload": file})
    assert form.fields[0].filename == "report.csv"


def test_plain_fields_keep_the_form_urlencoded() -> None:
    form = FormData([("a", "1")])
    form.add_fields(MultiDict([("b", "2")]))
    assert not form.is_multipart
    assert [field.name for field in form.fields] == ["a", "b"]


def test_content_type_forces_multipart() -> None:
    form = FormData()
    form.add_field("a", "1", content_type="text/x-custom")
    assert form.is_multipart


def test_value_a_multipart_form_can_not_carry_raises_type_error() -> None:
    with pytest.raises(TypeError, match="Can not serialize value type"):
        encode(FormData({"n": 1}, default_to_multipart=True))


def test_header_injection_in_a_field_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="Forbidden control character"):
        FormData().add_field("a\r\nX-Evil: 1", "v")


def test_filename_must_be_a_str() -> None:
    with pytest.raises(TypeError):
        FormData().add_field("a", b"x", filename=b"x.bin")  # type: ignore[arg-type]


async def test_multipart_body_is_byte_exact_for_a_known_boundary() -> None:
    writer = MultipartWriter("form-data", boundary="BOUNDARY")
    writer.append_part(Part((("Content-Disposition", 'form-data; name="a"'),), b"1", 1))
    writer.append_part(
        Part((("Content-Type", "text/plain"),), pieces_of(b"stre", b"amed"), 8),
    )
    expected = (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b"--BOUNDARY\r\nContent-Type: text/plain\r\n\r\nstreamed\r\n"
        b"--BOUNDARY--\r\n"
    )
    assert await collect(writer.body()) == expected
    assert writer.length == len(expected)


def test_multipart_length_is_unknown_when_a_part_length_is() -> None:
    writer = MultipartWriter()
    writer.append_part(Part((), pieces_of(b"x"), None))
    assert writer.length is None


async def test_multipart_aclose_closes_pending_file_parts(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    file = path.open("rb")
    body = encode({"f": file, "g": "x"})
    await stream(body).aclose()
    assert file.closed


@pytest.mark.parametrize(
    ("params", "quote_fields", "expected"),
    [
        ([("name", "plain")], True, 'form-data; name="plain"'),
        ([("name", "a b")], True, 'form-data; name="a\\ b"'),
        ([("name", 'q"x')], True, 'form-data; name="q\\"x"'),
        ([("name", "нм")], True, "form-data; name*=utf-8''%D0%BD%D0%BC"),
        ([("filename", "my file ä.png")], True, 'form-data; filename="my%20file%20%C3%A4.png"'),
        ([("name", 'a "b" ä')], False, 'form-data; name="a \\"b\\" ä"'),
    ],
)
def test_content_disposition_quotes_like_aiohttp(
    params: list[tuple[str, str]], quote_fields: bool, expected: str
) -> None:
    assert content_disposition("form-data", params, quote_fields=quote_fields) == expected


# -- against a real aiohttp.web server -----------------------------------------------------


async def _raw(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response({"headers": dict(request.headers), "body": body.decode("latin-1")})


async def _form(request: web.Request) -> web.Response:
    fields: list[list[str]] = []
    files: list[list[str]] = []
    for name, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            content = value.file.read().decode("latin-1")
            files.append([name, value.filename, value.content_type, content])
        else:
            fields.append([name, str(value)])
    return web.json_response({"fields": fields, "files": files})


async def _digest(request: web.Request) -> web.Response:
    digest = hashlib.sha256()
    length = 0
    async for piece in request.content.iter_chunked(CHUNK_SIZE):
        digest.update(piece)
        length += len(piece)
    return web.json_response(
        {
            "sha256": digest.hexdigest(),
            "length": length,
            "content_length": request.headers.get("Content-Length"),
            "transfer_encoding": request.headers.get("Transfer-Encoding"),
        }
    )


async def _download(request: web.Request) -> web.StreamResponse:
    data = pattern(int(request.match_info["size"]))
    resp = web.StreamResponse()
    await resp.prepare(request)
    for i in range(0, len(data), 10_000):
        await resp.write(data[i : i + 10_000])
    await resp.write_eof()
    return resp


@dataclass
class UploadServer:
    """A running upload server and a session to talk to it."""

    base: str
    session: aiotape.ClientSession

    async def post(self, path: str, **kwargs: Any) -> Any:
        """POST to ``path`` and return the server's JSON answer."""
        async with self.session.post(self.base + path, **kwargs) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()


@pytest.fixture
async def server() -> AsyncIterator[UploadServer]:
    """A fresh aiohttp.web server that echoes, parses or hashes what it receives."""
    app = web.Application(client_max_size=2**30)
    app.router.add_post("/raw", _raw)
    app.router.add_post("/form", _form)
    app.router.add_post("/digest", _digest)
    app.router.add_get("/download/{size}", _download)
    async with serve_app(app) as url, aiotape.ClientSession() as session:
        yield UploadServer(str(url), session)


async def test_server_receives_a_urlencoded_dict_byte_exact(server: UploadServer) -> None:
    got = await server.post("/raw", data={"a": "1", "b": ["x", "y z"]})
    assert got["body"] == "a=1&b=x&b=y+z"
    assert got["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert got["headers"]["Content-Length"] == "13"


async def test_server_parses_a_multidict_form(server: UploadServer) -> None:
    got = await server.post("/form", data=MultiDict([("k", "1"), ("k", "2")]))
    assert got["fields"] == [["k", "1"], ["k", "2"]]


async def test_server_receives_bytes_byte_exact(server: UploadServer) -> None:
    got = await server.post("/raw", data=b"\x00\xff raw")
    assert got["body"] == "\x00\xff raw"
    assert got["headers"]["Content-Type"] == "application/octet-stream"


async def test_server_receives_str_as_utf8_text(server: UploadServer) -> None:
    got = await server.post("/raw", data="héllo")
    assert got["body"].encode("latin-1") == "héllo".encode()
    assert got["headers"]["Content-Type"] == "text/plain; charset=utf-8"


async def test_server_receives_json(server: UploadServer) -> None:
    got = await server.post("/raw", json={"k": [1, 2]})
    assert json.loads(got["body"]) == {"k": [1, 2]}
    assert got["headers"]["Content-Type"] == "application/json"


async def test_server_parses_a_multipart_file_with_filename_and_content_type(
    server: UploadServer, tmp_path: Path
) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(b"a,b\r\n1,2\r\n")
    form = FormData()
    form.add_field("title", "Report")
    with path.open("rb") as file:
        form.add_field("file", file, filename="report.csv", content_type="text/csv")
        got = await server.post("/form", data=form)
    assert got["fields"] == [["title", "Report"]]
    assert got["files"] == [["file", "report.csv", "text/csv", "a,b\r\n1,2\r\n"]]


async def test_server_parses_a_dict_with_a_file_and_its_guessed_type(
    server: UploadServer, tmp_path: Path
) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b"[1]")
    got = await server.post("/form", data={"doc": path.open("rb"), "x": "1"})
    assert got["files"] == [["doc", "data.json", "application/json", "[1]"]]
    assert got["fields"] == [["x", "1"]]


async def test_server_parses_non_ascii_field_names(server: UploadServer) -> None:
    form = FormData(default_to_multipart=True)
    form.add_field("имя", "значение")
    got = await server.post("/form", data=form)
    assert got["fields"] == [["имя", "значение"]]


async def test_server_reads_an_8bit_filename_when_quote_fields_is_off(
    server: UploadServer,
) -> None:
    form = FormData(quote_fields=False)
    form.add_field("f", io.BytesIO(b"x"), filename="résumé.txt")
    got = await server.post("/form", data=form)
    assert got["files"][0][1] == "résumé.txt"


async def test_server_gets_the_multipart_length_announced(server: UploadServer) -> None:
    got = await server.post("/raw", data={"blob": io.BytesIO(b"12345"), "a": "b"})
    headers = got["headers"]
    boundary = headers["Content-Type"].partition("boundary=")[2]
    assert int(headers["Content-Length"]) == len(got["body"].encode("latin-1"))
    assert got["body"].startswith(f"--{boundary}\r\n")
    assert got["body"].endswith(f"\r\n--{boundary}--\r\n")


async def test_server_parses_a_multipart_form_with_a_streamed_part(server: UploadServer) -> None:
    form = FormData()
    form.add_field("stream", pieces_of(b"part ", b"by part"), filename="s.txt")
    got = await server.post("/form", data=form)
    assert got["files"] == [["stream", "s.txt", "application/octet-stream", "part by part"]]


async def test_server_receives_an_async_generator_chunked(server: UploadServer) -> None:
    got = await server.post("/digest", data=pieces_of(b"abc", b"def"))
    assert got["transfer_encoding"] == "chunked"
    assert got["sha256"] == hashlib.sha256(b"abcdef").hexdigest()


async def test_large_file_upload_streams_with_bounded_memory(
    server: UploadServer, tmp_path: Path
) -> None:
    size = 50 * 2**20
    path = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(size // 2**20):
            block = os.urandom(2**20)
            digest.update(block)
            out.write(block)
    tracemalloc.start()
    try:
        with path.open("rb") as file:
            got = await server.post("/digest", data=file)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got["sha256"] == digest.hexdigest()
    assert got["content_length"] == str(size)
    assert peak < size // 10


async def test_large_generator_upload_is_chunked_whole_and_bounded(
    server: UploadServer,
) -> None:
    size, block = 50 * 2**20, 2**16
    digest = hashlib.sha256()

    async def generate() -> AsyncIterator[bytes]:
        for index in range(size // block):
            piece = index.to_bytes(4, "big") * (block // 4)
            digest.update(piece)
            yield piece

    tracemalloc.start()
    try:
        got = await server.post("/digest", data=generate())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got["transfer_encoding"] == "chunked"
    assert got["sha256"] == digest.hexdigest()
    assert peak < size // 10


async def test_download_stream_reader_is_uploaded_as_it_arrives(server: UploadServer) -> None:
    size = 1_000_000
    async with server.session.get(f"{server.base}/download/{size}") as download:
        got = await server.post("/digest", data=download.content)
    assert got["sha256"] == hashlib.sha256(pattern(size)).hexdigest()
    assert got["transfer_encoding"] == "chunked"
