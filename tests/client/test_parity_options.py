"""Payload classes and MultipartWriter as ``data=``: the same call through aiohttp and aiotape.

An echo server returns what it received (headers, de-chunked body); each test sends the same
body through both clients and compares what arrived.
"""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import aiohttp.payload
import pytest
from aiohttp import web
from yarl import URL

import aiotape
import aiotape.payload
from tests.servers import serve_app

CLIENTS = [pytest.param(aiohttp, id="aiohttp"), pytest.param(aiotape, id="aiotape")]
# Headers each client spells its own way; everything else must match.
_OWN = {"user-agent", "accept-encoding"}


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    headers = [[k, v] for k, v in request.headers.items() if k.lower() not in _OWN]
    return web.json_response(
        {"method": request.method, "headers": headers, "body": base64.b64encode(body).decode()}
    )


async def _fields(request: web.Request) -> web.Response:
    fields = []
    for name, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            fields.append([name, value.filename, value.content_type, value.file.read().decode()])
        else:
            fields.append([name, None, None, str(value)])
    return web.json_response(fields)


@pytest.fixture
async def echo() -> AsyncIterator[URL]:
    app = web.Application()
    app.router.add_post("/fields", _fields)
    app.router.add_route("*", "/{tail:.*}", _echo)
    async with serve_app(app) as url:
        yield url


async def received(client: ModuleType, url: URL, **kwargs: Any) -> dict[str, Any]:
    """What the echo server got from ``client`` for ``POST url`` with ``kwargs``."""
    async with client.ClientSession() as session:
        async with session.post(url, **kwargs) as resp:
            echoed: dict[str, Any] = await resp.json()
    echoed["body"] = base64.b64decode(echoed["body"])
    echoed["headers"] = sorted(tuple(pair) for pair in echoed["headers"])
    return echoed


async def both(url: URL, make_data: Callable[[ModuleType], Any], **kwargs: Any) -> dict[str, Any]:
    """Send ``make_data(client)`` through both clients; assert equal receipts, return one."""
    theirs = await received(aiohttp, url, data=make_data(aiohttp), **kwargs)
    ours = await received(aiotape, url, data=make_data(aiotape), **kwargs)
    assert ours == theirs
    return ours


def test_payload_module_exports_aiohttps_classes() -> None:
    wanted = set(aiohttp.payload.__all__)
    assert wanted <= set(aiotape.payload.__all__)
    for name in wanted:
        assert getattr(aiotape.payload, name) is getattr(aiotape, name, None) or name in {
            "StringIOPayload",
            "JsonBytesPayload",
        }


@pytest.mark.parametrize(
    ("make", "args", "kwargs"),
    [
        ("BytesPayload", (b"raw bytes",), {}),
        ("BytesPayload", (b"raw",), {"content_type": "image/png"}),
        ("StringPayload", ("h\u00e9llo",), {}),
        ("StringPayload", ("h\u00e9llo",), {"encoding": "latin-1"}),
        ("StringPayload", ("h\u00e9llo",), {"content_type": "text/csv; charset=utf-16"}),
        ("JsonPayload", ({"a": [1, 2]},), {}),
        ("BytesPayload", (b"x",), {"headers": {"X-Part": "1"}, "filename": "a.txt"}),
    ],
)
async def test_in_memory_payloads_arrive_as_with_aiohttp(
    echo: URL, make: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    got = await both(echo, lambda client: getattr(client, make)(*args, **kwargs))
    assert got["body"]


async def test_payload_headers_join_the_request_unless_the_request_sets_them(echo: URL) -> None:
    def make(client: ModuleType) -> Any:
        payload = client.StringPayload("x", headers={"X-From-Payload": "p", "X-Both": "p"})
        payload.set_content_disposition("attachment", filename="r\u00e9sum\u00e9.txt")
        return payload

    got = await both(echo, make, headers={"X-Both": "request"})
    assert ("X-Both", "request") in got["headers"]
    assert ("X-From-Payload", "p") in got["headers"]


def _framing_dropped(got: dict[str, Any]) -> dict[str, Any]:
    framing = {"content-length", "transfer-encoding"}
    return {**got, "headers": [h for h in got["headers"] if h[0].lower() not in framing]}


@pytest.mark.parametrize("mode", ["rb", "r"])
async def test_file_payloads_stream_the_file_with_its_disposition(
    echo: URL, tmp_path: Path, mode: str
) -> None:
    """Binary files match byte for byte. A text file goes chunked: aiohttp announces its
    on-disk size, which is wrong when newlines or the encoding change the length."""
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n" * 1000)
    with path.open(mode) as first, path.open(mode) as second:
        cls = "BufferedReaderPayload" if mode == "rb" else "TextIOPayload"
        theirs = await received(aiohttp, echo, data=getattr(aiohttp, cls)(first))
        ours = await received(aiotape, echo, data=getattr(aiotape, cls)(second))
    if mode == "r":
        theirs, ours = _framing_dropped(theirs), _framing_dropped(ours)
    assert ours == theirs
    assert ours["body"] == path.read_bytes()
    assert ("Content-Disposition", 'attachment; filename="data.csv"') in ours["headers"]


async def test_async_iterable_and_bytesio_payloads(echo: URL) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        yield b"one,"
        yield b"two"

    got = await both(echo, lambda client: client.AsyncIterablePayload(pieces()))
    assert got["body"] == b"one,two"
    assert ("Transfer-Encoding", "chunked") in got["headers"]
    got = await both(echo, lambda client: client.BytesIOPayload(io.BytesIO(b"in memory")))
    assert got["body"] == b"in memory"


@pytest.mark.parametrize(
    "value",
    [b"b", bytearray(b"ba"), "s", io.StringIO("sio"), io.BytesIO(b"bio")],
    ids=lambda value: type(value).__name__,
)
def test_get_payload_picks_aiohttps_class(value: Any) -> None:
    if isinstance(value, io.IOBase):
        value.seek(0)
    theirs = aiohttp.get_payload(value)
    if isinstance(value, io.IOBase):
        value.seek(0)
    ours = aiotape.get_payload(value)
    assert type(ours).__name__ == type(theirs).__name__
    assert (ours.size, ours.content_type) == (theirs.size, theirs.content_type)
    assert aiotape.get_payload(ours) is ours


def test_get_payload_refuses_what_aiohttp_refuses() -> None:
    with pytest.raises(aiohttp.payload.LookupError):
        aiohttp.get_payload(object())
    with pytest.raises(aiotape.payload.LookupError):
        aiotape.get_payload(object())


async def test_a_payload_subclass_writing_itself_is_sent(echo: URL) -> None:
    def make(client: ModuleType) -> Any:
        class Doubled(client.Payload):  # type: ignore[name-defined, misc]
            def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
                return str(self._value)

            async def write(self, writer: Any) -> None:
                await writer.write(self._value)
                await writer.write(self._value)

        return Doubled(b"ab", content_type="text/x-doubled")

    got = await both(echo, make)
    assert got["body"] == b"abab"


def _mixed(client: ModuleType) -> Any:
    writer = client.MultipartWriter("mixed", boundary="BOUNDARY")
    writer.append("text part")
    writer.append(b"\x00\x01", {"Content-Type": "application/x-bin"})
    writer.append_json({"k": "v"})
    writer.append_form([("a", "1"), ("b", "2 3")])
    part = writer.append("named")
    part.set_content_disposition("attachment", filename="n.txt")
    return writer


async def test_multipart_writer_as_data_matches_aiohttp_byte_for_byte(echo: URL) -> None:
    got = await both(echo, _mixed)
    assert got["body"].startswith(b"--BOUNDARY\r\n")
    assert ("Content-Type", "multipart/mixed; boundary=BOUNDARY") in got["headers"]


async def test_multipart_form_data_writer_names_parts_and_streams_files(
    echo: URL, tmp_path: Path
) -> None:
    path = tmp_path / "up.txt"
    path.write_bytes(b"file body")
    opened: list[Any] = []

    def make(client: ModuleType) -> Any:
        writer = client.MultipartWriter("form-data", boundary="FORM")
        writer.append("first")
        opened.append(path.open("rb"))
        part = writer.append(opened[-1])
        part.set_content_disposition("form-data", name="upload", filename="up.txt")
        return writer

    got = await both(echo, make)
    assert b'name="section-0"' in got["body"]
    assert b"file body" in got["body"]
    for file in opened:
        file.close()


def test_multipart_writer_api_matches_aiohttp() -> None:
    theirs, ours = _mixed(aiohttp), _mixed(aiotape)
    assert ours.boundary == theirs.boundary == "BOUNDARY"
    assert len(ours) == len(theirs) == 5
    assert ours.size == theirs.size
    assert dict(ours.headers) == dict(theirs.headers)
    assert [dict(part.headers) for part, _, _ in ours] == [
        dict(part.headers) for part, _, _ in theirs
    ]
    with pytest.raises(TypeError):
        aiohttp.MultipartWriter().append(object())
    with pytest.raises(TypeError, match="Cannot create payload"):
        aiotape.MultipartWriter().append(object())


class _Sink:
    def __init__(self) -> None:
        self.data = b""

    async def write(self, chunk: bytes) -> None:
        self.data += bytes(chunk)


@pytest.mark.parametrize("length", [None, 0, 3, 100])
async def test_write_with_length_caps_what_is_written_as_aiohttp(length: int | None) -> None:
    written = []
    for client in (aiohttp, aiotape):
        for payload in (client.StringPayload("h\u00e9llo"), client.BytesPayload(b"bytes")):
            sink = _Sink()
            await payload.write_with_length(sink, length)
            written.append(sink.data)
    assert written[:2] == written[2:]
    assert written[:2] == ["h\u00e9llo".encode()[:length], b"bytes"[:length]]


async def test_form_data_takes_payload_values_as_aiohttp(echo: URL, tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"file")
    results = []
    for client in (aiohttp, aiotape):
        with path.open("rb") as file:
            form = client.FormData()
            form.add_field("upload", file)
            form.add_field("payload", client.StringPayload("text", content_type="text/x-mine"))
            async with client.ClientSession() as session:
                async with session.post(echo / "fields", data=form) as resp:
                    results.append(await resp.json())
    assert results[0] == results[1]
    assert results[1] == [
        ["upload", "f.txt", "text/plain", "file"],
        ["payload", None, None, "text"],
    ]


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


async def test_payload_type_registers_a_class_for_data_of_a_type(echo: URL) -> None:
    for client in (aiohttp, aiotape):

        @client.payload.payload_type(Point)
        class PointPayload(client.BytesPayload):  # type: ignore[name-defined, misc]
            def __init__(self, value: Point, *args: Any, **kwargs: Any) -> None:
                kwargs["content_type"] = "application/x-point"
                super().__init__(f"{value.x},{value.y}".encode(), *args, **kwargs)

    got = await both(echo, lambda client: Point(3, 4))
    assert got["body"] == b"3,4"
    assert ("Content-Type", "application/x-point") in got["headers"]
    assert type(aiotape.get_payload(Point(1, 2))).__name__ == "PointPayload"
