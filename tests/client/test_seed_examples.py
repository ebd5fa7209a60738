"""Every HTTP example of the client quickstart, run with ``import aiotape as aiohttp``.

URLs point at the local httpbin-like server instead of httpbin.org; nothing else changes.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

from multidict import MultiDict
from yarl import URL

import aiotape as aiohttp


async def test_make_a_request_prints_status_and_text(httpbin: URL) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(str(httpbin / "get")) as resp:
            assert resp.status == 200
            assert json.loads(await resp.text())["method"] == "GET"


async def test_all_seven_methods(httpbin: URL) -> None:
    async with aiohttp.ClientSession() as session:
        for verb, path in [
            ("post", "post"),
            ("put", "put"),
            ("delete", "delete"),
            ("options", "get"),
            ("patch", "patch"),
            ("get", "get"),
        ]:
            kwargs = {"data": b"data"} if verb in ("post", "put", "patch") else {}
            async with getattr(session, verb)(str(httpbin / path), **kwargs) as resp:
                echoed = await resp.json()
                assert echoed["method"] == verb.upper()
                if kwargs:
                    assert echoed["data"] == "data"
        async with session.head(str(httpbin / "get")) as resp:
            assert resp.status == 200
            assert await resp.read() == b""


async def test_base_url_joins_relative_paths(httpbin: URL) -> None:
    async with aiohttp.ClientSession(str(httpbin)) as session:
        async with session.get("/get") as resp:
            assert (await resp.json())["path_qs"] == "/get"
        async with session.post("/post", data=b"data") as resp:
            assert (await resp.json())["data"] == "data"
        async with session.put("/put", data=b"data") as resp:
            assert (await resp.json())["method"] == "PUT"


async def test_session_without_context_manager_is_closed_explicitly(httpbin: URL) -> None:
    session = aiohttp.ClientSession()
    async with session.get(str(httpbin / "get")):
        pass
    await session.close()
    assert session.closed


async def test_params_dict_is_encoded_in_url(httpbin: URL) -> None:
    params = {"key1": "value1", "key2": "value2"}
    async with aiohttp.ClientSession() as session:
        async with session.get(str(httpbin / "get"), params=params) as resp:
            assert str(resp.url) == f"{httpbin}/get?key1=value1&key2=value2"
            assert (await resp.json())["args"] == {"key1": ["value1"], "key2": ["value2"]}


async def test_params_multidict_nested_list_and_tuples_keep_order(httpbin: URL) -> None:
    # The seed's printed expectation (value2 first) is a known doc typo; aiohttp keeps order.
    async with aiohttp.ClientSession() as session:
        for params in (
            [("key", "value1"), ("key", "value2")],
            MultiDict([("key", "value1"), ("key", "value2")]),
            {"key": ["value1", "value2"]},
        ):
            async with session.get(str(httpbin / "get"), params=params) as r:
                assert str(r.url) == f"{httpbin}/get?key=value1&key=value2"
                assert (await r.json())["args"] == {"key": ["value1", "value2"]}


async def test_params_str_is_not_encoded(httpbin: URL) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(str(httpbin / "get"), params="key=value+1") as r:
            assert str(r.url) == f"{httpbin}/get?key=value+1"
            assert (await r.json())["path_qs"] == "/get?key=value+1"


async def test_url_canonicalization_and_encoded_true(httpbin: URL) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{httpbin}/anything/путь/%30?a=%31") as resp:
            assert (await resp.json())["path_qs"] == "/anything/%D0%BF%D1%83%D1%82%D1%8C/0?a=1"
        async with session.get(URL(f"{httpbin}/anything/%30", encoded=True)) as resp:
            assert (await resp.json())["path_qs"] == "/anything/%30"


async def test_text_with_custom_encoding(httpbin: URL) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(str(httpbin / "text"), params={"charset": "windows-1251"}) as r:
            assert await r.text() == "Тест"
            assert await r.text(encoding="windows-1251") == "Тест"
            assert await r.read() == "Тест".encode("windows-1251")


async def test_json_request_and_custom_serializer(httpbin: URL) -> None:
    calls: list[object] = []

    def dumps(obj: object) -> str:
        calls.append(obj)
        return json.dumps(obj)

    async with aiohttp.ClientSession(json_serialize=dumps) as session:
        async with session.post(str(httpbin / "post"), json={"test": "object"}) as resp:
            echoed = await resp.json()
    assert echoed["json"] == {"test": "object"}
    assert echoed["headers"]["Content-Type"] == "application/json"
    assert calls == [{"test": "object"}]


async def test_gzip_deflate_brotli_are_decoded(httpbin: URL) -> None:
    async with aiohttp.ClientSession() as session:
        for coding in ("gzip", "deflate", "br"):
            async with session.get(str(httpbin / "encoded" / coding)) as resp:
                assert await resp.json() == {"encoded": coding}


async def test_streaming_content_read_and_iter_chunked(httpbin: URL, tmp_path: Path) -> None:
    expected = bytes(i % 256 for i in range(100_000))
    async with aiohttp.ClientSession() as session:
        async with session.get(str(httpbin / "stream-bytes" / "100000")) as resp:
            assert await resp.content.read(10) == expected[:10]
        filename = tmp_path / "download"
        async with session.get(str(httpbin / "stream-bytes" / "100000")) as resp:
            with open(filename, "wb") as fd:
                async for chunk in resp.content.iter_chunked(4096):
                    assert len(chunk) <= 4096
                    fd.write(chunk)
    assert filename.read_bytes() == expected


async def test_form_encoded_post(httpbin: URL) -> None:
    payload = {"key1": "value1", "key2": "value2"}
    async with aiohttp.ClientSession() as session:
        async with session.post(str(httpbin / "post"), data=payload) as resp:
            assert (await resp.json())["form"] == payload


async def test_bytes_json_and_text_posts(httpbin: URL) -> None:
    url = str(httpbin / "post")
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=b"\x00Binary-data\x00") as resp:
            echoed = await resp.json()
            assert echoed["data"] == "\x00Binary-data\x00"
            assert echoed["headers"]["Content-Type"] == "application/octet-stream"
        async with session.post(url, json={"example": "test"}) as resp:
            assert (await resp.json())["json"] == {"example": "test"}
        async with session.post(url, data="Тест") as resp:
            echoed = await resp.json()
            assert echoed["data"].encode("latin-1").decode() == "Тест"
            assert echoed["headers"]["Content-Type"] == "text/plain; charset=utf-8"


async def test_multipart_file_upload_and_formdata(httpbin: URL, tmp_path: Path) -> None:
    report = tmp_path / "report.xls"
    report.write_bytes(b"sheet-bytes")
    url = str(httpbin / "post")
    async with aiohttp.ClientSession() as session:
        with open(report, "rb") as fh:
            files = {"file": fh}
            async with session.post(url, data=files) as resp:
                got = (await resp.json())["files"]["file"]
        assert got["filename"] == "report.xls"
        assert got["content"] == "sheet-bytes"
        data = aiohttp.FormData()
        with open(report, "rb") as fh:
            data.add_field(
                "file", fh, filename="report.xls", content_type="application/vnd.ms-excel"
            )
            async with session.post(url, data=data) as resp:
                got = (await resp.json())["files"]["file"]
    assert got == {
        "filename": "report.xls",
        "content_type": "application/vnd.ms-excel",
        "content": "sheet-bytes",
    }


async def test_streaming_upload_file_object(httpbin: URL, tmp_path: Path) -> None:
    massive = tmp_path / "massive-body"
    content = os.urandom(300_000)
    massive.write_bytes(content)
    async with aiohttp.ClientSession() as session:
        with open(massive, "rb") as f:
            async with session.post(str(httpbin / "post"), data=f) as resp:
                assert (await resp.json())["data"].encode("latin-1") == content


async def test_streaming_upload_async_generator(httpbin: URL) -> None:
    async def file_sender() -> AsyncIterator[bytes]:
        src = io.BytesIO(b"x" * 200_000)
        chunk = src.read(64 * 1024)
        while chunk:
            yield chunk
            chunk = src.read(64 * 1024)

    async with aiohttp.ClientSession() as session:
        async with session.post(str(httpbin / "post"), data=file_sender()) as resp:
            echoed = await resp.json()
    assert echoed["data"] == "x" * 200_000
    assert echoed["headers"]["Transfer-Encoding"] == "chunked"


async def test_chain_download_into_upload(httpbin: URL) -> None:
    async with aiohttp.ClientSession() as session:
        resp = await session.get(str(httpbin / "stream-bytes" / "50000"))
        async with session.post(str(httpbin / "post"), data=resp.content) as echoed:
            data = (await echoed.json())["data"].encode("latin-1")
        resp.release()
    assert data == bytes(i % 256 for i in range(50000))


async def test_timeout_session_and_request_level(httpbin: URL) -> None:
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        assert session.timeout.total == 60
        async with session.get(str(httpbin / "get"), timeout=timeout) as resp:
            assert resp.status == 200


def test_default_timeout_matches_seed() -> None:
    assert (
        aiohttp.ClientTimeout(
            total=5 * 60, connect=None, sock_connect=None, sock_read=None, ceil_threshold=5
        )
        == aiohttp.client.timeouts.DEFAULT_TIMEOUT
    )
