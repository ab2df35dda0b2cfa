"""The functions Dask runs on workers: compute one plan node, or load it.

Tasks receive names and paths, never live objects of the client: a worker
process resolves the primitive from the registry and opens the store by its
path, so the same tasks run in the embedded cluster and on a remote one that
shares the store's filesystem.

A computed value is persisted by the task itself, on the worker, as soon as
it exists; the client is never a bottleneck for storing loop elements.
"""

from __future__ import annotations

import time
from typing import Any

from voxlogica.engine.outputs import register_sizes
from voxlogica.primitives.registry import resolve

#: Persist every result (goals and the elements of goal sequences).
PERSIST_ALWAYS = "always"
#: Persist a result only when reading it back is clearly cheaper than
#: recomputing it (see :func:`is_worth_storing`).
PERSIST_AUTO = "auto"
#: Never persist (volatile nodes, or ``--no-cache``).
PERSIST_NEVER = "never"

#: Assumed cost of encoding and later decoding a payload, in bytes per second.
_STORE_BYTES_PER_SECOND = 150e6
#: Below this, recomputing is cheap enough that writing costs more than it
#: saves: a dataset loop's intermediate distance maps (0.4 s each, 36 MB)
#: took more time to store than they would ever save on a rerun.
_MIN_SECONDS_WORTH_STORING = 1.0


class PrimitiveFailure(Exception):
    """A primitive raised; carries the node so the client can locate it."""

    def __init__(self, node_id: str, primitive: str, message: str):
        super().__init__(node_id, primitive, message)
        self.node_id = node_id
        self.primitive = primitive
        self.message = message

    def __str__(self) -> str:
        return f"{self.primitive}: {self.message}"


def is_worth_storing(seconds: float, nbytes: int) -> bool:
    """Return True if recomputing took clearly longer than a store round trip."""
    if seconds < _MIN_SECONDS_WORTH_STORING:
        return False
    return seconds >= 10 * nbytes / _STORE_BYTES_PER_SECOND


def _store(store_root: str | None):
    if store_root is None:
        return None
    from voxlogica.store import open_store

    return open_store(store_root)


def compute_node(
    store_root: str | None,
    node_id: str,
    primitive_name: str,
    persist: str,
    *arguments: Any,
) -> Any:
    """Run ``primitive_name(*arguments)`` for ``node_id`` and maybe persist it."""
    # Workers of a remote cluster run this in their own processes: teach
    # their Dask the real size of images too (idempotent and cheap).
    register_sizes()
    primitive = resolve(primitive_name)
    started = time.perf_counter()
    try:
        value = primitive.function(*arguments)
    except Exception as error:  # noqa: BLE001 - every failure is reported alike
        raise PrimitiveFailure(node_id, primitive_name, _message_of(error)) from None
    if primitive.returns_sequence and not isinstance(value, list | tuple):
        # Lazy sequences (range) travel as lists only when a primitive needs
        # the whole sequence as one argument.
        value = list(value)
    elapsed = time.perf_counter() - started
    store = _store(store_root)
    if store is not None and persist != PERSIST_NEVER:
        if persist == PERSIST_ALWAYS or is_worth_storing(elapsed, _size_of(value)):
            store.put(node_id, value)
    return value


def compute_steps(store_root: str | None, steps, *inputs: Any) -> Any:
    """Run a chain of nodes in one task and return the last one's value.

    ``steps`` are ``(node id, primitive, persist, references)`` in dependency
    order; a reference is ``("input", i)`` for ``inputs[i]``, ``("step", j)``
    for an earlier step's value, or ``("value", v)``. Each step is computed
    and persisted exactly as :func:`compute_node` would, and an intermediate
    value is dropped as soon as no later step needs it.
    """
    last_use = {}
    for position, (_, _, _, references) in enumerate(steps):
        for kind, target in references:
            if kind == "step":
                last_use[target] = position
    values: dict[int, Any] = {}
    for position, (node_id, primitive_name, persist, references) in enumerate(steps):
        arguments = [
            inputs[target]
            if kind == "input"
            else values[target]
            if kind == "step"
            else target
            for kind, target in references
        ]
        values[position] = compute_node(
            store_root, node_id, primitive_name, persist, *arguments
        )
        for done in [p for p, last in last_use.items() if last == position]:
            del values[done]
            del last_use[done]
    return values[len(steps) - 1]


def load_node(store_root: str, node_id: str) -> Any:
    """Read a stored result; a missing one raises ``KeyError``."""
    return _store(store_root).get(node_id)


def _size_of(value: Any) -> int:
    from dask.sizeof import sizeof

    return sizeof(value)


def _message_of(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text
