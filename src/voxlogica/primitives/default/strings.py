"""String, path and directory primitives of the ``default`` namespace.

Everything here except ``dir`` is pure and cheap, hence foldable: file names
built from constants (``join_path(root, "flair.nii.gz")``) become constants of
the plan, so the file digests that make stored results trustworthy can be
taken while the plan is built.

Paths are handled as text with ``/`` as the separator on every platform, so a
program computes the same names, and the same plan ids, on every machine.

Numbers become text the way ``print`` shows them: integers as integers
(``3``), floats with ``repr`` (``0.5``, ``2.0``), booleans as ``true`` and
``false``.
"""

from __future__ import annotations

import numbers
import posixpath
import re
import string
from pathlib import Path
from typing import Any

from voxlogica.primitives.default import (
    NAMESPACE,
    _is_bool,
    _is_number,
    _plain_number,
    _primitive,
    _show,
)

#: Extensions made of several suffixes that name one format; ``stem`` and
#: ``extension`` treat each as a single extension. Longest first is not needed
#: since none of them is a suffix of another.
MULTI_PART_EXTENSIONS = (
    ".nii.gz",
    ".img.gz",
    ".hdr.gz",
    ".tar.gz",
    ".tar.bz2",
    ".tar.xz",
    ".ome.tif",
    ".ome.tiff",
)

_STRING_TO_STRING = "(string) -> string"
_STRINGS_TO_BOOL = "(string, string) -> bool"

# Deliberately narrower than Python's float(): no "inf", "nan", underscores or
# hex, so that text taken from a file name is a number only if it looks like one.
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _text_of(value: Any) -> str | None:
    """The text of a scalar as ``print`` shows it; None for anything else."""
    if _is_bool(value):
        return "true" if value else "false"
    if _is_number(value):
        if isinstance(value, numbers.Integral):
            return str(int(value))
        if type(value) is float:
            return repr(value)
        # numpy floats print their shortest form for their own precision
        # (float32 0.1 is "0.1"), and their repr is "np.float32(0.1)".
        return str(value)
    if isinstance(value, str):
        return value
    return None


def _string(operator: str, what: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"{operator!r} needs a string as {what}, got {_show(value)}")


def _flag(operator: str, what: str, value: Any) -> bool:
    if _is_bool(value):
        return bool(value)
    raise TypeError(f"{operator!r} needs true or false as {what}, got {_show(value)}")


# --- conversion ---------------------------------------------------------------


@_primitive(
    "to_string",
    1,
    "(number) -> string | (bool) -> string | (string) -> string",
    "The text of a number or boolean, as print shows it.",
)
def to_string(value: Any) -> str:
    """Convert a number or boolean to text; a string is returned unchanged.

    Parameters
    ----------
    value
        A number, boolean or string.

    Returns
    -------
    str
        Integers as integers, floats with ``repr``, booleans as
        ``true``/``false``.

    Raises
    ------
    TypeError
        If ``value`` is not a number, boolean or string (an image, a list).

    Examples
    --------
    >>> to_string(3), to_string(0.5), to_string(2.0), to_string(True)
    ('3', '0.5', '2.0', 'true')
    """
    text = _text_of(value)
    if text is None:
        raise TypeError(
            f"'to_string' needs a number, boolean or string, got {_show(value)}"
        )
    return text


@_primitive(
    "to_number",
    1,
    "(string) -> number",
    "The number a text spells: an integer if it is one, else a float.",
)
def to_number(text: Any) -> int | float:
    """Read a decimal number from text, ignoring surrounding blanks.

    Parameters
    ----------
    text
        Text such as ``"42"``, ``"-0.5"``, ``"007"`` or ``"1e-3"``. A number
        is returned unchanged, so ``to_number`` can be applied to either.

    Returns
    -------
    int or float
        An ``int`` when the text is an integer (``"007"`` gives 7), otherwise
        a ``float``.

    Raises
    ------
    TypeError
        If ``text`` is a boolean or not a string.
    ValueError
        If the text is not a finite decimal number; ``"inf"``, ``"nan"``,
        ``"1_000"`` and ``"0x10"`` are refused.

    Examples
    --------
    >>> to_number("42"), to_number(" -0.5 "), to_number("1e3")
    (42, -0.5, 1000.0)
    """
    if _is_number(text):
        return _plain_number(text)
    if not isinstance(text, str):
        raise TypeError(f"'to_number' needs a string, got {_show(text)}")
    stripped = text.strip()
    if _INTEGER_TEXT.fullmatch(stripped):
        return int(stripped)
    if _DECIMAL_TEXT.fullmatch(stripped):
        value = float(stripped)
        if value in (float("inf"), float("-inf")):
            raise ValueError(f"'to_number': {text!r} is too large for a number")
        return value
    raise ValueError(f"'to_number': {text!r} is not a number")


@_primitive(
    "concat",
    (1, None),
    "(string | number | bool, ...) -> string",
    "Join strings, numbers and booleans into one string.",
)
def concat(*values: Any) -> str:
    """Concatenate the texts of one or more values.

    Parameters
    ----------
    *values
        Strings, numbers or booleans; numbers and booleans are converted as
        by ``to_string``.

    Returns
    -------
    str
        The texts of ``values`` one after the other.

    Raises
    ------
    TypeError
        If a value is not a string, number or boolean.

    Examples
    --------
    >>> concat("case_", 7, "_", 0.5, "_", False)
    'case_7_0.5_false'
    """
    texts = []
    for position, value in enumerate(values, start=1):
        text = _text_of(value)
        if text is None:
            raise TypeError(
                f"'concat' joins strings, numbers and booleans; argument "
                f"{position} is {_show(value)}"
            )
        texts.append(text)
    return "".join(texts)


# --- format -------------------------------------------------------------------

_FORMATTER = string.Formatter()


def _placeholders(template: str) -> list[tuple[str, str, str]]:
    """Split ``template`` into (literal, field, spec) triples; field may be ``""``.

    Python's own ``str.format`` is not used directly because it also accepts
    ``{0.attribute}``, ``{name}`` and ``!r``, and silently ignores unused
    arguments; ImgQL templates allow only ``{}``, ``{N}`` and a format spec.
    """
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as error:
        raise ValueError(
            f"'format': template {template!r} is malformed ({error}); "
            "write {{ and }} for literal braces"
        ) from None
    pieces = []
    for literal, field, spec, conversion in parsed:
        if field is None:
            pieces.append((literal, None, ""))
            continue
        if conversion is not None or not (field == "" or field.isdigit()):
            shown = "{" + field + (f"!{conversion}" if conversion else "") + "}"
            raise ValueError(
                f"'format': placeholder {shown} in {template!r} is not allowed; "
                "write {}, {0}, {1}... optionally with a spec such as {:.2f}"
            )
        if "{" in spec or "}" in spec:
            raise ValueError(
                f"'format': nested placeholders in the spec {spec!r} of "
                f"{template!r} are not supported"
            )
        pieces.append((literal, field, spec))
    return pieces


def _formatted(value: Any, spec: str, placeholder: str, template: str) -> str:
    if _is_number(value):
        if not spec:
            return _text_of(value)
        subject: Any = _plain_number(value)
    else:
        # Booleans are formatted as the words true/false, never as 1/0.
        subject = _text_of(value)
        if subject is None:
            raise TypeError(
                f"'format' fills placeholders with strings, numbers and booleans; "
                f"{placeholder} in {template!r} got {_show(value)}"
            )
    try:
        return format(subject, spec)
    except ValueError as error:
        raise ValueError(
            f"'format': spec {spec!r} of {placeholder} in {template!r} does not "
            f"apply to {_show(value)} ({error})"
        ) from None


def _values_given(values: tuple[Any, ...]) -> str:
    if len(values) == 1:
        return "1 value was given"
    return f"{len(values)} values were given"


@_primitive(
    "format",
    (1, None),
    "(string, string | number | bool, ...) -> string",
    "Fill the {} placeholders of a template with values, in order.",
)
def format_text(template: Any, *values: Any) -> str:
    """Fill the placeholders of ``template`` with ``values``.

    Parameters
    ----------
    template
        Text with placeholders: ``{}`` takes the next value, ``{0}``,
        ``{1}``... take a value by position (the two styles cannot be mixed),
        and a spec after a colon formats it as Python does (``{:.2f}``,
        ``{:03d}``, ``{1:>8}``). ``{{`` and ``}}`` stand for literal braces.
    *values
        Strings, numbers or booleans. Without a spec they appear as
        ``to_string`` gives them; booleans always as ``true``/``false``.

    Returns
    -------
    str
        The filled-in template.

    Raises
    ------
    TypeError
        If ``template`` is not a string, or a value is not a string, number
        or boolean.
    ValueError
        If the number of values does not match the placeholders (every value
        must be used), a placeholder is malformed, or a spec does not apply
        to its value (``{:d}`` on ``0.5``).

    Examples
    --------
    >>> format_text("case_{:03d}: {:.2f} ml, {}", 7, 12.3456, True)
    'case_007: 12.35 ml, true'
    >>> format_text("{1}/{0}", "flair.nii.gz", "case_01")
    'case_01/flair.nii.gz'
    """
    if not isinstance(template, str):
        raise TypeError(f"'format' needs a string template, got {_show(template)}")
    pieces = _placeholders(template)
    fields = [field for _, field, _ in pieces if field is not None]
    automatic = [field for field in fields if field == ""]
    if automatic and len(automatic) != len(fields):
        raise ValueError(
            f"'format': template {template!r} mixes {{}} with numbered "
            "placeholders such as {0}; use one style"
        )
    given = _values_given(values)
    numbered = bool(fields) and not automatic
    if not numbered and len(automatic) != len(values):
        raise ValueError(
            f"'format': template {template!r} has {len(automatic)} placeholder"
            f"{'' if len(automatic) == 1 else 's'} but {given}"
        )
    if numbered:
        used = {int(field) for field in fields}
        out_of_range = sorted(index for index in used if index >= len(values))
        if out_of_range:
            raise ValueError(
                f"'format': template {template!r} refers to {{{out_of_range[0]}}} "
                f"but {given} (numbering starts at 0)"
            )
        unused = sorted(set(range(len(values))) - used)
        if unused:
            raise ValueError(
                f"'format': template {template!r} has no placeholder for value "
                f"{unused[0]} ({_show(values[unused[0]])}); {given}"
            )
    texts = []
    next_value = 0
    for literal, field, spec in pieces:
        texts.append(literal)
        if field is None:
            continue
        if field == "":
            index, next_value = next_value, next_value + 1
        else:
            index = int(field)
        placeholder = "{" + field + (f":{spec}" if spec else "") + "}"
        texts.append(_formatted(values[index], spec, placeholder, template))
    return "".join(texts)


# --- paths --------------------------------------------------------------------


def _without_trailing_slashes(path: str) -> str:
    # "a/b/" names the folder b, as for the shell's basename and dirname;
    # only a path made of slashes keeps one, as the root.
    stripped = path.rstrip("/")
    if not stripped and path:
        return "/"
    return stripped


@_primitive("basename", 1, _STRING_TO_STRING, "The last component of a path.")
def basename(path: Any) -> str:
    """The last component of ``path``; trailing slashes are ignored.

    Parameters
    ----------
    path
        A path with ``/`` as separator.

    Returns
    -------
    str
        The file or folder name (``""`` for ``""`` and ``"/"``).

    Raises
    ------
    TypeError
        If ``path`` is not a string.

    Examples
    --------
    >>> basename("data/case_01/flair.nii.gz"), basename("data/case_01/")
    ('flair.nii.gz', 'case_01')
    """
    path = _string("basename", "the path", path)
    return posixpath.basename(_without_trailing_slashes(path))


@_primitive("dirname", 1, _STRING_TO_STRING, "A path without its last component.")
def dirname(path: Any) -> str:
    """The folder part of ``path``; trailing slashes are ignored.

    Parameters
    ----------
    path
        A path with ``/`` as separator.

    Returns
    -------
    str
        Everything before the last component, ``""`` for a bare name (so
        ``join_path(dirname(p), basename(p))`` is ``p`` again), ``"/"`` for
        a file at the root.

    Raises
    ------
    TypeError
        If ``path`` is not a string.

    Examples
    --------
    >>> dirname("data/case_01/flair.nii.gz"), dirname("flair.nii.gz")
    ('data/case_01', '')
    """
    path = _string("dirname", "the path", path)
    return posixpath.dirname(_without_trailing_slashes(path))


def _split_extension(name: str) -> tuple[str, str]:
    lowered = name.lower()
    for extension in MULTI_PART_EXTENSIONS:
        # A name that is only an extension (".nii.gz") is a hidden file.
        if lowered.endswith(extension) and len(name) > len(extension):
            return name[: -len(extension)], name[-len(extension) :]
    return posixpath.splitext(name)


@_primitive(
    "stem",
    1,
    _STRING_TO_STRING,
    "The file name of a path without its extension (.nii.gz counts as one).",
)
def stem(path: Any) -> str:
    """The last component of ``path`` without its extension.

    Parameters
    ----------
    path
        A path with ``/`` as separator.

    Returns
    -------
    str
        ``basename(path)`` minus ``extension(path)``; the multi-part
        extensions in :data:`MULTI_PART_EXTENSIONS` (``.nii.gz``, ``.tar.gz``
        ...) are removed whole, any other name loses only its last suffix.

    Raises
    ------
    TypeError
        If ``path`` is not a string.

    Examples
    --------
    >>> stem("a/case_01_flair.nii.gz"), stem("scan.v2.mha"), stem(".hidden")
    ('case_01_flair', 'scan.v2', '.hidden')
    """
    path = _string("stem", "the path", path)
    return _split_extension(basename(path))[0]


@_primitive(
    "extension",
    1,
    _STRING_TO_STRING,
    "The extension of a path's file name, with its dot (.nii.gz counts as one).",
)
def extension(path: Any) -> str:
    """The extension of the last component of ``path``, dot included.

    Parameters
    ----------
    path
        A path with ``/`` as separator.

    Returns
    -------
    str
        ``".nii.gz"`` for ``"brain.nii.gz"`` (see :data:`MULTI_PART_EXTENSIONS`),
        otherwise the last suffix, or ``""`` if there is none. The case is
        kept as written, so ``stem(p) + extension(p) == basename(p)``.

    Raises
    ------
    TypeError
        If ``path`` is not a string.

    Examples
    --------
    >>> extension("a/brain.nii.gz"), extension("scan.v2.MHA"), extension("README")
    ('.nii.gz', '.MHA', '')
    """
    path = _string("extension", "the path", path)
    return _split_extension(basename(path))[1]


@_primitive(
    "join_path",
    (1, None),
    "(string, ...) -> string",
    "Join path components with /.",
)
def join_path(*parts: Any) -> str:
    """Join path components with ``/``.

    Parameters
    ----------
    *parts
        One or more strings. As in Python's ``os.path.join``, an absolute
        component discards the ones before it, and ``/`` is not doubled.

    Returns
    -------
    str
        The joined path.

    Raises
    ------
    TypeError
        If a component is not a string.

    Examples
    --------
    >>> join_path("data/", "case_01", "flair.nii.gz")
    'data/case_01/flair.nii.gz'
    """
    for position, part in enumerate(parts, start=1):
        _string("join_path", f"component {position}", part)
    return posixpath.join(*parts)


# --- text ---------------------------------------------------------------------


@_primitive(
    "replace",
    3,
    "(string, string, string) -> string",
    "Replace every occurrence of a text in a string.",
)
def replace_text(text: Any, old: Any, new: Any) -> str:
    """Replace every occurrence of ``old`` in ``text`` by ``new``.

    Parameters
    ----------
    text
        The string to change.
    old
        The text to look for; must not be empty.
    new
        Its replacement.

    Returns
    -------
    str
        ``text`` with each non-overlapping ``old``, left to right, replaced.

    Raises
    ------
    TypeError
        If an argument is not a string.
    ValueError
        If ``old`` is empty (Python would insert ``new`` between every
        character, which is never what a file name needs).

    Examples
    --------
    >>> replace_text("case_01_flair.nii.gz", "flair", "seg")
    'case_01_seg.nii.gz'
    """
    text = _string("replace", "the text", text)
    old = _string("replace", "the text to replace", old)
    new = _string("replace", "the replacement", new)
    if not old:
        raise ValueError(f"'replace' needs a non-empty text to replace in {text!r}")
    return text.replace(old, new)


@_primitive(
    "starts_with", 2, _STRINGS_TO_BOOL, "True if a string begins with a prefix."
)
def starts_with(text: Any, prefix: Any) -> bool:
    """Whether ``text`` begins with ``prefix`` (case-sensitive).

    Parameters
    ----------
    text
        The string to test.
    prefix
        The beginning to look for; ``""`` is a prefix of every string.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        If an argument is not a string.

    Examples
    --------
    >>> starts_with("case_01", "case_"), starts_with("case_01", "Case")
    (True, False)
    """
    text = _string("starts_with", "the text", text)
    return text.startswith(_string("starts_with", "the prefix", prefix))


@_primitive("ends_with", 2, _STRINGS_TO_BOOL, "True if a string ends with a suffix.")
def ends_with(text: Any, suffix: Any) -> bool:
    """Whether ``text`` ends with ``suffix`` (case-sensitive).

    Parameters
    ----------
    text
        The string to test.
    suffix
        The ending to look for; ``""`` is a suffix of every string.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        If an argument is not a string.

    Examples
    --------
    >>> ends_with("brain.nii.gz", ".nii.gz"), ends_with("brain.nii", ".gz")
    (True, False)
    """
    text = _string("ends_with", "the text", text)
    return text.endswith(_string("ends_with", "the suffix", suffix))


@_primitive("contains", 2, _STRINGS_TO_BOOL, "True if a string contains a text.")
def contains(text: Any, part: Any) -> bool:
    """Whether ``part`` occurs in ``text`` (case-sensitive).

    Parameters
    ----------
    text
        The string to search.
    part
        The text to look for; ``""`` occurs in every string.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        If an argument is not a string.

    Examples
    --------
    >>> contains("case_01_flair.nii.gz", "flair"), contains("t1.nii", "flair")
    (True, False)
    """
    text = _string("contains", "the text", text)
    return _string("contains", "the text to find", part) in text


# --- directory listing ----------------------------------------------------------


@NAMESPACE.primitive(
    "dir",
    arity=(1, 4),
    signature=(
        "(string) -> sequence of string | (string, string) -> sequence of string | "
        "(string, string, bool) -> sequence of string | "
        "(string, string, bool, bool) -> sequence of string"
    ),
    description="The files under a folder that match a glob pattern, sorted.",
    # Reads the disk: recomputed on every run, never folded nor stored.
    volatile=True,
    returns_sequence=True,
)
def list_files(
    root: Any, pattern: Any = "*", recursive: Any = False, full_paths: Any = True
) -> list[str]:
    """The files (not folders) under ``root`` whose names match ``pattern``.

    Parameters
    ----------
    root
        The folder to list, relative to the working directory or absolute.
    pattern
        A glob pattern (``*``, ``?``, ``[abc]``; ``**`` for any depth) matched
        as by Python's ``pathlib``: against file names, or against relative
        paths when it contains ``/``. Default ``"*"``. Names starting with a
        dot are matched too.
    recursive
        ``true`` to look in subfolders at any depth as well; default ``false``.
        Symbolic links to folders are not followed.
    full_paths
        ``true`` (the default) for ``root`` joined with each relative path,
        names that ``ReadImage`` opens from the same working directory;
        ``false`` for paths relative to ``root``.

    Returns
    -------
    list of str
        Paths with ``/`` as separator, sorted by their path relative to
        ``root`` so that the order is the same on every machine.

    Raises
    ------
    TypeError
        If ``root`` or ``pattern`` is not a string, or a flag not a boolean.
    ValueError
        If ``root`` does not exist or is not a folder, or the pattern is
        empty or absolute.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     for name in ("b.nii.gz", "a.nii.gz", "notes.txt", "sub/c.nii.gz"):
    ...         path = pathlib.Path(root, name)
    ...         path.parent.mkdir(exist_ok=True)
    ...         _ = path.write_text("")
    ...     print(list_files(root, "*.nii.gz", True, False))
    ['a.nii.gz', 'b.nii.gz', 'sub/c.nii.gz']
    """
    root = _string("dir", "the folder", root)
    pattern = _string("dir", "the pattern", pattern)
    recursive = _flag("dir", "recursive", recursive)
    full_paths = _flag("dir", "full_paths", full_paths)
    folder = Path(root)
    if not folder.exists():
        raise ValueError(
            f"'dir': there is no folder {root!r} (looked for {folder.absolute()})"
        )
    if not folder.is_dir():
        raise ValueError(f"'dir': {root!r} is a file, not a folder")
    if not pattern or posixpath.isabs(pattern):
        raise ValueError(
            f"'dir' needs a non-empty pattern relative to the folder, got {pattern!r}"
        )
    matches = folder.rglob(pattern) if recursive else folder.glob(pattern)
    relative = sorted(
        {match.relative_to(folder).as_posix() for match in matches if match.is_file()}
    )
    if not full_paths:
        return relative
    return [posixpath.join(root, name) for name in relative]
