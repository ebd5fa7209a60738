"""Content-Encoding decoders: byte-feeding round trips, corrupt and truncated input, bombs."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import brotli  # type: ignore[import-untyped]
import pytest

from aiotape import ClientPayloadError
from aiotape.client.decoders import MAX_PIECE, make_decoder, pieces

if TYPE_CHECKING:
    from aiotape.client.decoders import Decoder

PAYLOAD = b"".join(b"line %d: the quick brown fox\n" % i for i in range(5000))


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate-zlib": zlib.compress,
    "deflate-raw": _raw_deflate,
    "br": brotli.compress,
}


def _decoder(name: str) -> Decoder:
    decoder = make_decoder(name.removesuffix("-zlib").removesuffix("-raw"))
    assert decoder is not None
    return decoder


def _decode_all(decoder: Decoder, chunks: list[bytes]) -> bytes:
    out = [piece for chunk in chunks for piece in pieces(decoder, chunk)]
    return b"".join(out) + decoder.flush()


@pytest.mark.parametrize("name", list(COMPRESSORS))
def test_round_trip_fed_one_byte_at_a_time(name: str) -> None:
    wire = COMPRESSORS[name](PAYLOAD)
    chunks = [wire[i : i + 1] for i in range(len(wire))]
    assert _decode_all(_decoder(name), chunks) == PAYLOAD


@pytest.mark.parametrize("name", list(COMPRESSORS))
def test_round_trip_fed_in_one_chunk(name: str) -> None:
    assert _decode_all(_decoder(name), [COMPRESSORS[name](PAYLOAD)]) == PAYLOAD


@pytest.mark.parametrize("coding", ["", "identity", "compress", "gzip, br"])
def test_identity_empty_and_unknown_codings_have_no_decoder(coding: str) -> None:
    assert make_decoder(coding) is None


def test_coding_name_is_case_and_space_insensitive() -> None:
    decoder = make_decoder("  GZip ")
    assert decoder is not None
    assert _decode_all(decoder, [gzip.compress(b"abc")]) == b"abc"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_corrupt_data_raises_client_payload_error_naming_the_coding(coding: str) -> None:
    decoder = make_decoder(coding)
    assert decoder is not None
    with pytest.raises(ClientPayloadError, match=f"Can not decode content-encoding: {coding}"):
        _decode_all(decoder, [b"\x1f\x8b\x08\x00garbage, not compressed" * 4])


@pytest.mark.parametrize("name", list(COMPRESSORS))
def test_truncated_stream_raises_at_flush(name: str) -> None:
    wire = COMPRESSORS[name](PAYLOAD)
    decoder = _decoder(name)
    list(pieces(decoder, wire[: len(wire) // 2]))
    with pytest.raises(ClientPayloadError, match="truncated"):
        decoder.flush()


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_empty_body_flushes_without_error(coding: str) -> None:
    decoder = make_decoder(coding)
    assert decoder is not None
    assert decoder.flush() == b""


def test_single_byte_deflate_body_is_truncated() -> None:
    decoder = make_decoder("deflate")
    assert decoder is not None
    assert decoder.decompress(b"x") == b""
    with pytest.raises(ClientPayloadError):
        decoder.flush()


def test_gzip_with_several_members_decodes_every_member() -> None:
    wire = gzip.compress(b"first,") + gzip.compress(b"second,") + gzip.compress(b"third")
    assert _decode_all(_decoder("gzip"), [wire]) == b"first,second,third"


def test_data_after_the_end_of_a_deflate_stream_is_ignored() -> None:
    wire = zlib.compress(b"payload") + b"trailing junk"
    assert _decode_all(_decoder("deflate"), [wire]) == b"payload"


@pytest.mark.parametrize(("name", "bound"), [("gzip", MAX_PIECE), ("deflate-zlib", MAX_PIECE)])
def test_zlib_bomb_comes_out_in_pieces_of_at_most_max_piece(name: str, bound: int) -> None:
    size = 64 * 2**20
    decoder = _decoder(name)
    sizes = [len(piece) for piece in pieces(decoder, COMPRESSORS[name](bytes(size)))]
    assert max(sizes) <= bound
    assert sum(sizes) + len(decoder.flush()) == size


def test_brotli_bomb_comes_out_in_bounded_pieces() -> None:
    size = 64 * 2**20
    decoder = _decoder("br")
    sizes = [len(piece) for piece in pieces(decoder, brotli.compress(bytes(size)))]
    assert max(sizes) <= 2 * MAX_PIECE
    assert sum(sizes) + len(decoder.flush()) == size


def test_decompress_returns_one_bounded_piece_and_reports_pending() -> None:
    decoder = _decoder("gzip")
    first = decoder.decompress(gzip.compress(bytes(4 * MAX_PIECE)))
    assert len(first) == MAX_PIECE
    assert decoder.pending


def test_input_fed_while_output_is_pending_is_not_lost() -> None:
    wire = zlib.compress(bytes(3 * MAX_PIECE) + b"end")
    decoder = _decoder("deflate")
    half = len(wire) // 2
    out = decoder.decompress(wire[:half]) + decoder.decompress(wire[half:])
    assert out + decoder.flush() == bytes(3 * MAX_PIECE) + b"end"


def test_flush_returns_everything_still_pending() -> None:
    decoder = _decoder("br")
    first = decoder.decompress(brotli.compress(bytes(3 * MAX_PIECE)))
    assert decoder.pending
    assert len(first) + len(decoder.flush()) == 3 * MAX_PIECE
