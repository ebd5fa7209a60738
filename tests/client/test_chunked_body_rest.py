"""``ChunkedBody.rest()`` gives at once what ``read_chunk()`` gives piece by piece: up to the
first empty chunk, else to the end and then the error; and leaves the body where reading
would."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from aiotape.client.transport import ChunkedBody

CHUNKS = st.lists(st.sampled_from([b"", b"a", b"bc", b"def"]), max_size=6)


async def _by_chunks(body: ChunkedBody) -> tuple[bytes, str | None]:
    pieces = []
    try:
        while chunk := await body.read_chunk():
            pieces.append(chunk)
    except ValueError as exc:
        return b"".join(pieces), str(exc)
    return b"".join(pieces), None


def _at_once(body: ChunkedBody) -> tuple[bytes | None, str | None]:
    try:
        return body.rest(), None
    except ValueError as exc:
        return None, str(exc)


@given(CHUNKS, st.booleans(), st.integers(min_value=0, max_value=3), st.booleans())
def test_rest_is_read_chunk_until_the_end(
    chunks: list[bytes], failing: bool, already_read: int, as_tuple: bool
) -> None:
    def body() -> ChunkedBody:
        error = ValueError("cut") if failing else None
        made = ChunkedBody(tuple(chunks) if as_tuple else list(chunks), error)
        made._index = min(already_read, len(chunks))
        return made

    by_chunks, at_once = body(), body()
    data, error = asyncio.run(_by_chunks(by_chunks))
    got, got_error = _at_once(at_once)
    assert got_error == error
    if error is None:
        assert got == data
    assert at_once._index == by_chunks._index
