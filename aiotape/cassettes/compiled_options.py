"""A cassette's match rule, filters and live-request policy, built once per distinct options.

Every test of a suite usually passes the same options, so the compiled forms are kept in a
small memo keyed by the options themselves (or a hashable stand-in equal for equal options).
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, cast

from .filters import Filters
from .matching import CustomMatcher, MatchOn, MatchRule
from .transport import LiveRequests

__all__ = ["Compiled", "compile_options"]

Compiled = tuple[MatchRule, Filters, LiveRequests]
"""A cassette's match rule, filters and live-request policy."""
_COMPILED: dict[Hashable, Compiled] = {}
_COMPILED_KEPT = 64
_PLAIN = (str, bytes, int, float, type(None))


def _frozen(value: Any) -> Hashable:
    """A hashable stand-in equal for equal options (TypeError for values it cannot vouch for).

    Containers compare by content; functions and other callables by identity, which the
    memo's key keeps alive, so an identity is never reused while its entry exists.
    """
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, (tuple, frozenset)):
        with contextlib.suppress(TypeError):
            hash(value)  # already a key (the usual case: the defaults)
            return value
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *(_frozen(item) for item in value))
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(_frozen(item) for item in value))
    if isinstance(value, Mapping):
        return ("map", *((_frozen(k), _frozen(v)) for k, v in value.items()))
    if callable(value):
        return cast(Hashable, value)
    raise TypeError(f"not a plain option value: {type(value).__name__}")


def compile_options(
    *,
    match_on: MatchOn,
    matchers: Mapping[str, CustomMatcher] | None,
    ignore_hosts: Iterable[str],
    ignore_localhost: bool,
    **filters: Any,
) -> Compiled:
    """The match rule, filters and live-request policy of these options, built once per
    distinct options (every test of a suite usually shares them).
    """
    registered = tuple(matchers.items()) if matchers else ()
    options = (*filters.values(), match_on, registered, ignore_hosts, ignore_localhost)
    key: Hashable | None = options
    try:
        try:
            known = _COMPILED.get(options)  # the usual case: every option already hashable
        except TypeError:
            key = _frozen(options)
            known = _COMPILED.get(key)
    except TypeError:  # an opaque unhashable object: built for this cassette only
        key, known = None, None
    if known is not None:
        return known
    rule = MatchRule.compile(match_on, matchers)
    built = Filters.build(**filters)
    compiled = (rule, built, LiveRequests.build(rule, built, ignore_hosts, ignore_localhost))
    if key is not None:
        if len(_COMPILED) >= _COMPILED_KEPT:
            _COMPILED.clear()
        _COMPILED[key] = compiled
    return compiled
