"""FormData: the fields of a form, sent urlencoded or as multipart/form-data (aiohttp's API)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from .mime import check_header_value

__all__ = ["FormData", "FormField", "guess_filename", "is_stream"]


def guess_filename(obj: Any, default: str | None = None) -> str | None:
    """The base name of ``obj.name`` when it looks like a path (not ``<stdin>``), else default."""
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name and not (name[0] == "<" and name[-1] == ">"):
        return PurePath(name).name
    return default


def is_stream(value: Any) -> bool:
    """True for values sent as a stream: file objects and async iterables."""
    return isinstance(value, (io.IOBase, AsyncIterable)) or callable(getattr(value, "read", None))


@dataclass(frozen=True, slots=True)
class FormField:
    """One field: its name, its value and the part options given for it."""

    name: str
    value: Any
    content_type: str | None = None
    filename: str | None = None


class FormData:
    """Form fields; urlencoded when every field is plain, multipart/form-data otherwise.

    A field becomes a file part (and the form multipart) when its value is a file object,
    bytes, an async iterable or a StreamReader, or when it has a filename or content_type.
    """

    __slots__ = ("_charset", "_fields", "_is_multipart", "_quote_fields")

    def __init__(
        self,
        fields: Any = (),
        quote_fields: bool = True,
        charset: str | None = None,
        *,
        default_to_multipart: bool = False,
    ) -> None:
        self._fields: list[FormField] = []
        self._is_multipart = default_to_multipart
        self._quote_fields = quote_fields
        self._charset = charset
        if isinstance(fields, Mapping):
            fields = list(fields.items())
        elif not isinstance(fields, (list, tuple)):
            fields = (fields,)
        self.add_fields(*fields)

    @property
    def is_multipart(self) -> bool:
        """True when the form is sent as multipart/form-data."""
        return self._is_multipart

    @property
    def fields(self) -> tuple[FormField, ...]:
        """The fields, in order."""
        return tuple(self._fields)

    @property
    def quote_fields(self) -> bool:
        """Whether part names and filenames are quoted to 7-bit (aiohttp's default)."""
        return self._quote_fields

    @property
    def charset(self) -> str | None:
        """Charset of text values (utf-8 when None)."""
        return self._charset

    def add_field(
        self,
        name: str,
        value: Any,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        content_transfer_encoding: str | None = None,
    ) -> None:
        """Add one field (``content_transfer_encoding``, deprecated by aiohttp, only forces
        multipart)."""
        options = {
            "field name": name,
            "filename": filename,
            "content_type": content_type,
            "content_transfer_encoding": content_transfer_encoding,
        }
        for label, option in options.items():
            if option is not None and not isinstance(option, str):
                raise TypeError(f"{label} must be an instance of str. Got: {option!r}")
        streamed = is_stream(value)
        if filename is None:
            if isinstance(value, (bytes, bytearray, memoryview)):
                filename = name
            elif streamed:
                filename = guess_filename(value, name)
        for text in (name, filename, content_type):
            if text is not None:
                check_header_value(text)
        extras = (filename, content_type, content_transfer_encoding)
        if streamed or any(extra is not None for extra in extras):
            self._is_multipart = True
        self._fields.append(FormField(name, value, content_type, filename))

    def add_fields(self, *fields: Any) -> None:
        """Add ``(name, value)`` pairs, multidicts (every pair) and file objects."""
        pending: list[Any] = list(fields)
        while pending:
            field = pending.pop(0)
            if isinstance(field, io.IOBase):
                self.add_field(guess_filename(field, "unknown") or "unknown", field)
            elif isinstance(field, Mapping):
                pending[:0] = list(field.items())
            elif isinstance(field, (list, tuple)) and len(field) == 2:
                self.add_field(field[0], field[1])
            else:
                raise TypeError(
                    "Only io.IOBase, multidict and (name, file) pairs allowed, use "
                    f".add_field() for passing more complex parameters, got {field!r}"
                )

    def __repr__(self) -> str:
        kind = "multipart" if self._is_multipart else "urlencoded"
        return f"<FormData {kind} {[field.name for field in self._fields]!r}>"
