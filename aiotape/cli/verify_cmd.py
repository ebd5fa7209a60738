"""``aiotape cassette verify PATH...``: re-send a cassette's requests live and report the drift.

Each recorded request goes out again through the network transport with its recorded method,
URL, headers and body (``--header`` adds or replaces headers, e.g. credentials the cassette
holds redacted). A websocket interaction is re-run by sending the recorded client messages in
order, waiting for a reply wherever one was recorded. The live interactions are noted by a
recording cassette without a file (redacted as recordings are) and compared with the recorded
ones as ``pytest --verify-cassettes`` does. Nothing is written except ``--drift-report``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ..cassettes import Cassette, CassetteError, load_cassette
from ..cassettes.drift import Drift
from ..cassettes.model import Interaction, RecordedWebSocket
from ..cassettes.verify import format_failure, summary_line, verify_files, write_report
from ..client.exceptions import ClientError
from ..client.network import NetworkTransport
from ..client.timeouts import ClientTimeout
from ..client.transport import Request, Transport, WebSocketChannel, WSMessage, WSMsgType, WSOptions
from .cassette_cmds import find_cassettes

__all__ = ["add_verify_parser", "resend", "run_verify", "verify"]

_TEST = "aiotape cassette verify"
_DROPPED = frozenset({"content-length", "transfer-encoding", "upgrade", "connection"})
_CONTENT = frozenset({WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CLOSE})
_ENDED = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR})


def _request(interaction: Interaction, extra: Sequence[tuple[str, str]], timeout: float) -> Request:
    """The recorded request, ready to go out again (framing headers left to the transport)."""
    recorded = interaction.request
    headers: CIMultiDict[str] = CIMultiDict(
        (name, value)
        for name, value in recorded.headers
        if name.lower() not in _DROPPED and not name.lower().startswith("sec-websocket-")
    )
    for name, value in extra:
        headers[name] = value
    if recorded.body or recorded.method in ("POST", "PUT", "PATCH"):
        headers["Content-Length"] = str(len(recorded.body))
    return Request(
        recorded.method,
        URL(recorded.uri, encoded=True),
        CIMultiDictProxy(headers),
        recorded.body,
        ClientTimeout(sock_connect=timeout, sock_read=timeout),
    )


async def _receive(channel: WebSocketChannel, timeout: float) -> WSMessage:
    """The next TEXT/BINARY/CLOSE (or end) from the peer; pings are answered, pongs skipped."""
    while True:
        message = await asyncio.wait_for(channel.receive(), timeout)
        if message.type is WSMsgType.PING:
            await channel.send(WSMessage(WSMsgType.PONG, message.data, None))
        elif message.type is not WSMsgType.PONG:
            return message


async def _converse(channel: WebSocketChannel, recorded: RecordedWebSocket, timeout: float) -> None:
    """Send the recorded client messages in order, awaiting a reply where one was recorded;
    stop when the peer closes or is silent for ``timeout`` seconds."""
    for frame in recorded.frames:
        if frame.type not in _CONTENT:
            continue
        if frame.direction == "send":
            await channel.send(WSMessage(frame.type, frame.data, frame.extra))
        elif (await _receive(channel, timeout)).type in _ENDED:
            return


async def _resend_one(
    transport: Transport, interaction: Interaction, request: Request, timeout: float
) -> None:
    if interaction.websocket is None:
        response = await transport.handle(request)
        try:
            while await response.body.read_chunk():
                pass
        finally:
            response.body.close()
        return
    protocol = interaction.websocket.protocol
    options = WSOptions(protocols=(protocol,) if protocol else ())
    channel = await transport.connect_ws(request, options)
    try:
        await _converse(channel, interaction.websocket, timeout)
    finally:
        await channel.aclose()


async def resend(
    recorded: Sequence[Interaction],
    *,
    headers: Sequence[tuple[str, str]] = (),
    timeout: float = 30.0,
) -> list[Interaction]:
    """Send ``recorded``'s requests live, one after another; the live interactions (failures
    such as a refused connection or a timeout are interactions too)."""
    live = Cassette(None, record_mode="all")
    network = NetworkTransport()
    transport = live.transport(network)
    try:
        for interaction in recorded:
            try:
                await _resend_one(
                    transport, interaction, _request(interaction, headers, timeout), timeout
                )
            except (ClientError, asyncio.TimeoutError):
                continue  # the live interaction notes the failure
    finally:
        await network.aclose()
    return live.new_interactions


def _verify_file(path: Path, headers: Sequence[tuple[str, str]], timeout: float) -> list[Drift]:
    live = asyncio.run(resend(load_cassette(path), headers=headers, timeout=timeout))
    return verify_files([path], live, test=os.fspath(path))


def verify(
    paths: Sequence[Path],
    out: TextIO,
    err: TextIO,
    *,
    strict: bool = False,
    headers: Sequence[tuple[str, str]] = (),
    timeout: float = 30.0,
    report: Path | None = None,
) -> int:
    """Verify every cassette under ``paths``: 1 on failing drift, 2 on unreadable input."""
    missing = [path for path in paths if not path.exists()]
    for path in missing:
        err.write(f"{_TEST}: {path}: no such file or directory\n")
    if missing:
        return 2
    files = [file for path in paths for file in find_cassettes(path)]
    drifts: list[Drift] = []
    for file in files:
        try:
            found = _verify_file(file, headers, timeout)
        except (CassetteError, OSError, UnicodeDecodeError) as exc:
            err.write(f"{_TEST}: {file}: {exc}\n")
            return 2
        drifts += found
        fails = any(drift.failing(strict=strict) for drift in found)
        out.write(f"{'FAIL' if fails else 'ok  '}  {os.fspath(file)}\n")
        failure = format_failure(found, strict=strict)
        out.write(f"{failure}\n\n" if failure else "")
    if report is not None:
        write_report(report, drifts)
    out.write(f"{len(files)} cassettes verified; {summary_line(drifts)}\n")
    return 1 if any(drift.failing(strict=strict) for drift in drifts) else 0


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME: VALUE, got {text!r}")
    return name.strip(), value.strip()


def add_verify_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``aiotape cassette verify``'s arguments."""
    parser = actions.add_parser(
        "verify",
        help="re-send recorded requests live and report how the service drifted",
        description="Re-send every recorded request (and websocket conversation) to the live "
        "service and compare the answers with the recording, as pytest --verify-cassettes "
        "does. Exit status 1 on failing drift. Cassettes are never written.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="cassette or folder")
    parser.add_argument(
        "--strict", action="store_true", help="changed values in unchanged shapes fail too"
    )
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        type=_header,
        metavar="'NAME: VALUE'",
        help="add or replace a request header, e.g. a credential (repeatable)",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="per connect/read"
    )
    parser.add_argument("--drift-report", type=Path, metavar="PATH", help="write drift as JSON")


def run_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``aiotape cassette verify`` with parsed ``args``."""
    return verify(
        args.paths,
        out,
        err,
        strict=args.strict,
        headers=args.header,
        timeout=args.timeout,
        report=args.drift_report,
    )
