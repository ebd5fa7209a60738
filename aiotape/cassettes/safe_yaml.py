"""``yaml.safe_load`` for cassettes, built straight from libyaml's events.

Plain YAML only, plus the two python tags old vcrpy+aiohttp cassettes hold (multidict's istr
header names and yarl.URL), which are read as text: no Python object is ever constructed.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlunsplit

import yaml

from .errors import CassetteFormatError

__all__ = ["gc_paused", "safe_load"]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MAYBE_TYPED = frozenset("0123456789-+.~nNtTfFyYoO=<:")
"""First characters of plain scalars that may resolve to something other than a string."""

_resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = (
    yaml.resolver.Resolver().resolve
)
_constructor = yaml.constructor.SafeConstructor()


_events: Any = getattr(yaml, "_yaml", yaml) if _Loader is not yaml.SafeLoader else yaml
"""Where the event classes the parser makes live. libyaml's C module is never initialised
twice: once ``yaml`` is unloaded and imported again (pytester's in-process runs do so), it
still makes the first import's classes, not the new ``yaml``'s."""
_Scalar, _Alias, _StreamEnd = _events.ScalarEvent, _events.AliasEvent, _events.StreamEndEvent
_MappingStart, _MappingEnd = _events.MappingStartEvent, _events.MappingEndEvent
_SequenceStart, _SequenceEnd = _events.SequenceStartEvent, _events.SequenceEndEvent
_UNSEEN = object()


class _Refused(Exception):
    """Something a cassette may not hold; becomes a CassetteFormatError naming its line."""


_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?")
_KNOWN_PLAIN: dict[str, Any] = {"null": None, "~": None, "": None, "true": True, "false": False}


def _typed_scalar(event: yaml.ScalarEvent) -> Any:
    value = event.value
    if event.tag is None:  # the common cases first: status codes, timings, null bodies
        if value in _KNOWN_PLAIN:
            return _KNOWN_PLAIN[value]
        number = _DECIMAL.fullmatch(value)
        if number is not None:
            return float(value) if number.group(1) else int(value)
    tag = event.tag
    if tag is None or tag == "!":
        tag = _resolve(yaml.ScalarNode, event.value, (True, False))
    if tag == "tag:yaml.org,2002:str":
        return event.value
    construct = _constructor.yaml_constructors.get(tag)
    if construct is None:
        raise _Refused(f"tag {tag!r} is not allowed in a cassette")
    return construct(_constructor, yaml.ScalarNode(tag, event.value))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a cassette's objects are built.

    A large cassette is a million small, acyclic objects; without the pause the collector
    scans the growing heap again and again (a quarter of the load time at 10k interactions).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def safe_load(text: str, convert: Callable[[Any, int], Any] | None = None) -> Any:
    """``yaml.safe_load`` built straight from libyaml's events: same result, several times faster.

    PyYAML's loader resolves and constructs every node in Python through generic machinery;
    a cassette is hundreds of thousands of plain strings, so they are taken as they come and
    only scalars that may be typed (numbers, null, booleans, ``!!binary``...) go through
    SafeConstructor. Tags on collections (``!!python/object``...) are refused.

    ``convert(item, index)``, if given, replaces each mapping of the top-level
    ``interactions`` list as soon as it is read, so a large cassette never holds all its raw
    mappings at once; its exceptions propagate unchanged.
    """
    parser = _Loader(text)
    try:
        return _build(parser.get_event, {}, convert)
    finally:
        parser.dispose()


_PY = "tag:yaml.org,2002:python/"
_ISTR = _PY + "object/new:multidict._istr.istr"
_YARL_URL = _PY + "object/new:yarl.URL"
_URL_PARTS = frozenset({_PY + "tuple", _PY + "object/new:urllib.parse.SplitResult"})
"""Tags that only appear inside a pickled yarl.URL's state: its parts, as a list or a string."""


def _one_string(items: list[Any], what: str) -> str:
    if len(items) != 1 or not isinstance(items[0], str):
        raise _Refused(f"{what} must hold one string")
    return str(items[0])


def _url_string(parts: list[Any]) -> str:
    if len(parts) != 5 or not all(isinstance(p, str) for p in parts):
        raise _Refused("a yarl.URL must hold the 5 parts of a URL")
    return str(urlunsplit(parts))


def _tagged(tag: str, items: list[Any], inside_url: bool) -> Any:
    """Old vcrpy+aiohttp cassettes pickled istr header names and yarl.URLs: read them as text.

    Nothing is constructed; any other tag on a collection is refused.
    """
    if tag == _ISTR:
        return _one_string(items, "a multidict istr")
    if tag == _YARL_URL:
        state = dict(zip(items[::2], items[1::2], strict=False)).get("state")
        part = state[0] if isinstance(state, list) and state else None
        return part if isinstance(part, str) else _url_string(part or [])
    if tag in _URL_PARTS and inside_url:
        return items if tag.endswith("tuple") else _url_string(items)
    raise _Refused(f"tag {tag!r} is not allowed in a cassette")


_Marks = tuple[str | None, str | None]
"""A collection's anchor and (python) tag."""


def _marks(event: Any) -> _Marks:
    tag = None if event.implicit else event.tag
    if tag is not None and not tag.startswith(_PY):
        raise _Refused(f"tag {tag!r} is not allowed in a cassette")
    return event.anchor, tag


def _settle(
    marks: _Marks, items: list[Any], value: Any, anchors: dict[str, Any], open_: dict[int, _Marks]
) -> Any:
    """A marked collection's value: read from its tag if it has one, and kept for aliases."""
    anchor, tag = marks
    if tag is not None:
        value = _tagged(tag, items, any(t == _YARL_URL for _, t in open_.values()))
    if anchor is not None:
        anchors[anchor] = value
    return value


def _aliased(event: Any, anchors: dict[str, Any]) -> Any:
    if event.anchor not in anchors:
        raise _Refused(f"alias *{event.anchor} names no anchor")
    return anchors[event.anchor]


def _build(
    get_event: Callable[[], yaml.Event | None],
    anchors: dict[str, Any],
    convert: Callable[[Any, int], Any] | None,
) -> Any:
    """The document of ``get_event``'s events; one flat loop, scalars first (most events)."""
    stack: list[list[Any]] = []
    converted: list[Any] | None = None  # the top-level interactions list, once open
    marked: dict[int, _Marks] = {}  # depth: the marks of an open collection that has some
    current: list[Any] = []
    root, append = current, current.append
    plain: dict[str, Any] = {}  # plain scalars already resolved: status codes, hosts, "OK"
    event: Any = None
    try:
        while True:
            event = get_event()
            kind = type(event)
            if kind is _Scalar:
                value = event.value
                if event.implicit[0]:
                    if not value or value[0] in _MAYBE_TYPED:
                        resolved = plain.get(value, _UNSEEN)
                        if resolved is _UNSEEN:
                            resolved = plain[value] = _typed_scalar(event)
                        value = resolved
                elif event.tag is not None:
                    value = _typed_scalar(event)
                if event.anchor is not None:
                    anchors[event.anchor] = value
                append(value)
            elif kind is _MappingEnd or kind is _SequenceEnd:
                items = current
                current = stack.pop()
                append = current.append
                if kind is _MappingEnd:
                    pairs = iter(items)
                    value = dict(zip(pairs, pairs))  # noqa: B905 - one iterator, read in pairs
                else:
                    value = items
                if current is converted and convert and kind is _MappingEnd:
                    value = convert(value, len(current))
                if marked and len(stack) in marked:
                    value = _settle(marked.pop(len(stack)), items, value, anchors, marked)
                append(value)
            elif kind is _MappingStart or kind is _SequenceStart:
                stack.append(current)
                current = []
                append = current.append
                if len(stack) == 2 and kind is _SequenceStart and stack[1][-1:] == ["interactions"]:
                    converted = current
                if event.anchor is not None or not event.implicit:
                    marked[len(stack) - 1] = _marks(event)
            elif kind is _Alias:
                append(_aliased(event, anchors))
            elif kind is _StreamEnd:
                break
            elif event is None:  # the parser is done, and no event said so: never loop on
                raise _Refused("the document ended without the end of its stream")
    except _Refused as exc:
        mark = None if event is None else event.start_mark
        raise CassetteFormatError(f"{exc}" + (f" (line {mark.line + 1})" if mark else "")) from None
    return root[0] if root else None
