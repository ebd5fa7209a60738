"""Response metadata and bodies side by side with aiohttp: request_info, truncated bodies,
Content-Disposition."""

from __future__ import annotations

import asyncio
import warnings
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web

from tests import parity
from tests.parity import StartServer, both, outcome

recording_server = parity.recording_server


async def test_request_info_and_urls_of_a_url_with_a_fragment(
    recording_server: StartServer,
) -> None:
    server = await recording_server()
    url = server.url.with_path("/page").with_query(q="1").with_fragment("part")

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session, session.get(url) as resp:
            info = resp.request_info
            urls = [info.url, info.real_url, resp.url, resp.real_url]
        return [str(u) for u in urls], [seen.path_qs for seen in server.take()]

    theirs, ours = await both(call)
    assert ours == theirs
    assert "#part" not in ours[0][0]


async def _truncating(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 40)
    await writer.drain()
    writer.close()


async def _truncated_chunks(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nab")
    await writer.drain()
    writer.close()


@pytest.mark.parametrize("handler", [_truncating, _truncated_chunks], ids=["length", "chunked"])
async def test_truncated_body_raises_client_payload_error_like_aiohttp(
    raw_server: Any, handler: Any
) -> None:
    server = await raw_server(handler)

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session, session.get(server.url) as resp:
            return await outcome(resp.read())

    theirs, ours = await both(call)
    assert ours[0] == theirs[0] == "ClientPayloadError"
    assert ours[1] == theirs[1]


DISPOSITIONS = [
    'attachment; filename="report.pdf"',
    "attachment; filename*=UTF-8''%e2%82%ac%20rates.txt",
    "inline; filename=\"a.txt\"; filename*=utf-8''b.txt",
    'attachment; filename*0="foo."; filename*1="html"',
    "attachment; filename*0*=UTF-8''%e2%82%ac; filename*1=.txt",
    'attachment; filename="a;b.txt"',
    'attachment; filename="\\\\"x\\\\"\\\\"; size=3',
    "form-data; name=field",
    "attachment;",
    "attachment; filename",
    'attachment; filename="a"; filename="b"',
    "attach ment; filename=x",
    "attachment; file name=x",
    "attachment; filename*=bad",
    "attachment; filename*=nope''x",
    "attachment; filename=a b",
    "Attachment; FileName=x.TXT",
    "attachment; filename=x ",
    'attachment; filename="x" ',
    "attachment; filename*=UTF-8''%ff",
    "attachment; filename*0=a; filename*2=c",
    "attachment; filename*0*=nope'en'x; filename*1=y",
    "attachment; ; filename=x",
    'attachment; filename*0="q\\""',
    'attachment; filename="/etc/passwd"',
    "",
]


@pytest.mark.parametrize("header", DISPOSITIONS)
async def test_content_disposition_matches_aiohttp(
    recording_server: StartServer, header: str
) -> None:
    server = await recording_server()

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="x", headers={"Content-Disposition": header})

    url = server.route("/file", handler)

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session, session.get(url) as resp:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                disposition = resp.content_disposition
        parsed = (
            None
            if disposition is None
            else (disposition.type, dict(disposition.parameters), disposition.filename)
        )
        return parsed, [(w.category.__name__, str(w.message)) for w in caught]

    theirs, ours = await both(call)
    assert ours == theirs


async def test_missing_content_disposition_is_none(recording_server: StartServer) -> None:
    server = await recording_server()

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session, session.get(server.url) as resp:
            return resp.content_disposition

    theirs, ours = await both(call)
    assert ours is theirs is None


async def _padded_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nX-A:  spaced  \r\nX-B:\tx\t\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()
    writer.close()


async def test_header_values_lose_surrounding_whitespace_like_aiohttp(raw_server: Any) -> None:
    server = await raw_server(_padded_headers)

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session, session.get(server.url) as resp:
            return dict(resp.headers), resp.raw_headers

    theirs, ours = await both(call)
    assert ours == theirs
    assert ours[0]["X-A"] == "spaced"


def _request_bodies(path: Any) -> dict[str, Any]:
    import io

    from multidict import MultiDict

    return {
        "bytes": lambda lib: {"data": b"\x00raw"},
        "bytearray": lambda lib: {"data": bytearray(b"ba")},
        "str": lambda lib: {"data": "text é"},
        "dict": lambda lib: {"data": {"a": "1", "b": "x y"}},
        "pairs": lambda lib: {"data": [("a", "1"), ("a", "2")]},
        "multidict": lambda lib: {"data": MultiDict([("k", "v"), ("k", "w")])},
        "bytesio": lambda lib: {"data": io.BytesIO(b"from memory")},
        "stringio": lambda lib: {"data": io.StringIO("from text")},
        "json": lambda lib: {"json": {"k": [1, 2]}},
        "json none": lambda lib: {"json": None},
        "empty bytes": lambda lib: {"data": b""},
        "skip content type": lambda lib: {"skip_auto_headers": ["Content-Type"]},
        "file": lambda lib: {"data": path.open("rb")},
        "str with content type": lambda lib: {
            "data": "x",
            "headers": {"Content-Type": "application/x-custom"},
        },
    }


@pytest.mark.parametrize("method", ["POST", "PUT", "GET", "DELETE"])
@pytest.mark.parametrize(
    "name",
    list(_request_bodies(None)),
)
async def test_request_body_encoding_matches_aiohttp(
    recording_server: StartServer, tmp_path: Any, name: str, method: str
) -> None:
    server = await recording_server()
    path = tmp_path / "data.json"
    path.write_bytes(b'{"file": true}')
    wanted = ("Content-Type", "Content-Length", "Transfer-Encoding")

    async def call(lib: ModuleType) -> Any:
        kwargs = _request_bodies(path)[name](lib)
        async with lib.ClientSession() as session:
            async with session.request(method, server.url, **kwargs) as resp:
                assert resp.status == 200
            data = kwargs.get("data")
            if hasattr(data, "close"):
                data.close()
        return [([(h, seen.headers.get(h)) for h in wanted], seen.body) for seen in server.take()]

    theirs, ours = await both(call)
    assert ours == theirs


async def _multipart_parts(request: web.Request) -> web.Response:
    reader = await request.multipart()
    parts = []
    async for part in reader:
        headers = {k: v for k, v in part.headers.items() if k != "Content-Length"}
        parts.append({"headers": headers, "data": (await part.read()).decode("latin-1")})
    return web.json_response(
        {
            "type": request.content_type,
            "parts": parts,
            "te": request.headers.get("Transfer-Encoding"),
        }
    )


def _forms(path: Any) -> dict[str, Any]:
    import io

    def fields(lib: ModuleType, *adds: tuple[Any, ...], **options: Any) -> Any:
        form = lib.FormData(**options)
        for args in adds:
            *positional, keywords = args
            form.add_field(*positional, **keywords)
        return form

    return {
        "text and file": lambda lib: fields(
            lib, ("a", "1", {}), ("f", path.open("rb"), {"filename": "r.txt"})
        ),
        "content types": lambda lib: fields(
            lib,
            ("j", '{"x": 1}', {"content_type": "application/json"}),
            ("b", b"\x00\x01", {"filename": "b.bin"}),
            ("s", io.BytesIO(b"mem"), {}),
        ),
        "unicode names": lambda lib: fields(
            lib, ("a", "é", {}), ("f", b"x", {"filename": 'résumé "q".txt'})
        ),
        "no quoting": lambda lib: fields(
            lib, ('we"ird', "v", {}), ("f", b"x", {"filename": "a b.txt"}), quote_fields=False
        ),
        "charset": lambda lib: fields(
            lib, ("t", "ü", {}), ("f", b"x", {"filename": "x"}), charset="latin-1"
        ),
        "encoding header": lambda lib: fields(
            lib,
            ("t", "abc", {"content_transfer_encoding": "base64"}),
            ("f", b"x", {"filename": "x"}),
        ),
    }


@pytest.mark.filterwarnings("ignore:content_transfer_encoding is deprecated:DeprecationWarning")
@pytest.mark.parametrize("name", list(_forms(None)))
async def test_multipart_form_matches_aiohttp(
    recording_server: StartServer, tmp_path: Any, name: str
) -> None:
    server = await recording_server()
    path = tmp_path / "report.txt"
    path.write_bytes(b"file contents")
    url = server.route("/form", _multipart_parts)

    async def call(lib: ModuleType) -> Any:
        form = await outcome(_make(_forms(path)[name], lib))
        if isinstance(form, tuple):
            return form
        async with lib.ClientSession() as session:
            return await outcome(_posted_json(session.post(url, data=form)))

    theirs, ours = await both(call)
    assert ours == theirs


async def _make(factory: Any, lib: ModuleType) -> Any:
    return factory(lib)


async def _posted_json(request: Any) -> Any:
    async with request as resp:
        return await resp.json()
