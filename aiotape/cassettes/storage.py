"""Cassette files on disk: atomic replacement under an inter-process lock."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: writes stay atomic, just not serialised
    fcntl = None  # type: ignore[assignment]

__all__ = ["Signature", "locked", "read_bytes", "read_file", "signature", "write_atomic"]

Signature = tuple[int, int, int]
"""(inode, mtime_ns, size) of a file: changes whenever someone replaces it."""


def signature(path: str | os.PathLike[str]) -> Signature | None:
    """The file's signature, or None if it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


_pread: Callable[[int, int, int], bytes] | None = getattr(os, "pread", None)
_FIRST_READ = 1 << 20
"""At most this much is asked of the first read (an lseek of something else than a regular
file may give any size)."""


def read_bytes(path: str | os.PathLike[str]) -> bytes | None:
    """The file's bytes, None if it is missing: :func:`read_file` without the signature.

    An lseek gives the size and one pread the bytes: an fstat (building its stat result)
    costs several times as much.
    """
    if _pread is None:  # pragma: no cover - Windows
        read = read_file(path)
        return None if read is None else read[0]
    try:
        fd = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        return None
    try:
        try:
            size = os.lseek(fd, 0, os.SEEK_END)
        except OSError:  # not a regular file: read it as read_file does
            return _read_to_end(fd, os.fstat(fd).st_size)
        data = _pread(fd, min(size, _FIRST_READ) + 1, 0)
        if len(data) != size:  # changed since the lseek, or larger than one read
            os.lseek(fd, len(data), os.SEEK_SET)
            data += _read_rest(fd)
        return data
    finally:
        os.close(fd)


def read_file(path: str | os.PathLike[str]) -> tuple[bytes, Signature] | None:
    """The file's bytes and the signature of the file they came from; None if it is missing.

    One open, one fstat and (usually) one read: no buffered file object, and no second
    ``stat`` that another process's replacement could slip in between.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        data = _read_to_end(fd, st.st_size)
    finally:
        os.close(fd)
    return data, (st.st_ino, st.st_mtime_ns, st.st_size)


def _read_to_end(fd: int, size: int) -> bytes:
    """The bytes from ``fd``'s position to its end, expected to be ``size``."""
    data = os.read(fd, size + 1)
    if len(data) != size:  # changed since its size was taken (written in place): read to EOF
        data += _read_rest(fd)
    return data


def _read_rest(fd: int) -> bytes:
    pieces: list[bytes] = []
    while piece := os.read(fd, 1 << 16):
        pieces.append(piece)
    return b"".join(pieces)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for cassette ``path`` (a flock on its directory).

    Locking the directory rather than a ``.lock`` file beside each cassette leaves no stray
    files behind; writes are short, so serialising a directory's writers costs nothing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_atomic(
    path: Path, data: str | bytes, *, mode: int | None = None, durable: bool = True
) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never a torn one.

    ``mode`` defaults to the replaced file's (else 0644); ``durable`` fsyncs before replacing.
    """
    if mode is None:
        mode = 0o644
        with contextlib.suppress(FileNotFoundError):
            mode = path.stat().st_mode & 0o777
    blob = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:64]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(blob)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
