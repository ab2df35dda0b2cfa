"""The SQLite-indexed result store: persistence, sharing, damage and concurrency."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from voxlogica.store import (
    SCHEMA_VERSION,
    NullStore,
    ResultStore,
    SequenceRecord,
    StoreError,
    StoreSchemaError,
    default_store_dir,
    open_store,
)
from voxlogica.store import results as results_module

from ._workers import (
    check,
    distinct_labels,
    node_id,
    shared_labels,
    write_from_threads,
)

A, B, C = node_id("a"), node_id("b"), node_id("c")


@pytest.fixture
def store(tmp_path):
    with ResultStore(tmp_path / "store") as opened:
        yield opened


def payload_files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in (root / "payloads").glob("*/*")
        if not path.name.startswith(".tmp-")
    )


def index_rows(root: Path) -> dict[str, str]:
    with sqlite3.connect(root / "index.sqlite") as connection:
        return dict(connection.execute("SELECT node_id, payload_digest FROM results"))


def test_put_then_get_returns_an_equal_value(store):
    value = (1, "x", [2.5, None], {"mask": np.eye(3, dtype=bool)})
    store.put(A, value)
    assert store.contains(A)
    stored = store.get(A)
    assert stored[:3] == value[:3]
    assert np.array_equal(stored[3]["mask"], value[3]["mask"])


def test_absent_results_raise_key_error(store):
    assert not store.contains(A)
    with pytest.raises(KeyError):
        store.get(A)


def test_put_replaces_and_drops_the_payload_no_longer_used(store):
    store.put(A, "first")
    store.put(A, "second")
    assert store.get(A) == "second"
    assert len(payload_files(store.root)) == 1


def test_equal_values_share_one_payload_file(store):
    store.put(A, np.arange(1000))
    store.put(B, np.arange(1000))
    store.put(C, "other")
    assert len(payload_files(store.root)) == 2
    rows = index_rows(store.root)
    assert rows[A] == rows[B]
    digest = rows[A]
    assert (store.root / "payloads" / digest[:2] / digest).is_file()


def test_forget_keeps_a_payload_still_used_by_another_node(store):
    store.put(A, "shared")
    store.put(B, "shared")
    store.forget(A)
    assert not store.contains(A)
    assert store.get(B) == "shared"
    store.forget(B)
    assert payload_files(store.root) == []
    store.forget(B)  # forgetting what is absent is fine


def test_clear_deletes_rows_and_payload_files(store):
    for label in "abcdef":
        store.put(node_id(label), label * 100)
    store.clear()
    assert store.stats()["entries"] == 0
    assert payload_files(store.root) == []
    store.put(A, 1)
    assert store.get(A) == 1


def test_stats_count_entries_and_distinct_payload_bytes(store):
    assert store.stats()["entries"] == 0
    store.put(A, "shared")
    store.put(B, "shared")
    store.put(C, np.zeros(10))
    stats = store.stats()
    assert stats["entries"] == 3
    assert stats["payloads"] == 2
    assert stats["payload_bytes"] == sum(
        path.stat().st_size for path in payload_files(store.root)
    )
    assert stats["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize("bad_id", ["abc", "A" * 64, "g" * 64, "a" * 65, 123])
def test_put_rejects_ids_that_are_not_sha256_hex(store, bad_id):
    with pytest.raises(ValueError, match="64 lowercase hexadecimal"):
        store.put(bad_id, 1)


def test_unencodable_values_raise_type_error_and_store_nothing(store):
    with pytest.raises(TypeError, match="set"):
        store.put(A, {1, 2})
    assert not store.contains(A)


def test_results_survive_into_a_second_run(tmp_path):
    root = tmp_path / "store"
    first = ResultStore(root)
    first.put(A, SequenceRecord((B, C)))
    first.put(B, np.arange(5, dtype=np.int16))
    first.close()
    second = ResultStore(root)
    assert second.get(A) == SequenceRecord((B, C))
    assert second.get(B).dtype == np.int16
    second.close()


def test_a_closed_store_reopens_when_used_again(store):
    store.put(A, 1)
    store.close()
    assert store.get(A) == 1


def test_the_index_is_in_wal_mode_with_the_documented_schema(store):
    with sqlite3.connect(store.root / "index.sqlite") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = [row[1] for row in connection.execute("PRAGMA table_info(results)")]
        meta_columns = [row[1] for row in connection.execute("PRAGMA table_info(meta)")]
    assert columns == [
        "node_id",
        "payload_digest",
        "nbytes",
        "created_at",
        "last_used_at",
    ]
    assert meta_columns == ["key", "value"]


def test_each_thread_gets_its_own_connection(store):
    connections = []
    thread = threading.Thread(target=lambda: connections.append(store._connection()))
    thread.start()
    thread.join()
    assert connections[0] is not store._connection()


def set_user_version(root: Path, version: int) -> None:
    with sqlite3.connect(root / "index.sqlite") as connection:
        connection.execute(f"PRAGMA user_version = {version}")


def test_a_store_from_a_newer_voxlogica_is_refused_and_left_intact(tmp_path):
    root = tmp_path / "store"
    with ResultStore(root) as store:
        store.put(A, "kept")
    set_user_version(root, SCHEMA_VERSION + 1)
    with pytest.raises(StoreSchemaError) as raised:
        ResultStore(root)
    message = str(raised.value)
    assert str(root) in message
    assert f"version {SCHEMA_VERSION + 1}" in message
    assert f"version {SCHEMA_VERSION}" in message
    assert "newer voxlogica" in message
    assert "--store" in message
    assert list(index_rows(root)) == [A]
    assert len(payload_files(root)) == 1


def test_older_schemas_are_migrated_step_by_step_keeping_rows(tmp_path, monkeypatch):
    root = tmp_path / "store"
    with ResultStore(root) as store:
        store.put(A, "kept")
    steps = []

    def add_priority(connection):
        steps.append(1)
        connection.execute("ALTER TABLE results ADD COLUMN priority INTEGER")

    def add_note(connection):
        steps.append(2)
        connection.execute("ALTER TABLE results ADD COLUMN note TEXT")

    monkeypatch.setattr(results_module, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(results_module._MIGRATIONS, 1, add_priority)
    monkeypatch.setitem(results_module._MIGRATIONS, 2, add_note)
    with ResultStore(root) as migrated:
        assert migrated.get(A) == "kept"
    assert steps == [1, 2]
    with sqlite3.connect(root / "index.sqlite") as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 3
        columns = [row[1] for row in connection.execute("PRAGMA table_info(results)")]
    assert columns[-2:] == ["priority", "note"]


def test_a_failing_migration_leaves_the_old_schema(tmp_path, monkeypatch):
    root = tmp_path / "store"
    ResultStore(root).close()

    def broken(connection):
        connection.execute("ALTER TABLE results ADD COLUMN half_done INTEGER")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(results_module, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(results_module._MIGRATIONS, 1, broken)
    with pytest.raises(RuntimeError, match="migration bug"):
        ResultStore(root)
    with sqlite3.connect(root / "index.sqlite") as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = [row[1] for row in connection.execute("PRAGMA table_info(results)")]
    assert "half_done" not in columns


def test_a_foreign_sqlite_file_is_not_touched(tmp_path):
    root = tmp_path / "store"
    root.mkdir()
    with sqlite3.connect(root / "index.sqlite") as connection:
        connection.execute("CREATE TABLE patients(name TEXT)")
    with pytest.raises(StoreError, match="not a VoxLogicA store index"):
        ResultStore(root)
    with sqlite3.connect(root / "index.sqlite") as connection:
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("patients",)]
    assert sorted(path.name for path in root.iterdir()) == ["index.sqlite"]


def test_an_index_that_is_not_sqlite_is_reported(tmp_path):
    root = tmp_path / "store"
    root.mkdir()
    (root / "index.sqlite").write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(StoreError, match="--store"):
        ResultStore(root)


def payload_path_of(store: ResultStore, node: str) -> Path:
    digest = index_rows(store.root)[node]
    return store.root / "payloads" / digest[:2] / digest


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"garbage"),
        lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
        lambda path: path.write_bytes(b""),
        lambda path: path.unlink(),
    ],
    ids=["garbage", "truncated", "empty", "missing"],
)
def test_a_damaged_payload_is_a_miss_and_only_its_entry_goes(store, damage, caplog):
    store.put(A, np.arange(100))
    store.put(B, "intact")
    damage(payload_path_of(store, A))
    with caplog.at_level(logging.WARNING, logger="voxlogica.store.results"):
        with pytest.raises(KeyError):
            store.get(A)
    assert A in caplog.text
    assert not store.contains(A)
    assert store.get(B) == "intact"
    assert len(payload_files(store.root)) == 1
    store.put(A, np.arange(100))
    assert np.array_equal(store.get(A), np.arange(100))


def test_a_payload_damaged_with_its_size_kept_is_replaced_on_the_next_put(store):
    store.put(A, np.arange(100))
    path = payload_path_of(store, A)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(KeyError):
        store.get(A)
    store.put(A, np.arange(100))
    assert np.array_equal(store.get(A), np.arange(100))


def test_a_payload_in_a_newer_format_is_a_miss_but_kept(store, monkeypatch):
    store.put(A, "from the future")
    monkeypatch.setattr("voxlogica.store.codecs.FORMAT_VERSION", 0)
    with pytest.raises(KeyError):
        store.get(A)
    monkeypatch.undo()
    assert store.get(A) == "from the future"


def test_reads_record_use_at_most_once_per_resolution(store):
    store.put(A, 1)
    with sqlite3.connect(store.root / "index.sqlite") as connection:
        connection.execute("UPDATE results SET last_used_at = 0")
    store.get(A)
    with sqlite3.connect(store.root / "index.sqlite") as connection:
        (first,) = connection.execute("SELECT last_used_at FROM results").fetchone()
    assert first > 0
    store.get(A)
    with sqlite3.connect(store.root / "index.sqlite") as connection:
        (second,) = connection.execute("SELECT last_used_at FROM results").fetchone()
    assert second == first


def test_threads_writing_distinct_and_identical_ids(tmp_path):
    root = str(tmp_path / "store")
    problems = write_from_threads(
        root, writer="main", thread_count=6, per_thread=8, shared=5
    )
    assert problems == []
    store = open_store(root)
    labels = shared_labels(5)
    for thread_index in range(6):
        labels += distinct_labels(f"main.{thread_index}", 8)
    assert [check(store, label) for label in labels] == [None] * len(labels)
    assert store.stats()["entries"] == len(labels)
    assert len(payload_files(Path(root))) == len(labels)


def test_processes_writing_distinct_and_identical_ids(tmp_path):
    root = str(tmp_path / "store")
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        outcomes = pool.starmap(
            write_from_threads,
            [(root, writer, 3, 10, 6) for writer in ("first", "second")],
        )
    assert outcomes == [[], []]
    store = ResultStore(root)
    labels = shared_labels(6)
    for writer in ("first", "second"):
        for thread_index in range(3):
            labels += distinct_labels(f"{writer}.{thread_index}", 10)
    assert [check(store, label) for label in labels] == [None] * len(labels)
    assert store.stats()["entries"] == len(labels)
    store.close()


def put_in_forked_child(store: ResultStore) -> None:
    store.put(B, "from the child")
    assert store.get(A) == "from the parent"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_opens_its_own_connection(tmp_path):
    root = tmp_path / "store"
    store = open_store(root)
    store.put(A, "from the parent")
    parent_connection = store._connection()
    child = multiprocessing.get_context("fork").Process(
        target=put_in_forked_child, args=(store,)
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert store._connection() is parent_connection
    assert store.get(B) == "from the child"
    store.close()


def test_open_store_shares_one_store_per_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shared = open_store("store")
    assert open_store(str(tmp_path / "store")) is shared
    assert open_store(tmp_path / "store" / ".." / "store") is shared
    assert open_store(tmp_path / "elsewhere") is not shared
    shared.close()
    assert open_store("store") is not shared
    open_store("store").close()
    open_store(tmp_path / "elsewhere").close()


def test_null_store_keeps_nothing():
    store = NullStore()
    store.put(A, np.arange(3))
    assert not store.contains(A)
    with pytest.raises(KeyError):
        store.get(A)
    store.forget(A)
    store.clear()
    assert store.stats()["entries"] == 0
    store.close()


def test_the_default_directory_can_be_overridden(monkeypatch, tmp_path):
    monkeypatch.setenv("VOXLOGICA_STORE", str(tmp_path / "mine"))
    assert default_store_dir() == tmp_path / "mine"
    monkeypatch.delenv("VOXLOGICA_STORE")
    default = default_store_dir()
    assert default.name == "store"
    assert "voxlogica" in str(default.parent).lower()
