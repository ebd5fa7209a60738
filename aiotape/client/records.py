"""The base of aiotape's records (frozen or not), cheap to define (no generated code per class).

A ``@dataclass(frozen=True, slots=True)`` costs ~4M instructions at import, generating and
compiling its methods; a pytest run importing a dozen of them pays that every time. A record
writes its own ``__init__`` and ``__slots__``, takes its methods from :class:`Fields` or
:class:`Frozen`, and becomes a dataclass (for ``fields``, ``replace``, ``astuple``) only when
something first asks for its fields: even the decorator's bookkeeping (~0.25M instructions a
class) is not paid by a run that never does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, FrozenInstanceError, dataclass
from types import FunctionType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # typing's is 3.11+, and only type checkers read it

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda decorated: decorated


__all__ = ["Fields", "Frozen", "mutable_record", "record"]

_F = TypeVar("_F", bound="Fields")
_R = TypeVar("_R", bound="Frozen")


class _FieldsOnFirstUse:
    """A record's ``__dataclass_fields__`` until it is first read (by ``dataclasses.fields``,
    ``replace``, ``astuple``, ``is_dataclass``...): reading it makes the class a dataclass,
    whose fields then replace this descriptor."""

    __slots__ = ("_cls",)

    def __init__(self, cls: type[Fields]) -> None:
        self._cls = cls

    def __get__(self, instance: object, owner: type | None = None) -> dict[str, Field[Any]]:
        fields: dict[str, Field[Any]] = _as_dataclass(self._cls).__dataclass_fields__
        return fields


def _as_dataclass(cls: type[_F]) -> type[_F]:
    """``cls`` made a dataclass without generating anything; a field's default, which its slot
    leaves no room for in the class body, is its ``__init__`` parameter's."""
    made = dataclass(init=False, repr=False, eq=False)(cls)
    init: FunctionType = vars(made)["__init__"]
    code = init.__code__
    given = init.__defaults__ or ()
    named = code.co_varnames[code.co_argcount - len(given) : code.co_argcount]
    defaults = dict(zip(named, given, strict=True))
    defaults.update(init.__kwdefaults__ or {})
    for field in made.__dataclass_fields__.values():
        field.default = defaults.get(field.name, field.default)
    return made


def _on_first_use(cls: type[_F]) -> type[_F]:
    """``cls``, its fields (its own annotations, in order) named in ``__match_args__`` unless
    it names them itself, made a dataclass when its fields are first asked for."""
    names = vars(cls).get("__match_args__") or tuple(vars(cls).get("__annotations__", ()))
    # type.__setattr__: type checkers take both names for a dataclass's own, not to be assigned
    type.__setattr__(cls, "__match_args__", names)
    type.__setattr__(cls, "__dataclass_fields__", _FieldsOnFirstUse(cls))
    return cls


@dataclass_transform(frozen_default=True)
def record(cls: type[_R]) -> type[_R]:
    """A :class:`Frozen` subclass as a dataclass (``fields``, ``replace`` and ``astuple`` work)
    with its own ``__init__``, ``__slots__`` and Frozen's methods, so nothing is generated; type
    checkers see a frozen dataclass (assigning a field is an error)."""
    return _on_first_use(cls)


@dataclass_transform()
def mutable_record(cls: type[_F]) -> type[_F]:
    """:func:`record` for a :class:`Fields` subclass whose fields can be assigned."""
    return _on_first_use(cls)


class Fields:
    """A (mutable) dataclass's behaviour: equal by its fields in order, shown as a dataclass
    is, unhashable (defining ``__eq__`` sets ``__hash__`` to None).

    A subclass names its fields in ``__match_args__`` (:func:`record` names its annotations
    there) and sets them in its ``__init__``.
    """

    __slots__ = ()
    __match_args__: tuple[str, ...]
    if TYPE_CHECKING:  # the decorators make the subclasses dataclasses (for ``replace``)
        __dataclass_fields__: ClassVar[dict[str, Any]]

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self.__match_args__])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__)
        return f"{type(self).__qualname__}({shown})"


class Frozen(Fields):
    """A frozen dataclass's behaviour: immutable, equal and hashed by its fields in order.

    A subclass sets its fields in its ``__init__`` with ``object.__setattr__``.
    """

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return type(self), self._values()
