"""Compiled cassettes: a file's parsed interactions, kept under a hash of its bytes.

An unchanged cassette then skips YAML parsing. The key covers the file's content and the
parser itself (this package's version and the sources of the parser, the model and the
matching keys), so an entry can never go stale: an edited cassette or a new parser simply
hashes elsewhere.

Entries are ``marshal`` data aiotape wrote itself: nested tuples of str, bytes, int, float and
None (the rows of :mod:`.recorded`) behind a header naming the format and the content hash,
with the groups of requests sharing a key under the default ``match_on`` (so replaying
indexes a cassette without taking its URIs apart). Loading builds no record: a replay
answers from the rows, and an interaction's records are built field by field when first
read; no object is unpickled and no class is looked up by name. Writes go to a temporary
file and ``os.replace``, so concurrent processes (``pytest -n``) writing the same entry are
harmless. A hit never imports the YAML parser. The cache lives in ``$AIOTAPE_CACHE_DIR``,
else ``$XDG_CACHE_HOME/aiotape``, else ``~/.cache/aiotape`` (a private, 0700 directory);
``AIOTAPE_CACHE_DIR=off`` disables it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import time
from collections.abc import Hashable
from importlib.util import source_hash
from pathlib import Path
from typing import Any

import yarl

from .._version import VERSION
from .errors import CassetteFormatError
from .matching import default_key
from .model import Headers, Interaction
from .recorded import Exact, Recorded, to_row
from .storage import read_bytes, read_file, write_atomic

__all__ = [
    "CACHE_DIR_ENV",
    "MAX_ENTRIES",
    "Firsts",
    "cache_dir",
    "load_bytes",
    "load_file",
    "load_recorded",
]

CACHE_DIR_ENV = "AIOTAPE_CACHE_DIR"
"""Environment variable: the cache directory, or ``off`` to disable the cache."""

_OFF = frozenset({"off", "0", "false", "no", "none"})
_FORMAT = b"aiotape-compiled-cassette 3"
_SUBDIR = "cassettes"
MAX_ENTRIES = 2000
"""Compiled cassettes kept; past this, writing one evicts the least recently used quarter."""
_TOUCH_AFTER = 3600.0
"""A hit refreshes its entry's mtime (its last use, for eviction) once it is this old."""
_PAUSE_GC_ABOVE = 1 << 16
"""Entries (and cassettes) larger than this are loaded (and built) with the cyclic collector
paused (a small one gains nothing from the pause, and the collection that follows it costs
more)."""


def _parser_salt() -> bytes:
    """What the compiled form depends on besides the file: our version, the sources of the
    parser and of the default key, and yarl's version (it takes apart the URIs the key reads).

    A source counts by the hash Python itself checks hash-based ``.pyc`` files against
    (``importlib.util.source_hash``): an edit changes it, and every run pays it at import,
    where it costs less than SHA-256 would (a third natively, a tenth without SHA extensions).
    """
    salt = hashlib.sha256(b"%s %s %s" % (_FORMAT, VERSION.encode(), yarl.__version__.encode()))
    here = os.path.dirname(__file__)
    sources = ("format.py", "safe_yaml.py", "model.py", "recorded.py", "matching.py", "filters.py")
    for name in sources:
        with contextlib.suppress(OSError):  # no sources (frozen install): the version decides
            source = read_bytes(os.path.join(here, name))  # no Path, no buffered file
            if source is not None:
                salt.update(source_hash(source))
    return salt.digest()


_SALT = _parser_salt()


def cache_dir() -> Path | None:
    """Where compiled cassettes are kept, or None when the cache is switched off."""
    environ = os.environ
    configured = environ.get(CACHE_DIR_ENV, "")
    if configured.strip():  # the usual case under a suite's configuration: one lookup
        return _cache_dir(configured, "", None)
    return _cache_dir(
        configured,
        environ.get("XDG_CACHE_HOME", ""),
        environ.get("HOME") or environ.get("USERPROFILE"),
    )


@functools.lru_cache(maxsize=8)
def _cache_dir(configured: str, xdg: str, home: str | None) -> Path | None:
    configured = configured.strip()
    if configured.lower() in _OFF:
        return None
    if configured:
        return Path(configured).expanduser()
    xdg = xdg.strip()
    if xdg:
        return Path(xdg) / "aiotape"
    if not home:  # no home directory: no cache rather than one in the cwd
        return None
    return Path(home) / ".cache" / "aiotape"


def load_file(path: str | os.PathLike[str]) -> list[Interaction]:
    """The interactions of the cassette file at ``path`` (``[]`` if it does not exist)."""
    read = read_file(path)
    return [] if read is None else load_bytes(read[0], source=os.fspath(path))


def load_bytes(data: bytes, *, source: str) -> list[Interaction]:
    """The interactions of a cassette's bytes, from the cache when it holds them."""
    recorded = load_recorded(data, source=source)
    if len(data) < _PAUSE_GC_ABOVE:
        return list(recorded.records())
    from .safe_yaml import gc_paused

    with gc_paused():
        return list(recorded.records())


Firsts = tuple[int, ...]
"""For each interaction, the position of the first one whose request has the same key under
the default ``match_on`` (:func:`default_key`): the groups a replay takes from."""


def load_recorded(data: bytes, *, source: str) -> Recorded:
    """The interactions of a cassette's bytes, from the cache when it holds them (then built
    when first read), with their groups when the cache is on (else without)."""
    directory = cache_dir()
    if directory is None:
        return Recorded.of(_parse(data, source))
    digest = hashlib.sha256(_SALT + data).hexdigest()
    entry = f"{directory}{os.sep}{_SUBDIR}{os.sep}{digest}.bin"
    header = b"%s %s\n" % (_FORMAT, digest.encode())
    cached = _read(entry, header)
    if cached is not None:
        return cached
    interactions = _parse(data, source)
    firsts, exact = _groups(interactions)
    with contextlib.suppress(OSError):  # a read-only or full disk only costs the speed-up
        folder = directory / _SUBDIR
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        blob = header + _compile(interactions, firsts, exact)
        write_atomic(Path(entry), blob, mode=0o600, durable=False)
        _evict(folder)
    return Recorded(list(interactions), None, firsts, exact)


def _groups(interactions: list[Interaction]) -> tuple[Firsts, Exact]:
    """The interactions' :data:`Firsts`, and the group of each recorded (method, URI)."""
    seen: dict[Hashable, int] = {}
    exact: Exact = {}
    for position, interaction in enumerate(interactions):
        method, uri = interaction.request.method, interaction.request.uri
        exact[method, uri] = seen.setdefault(default_key(method, uri), position)
    return tuple(exact[i.request.method, i.request.uri] for i in interactions), exact


def _evict(folder: Path) -> None:
    """Past MAX_ENTRIES, remove the least recently used entries down to three quarters of it."""
    if len(os.listdir(folder)) <= MAX_ENTRIES:
        return
    entries = []
    for entry in os.scandir(folder):
        if not entry.name.endswith(".bin"):  # another process's entry being written
            continue
        with contextlib.suppress(OSError):  # another process may be evicting too
            entries.append((entry.stat().st_mtime_ns, entry.path))
    entries.sort()
    for _, path in entries[: len(entries) - MAX_ENTRIES * 3 // 4]:
        with contextlib.suppress(OSError):
            os.unlink(path)


def loads(text: str, *, source: str) -> list[Interaction]:
    """:func:`aiotape.cassettes.format.loads`, imported on the first parse (not on a hit)."""
    from .format import loads as parse

    return parse(text, source=source)


def _parse(data: bytes, source: str) -> list[Interaction]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteFormatError(f"{source}: not UTF-8 text ({exc.reason})") from None
    return loads(text, source=source)


def _read(entry: str, header: bytes) -> Recorded | None:
    """The entry's interactions and groups (None if absent or damaged); marks it recently
    used."""
    try:
        read = read_file(entry)
    except OSError:
        return None
    if read is None or not read[0].startswith(header):
        return None
    blob, (_, modified_ns, _) = read
    if time.time() - modified_ns / 1e9 > _TOUCH_AFTER:
        with contextlib.suppress(OSError):
            os.utime(entry)  # recently used: the last to be evicted
    body = memoryview(blob)[len(header) :]
    try:
        if len(body) < _PAUSE_GC_ABOVE:
            rows, firsts, exact = marshal.loads(body)
        else:
            from .safe_yaml import gc_paused

            with gc_paused():
                rows, firsts, exact = marshal.loads(body)
        if len(firsts) != len(rows) or type(exact) is not dict:
            return None
        return Recorded([None] * len(rows), rows, firsts, exact)
    except (EOFError, ValueError, TypeError):  # torn or foreign: parse again
        return None


# -- the plain form ------------------------------------------------------------------------


def _compile(interactions: list[Interaction], firsts: Firsts, exact: Exact) -> bytes:
    """The marshal form; equal headers, names and values are shared, so marshal stores them once."""
    shared: dict[Any, Any] = {}

    def headers(pairs: Headers) -> Headers:
        found: Headers | None = shared.get(pairs)
        if found is None:  # built only once per distinct block
            found = shared[pairs] = tuple(
                shared.setdefault((n, v), (shared.setdefault(n, n), v)) for n, v in pairs
            )
        return found

    def text(value: str) -> str:
        found: str = shared.setdefault(value, value)
        return found

    return marshal.dumps(([to_row(i, headers, text) for i in interactions], firsts, exact))
