"""Code run in child processes by the store's concurrency tests.

It lives in its own small module so that spawned children can import it
without loading the test modules.
"""

from __future__ import annotations

import hashlib
import threading

import numpy as np

from voxlogica.store import open_store


def node_id(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def value_for(label: str):
    """The value a writer stores under ``node_id(label)``: derived from the
    label, so every writer of a shared id stores an equal value."""
    seed = int(node_id(label)[:8], 16)
    return (label, np.random.default_rng(seed).integers(0, 255, 64, dtype=np.uint8))


def shared_labels(count: int) -> list[str]:
    return [f"shared-{index}" for index in range(count)]


def distinct_labels(writer: str, count: int) -> list[str]:
    return [f"{writer}-{index}" for index in range(count)]


def check(store, label: str) -> str | None:
    """Return a description of what is wrong with a stored entry, if anything."""
    try:
        stored = store.get(node_id(label))
    except KeyError:
        return f"{label}: missing"
    expected = value_for(label)
    if stored[0] != expected[0] or not np.array_equal(stored[1], expected[1]):
        return f"{label}: wrong value {stored!r}"
    return None


def write_from_threads(
    root: str, writer: str, thread_count: int, per_thread: int, shared: int
) -> list[str]:
    """Write distinct and shared entries from several threads at once, reading
    back while others write; return the problems seen."""
    problems: list[str] = []
    start = threading.Barrier(thread_count)

    def work(thread_index: int) -> None:
        store = open_store(root)
        start.wait()
        own = distinct_labels(f"{writer}.{thread_index}", per_thread)
        for own_label, shared_label in zip(own, shared_labels(shared), strict=False):
            store.put(node_id(own_label), value_for(own_label))
            store.put(node_id(shared_label), value_for(shared_label))
            # Another writer may not have stored it yet, but whatever is
            # there must be whole and right.
            for label in (own_label, shared_label):
                problem = check(store, label)
                if problem is not None and not problem.endswith("missing"):
                    problems.append(problem)
        for label in own:
            store.put(node_id(label), value_for(label))
            problem = check(store, label)
            if problem is not None:
                problems.append(problem)

    threads = [
        threading.Thread(target=work, args=(index,)) for index in range(thread_count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return problems
