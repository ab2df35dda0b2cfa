"""What ``print`` and ``save`` do with the values a program computes.

* :func:`summarize` renders a value as the one line ``print`` shows;
* :func:`to_json` turns a value into plain JSON data;
* :func:`vltype_of` names a value's ImgQL type;
* :func:`save_value` writes a value to a file whose extension picks the format;
* :func:`register_sizes` tells dask how much memory a SimpleITK image holds.

SimpleITK is never imported here: a value can only be a SimpleITK image if
SimpleITK has already been imported by whoever made it, so the checks look the
module up in ``sys.modules`` instead. A program that never touches images
does not pay for loading SimpleITK.

Conventions chosen here:

* JSON has no NaN or infinity; :func:`to_json` writes them as ``null``.
* Arrays with at most :data:`JSON_ARRAY_LIMIT` elements become nested lists in
  JSON, larger ones only their shape and dtype; likewise :func:`summarize`
  lists at most :data:`SUMMARY_ARRAY_LIMIT` elements.
* A ``bool image`` is a scalar ``uint8`` image whose voxels are all 0 or 1.
  Telling it apart from other ``uint8`` images takes one pass over the voxels
  (a few milliseconds for a 256³ image), which :func:`vltype_of` does.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Image formats :func:`save_value` writes with SimpleITK.
IMAGE_EXTENSIONS = (".nii.gz", ".nii", ".mha", ".nrrd")
#: Every extension :func:`save_value` accepts.
ACCEPTED_EXTENSIONS = (*IMAGE_EXTENSIONS, ".png", ".json")
#: Arrays up to this many elements are written out in full by :func:`to_json`.
JSON_ARRAY_LIMIT = 10_000
#: Arrays up to this many elements are listed in full by :func:`summarize`.
SUMMARY_ARRAY_LIMIT = 16
#: Sequences longer than this are shortened by :func:`summarize`.
SUMMARY_SEQUENCE_LIMIT = 20

# Formats that compress losslessly when SimpleITK is asked to.
_COMPRESSIBLE = (".mha", ".nrrd")


# --- recognising values -------------------------------------------------------


def _simpleitk() -> Any:
    return sys.modules.get("SimpleITK")


def _numpy() -> Any:
    return sys.modules.get("numpy")


def _is_image(value: Any) -> bool:
    sitk = _simpleitk()
    return sitk is not None and isinstance(value, sitk.Image)


def _is_transform(value: Any) -> bool:
    sitk = _simpleitk()
    return sitk is not None and isinstance(value, sitk.Transform)


def _is_array(value: Any) -> bool:
    numpy = _numpy()
    return numpy is not None and isinstance(value, numpy.ndarray)


def _is_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    numpy = _numpy()
    return numpy is not None and isinstance(value, numpy.bool_)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not _is_bool(value)


# --- images -------------------------------------------------------------------

_BASE_PIXEL_TYPES = (
    "UInt8", "Int8", "UInt16", "Int16", "UInt32", "Int32", "UInt64", "Int64",
    "Float32", "Float64",
)  # fmt: skip
_pixel_type_names: dict[int, str] = {}


def pixel_type_name(image: Any) -> str:
    """Short name of an image's pixel type: ``uint8``, ``float32``...

    Parameters
    ----------
    image : SimpleITK.Image
        The image.

    Returns
    -------
    str
        A numpy-style name; vector images read ``vector of 3 float32``, label
        maps ``label uint8``, complex images ``complex64``/``complex128``.
    """
    sitk = _simpleitk()
    if not _pixel_type_names:
        for base in _BASE_PIXEL_TYPES:
            short = base.lower()
            for prefix, name in (("", short), ("Vector", f"vector {short}"),
                                 ("Label", f"label {short}")):  # fmt: skip
                identifier = getattr(sitk, f"sitk{prefix}{base}", None)
                if isinstance(identifier, int) and identifier >= 0:
                    _pixel_type_names.setdefault(identifier, name)
        _pixel_type_names[sitk.sitkComplexFloat32] = "complex64"
        _pixel_type_names[sitk.sitkComplexFloat64] = "complex128"
    identifier = image.GetPixelID()
    name = _pixel_type_names.get(identifier) or image.GetPixelIDTypeAsString()
    components = image.GetNumberOfComponentsPerPixel()
    if name.startswith("vector "):
        return f"vector of {components} {name.removeprefix('vector ')}"
    return name


def _numpy_for_images() -> Any:
    # SimpleITK loads numpy only on demand, so an image can exist before numpy
    # has been imported.
    import numpy

    return numpy


def _image_array(image: Any) -> Any:
    return _simpleitk().GetArrayViewFromImage(image)


def _is_bool_image(image: Any) -> bool:
    sitk = _simpleitk()
    if image.GetPixelID() != sitk.sitkUInt8:
        return False
    return int(_image_array(image).max()) <= 1


def image_range(image: Any) -> tuple[int | float | None, int | float | None]:
    """Smallest and largest voxel value, over every component.

    Parameters
    ----------
    image : SimpleITK.Image
        The image.

    Returns
    -------
    tuple
        ``(min, max)`` as ``int`` for integer pixel types and ``float``
        otherwise; NaN voxels are ignored, and ``(None, None)`` is returned for
        an image with no comparable voxel (all NaN, or complex).
    """
    numpy = _numpy_for_images()
    array = _image_array(image)
    if array.size == 0 or numpy.iscomplexobj(array):
        return None, None
    low, high = array.min(), array.max()
    if numpy.issubdtype(array.dtype, numpy.floating) and (
        math.isnan(low) or math.isnan(high)
    ):
        finite = array[~numpy.isnan(array)]
        if finite.size == 0:
            return None, None
        low, high = finite.min(), finite.max()
    if numpy.issubdtype(array.dtype, numpy.integer):
        return int(low), int(high)
    return float(low), float(high)


def image_nbytes(image: Any) -> int:
    """Bytes held by an image's pixel buffer.

    Parameters
    ----------
    image : SimpleITK.Image
        The image.

    Returns
    -------
    int
        Pixels × components per pixel × bytes per component.
    """
    return (
        image.GetNumberOfPixels()
        * image.GetNumberOfComponentsPerPixel()
        * image.GetSizeOfPixelComponent()
    )


def _image_metadata(image: Any) -> dict[str, Any]:
    return {
        "size": list(image.GetSize()),
        "pixel_type": pixel_type_name(image),
        "spacing": [_json_float(value) for value in image.GetSpacing()],
        "origin": [_json_float(value) for value in image.GetOrigin()],
        "direction": [_json_float(value) for value in image.GetDirection()],
    }


def _short_number(value: float) -> str:
    return f"{value:.4g}"


# --- summarize ----------------------------------------------------------------


def _summarize_number(value: Any) -> str:
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if type(value) is float:
        return repr(value)
    # numpy floats print their shortest form for their own precision, so a
    # float32 0.1 shows as 0.1 and not 0.10000000149011612.
    return str(value)


def summarize_item(value: Any) -> str:
    """Summarise ``value`` as an element of a sequence: strings are quoted."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return summarize(value)


def _summarize_sequence(items: Any) -> str:
    count = len(items)
    if count > SUMMARY_SEQUENCE_LIMIT:
        shown = [summarize_item(items[index]) for index in range(10)]
        shown.append(f"… {count - 10} more")
    else:
        shown = [summarize_item(item) for item in items]
    return "[" + ", ".join(shown) + "]"


def _summarize_image(image: Any) -> str:
    size = "×".join(str(extent) for extent in image.GetSize())
    spacing = "×".join(_short_number(value) for value in image.GetSpacing())
    return f"image({size}, {pixel_type_name(image)}, spacing {spacing} mm)"


def summarize(value: Any) -> str:
    """The human-readable text ``print "name" value`` shows.

    Parameters
    ----------
    value
        Any value a program can compute.

    Returns
    -------
    str
        Integers as integers, floats with ``repr`` (``0.5``, ``255.0``),
        booleans as ``true``/``false``, strings as they are, sequences as
        ``[a, b, c]`` (strings inside quoted, long sequences shortened),
        small arrays as nested lists and large ones as
        ``array(100×100, float64)``, images as
        ``image(188×256×190, uint8, spacing 0.88×0.88×0.88 mm)``. Other
        objects show their type name, never their repr.
    """
    if _is_bool(value):
        return "true" if value else "false"
    if _is_number(value):
        return _summarize_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (tuple, list, range)):
        return _summarize_sequence(value)
    if isinstance(value, Mapping):
        entries = (
            f"{summarize_item(key)}: {summarize_item(item)}"
            for key, item in value.items()
        )
        return "{" + ", ".join(entries) + "}"
    if _is_image(value):
        return _summarize_image(value)
    if _is_array(value):
        if value.ndim == 0:
            return summarize(value.item())
        if value.size <= SUMMARY_ARRAY_LIMIT:
            return summarize(value.tolist())
        shape = "×".join(str(extent) for extent in value.shape)
        return f"array({shape}, {value.dtype})"
    if _is_transform(value):
        return f"transform({value.GetName()})"
    return f"<{type(value).__name__}>"


# --- to_json ------------------------------------------------------------------


def _json_float(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _json_scalar_list(data: Any) -> Any:
    if isinstance(data, list):
        return [_json_scalar_list(item) for item in data]
    return to_json(data)


def to_json(value: Any) -> Any:
    """A JSON-ready form of ``value``.

    Parameters
    ----------
    value
        Any value a program can compute.

    Returns
    -------
    Any
        ``int``/``float`` for numbers, with NaN and infinities as ``None``
        (JSON ``null``); ``bool``; ``str``; lists for tuples, lists and ranges;
        dicts with string keys for mappings; nested lists for arrays of at
        most :data:`JSON_ARRAY_LIMIT` elements, else
        ``{"array": {"shape", "dtype"}}``; for images
        ``{"image": {"size", "pixel_type", "spacing", "origin", "direction"}}``.
        Anything else becomes ``{"type": <type name>, "summary": <summarize>}``
        so that reporting a result never fails.
    """
    if _is_bool(value):
        return bool(value)
    if _is_number(value):
        if isinstance(value, numbers.Integral):
            return int(value)
        return _json_float(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (tuple, list, range)):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {
            key if isinstance(key, str) else summarize(key): to_json(item)
            for key, item in value.items()
        }
    if _is_image(value):
        return {"image": _image_metadata(value)}
    if _is_array(value):
        if value.size <= JSON_ARRAY_LIMIT:
            return _json_scalar_list(value.tolist())
        return {"array": {"shape": list(value.shape), "dtype": str(value.dtype)}}
    return {"type": type(value).__name__, "summary": summarize(value)}


# --- vltype_of ----------------------------------------------------------------


def vltype_of(value: Any) -> str:
    """The ImgQL type name of ``value``.

    Parameters
    ----------
    value
        Any value a program can compute.

    Returns
    -------
    str
        One of ``"bool"``, ``"number"``, ``"string"``, ``"bool image"``,
        ``"image"``, ``"sequence"``, ``"array"``, ``"dict"``, ``"transform"``,
        or ``"other"``. Telling ``"bool image"`` (scalar ``uint8`` with voxels
        all 0 or 1) from ``"image"`` scans the voxels once.
    """
    if _is_bool(value):
        return "bool"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if _is_image(value):
        return "bool image" if _is_bool_image(value) else "image"
    if isinstance(value, (tuple, list, range)):
        return "sequence"
    if _is_array(value):
        return "array"
    if isinstance(value, Mapping):
        return "dict"
    if _is_transform(value):
        return "transform"
    return "other"


# --- save_value ---------------------------------------------------------------


def extension_of(path: Path) -> str:
    """The format-selecting extension of ``path``, lower case.

    Parameters
    ----------
    path
        A file path.

    Returns
    -------
    str
        One of :data:`ACCEPTED_EXTENSIONS` when the name ends with it (so
        ``brain.nii.gz`` gives ``.nii.gz``), otherwise the name's own suffixes,
        or ``""`` if it has none.
    """
    name = path.name.lower()
    for extension in sorted(ACCEPTED_EXTENSIONS, key=len, reverse=True):
        if name.endswith(extension):
            return extension
    return "".join(path.suffixes).lower()


def _file_mode() -> int:
    """Permissions for new files: what ``open`` would give under the umask."""
    umask = 0o022
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
                    break
    except (OSError, ValueError):
        pass  # not Linux: assume the usual umask rather than touch it
    return 0o666 & ~umask


def _write_atomically(
    path: Path, extension: str, write: Callable[[Path], None]
) -> None:
    """Write through a temporary file in the destination directory.

    Readers never see a half-written file, and a failure leaves any previous
    file in place. The temporary name keeps the extension because SimpleITK
    chooses the file format from it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    stem = path.name[: len(path.name) - len(extension)] or "output"
    handle, temporary_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{stem}.", suffix=extension
    )
    os.close(handle)
    temporary = Path(temporary_name)
    try:
        write(temporary)
        # mkstemp makes the file private (0600); results should be as
        # readable as any file the user creates.
        os.chmod(temporary, _file_mode())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _png_ready(image: Any, path: Path) -> Any:
    """A uint8 version of a 2D image, as PNG holds it."""
    sitk = _simpleitk()
    numpy = _numpy_for_images()
    dimension = image.GetDimension()
    if dimension != 2:
        raise ValueError(
            f"cannot save a {dimension}D image as PNG ({path}): PNG holds 2D "
            f"images only; use one of {', '.join(IMAGE_EXTENSIONS)}"
        )
    components = image.GetNumberOfComponentsPerPixel()
    if components > 1:
        if image.GetPixelID() == sitk.sitkVectorUInt8 and components in (3, 4):
            return image  # already RGB or RGBA
        raise ValueError(
            f"cannot save an image of {pixel_type_name(image)} pixels as PNG "
            f"({path}): PNG holds grey, RGB or RGBA uint8 pixels"
        )
    array = sitk.GetArrayFromImage(image)
    if numpy.iscomplexobj(array):
        raise ValueError(f"cannot save a complex image as PNG ({path})")
    if image.GetPixelID() == sitk.sitkUInt8:
        if int(array.max()) <= 1:
            # A mask: make "true" white instead of nearly black.
            array = array * numpy.uint8(255)
        converted = array
    else:
        values = array.astype(numpy.float64)
        finite = numpy.isfinite(values)
        converted = numpy.zeros(values.shape, dtype=numpy.uint8)
        if finite.any():
            low, high = values[finite].min(), values[finite].max()
            if high > low:
                scaled = (values[finite] - low) * (255.0 / (high - low))
                converted[finite] = numpy.rint(scaled).astype(numpy.uint8)
    result = sitk.GetImageFromArray(converted)
    result.CopyInformation(image)
    return result


def save_value(path: Path, value: Any) -> dict[str, Any]:
    """Write ``value`` to ``path`` in the format its extension names.

    ``.nii.gz``, ``.nii``, ``.mha`` and ``.nrrd`` take images and keep their
    geometry (spacing, origin, direction); ``.mha`` and ``.nrrd`` are written
    compressed. ``.png`` takes 2D images: a bool image (0/1 ``uint8``) is
    written as 0/255, another ``uint8`` image as is, any other scalar image
    rescaled linearly to 0–255 (NaN as 0), and RGB(A) ``uint8`` vector images
    as colour. ``.json`` takes any value, as :func:`to_json` renders it.
    Parent directories are created, and the file appears atomically.

    Parameters
    ----------
    path
        Destination file.
    value
        The value to save.

    Returns
    -------
    dict
        The layer record for the command line's JSON report:
        ``{"name": str(path), "path": absolute path, "vltype": vltype_of(value),
        "min": ..., "max": ...}``, with ``min``/``max`` the voxel range for
        images (``None`` when not finite) and ``None`` for other values.

    Raises
    ------
    ValueError
        For an extension not in :data:`ACCEPTED_EXTENSIONS`, a non-image given
        to an image format, or an image PNG cannot hold (not 2D, not grey or
        RGB(A)).
    OSError
        If the file cannot be written (SimpleITK's message, trimmed).
    """
    path = Path(path)
    extension = extension_of(path)
    if extension not in ACCEPTED_EXTENSIONS:
        raise ValueError(
            f"cannot save {path}: unknown extension {extension or '(none)'!r}; "
            f"accepted: {', '.join(ACCEPTED_EXTENSIONS)}"
        )
    vltype = vltype_of(value)
    low = high = None
    if extension == ".json":
        text = json.dumps(to_json(value), indent=2, allow_nan=False) + "\n"
        _write_atomically(
            path, extension, lambda target: target.write_text(text, encoding="utf-8")
        )
    else:
        if not _is_image(value):
            raise ValueError(
                f"cannot save a {vltype} as {extension} ({path}): that format "
                f"holds images; use .json for other values"
            )
        sitk = _simpleitk()
        image = _png_ready(value, path) if extension == ".png" else value
        compress = extension in _COMPRESSIBLE

        def write_image(target: Path) -> None:
            try:
                sitk.WriteImage(image, str(target), compress)
            except RuntimeError as error:
                from voxlogica.primitives.simpleitk import simpleitk_error_message

                # A failed write is an I/O problem; SimpleITK's raw text is
                # mostly C++ source locations.
                message = simpleitk_error_message("WriteImage", error)
                raise OSError(f"cannot write {path}: {message}") from error

        _write_atomically(path, extension, write_image)
        low, high = image_range(value)
    logger.debug("saved %s (%s) to %s", vltype, extension, path)
    return {
        "name": str(path),
        "path": str(path.absolute()),
        "vltype": vltype,
        "min": low if low is None or math.isfinite(low) else None,
        "max": high if high is None or math.isfinite(high) else None,
    }


# --- dask sizes ---------------------------------------------------------------

_sizes_lock = threading.Lock()
_sizes_registered = False


def _register_simpleitk_sizes() -> None:
    from dask.sizeof import sizeof

    sitk = _simpleitk()

    @sizeof.register(sitk.Image)
    def _sizeof_image(image: Any) -> int:
        # The Python wrapper is tiny; the pixel buffer is what fills memory.
        return image_nbytes(image) + sys.getsizeof(image)


def register_sizes() -> None:
    """Teach ``dask.sizeof`` the real memory footprint of SimpleITK images.

    Without this dask sees a SimpleITK image as a small Python object and
    schedules as if gigabytes of voxels were free. The registration is lazy:
    it runs when dask first measures a SimpleITK object, so it costs nothing
    if SimpleITK is never imported. Calling this again does nothing.
    """
    global _sizes_registered
    with _sizes_lock:
        if _sizes_registered:
            return
        from dask.sizeof import sizeof

        if _simpleitk() is not None:
            # dask may already have measured an image with its generic rule
            # and cached that choice; a direct registration replaces it.
            _register_simpleitk_sizes()
        else:
            sizeof.register_lazy("SimpleITK")(_register_simpleitk_sizes)
        _sizes_registered = True
