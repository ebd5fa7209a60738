"""When request-body files are closed: after the request, never in the middle of an upload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiotape import FormData
from aiotape.client.payloads import CHUNK_SIZE, encode_body, finish_body, rewind_body


def _stream(data: Any) -> Any:
    body = encode_body(data, None, str).body
    assert not isinstance(body, bytes)
    return body


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (2 * CHUNK_SIZE + 1))
    return path


@pytest.mark.parametrize("as_form", [False, True], ids=["file", "multipart"])
async def test_finishing_mid_upload_closes_the_file_after_its_last_piece(
    big_file: Path, as_form: bool
) -> None:
    file = big_file.open("rb")
    body = _stream(FormData({"f": file}) if as_form else file)
    await anext(body)
    finish_body(body)
    assert not file.closed
    rest = [piece async for piece in body]
    assert rest and file.closed


@pytest.mark.parametrize("as_form", [False, True], ids=["file", "multipart"])
async def test_finishing_a_sent_or_unsent_body_closes_the_file_at_once(
    big_file: Path, as_form: bool
) -> None:
    unsent, sent = big_file.open("rb"), big_file.open("rb")
    finish_body(_stream(FormData({"f": unsent}) if as_form else unsent))
    body = _stream(FormData({"f": sent}) if as_form else sent)
    sizes = [len(piece) async for piece in body]
    assert not sent.closed and rewind_body(body)
    assert [len(piece) async for piece in body] == sizes
    finish_body(body)
    assert unsent.closed and sent.closed
