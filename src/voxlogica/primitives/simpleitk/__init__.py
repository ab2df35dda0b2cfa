"""The ``simpleitk`` namespace: SimpleITK's whole procedural API, generically.

Every public function of SimpleITK's procedural interface (``BinaryThreshold``,
``Multiply``, ``ReadImage``, ``MinimumMaximum``... about 350 of them) is a
primitive here, as are the integer constants the functions take as arguments
(``sitkFloat32``, ``sitkUInt8``, ``sitkLinear``, ``sitkBall``...), which are
zero-argument foldable primitives.

Nothing is listed by hand. A primitive is built the first time its name is
looked up, from the function's docstring, which SimpleITK writes as one C++
signature per overload::

    BinaryThreshold(Image image1, double lowerThreshold=0.0, ...) -> Image
    Add(Image image1, Image image2) -> Image
    Add(Image image1, double constant) -> Image

From those signatures come the arity range and the C++ type of each parameter,
which decides how ImgQL values are coerced before the call:

* integer types (``uint8_t``, ``unsigned int``, ``int64_t``, enumerations...)
  take an ``int``, or a ``float`` with an integral value (``1.0``); ``1.5`` or an
  out-of-range value is a ``ValueError`` naming the parameter;
* ``double``/``float`` take any number; ``bool`` takes only a boolean;
* ``std::vector`` parameters (``VectorUInt32``, ``VectorDouble``...) take a
  tuple, list, range or 1-D array; a single number is repeated once per
  dimension of the call's first image argument, so ``BinaryDilate(img, 2)``
  means a radius of 2 along every axis;
* point lists (``VectorUIntList``, e.g. seeds) also take one point;
* images and transforms must be SimpleITK objects.

With several overloads the first one whose parameters accept the arguments is
used, so ``Add(img, 2)`` picks ``Add(Image, double)``. Functions written in
Python by SimpleITK itself (``ReadImage``, ``WriteImage``, ``MinimumMaximum``...)
are described by their Python signature instead.

Failures inside SimpleITK become a ``RuntimeError`` carrying SimpleITK's own
message without the C++ source locations and object addresses.
Looking names up does not import SimpleITK. What a primitive needs before it
is called (arities, signature, description, flags, constant values) comes from
a manifest cached per SimpleITK version in the user's cache directory (see
:mod:`~voxlogica.primitives.simpleitk.manifest`), built once from the
docstrings; a function imports SimpleITK and parses its own docstring at its
first call. So reducing a program, and a rerun whose results are all stored,
never load the library. Without package metadata to name the manifest by,
SimpleITK is imported and primitives are built from it name by name.

The version of every primitive combines SimpleITK's version with
:data:`WRAPPER_VERSION`, so upgrading SimpleITK, or changing this wrapper,
invalidates stored results. Primitives are the same whether they came from
the manifest or from SimpleITK.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from voxlogica.primitives.registry import Namespace, Primitive
from voxlogica.primitives.simpleitk import manifest
from voxlogica.primitives.simpleitk.properties import (
    property_names,
    property_primitive,
)

if TYPE_CHECKING:
    from voxlogica.primitives.simpleitk.errors import simpleitk_error_message
    from voxlogica.primitives.simpleitk.parsing import (
        Overload,
        Parameter,
        overloads_of,
        parse_docstring_overloads,
        parse_python_signature,
        signature_text,
    )

__all__ = [
    "NAMESPACE",
    "PRIMITIVE_VERSION",
    "SIMPLEITK_VERSION",
    "WRAPPER_VERSION",
    "Overload",
    "Parameter",
    "SimpleITKConstant",
    "SimpleITKFunction",
    "SimpleITKNamespace",
    "overloads_of",
    "parse_docstring_overloads",
    "parse_python_signature",
    "signature_text",
    "simpleitk_error_message",
]

# Names re-exported from the submodules that define them, which are imported
# on first access: a warm run that only reads the manifest needs none of them.
_LAZY_EXPORTS = {
    "Overload": "parsing",
    "Parameter": "parsing",
    "overloads_of": "parsing",
    "parse_docstring_overloads": "parsing",
    "parse_python_signature": "parsing",
    "signature_text": "parsing",
    "simpleitk_error_message": "errors",
}


def __getattr__(name: str) -> Any:
    """Import the submodule defining a re-exported name on first access."""
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


#: Bump when the coercion or error handling of this wrapper changes behaviour.
WRAPPER_VERSION = "1"


def _simpleitk() -> ModuleType:
    """The SimpleITK module, imported on first need."""
    import SimpleITK

    return SimpleITK


_METADATA_VERSION = manifest.installed_version()

#: The installed SimpleITK's version; from its package metadata when there is
#: any, so that knowing it does not import the library.
SIMPLEITK_VERSION = _METADATA_VERSION or _simpleitk().Version_VersionString()

#: Version given to every primitive of the namespace.
PRIMITIVE_VERSION = f"{SIMPLEITK_VERSION}+wrapper.{WRAPPER_VERSION}"


class SimpleITKFunction:
    """The callable of a SimpleITK primitive: coerce, call, translate errors.

    Holds only the function's name. SimpleITK is imported, and the function's
    docstring parsed into the overloads that decide the coercion, at the first
    call (or the first look at :attr:`function` or :attr:`overloads`).

    Pickles by name, so that a worker process rebuilds it from its own
    SimpleITK rather than receiving parsed signatures.

    Messages of the errors it raises do not repeat the primitive's name: the
    engine prefixes every failure with the qualified name already.
    """

    def __init__(self, name: str):
        self.name = name
        self._bound: tuple[Callable[..., Any], tuple[Overload, ...], Any] | None = None

    def _bind(self) -> tuple[Callable[..., Any], tuple[Overload, ...], Any]:
        bound = self._bound
        if bound is None:
            # Two threads may bind at once; both compute the same tuple.
            from voxlogica.primitives.simpleitk import calls, parsing

            function = getattr(_simpleitk(), self.name)
            overloads = tuple(parsing.overloads_of(self.name, function))
            bound = (function, overloads, calls)
            self._bound = bound
        return bound

    @property
    def function(self) -> Callable[..., Any]:
        """The SimpleITK function itself."""
        return self._bind()[0]

    @property
    def overloads(self) -> tuple[Overload, ...]:
        """The function's signatures, in docstring order."""
        return self._bind()[1]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_function_named, (self.name,))

    def __repr__(self) -> str:
        return f"<SimpleITK function {self.name}>"

    def convert(self, args: Sequence[Any]) -> list[Any]:
        """Coerce ``args`` for the first overload that accepts them.

        See :func:`voxlogica.primitives.simpleitk.calls.convert_arguments`.
        """
        _function, overloads, calls = self._bind()
        return calls.convert_arguments(overloads, args)

    def signature_text(self) -> str:
        """The overloads as one line, as the primitive's signature shows them."""
        from voxlogica.primitives.simpleitk.parsing import signature_text

        return signature_text(self.overloads)

    def __call__(self, *args: Any) -> Any:
        function, overloads, calls = self._bind()
        return calls.call(self.name, function, overloads, args)


class SimpleITKConstant:
    """The callable of a zero-argument constant primitive such as ``sitkUInt8``."""

    def __init__(self, value: int):
        self.value = value

    def __call__(self) -> int:
        return self.value

    def __repr__(self) -> str:
        return f"<SimpleITK constant {self.value}>"


# --- the namespace ------------------------------------------------------------


class SimpleITKNamespace(Namespace):
    """Namespace exposing SimpleITK's procedural API, one primitive per function.

    Parameters
    ----------
    cache_dir
        Directory of the manifest; by default ``$VOXLOGICA_CACHE_DIR`` or the
        user's cache directory, decided when the manifest is first needed.
    use_manifest
        False builds every primitive from SimpleITK itself, parsing only the
        docstrings of the names looked up. Also what happens when SimpleITK
        has no package metadata to name the manifest by.

    Primitives are built on first lookup and cached.
    """

    def __init__(self, cache_dir: Path | None = None, *, use_manifest: bool = True):
        super().__init__("simpleitk", version=PRIMITIVE_VERSION)
        self._cache_dir = cache_dir
        self._use_manifest = use_manifest and _METADATA_VERSION is not None
        self._manifest: dict[str, Any] | None = None
        self._manifest_lock = threading.Lock()
        self._names: list[str] | None = None

    @property
    def uses_manifest(self) -> bool:
        """Whether names are resolved from the manifest rather than SimpleITK."""
        return self._use_manifest

    def lookup(self, name: str) -> Primitive | None:
        """Return the primitive for SimpleITK function or constant ``name``.

        Parameters
        ----------
        name
            A procedural function (``BinaryThreshold``) or a constant
            (``sitkFloat32``).

        Returns
        -------
        Primitive or None
            None if SimpleITK has no such public function or constant.
        """
        cached = self._primitives.get(name)
        if cached is not None:
            return cached
        image_property = property_primitive(name, self.name, PRIMITIVE_VERSION)
        if image_property is not None:
            return self._primitives.setdefault(name, image_property)
        if self._use_manifest:
            primitive = self._from_manifest(name)
        else:
            primitive = self._from_simpleitk(name)
        if primitive is None:
            return None
        # Two threads may build the same primitive; both copies are equal.
        return self._primitives.setdefault(name, primitive)

    def names(self) -> list[str]:
        """All function and constant names, without building their primitives."""
        if self._names is None:
            if self._use_manifest:
                data = self._loaded_manifest()
                self._names = sorted([*data["functions"], *data["constants"]])
            else:
                self._names = manifest.public_names(_simpleitk())
            self._names = sorted({*self._names, *property_names()})
        return list(self._names)

    def preload(self) -> None:
        """Import SimpleITK and the calling code now, before any call needs them.

        Meant for an engine that is about to compute SimpleITK calls: importing
        in the current thread, before the workers start, is cheaper than the
        first call importing in a worker thread while the scheduler's threads
        compete for the interpreter.
        """
        from voxlogica.primitives.simpleitk import calls  # noqa: F401

    def _loaded_manifest(self) -> dict[str, Any]:
        data = self._manifest
        if data is None:
            with self._manifest_lock:
                data = self._manifest
                if data is None:
                    directory = self._cache_dir or manifest.cache_dir()
                    data = manifest.load(directory, SIMPLEITK_VERSION, WRAPPER_VERSION)
                    self._manifest = data
        return data

    def _from_manifest(self, name: str) -> Primitive | None:
        data = self._loaded_manifest()
        value = data["constants"].get(name)
        if value is not None:
            return self._constant_primitive(name, value)
        entry = data["functions"].get(name)
        if entry is not None:
            return self._function_primitive(name, entry)
        return None

    def _from_simpleitk(self, name: str) -> Primitive | None:
        module = _simpleitk()
        if manifest.is_constant(module, name):
            return self._constant_primitive(name, int(getattr(module, name)))
        if manifest.is_procedural_function(module, name):
            entry = manifest.function_entry(module, name)
            return self._function_primitive(name, entry)
        return None

    def _constant_primitive(self, name: str, value: int) -> Primitive:
        return Primitive(
            qualified_name=f"{self.name}.{name}",
            function=SimpleITKConstant(value),
            version=PRIMITIVE_VERSION,
            min_arity=0,
            max_arity=0,
            description=f"SimpleITK constant {name} (= {value}).",
            signature="() -> number",
            is_foldable=True,
        )

    def _function_primitive(self, name: str, entry: dict[str, Any]) -> Primitive:
        return Primitive(
            qualified_name=f"{self.name}.{name}",
            function=SimpleITKFunction(name),
            version=PRIMITIVE_VERSION,
            min_arity=entry["min_arity"],
            max_arity=entry["max_arity"],
            description=entry["description"],
            signature=entry["signature"],
            is_foldable=entry["is_foldable"],
            is_volatile=entry["is_volatile"],
            returns_sequence=entry["returns_sequence"],
            file_arguments=tuple(entry["file_arguments"]),
        )


NAMESPACE = SimpleITKNamespace()


def _function_named(name: str) -> Callable[..., Any]:
    """Unpickle a :class:`SimpleITKFunction` by looking its name up again."""
    primitive = NAMESPACE.lookup(name)
    if primitive is None:
        raise LookupError(f"SimpleITK has no procedural function {name!r}")
    return primitive.function
