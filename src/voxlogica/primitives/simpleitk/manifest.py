"""The manifest: what the namespace knows about SimpleITK, cached as JSON.

Reducing a program only needs the names, arities, signatures, descriptions and
flags of the SimpleITK functions it calls, and the values of the ``sitk...``
constants. Importing SimpleITK (and numpy with it) to learn those costs more
than the rest of a warm rerun, so they are computed once per SimpleITK version
and kept in ``simpleitk-<version>-<wrapper version>.json`` in the user's cache
directory (``$VOXLOGICA_CACHE_DIR`` when set). The version is read from the
installed package's metadata, which does not import SimpleITK.

The manifest holds no parsed parameter types: a function parses its own
docstring when it is first called, which needs SimpleITK loaded anyway.

A manifest that is missing, unreadable, of another format, or written by
different code (the file records a digest of this module and of
:mod:`~voxlogica.primitives.simpleitk.parsing`) is rebuilt from SimpleITK and
replaced atomically, so concurrent runs never read half a file. A cache
directory that cannot be written only costs the rebuild on every run.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voxlogica.primitives.simpleitk.parsing import Overload

logger = logging.getLogger(__name__)

#: Bump when the layout of the manifest changes.
FORMAT = 1

#: Environment variable naming the directory that holds the manifest.
CACHE_DIR_ENV_VAR = "VOXLOGICA_CACHE_DIR"

# importlib.metadata normalises case on most Pythons, but not every finder
# does, and the wheel's dist-info is spelt in lower case.
_DISTRIBUTION_NAMES = ("SimpleITK", "simpleitk")

CONSTANT_PREFIX = "sitk"

# Functions whose result depends on, or changes, the world outside the call:
# writers, viewers, global settings, and directory listings.
_VOLATILE_PREFIXES = (
    "Write",
    "Show",
    "ImageViewer_",
    "ProcessObject_",
    "LoggerBase_",
    "ImageSeriesReader_GetGDCMSeries",
)

# Pure, cheap and scalar: safe to compute while the plan is being built.
_FOLDABLE_PREFIXES = (
    "Version_",
    "GetPixelIDValueAsString",
    "GetPixelIDValueFromString",
    "DICOMOrientImageFilter_",
    "FFTPadImageFilter_DefaultSizeGreatestPrimeFactor",
)

# Readers whose first argument names the file whose bytes they read.
_FILE_READERS = ("ReadImage", "ReadTransform", "ImageReaderBase_GetImageIOFromFileName")

# What every function entry holds.
_FUNCTION_FIELDS = (
    "min_arity",
    "max_arity",
    "signature",
    "description",
    "is_foldable",
    "is_volatile",
    "returns_sequence",
    "file_arguments",
)
_FLAGS = ("is_foldable", "is_volatile", "returns_sequence")


# --- where, and for which SimpleITK -------------------------------------------


def installed_version() -> str | None:
    """The installed SimpleITK's version, read from its package metadata.

    Returns
    -------
    str or None
        None when no distribution metadata is found (SimpleITK built from
        source and put on ``sys.path``, for instance).
    """
    version = _version_beside_package()
    if version is not None:
        return version
    from importlib import metadata

    for name in _DISTRIBUTION_NAMES:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _version_beside_package() -> str | None:
    """The version in the ``.dist-info`` next to the SimpleITK package, if one.

    What :func:`importlib.metadata.version` says for a wheel install, found
    without importing :mod:`importlib.metadata`, which alone costs more (about
    12 ms) than the rest of reading the manifest.
    """
    from importlib.util import find_spec

    try:
        spec = find_spec("SimpleITK")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return version_in(Path(next(iter(spec.submodule_search_locations))).parent)


def version_in(directory: Path) -> str | None:
    """The version of the single SimpleITK ``.dist-info`` in ``directory``.

    Parameters
    ----------
    directory
        A ``site-packages`` directory.

    Returns
    -------
    str or None
        The ``Version`` field of its ``METADATA``; None when there is no such
        directory, or several (a botched upgrade), which
        :mod:`importlib.metadata` is left to sort out.
    """
    try:
        entries = os.listdir(directory)
    except OSError:
        return None
    candidates = [
        entry
        for entry in entries
        if entry.endswith(".dist-info")
        and _normalise_name(entry[: -len(".dist-info")].rpartition("-")[0])
        == "simpleitk"
    ]
    if len(candidates) != 1:
        return None
    try:
        with open(directory / candidates[0] / "METADATA", encoding="utf-8") as file:
            for line in file:
                if not line.strip():
                    break  # the end of the headers
                if line.startswith("Version:"):
                    return line.partition(":")[2].strip() or None
    except (OSError, ValueError):
        return None
    return None


def _normalise_name(name: str) -> str:
    # As packaging normalises distribution names: case and runs of -_. do not
    # count.
    return re.sub(r"[-_.]+", "_", name).lower()


def cache_dir() -> Path:
    """The directory holding manifests: ``$VOXLOGICA_CACHE_DIR`` or the user cache.

    Returns
    -------
    pathlib.Path
        For instance ``~/.cache/voxlogica`` on Linux.
    """
    override = os.environ.get(CACHE_DIR_ENV_VAR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("voxlogica"))


def manifest_path(
    directory: Path, simpleitk_version: str, wrapper_version: str
) -> Path:
    """The manifest file for one SimpleITK version and wrapper version."""
    return directory / f"simpleitk-{simpleitk_version}-{wrapper_version}.json"


def builder_digest() -> str:
    """A digest of the code that computes manifest entries.

    Stored in the manifest so that editing the flags or the docstring parsing
    without bumping the wrapper version cannot leave stale entries in use.
    """
    digest = hashlib.sha256()
    here = Path(__file__)
    for source in (here, here.with_name("parsing.py")):
        try:
            digest.update(source.read_bytes())
        except OSError:
            # Installed without sources: the wrapper version must do.
            digest.update(source.name.encode())
    return digest.hexdigest()[:16]


# --- entries ------------------------------------------------------------------


def is_procedural_function(module: ModuleType, name: str) -> bool:
    """Whether ``name`` is a public function of SimpleITK's procedural API.

    Parameters
    ----------
    module
        The ``SimpleITK`` module.
    name
        A candidate name.

    Returns
    -------
    bool
        True for plain functions whose name starts with an uppercase letter;
        classes and module constants are not procedural functions.
    """
    if not name[:1].isupper() or not name.isidentifier():
        return False
    value = getattr(module, name, None)
    return inspect.isfunction(value) or inspect.isbuiltin(value)


def is_constant(module: ModuleType, name: str) -> bool:
    """Whether ``name`` is one of SimpleITK's ``sitk...`` integer constants.

    Parameters
    ----------
    module
        The ``SimpleITK`` module.
    name
        A candidate name.

    Returns
    -------
    bool
        True for names like ``sitkFloat32`` that hold an ``int``.
    """
    if not name.startswith(CONSTANT_PREFIX) or not name.isidentifier():
        return False
    value = getattr(module, name, None)
    return isinstance(value, int) and not isinstance(value, bool)


def public_names(module: ModuleType) -> list[str]:
    """All procedural function and constant names of ``module``, sorted."""
    return sorted(
        name
        for name in dir(module)
        if is_procedural_function(module, name) or is_constant(module, name)
    )


def function_entry(module: ModuleType, name: str) -> dict[str, Any]:
    """What a primitive for SimpleITK function ``name`` needs, as JSON values.

    Parameters
    ----------
    module
        The ``SimpleITK`` module.
    name
        A procedural function of it.

    Returns
    -------
    dict
        Arities, signature, description, flags and file argument positions.
    """
    # Imported here: reading a manifest needs none of the parsing code.
    from voxlogica.primitives.simpleitk import parsing

    function = getattr(module, name)
    overloads = parsing.overloads_of(name, function)
    maxima = [overload.max_arity for overload in overloads]
    sequence_returns = [
        overload.returns.startswith(("Vector", "Tuple", "List"))
        for overload in overloads
    ]
    return {
        "min_arity": min(overload.min_arity for overload in overloads),
        "max_arity": None if None in maxima else max(maxima),
        "signature": parsing.signature_text(overloads),
        "description": parsing.describe(name, function, module),
        "is_foldable": name.startswith(_FOLDABLE_PREFIXES),
        "is_volatile": name.startswith(_VOLATILE_PREFIXES)
        or _seeded_by_clock(overloads),
        "returns_sequence": all(sequence_returns),
        "file_arguments": [0] if name in _FILE_READERS else [],
    }


def _seeded_by_clock(overloads: Sequence[Overload]) -> bool:
    """Whether a call may draw its random seed from the clock (noise filters).

    Such results differ from run to run unless the program passes a seed, so
    they are treated as volatile rather than stored.
    """
    return any(
        parameter.name == "seed" and "WallClock" in parameter.default
        for overload in overloads
        for parameter in overload.parameters
    )


def _header(simpleitk_version: str, wrapper_version: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "simpleitk_version": simpleitk_version,
        "wrapper_version": wrapper_version,
        "builder": builder_digest(),
    }


def build(
    module: ModuleType, simpleitk_version: str, wrapper_version: str
) -> dict[str, Any]:
    """Describe every function and constant of ``module``.

    Parameters
    ----------
    module
        The ``SimpleITK`` module.
    simpleitk_version, wrapper_version
        Recorded in the manifest, and checked when it is read back.

    Returns
    -------
    dict
        The header fields, ``functions`` (name to entry) and ``constants``
        (name to value).
    """
    functions: dict[str, dict[str, Any]] = {}
    constants: dict[str, int] = {}
    for name in public_names(module):
        if is_constant(module, name):
            constants[name] = int(getattr(module, name))
        else:
            functions[name] = function_entry(module, name)
    return {
        **_header(simpleitk_version, wrapper_version),
        "functions": functions,
        "constants": constants,
    }


# --- reading and writing ------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_entry(entry: Any) -> bool:
    if not isinstance(entry, dict) or sorted(entry) != sorted(_FUNCTION_FIELDS):
        return False
    max_arity = entry["max_arity"]
    positions = entry["file_arguments"]
    return (
        _is_int(entry["min_arity"])
        and (max_arity is None or _is_int(max_arity))
        and isinstance(entry["signature"], str)
        and isinstance(entry["description"], str)
        and all(isinstance(entry[flag], bool) for flag in _FLAGS)
        and isinstance(positions, list)
        and all(_is_int(position) for position in positions)
    )


def is_valid(data: Any, simpleitk_version: str, wrapper_version: str) -> bool:
    """Whether ``data`` is a complete manifest for these versions and this code."""
    if not isinstance(data, dict):
        return False
    header = _header(simpleitk_version, wrapper_version)
    if any(data.get(key) != value for key, value in header.items()):
        return False
    functions = data.get("functions")
    constants = data.get("constants")
    if not isinstance(functions, dict) or not isinstance(constants, dict):
        return False
    if not functions:
        return False
    return all(_valid_entry(entry) for entry in functions.values()) and all(
        _is_int(value) for value in constants.values()
    )


def read(path: Path, simpleitk_version: str, wrapper_version: str) -> dict | None:
    """The manifest at ``path``, or None if it is missing, unreadable or stale."""
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.debug("SimpleITK manifest %s unreadable (%s); rebuilding", path, error)
        return None
    if not is_valid(data, simpleitk_version, wrapper_version):
        logger.debug("SimpleITK manifest %s is stale or corrupt; rebuilding", path)
        return None
    return data


def write(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file, then a rename).

    Raises
    ------
    OSError
        If the directory cannot be created or written.
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, sort_keys=True, separators=(",", ":"))
        # mkstemp makes the file private; a cache of public facts need not be.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def load(directory: Path, simpleitk_version: str, wrapper_version: str) -> dict:
    """The manifest for this SimpleITK, read from ``directory`` or rebuilt.

    Rebuilding imports SimpleITK; the result is written back for the next
    run, unless the directory is not writable.

    Parameters
    ----------
    directory
        Where manifests are kept.
    simpleitk_version
        The installed SimpleITK's version, as :func:`installed_version` says.
    wrapper_version
        The wrapper's version.

    Returns
    -------
    dict
        A manifest that :func:`is_valid` accepts.
    """
    path = manifest_path(directory, simpleitk_version, wrapper_version)
    data = read(path, simpleitk_version, wrapper_version)
    if data is not None:
        return data
    import SimpleITK

    data = build(SimpleITK, simpleitk_version, wrapper_version)
    try:
        write(path, data)
    except OSError as error:
        logger.debug("cannot write SimpleITK manifest %s: %s", path, error)
    return data
