"""Reading a cassette file's interactions and rendering them back, through its serializer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .cache import load_recorded
from .model import Interaction
from .recorded import Recorded
from .storage import Signature, read_bytes, read_file, signature
from .vcr_config import JsonSerializer

if TYPE_CHECKING:
    from .vcr_config import Serializer

__all__ = [
    "BUILTIN_SERIALIZERS",
    "NOTHING",
    "REPLAY_ONLY",
    "read_recorded",
    "render",
    "serializer_named",
]


def read_recorded(
    path: str, serializer: Serializer | None, signed: bool = True
) -> tuple[Recorded, Signature | None]:
    """``path``'s interactions, through ``serializer`` (None: aiotape's YAML reader, with the
    compiled cache and its groups), and the signature of the file read (None: there is no
    file, and no interaction; :data:`_UNSIGNED` unless ``signed``).
    """
    if serializer is None:
        read = read_file(path) if signed else _unsigned(read_bytes(path))
        if read is None:
            return NOTHING, None
        return load_recorded(read[0], source=path), read[1]
    from .format import from_dict

    found = signature(path)
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return NOTHING, None
    data = serializer.deserialize(text) or {}
    return Recorded.of(from_dict(item) for item in data.get("interactions") or ()), found


NOTHING = Recorded([])
_UNSIGNED: Signature = (-1, -1, -1)
"""The signature of a file read without taking it (no file has it: a save reads the file
again, as when another process replaced it)."""


def _unsigned(data: bytes | None) -> tuple[bytes, Signature] | None:
    return None if data is None else (data, _UNSIGNED)


REPLAY_ONLY = frozenset({"none", "once"})
"""The modes that never write a file that exists (so need not know its signature)."""


def render(interactions: list[Interaction], serializer: Serializer | None) -> str:
    from .format import FORMAT_VERSION, dumps, to_dict

    if serializer is None:
        return dumps(interactions)
    document = {"interactions": [to_dict(i) for i in interactions], "version": FORMAT_VERSION}
    return serializer.serialize(document)


BUILTIN_SERIALIZERS: dict[str, Serializer | None] = {"yaml": None, "json": JsonSerializer()}
"""Serializers by name (None: aiotape's own YAML reader and writer)."""


def serializer_named(
    name: str | Serializer, registered: Mapping[str, Serializer] | None
) -> Serializer | None:
    if not isinstance(name, str):
        return name
    if registered and name in registered:
        return registered[name]
    if name not in BUILTIN_SERIALIZERS:
        raise KeyError(f"Serializer {name} doesn't exist or isn't registered")
    return BUILTIN_SERIALIZERS[name]
