"""Primitive registry: what a name in ImgQL can call, and how it is identified.

A *primitive* is a Python function exposed to ImgQL under a qualified name
``namespace.name``. Its ``version`` is part of every plan node id that calls it,
so changing a primitive's behaviour (and bumping its version) invalidates the
stored results that depended on it.

Namespaces are Python modules that expose a module-level ``NAMESPACE`` object.
They are imported only when a program imports them (``import "simpleitk"``),
so a program that never touches SimpleITK does not pay for loading it; the
``default`` namespace is always visible.

Flags that the reducer and the engine act on:

``is_foldable``
    pure, cheap and scalar: when every argument is a constant the reducer
    computes the result while building the plan, so ``i / 2`` inside a loop
    becomes the same constant node as a literal ``1.5``.
``file_arguments``
    positions of arguments that name input files; the node id then includes
    a digest of the file's bytes, so editing the file invalidates results.
``is_volatile``
    the result depends on the outside world (a directory listing): it is
    recomputed on every run and never stored.
``returns_sequence``
    the result is a sequence that ImgQL loops may iterate over.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: Namespaces that ``import "name"`` can load, and the module that defines each.
NAMESPACE_MODULES: dict[str, str] = {
    "default": "voxlogica.primitives.default",
    "simpleitk": "voxlogica.primitives.simpleitk",
    "vox1": "voxlogica.primitives.vox1",
}


class UnknownNamespaceError(LookupError):
    """Raised when a program imports a namespace that does not exist."""


@dataclass(frozen=True)
class Primitive:
    """One callable operation, as the plan and the engine see it."""

    qualified_name: str
    function: Callable[..., Any] = field(repr=False, compare=False)
    version: str
    min_arity: int
    max_arity: int | None
    description: str = ""
    signature: str = ""
    is_foldable: bool = False
    is_volatile: bool = False
    returns_sequence: bool = False
    file_arguments: tuple[int, ...] = ()

    # Namespace names have no dots, but operator names may (".<=", "+."),
    # so a qualified name splits at its first dot.
    @property
    def name(self) -> str:
        return self.qualified_name.partition(".")[2]

    @property
    def namespace(self) -> str:
        return self.qualified_name.partition(".")[0]

    def accepts_arity(self, count: int) -> bool:
        if count < self.min_arity:
            return False
        return self.max_arity is None or count <= self.max_arity

    def arity_text(self) -> str:
        if self.max_arity == self.min_arity:
            return str(self.min_arity)
        if self.max_arity is None:
            return f"at least {self.min_arity}"
        return f"{self.min_arity} to {self.max_arity}"


class Namespace:
    """A named collection of primitives.

    Subclasses may create primitives on demand (the SimpleITK namespace does,
    from the library's procedural API) by overriding :meth:`lookup` and
    :meth:`names`.
    """

    def __init__(self, name: str, version: str = "1"):
        self.name = name
        self.version = version
        self._primitives: dict[str, Primitive] = {}

    def lookup(self, name: str) -> Primitive | None:
        return self._primitives.get(name)

    def names(self) -> list[str]:
        return sorted(self._primitives)

    def preload(self) -> None:
        """Import what the primitives need before workers start (default: nothing)."""

    def add(self, primitive: Primitive) -> Primitive:
        short = primitive.name
        if short in self._primitives:
            raise ValueError(f"primitive {primitive.qualified_name!r} registered twice")
        self._primitives[short] = primitive
        return primitive

    def primitive(
        self,
        name: str,
        *,
        arity: int | tuple[int, int | None],
        description: str,
        signature: str = "",
        version: str = "1",
        foldable: bool = False,
        volatile: bool = False,
        returns_sequence: bool = False,
        file_arguments: Iterable[int] = (),
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering ``function`` as ``self.name + "." + name``."""
        low, high = (arity, arity) if isinstance(arity, int) else arity

        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            self.add(
                Primitive(
                    qualified_name=f"{self.name}.{name}",
                    function=function,
                    version=f"{self.version}.{version}",
                    min_arity=low,
                    max_arity=high,
                    description=description,
                    signature=signature,
                    is_foldable=foldable,
                    is_volatile=volatile,
                    returns_sequence=returns_sequence,
                    file_arguments=tuple(file_arguments),
                )
            )
            return function

        return register


_loaded: dict[str, Namespace] = {}


def load_namespace(name: str) -> Namespace:
    """Return the namespace called ``name``, importing its module on first use."""
    if name in _loaded:
        return _loaded[name]
    module_name = NAMESPACE_MODULES.get(name)
    if module_name is None:
        known = ", ".join(sorted(NAMESPACE_MODULES))
        raise UnknownNamespaceError(f"unknown namespace {name!r} (known: {known})")
    module = importlib.import_module(module_name)
    namespace = module.NAMESPACE
    _loaded[name] = namespace
    return namespace


def loaded_namespaces() -> list[Namespace]:
    """The namespaces imported so far in this process."""
    return list(_loaded.values())


def resolve(qualified_name: str) -> Primitive:
    """Return the primitive called ``namespace.name``; raise ``LookupError``."""
    namespace_name, _, name = qualified_name.partition(".")
    primitive = load_namespace(namespace_name).lookup(name)
    if primitive is None:
        raise LookupError(f"no primitive {qualified_name!r}")
    return primitive
