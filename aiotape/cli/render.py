"""Plain-text rendering for the CLI: aligned tables, sizes, durations and decoded bodies."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..cassettes.model import Headers, Interaction, RecordedError, RecordedWebSocket, WSFrame
from ..client import exceptions
from ..client.decoders import make_decoder, pieces
from ..client.transport import WSMsgType

__all__ = [
    "DecodedBody",
    "body_lines",
    "decode_body",
    "describe_error",
    "header_value",
    "human_duration",
    "human_size",
    "outcome",
    "table",
    "truncate",
    "ws_dialogue",
]

MAX_DECODED = 1 << 20
"""Decoded bytes kept for display; the rest of a (possibly hostile) body is not inflated."""

_HEX_PREVIEW = 64
_WRAP = 92


def human_size(size: int) -> str:
    """``83 B``, ``2.1 kB``, ``4.0 MB``."""
    if size < 1000:
        return f"{size} B"
    for unit in ("kB", "MB", "GB"):
        size_f = size / 1000
        if size_f < 1000 or unit == "GB":
            return f"{size_f:.1f} {unit}"
        size = int(size_f)
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    """``0.21 ms``, ``2.1 ms``, ``215 ms``, ``1.20 s``."""
    ms = seconds * 1000
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{seconds:.2f} s"


def truncate(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with ``...`` if longer."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(width - 3, 0)] + "..."


def table(rows: Sequence[Sequence[str]], *, right: Iterable[int] = ()) -> list[str]:
    """Rows as lines with aligned columns (two spaces apart; ``right`` columns right-aligned)."""
    if not rows:
        return []
    aligned_right = frozenset(right)
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in aligned_right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def header_value(headers: Headers, name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), if any."""
    lowered = name.lower()
    return next((v for k, v in headers if k.lower() == lowered), None)


@dataclass(frozen=True, slots=True)
class DecodedBody:
    """A body after undoing its Content-Encoding; ``problem`` says why that stopped short."""

    data: bytes
    codings: tuple[str, ...] = ()
    problem: str | None = None
    cut: bool = False


def decode_body(headers: Headers, body: bytes) -> DecodedBody:
    """Undo ``Content-Encoding`` (gzip, deflate, br; several in reverse order).

    Unknown codings and corrupt data leave the body as far as it could be decoded, with a
    ``problem``; output beyond ``MAX_DECODED`` bytes is dropped (``cut``).
    """
    codings = tuple(
        c.strip().lower()
        for value in (v for k, v in headers if k.lower() == "content-encoding")
        for c in value.split(",")
        if c.strip() and c.strip().lower() != "identity"
    )
    data = body
    cut = False
    for coding in reversed(codings):
        decoder = make_decoder(coding)
        if decoder is None:
            return DecodedBody(data, codings, f"unknown content-encoding {coding!r}", cut)
        out = bytearray()
        try:
            for piece in pieces(decoder, data):
                out += piece
                if len(out) > MAX_DECODED:
                    cut = True
                    break
            else:
                out += decoder.flush()
        except exceptions.ClientPayloadError as exc:
            return DecodedBody(bytes(out), codings, str(exc), cut)
        data = bytes(out[:MAX_DECODED])
    return DecodedBody(data, codings, None, cut)


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _hex_lines(data: bytes) -> list[str]:
    preview = data[:_HEX_PREVIEW]
    lines = [
        f"{offset:04x}  {preview[offset : offset + 16].hex(' ')}"
        for offset in range(0, len(preview), 16)
    ]
    if len(data) > _HEX_PREVIEW:
        lines.append(f"... ({human_size(len(data))} of binary data)")
    return lines


def body_lines(headers: Headers, body: bytes, *, limit: int = 4000) -> list[str]:
    """A body for reading: decoded, JSON pretty-printed, text as is, binary as a hex preview.

    Text beyond ``limit`` characters is cut with a note (``limit`` <= 0: no limit).
    """
    if not body:
        return []
    decoded = decode_body(headers, body)
    notes: list[str] = []
    if decoded.codings and decoded.problem is None:
        notes.append(
            f"({', '.join(decoded.codings)}: {human_size(len(body))} on the wire, "
            f"{human_size(len(decoded.data))} decoded)"
        )
    elif decoded.problem is not None:
        notes.append(f"(could not decode: {decoded.problem})")
    if decoded.cut:
        notes.append(f"(only the first {human_size(MAX_DECODED)} decoded)")
    data = decoded.data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [*notes, *_hex_lines(data)]
    if _is_json(header_value(headers, "Content-Type")) or text[:1] in ("{", "["):
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    if 0 < limit < len(text):
        omitted = len(text) - limit
        text = text[:limit]
        notes_after = [f"... ({omitted} more characters)"]
    else:
        notes_after = []
    lines = [
        line[start : start + _WRAP] or line
        for line in text.splitlines()
        for start in range(0, max(len(line), 1), _WRAP)
    ]
    return [*notes, *lines, *notes_after]


def _frame_payload(frame: WSFrame) -> str:
    if frame.type is WSMsgType.CLOSE:
        return f"{frame.data!r} {frame.extra!r}" if frame.extra else repr(frame.data)
    data = frame.data
    if isinstance(data, bytes):
        return f"{human_size(len(data))} {data[:24].hex(' ')}" + ("..." if len(data) > 24 else "")
    return repr(data)


def ws_dialogue(websocket: RecordedWebSocket) -> list[str]:
    """A websocket transcript as a dialogue: time, who, message type and payload."""
    rows = [
        [
            f"+{frame.at * 1000:.1f} ms",
            "client ->" if frame.direction == "send" else "<- server",
            frame.type.name.lower(),
            _frame_payload(frame),
        ]
        for frame in websocket.frames
    ]
    return table(rows, right=(0,))


def outcome(interaction: Interaction) -> str:
    """What an interaction recorded, in one line: ``200 OK, 83 B application/json``."""
    parts: list[str] = []
    response = interaction.response
    if response is not None:
        head = f"{response.status} {response.reason}".strip()
        media = (header_value(response.headers, "Content-Type") or "").split(";")[0].strip()
        coding = header_value(response.headers, "Content-Encoding")
        body = human_size(len(response.body))
        details = " ".join(x for x in (coding, media) if x)
        if interaction.websocket is not None:
            parts.append(head)
        else:
            parts.append(f"{head}, {body}" + (f" {details}" if details else ""))
        if not response.complete:
            parts.append("body not read to the end")
    if interaction.websocket is not None:
        parts.append(f"websocket, {len(interaction.websocket.frames)} messages")
    text = "; ".join(parts)
    error = interaction.error
    if error is None:
        return text
    failure = describe_error(error)
    return f"{text}, then {failure}" if text else failure


def describe_error(error: RecordedError) -> str:
    """``SocketTimeoutError in the body``: a recorded failure and where it happened."""
    return f"{error.type} {_PHASE_NAMES[error.phase]}"


_PHASE_NAMES = {"connect": "while connecting", "head": "before the head", "body": "in the body"}
