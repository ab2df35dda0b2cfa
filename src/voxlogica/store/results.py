"""The persistent, content-addressed store of plan-node results.

Layout of a store directory ``root``::

    root/index.sqlite            node id -> payload digest (SQLite, WAL mode)
    root/payloads/ab/ab12...     payload files, named by the SHA-256 of their
                                 bytes, so equal values share one file

Many dask worker threads and processes on one machine write to the same store.
The rules that keep it consistent under that load:

* a payload file is written to a temporary file in its final directory and
  moved into place with :func:`os.replace`, so it is either absent or whole;
* an index row is committed only while its payload file is known to exist,
  inside a ``BEGIN IMMEDIATE`` transaction, and payload files are deleted only
  inside such a transaction after checking that no row refers to them, so no
  committed row points at a file that a concurrent writer removed;
* each thread uses its own SQLite connection, and a process never uses a
  connection it inherited through ``fork``.

The store is a cache: anything it cannot read back is reported as absent
(``KeyError``) so the engine recomputes it, and the broken entry is dropped.
SQLite's WAL mode needs shared memory, so the directory must be on a local
file system, not a network share.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from voxlogica.store.codecs import (
    UnsupportedPayloadVersion,
    decode_value,
    encode_value,
)

__all__ = [
    "SCHEMA_VERSION",
    "STORE_DIR_ENV_VAR",
    "NullStore",
    "ResultStore",
    "Store",
    "StoreError",
    "StoreSchemaError",
    "default_store_dir",
    "open_store",
]

logger = logging.getLogger(__name__)

#: Version of the index schema; stored in ``PRAGMA user_version``.
SCHEMA_VERSION = 1

#: Environment variable that overrides :func:`default_store_dir`.
STORE_DIR_ENV_VAR = "VOXLOGICA_STORE"

INDEX_FILE_NAME = "index.sqlite"
PAYLOAD_DIR_NAME = "payloads"

_BUSY_TIMEOUT_SECONDS = 30.0
# Recording every read would turn a warm rerun into a stream of writes that
# all queue for the one SQLite write lock; an hour is fine-grained enough for
# a least-recently-used eviction policy.
_LAST_USED_RESOLUTION_SECONDS = 3600.0
# Temporary files younger than this may belong to a writer that is still
# running, so clear() leaves them alone.
_STALE_TEMP_FILE_SECONDS = 3600.0
_TEMP_FILE_PREFIX = ".tmp-"
_NODE_ID_PATTERN = re.compile(r"[0-9a-f]{64}")

_SCHEMA_V1 = (
    """
    CREATE TABLE results(
        node_id TEXT PRIMARY KEY,
        payload_digest TEXT NOT NULL,
        nbytes INTEGER,
        created_at REAL,
        last_used_at REAL
    )
    """,
    "CREATE INDEX results_by_payload ON results(payload_digest)",
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)",
)

#: Schema upgrades: ``_MIGRATIONS[v]`` turns a version-``v`` index into a
#: version ``v + 1`` one, inside the caller's transaction. Every released
#: schema version below :data:`SCHEMA_VERSION` must have an entry, and a
#: migration must carry existing rows over, never drop them.
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {}


class StoreError(RuntimeError):
    """The store directory cannot be used."""


class StoreSchemaError(StoreError):
    """The store's index has a schema version this voxlogica cannot handle."""


class Store(Protocol):
    """What the engine needs from a result store; see :class:`ResultStore`."""

    def contains(self, node_id: str) -> bool: ...

    def get(self, node_id: str) -> Any: ...

    def put(self, node_id: str, value: Any) -> None: ...

    def forget(self, node_id: str) -> None: ...

    def clear(self) -> None: ...

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class _ThreadConnection:
    """One thread's SQLite connection, with the process and generation it
    belongs to."""

    __slots__ = ("connection", "pid", "generation", "__weakref__")

    def __init__(self, connection: sqlite3.Connection, generation: int) -> None:
        self.connection = connection
        self.pid = os.getpid()
        self.generation = generation


# Connections inherited through fork are kept referenced and never closed in
# the child: closing one there could act on SQLite state (locks, WAL
# checkpointing) that belongs to the parent.
_INHERITED_CONNECTIONS: list[_ThreadConnection] = []
_LIVE_STORES: weakref.WeakSet[ResultStore] = weakref.WeakSet()


class ResultStore:
    """Node results kept on disk across runs, shared by threads and processes.

    Parameters
    ----------
    root : path-like
        Directory of the store; created if missing.

    Raises
    ------
    StoreSchemaError
        If the index was written by a newer voxlogica with a newer schema.
    StoreError
        If ``root/index.sqlite`` exists but is not a VoxLogicA store index.

    Notes
    -----
    The connection a thread uses is opened on its first access, so creating
    a store and sharing it between threads is cheap. :meth:`close` releases
    the connections; a closed store reopens them if it is used again.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()
        self.index_path = self.root / INDEX_FILE_NAME
        self.payload_dir = self.root / PAYLOAD_DIR_NAME
        self.root.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._generation = 0
        self._thread_connections: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        _LIVE_STORES.add(self)
        self._prepare_index()
        # Only after the index is known to be ours, so that a refused
        # directory is left exactly as it was.
        self.payload_dir.mkdir(exist_ok=True)

    def __repr__(self) -> str:
        return f"ResultStore({str(self.root)!r})"

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- public API ---------------------------------------------------------

    def contains(self, node_id: str) -> bool:
        """Tell whether a result is recorded for a node.

        Parameters
        ----------
        node_id : str
            The node's 64-hex-digit id.

        Returns
        -------
        bool
            True if the index has a row for the node. The payload is not read,
            so :meth:`get` may still raise ``KeyError`` if it was lost.
        """
        row = (
            self._connection()
            .execute("SELECT 1 FROM results WHERE node_id = ?", (node_id,))
            .fetchone()
        )
        return row is not None

    def get(self, node_id: str) -> Any:
        """Return the stored result of a node.

        Parameters
        ----------
        node_id : str
            The node's 64-hex-digit id.

        Returns
        -------
        object
            The decoded value.

        Raises
        ------
        KeyError
            If no result is stored, or the stored payload is missing or cannot
            be decoded; a broken entry is logged and removed from the index so
            that the engine recomputes it.
        """
        connection = self._connection()
        row = connection.execute(
            "SELECT payload_digest, last_used_at FROM results WHERE node_id = ?",
            (node_id,),
        ).fetchone()
        if row is None:
            raise KeyError(node_id)
        digest, last_used_at = row
        payload_path = self._payload_path(digest)
        try:
            data = payload_path.read_bytes()
        except FileNotFoundError:
            logger.warning(
                "result of node %s is missing its payload file %s; "
                "dropping the entry so it is recomputed",
                node_id,
                payload_path,
            )
            self._drop_broken_entry(node_id, digest)
            raise KeyError(node_id) from None
        except OSError as error:
            # Possibly transient (permissions, I/O error): report a miss but
            # keep the entry.
            logger.warning(
                "cannot read payload %s of node %s: %s", payload_path, node_id, error
            )
            raise KeyError(node_id) from error
        try:
            value = decode_value(data)
        except UnsupportedPayloadVersion as error:
            # A newer voxlogica wrote it and can still read it: keep it.
            logger.warning(
                "result of node %s was written in a newer payload format (%s); "
                "recomputing it",
                node_id,
                error,
            )
            raise KeyError(node_id) from error
        except Exception as error:
            logger.warning(
                "result of node %s cannot be decoded from %s (%s); "
                "dropping the entry so it is recomputed",
                node_id,
                payload_path,
                error,
            )
            self._drop_broken_entry(node_id, digest)
            raise KeyError(node_id) from error
        now = time.time()
        if last_used_at is None or now - last_used_at > _LAST_USED_RESOLUTION_SECONDS:
            self._touch(connection, node_id, now)
        return value

    def put(self, node_id: str, value: Any) -> None:
        """Store the result of a node, replacing any earlier one.

        Parameters
        ----------
        node_id : str
            The node's id: 64 lowercase hexadecimal digits.
        value : object
            Any value :func:`~voxlogica.store.codecs.encode_value` accepts.

        Raises
        ------
        ValueError
            If ``node_id`` is not 64 lowercase hexadecimal digits.
        TypeError
            If the value cannot be encoded.
        """
        if type(node_id) is not str or not _NODE_ID_PATTERN.fullmatch(node_id):
            raise ValueError(
                f"node id must be 64 lowercase hexadecimal digits, got {node_id!r}"
            )
        data = encode_value(value)
        digest = hashlib.sha256(data).hexdigest()
        payload_path = self._payload_path(digest)
        # Written before taking the write lock so that concurrent writers
        # overlap their file I/O and hold the lock only for the index update.
        if not _has_size(payload_path, len(data)):
            self._write_payload(payload_path, data)
        now = time.time()
        connection = self._connection()
        with _write_transaction(connection):
            previous = connection.execute(
                "SELECT payload_digest FROM results WHERE node_id = ?", (node_id,)
            ).fetchone()
            # A concurrent forget() or clear() may have deleted the file
            # between writing it and taking the lock.
            if not _has_size(payload_path, len(data)):
                self._write_payload(payload_path, data)
            connection.execute(
                "INSERT OR REPLACE INTO results"
                " (node_id, payload_digest, nbytes, created_at, last_used_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (node_id, digest, len(data), now, now),
            )
            if previous is not None and previous[0] != digest:
                self._delete_payload_if_unreferenced(connection, previous[0])

    def forget(self, node_id: str) -> None:
        """Remove the result of a node, if any.

        Parameters
        ----------
        node_id : str
            The node's id.
        """
        connection = self._connection()
        with _write_transaction(connection):
            row = connection.execute(
                "SELECT payload_digest FROM results WHERE node_id = ?", (node_id,)
            ).fetchone()
            if row is None:
                return
            connection.execute("DELETE FROM results WHERE node_id = ?", (node_id,))
            self._delete_payload_if_unreferenced(connection, row[0])

    def clear(self) -> None:
        """Delete every stored result: all index rows and all payload files."""
        connection = self._connection()
        removed_files = 0
        with _write_transaction(connection):
            connection.execute("DELETE FROM results")
            now = time.time()
            for payload_path in self._payload_files():
                if payload_path.name.startswith(_TEMP_FILE_PREFIX):
                    try:
                        is_stale = (
                            now - payload_path.stat().st_mtime
                            > _STALE_TEMP_FILE_SECONDS
                        )
                    except FileNotFoundError:
                        continue
                    if not is_stale:
                        continue
                payload_path.unlink(missing_ok=True)
                removed_files += 1
        logger.info("cleared store %s (%d files removed)", self.root, removed_files)

    def stats(self) -> dict[str, Any]:
        """Summarise the store's contents.

        Returns
        -------
        dict
            ``root`` (str), ``entries`` (number of stored node results),
            ``payloads`` (number of distinct payload files they use),
            ``payload_bytes`` (total size of those files) and
            ``schema_version``.
        """
        connection = self._connection()
        (entries,) = connection.execute("SELECT COUNT(*) FROM results").fetchone()
        payloads, payload_bytes = connection.execute(
            "SELECT COUNT(*), COALESCE(SUM(nbytes), 0) FROM"
            " (SELECT MAX(nbytes) AS nbytes FROM results GROUP BY payload_digest)"
        ).fetchone()
        return {
            "root": str(self.root),
            "entries": entries,
            "payloads": payloads,
            "payload_bytes": payload_bytes,
            "schema_version": SCHEMA_VERSION,
        }

    def close(self) -> None:
        """Close this process's connections to the index.

        Using the store again afterwards reopens them.
        """
        with self._lock:
            self._generation += 1
            owned = [
                holder
                for holder in self._thread_connections
                if holder.pid == os.getpid()
            ]
            self._thread_connections = weakref.WeakSet()
        for holder in owned:
            try:
                holder.connection.close()
            except sqlite3.Error as error:
                logger.debug("closing a connection to %s: %s", self.index_path, error)
        _forget_open_store(self)

    # -- connections and schema --------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        holder: _ThreadConnection | None = getattr(self._local, "holder", None)
        if (
            holder is not None
            and holder.pid == os.getpid()
            and holder.generation == self._generation
        ):
            return holder.connection
        if holder is not None and holder.pid != os.getpid():
            _INHERITED_CONNECTIONS.append(holder)
        connection = sqlite3.connect(
            self.index_path,
            timeout=_BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            # Each connection is used only by the thread that opened it;
            # the check is off so that close() may close them all.
            check_same_thread=False,
        )
        # In WAL mode NORMAL keeps the index consistent after a crash and
        # only risks losing the last commits on power failure: fine for a cache.
        connection.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            holder = _ThreadConnection(connection, self._generation)
            self._thread_connections.add(holder)
        self._local.holder = holder
        return connection

    def _after_fork_in_child(self) -> None:
        # Only the forking thread survives, so nothing else holds these.
        self._lock = threading.Lock()
        _INHERITED_CONNECTIONS.extend(self._thread_connections)
        self._thread_connections = weakref.WeakSet()
        self._generation += 1

    def _prepare_index(self) -> None:
        try:
            connection = self._connection()
            # Checked before switching to WAL, which would already change a
            # file that turns out not to be ours.
            self._refuse_unusable_schema(connection)
            _enable_wal(connection, self.index_path)
            with _write_transaction(connection):
                self._create_or_migrate_schema(connection)
        except sqlite3.DatabaseError as error:
            self.close()
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise
            raise StoreError(
                f"{self.index_path} is not a usable VoxLogicA store index "
                f"({error}); pass another --store directory"
            ) from error
        except BaseException:
            self.close()
            raise

    def _refuse_unusable_schema(self, connection: sqlite3.Connection) -> int:
        (found,) = connection.execute("PRAGMA user_version").fetchone()
        if found > SCHEMA_VERSION:
            raise StoreSchemaError(
                f"the result store in {self.root} has schema version {found}, "
                f"but this voxlogica supports only up to version {SCHEMA_VERSION}. "
                "Use a newer voxlogica, or pass another --store directory."
            )
        if found == 0:
            tables = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            ).fetchall()
            if tables:
                raise StoreError(
                    f"{self.index_path} already holds tables "
                    f"{sorted(name for (name,) in tables)} but no schema version, "
                    "so it is not a VoxLogicA store index; refusing to modify it. "
                    "Pass another --store directory."
                )
        return found

    def _create_or_migrate_schema(self, connection: sqlite3.Connection) -> None:
        # Checked again: another process may have created or migrated the
        # index since the first look, outside this transaction.
        found = self._refuse_unusable_schema(connection)
        if found == SCHEMA_VERSION:
            return
        if found == 0:
            for statement in _SCHEMA_V1:
                connection.execute(statement)
            connection.execute(
                "INSERT INTO meta (key, value) VALUES ('created_at', ?)",
                (repr(time.time()),),
            )
            found = 1
        while found < SCHEMA_VERSION:
            migrate = _MIGRATIONS.get(found)
            if migrate is None:
                raise StoreSchemaError(
                    f"the result store in {self.root} has schema version {found}, "
                    "which this voxlogica cannot migrate. Pass another --store "
                    "directory."
                )
            logger.info(
                "migrating store %s from schema version %d to %d",
                self.root,
                found,
                found + 1,
            )
            migrate(connection)
            found += 1
        connection.execute(f"PRAGMA user_version = {int(found)}")
        connection.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(found),),
        )

    # -- payload files ------------------------------------------------------

    def _payload_path(self, digest: str) -> Path:
        return self.payload_dir / digest[:2] / digest

    def _payload_files(self) -> Iterator[Path]:
        if not self.payload_dir.is_dir():
            return
        for shard in self.payload_dir.iterdir():
            if shard.is_dir():
                yield from shard.iterdir()

    def _write_payload(self, payload_path: Path, data: bytes) -> None:
        payload_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(
            prefix=_TEMP_FILE_PREFIX, dir=payload_path.parent
        )
        try:
            with os.fdopen(descriptor, "wb") as temp_file:
                temp_file.write(data)
            os.replace(temp_name, payload_path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def _delete_payload_if_unreferenced(
        self, connection: sqlite3.Connection, digest: str
    ) -> None:
        # Called inside a write transaction, so no row referring to the
        # digest can be committed between the check and the deletion.
        still_used = connection.execute(
            "SELECT 1 FROM results WHERE payload_digest = ? LIMIT 1", (digest,)
        ).fetchone()
        if still_used is None:
            self._payload_path(digest).unlink(missing_ok=True)

    def _drop_broken_entry(self, node_id: str, digest: str) -> None:
        connection = self._connection()
        payload_path = self._payload_path(digest)
        try:
            with _write_transaction(connection):
                # Matching the digest too leaves alone a row that a
                # concurrent put() has just replaced with a good payload.
                connection.execute(
                    "DELETE FROM results WHERE node_id = ? AND payload_digest = ?",
                    (node_id, digest),
                )
                if not _file_has_digest(payload_path, digest):
                    # Damaged on disk: every row using it is broken too and
                    # will be dropped when read.
                    payload_path.unlink(missing_ok=True)
                else:
                    self._delete_payload_if_unreferenced(connection, digest)
        except (sqlite3.Error, OSError) as error:
            logger.warning(
                "could not drop the broken entry of node %s: %s", node_id, error
            )

    def _touch(self, connection: sqlite3.Connection, node_id: str, now: float) -> None:
        try:
            connection.execute(
                "UPDATE results SET last_used_at = ? WHERE node_id = ?",
                (now, node_id),
            )
        except sqlite3.OperationalError as error:
            # Only eviction bookkeeping: not worth failing a read over.
            logger.debug("could not record use of node %s: %s", node_id, error)


class NullStore:
    """A store that keeps nothing, for running without a cache (``--no-cache``).

    It has the API of :class:`ResultStore`: :meth:`contains` is always false,
    :meth:`get` always raises ``KeyError`` and :meth:`put` does nothing.
    """

    def __repr__(self) -> str:
        return "NullStore()"

    def __enter__(self) -> NullStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def contains(self, node_id: str) -> bool:
        """Return False: nothing is ever stored."""
        return False

    def get(self, node_id: str) -> Any:
        """Raise ``KeyError``: nothing is ever stored."""
        raise KeyError(node_id)

    def put(self, node_id: str, value: Any) -> None:
        """Do nothing."""

    def forget(self, node_id: str) -> None:
        """Do nothing."""

    def clear(self) -> None:
        """Do nothing."""

    def stats(self) -> dict[str, Any]:
        """Return zero counts."""
        return {"root": None, "entries": 0, "payloads": 0, "payload_bytes": 0}

    def close(self) -> None:
        """Do nothing."""


def default_store_dir() -> Path:
    """Return the directory used when no ``--store`` is given.

    Returns
    -------
    pathlib.Path
        ``$VOXLOGICA_STORE`` if that variable is set and not empty, otherwise
        the ``store`` directory inside the user's cache directory for
        voxlogica (for example ``~/.cache/voxlogica/store`` on Linux).
    """
    override = os.environ.get(STORE_DIR_ENV_VAR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("voxlogica")) / "store"


_OPEN_STORES: dict[tuple[int, Path], ResultStore] = {}
_OPEN_STORES_LOCK = threading.Lock()


def open_store(root: str | os.PathLike[str]) -> ResultStore:
    """Return this process's shared :class:`ResultStore` for a directory.

    Dask tasks receive the store as a path string and call this on every use;
    the store, and each thread's connection, is created only once per process.

    Parameters
    ----------
    root : path-like
        Directory of the store.

    Returns
    -------
    ResultStore
        The same object for every call in this process with the same directory.
    """
    key = (os.getpid(), Path(root).expanduser().resolve())
    with _OPEN_STORES_LOCK:
        store = _OPEN_STORES.get(key)
        if store is None:
            store = ResultStore(key[1])
            _OPEN_STORES[key] = store
        return store


def _forget_open_store(store: ResultStore) -> None:
    with _OPEN_STORES_LOCK:
        for key, cached in list(_OPEN_STORES.items()):
            if cached is store:
                del _OPEN_STORES[key]


def _reinitialise_after_fork() -> None:
    global _OPEN_STORES_LOCK
    # Another thread may have held the lock at the moment of fork; in the
    # child it would never be released.
    _OPEN_STORES_LOCK = threading.Lock()
    for store in list(_LIVE_STORES):
        store._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinitialise_after_fork)


@contextmanager
def _write_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front, so the reads inside the
    # transaction see the state the writes will be applied to.
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _enable_wal(connection: sqlite3.Connection, index_path: Path) -> None:
    (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    if mode.lower() == "wal":
        return
    # Switching needs exclusive access, which another process opening the
    # same new store may hold for a moment; SQLite does not always wait for it.
    deadline = time.monotonic() + _BUSY_TIMEOUT_SECONDS
    while True:
        try:
            (mode,) = connection.execute("PRAGMA journal_mode = WAL").fetchone()
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    if mode.lower() != "wal":
        logger.warning(
            "%s could not be switched to WAL mode (journal mode is %s); "
            "concurrent writers will be slower",
            index_path,
            mode,
        )


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False


def _file_has_digest(path: Path, digest: str) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return hashlib.sha256(data).hexdigest() == digest
