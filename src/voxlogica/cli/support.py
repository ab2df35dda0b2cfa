"""Helpers shared by the command line and the REPL.

Reduction recurses once per nesting level of a program, so it runs in a
helper thread with a large stack; the store and the progress bar follow the
same options in both front ends.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Callable
from typing import Any

_REDUCER_STACK_BYTES = 512 * 1024 * 1024
_REDUCER_RECURSION_LIMIT = 200_000


def in_deep_stack(work: Callable[[], Any], name: str = "voxlogica-reduce") -> Any:
    """Run ``work`` in a helper thread with a large stack and recursion limit.

    Returns what ``work`` returns and re-raises what it raises. A Ctrl-C while
    waiting lets the work finish first, so a reducer is never left
    half-updated, and is then raised.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        previous = sys.getrecursionlimit()
        sys.setrecursionlimit(_REDUCER_RECURSION_LIMIT)
        try:
            outcome["value"] = work()
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller
            outcome["error"] = error
        finally:
            sys.setrecursionlimit(previous)

    previous_stack = threading.stack_size(_REDUCER_STACK_BYTES)
    try:
        thread = threading.Thread(target=run, name=name)
        thread.start()
    finally:
        threading.stack_size(previous_stack)
    interrupted = False
    while thread.is_alive():
        try:
            thread.join()
        except KeyboardInterrupt:
            interrupted = True
    if interrupted:
        raise KeyboardInterrupt
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def open_store(arguments):
    """The store the options ask for: --no-cache, --store DIR, --delete-cache."""
    from voxlogica.store import NullStore, ResultStore, default_store_dir

    if arguments.no_cache:
        return NullStore()
    root = arguments.store or default_store_dir()
    if getattr(arguments, "delete_cache", False) and root.exists():
        shutil.rmtree(root)
    return ResultStore(root)


def cpu_count() -> int:
    return os.cpu_count() or 1


def progress_for_terminal() -> Callable[[str, int | None], Any]:
    """A tqdm bar on stderr when it is a terminal, else no progress at all."""
    if not sys.stderr.isatty():
        from voxlogica.engine.runner import no_progress

        return no_progress

    def progress_bar(label: str, total: int | None):
        from tqdm import tqdm

        return tqdm(
            total=total, desc=label, unit="element", leave=False, file=sys.stderr
        )

    return progress_bar
