"""WAL checkpoints off the committing request (file-backed SQLite).

Copying committed pages back into the database file, with its sync, would otherwise fall on whichever
commit crosses SQLite's autocheckpoint threshold. A file-backed SQLite ``Store`` wakes a
:class:`WalCheckpointer` after commits instead, which runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own
connection (it never blocks readers or writers). SQLite's own autocheckpoint stays on as the fallback, at
``WAL_AUTOCHECKPOINT_PAGES``, so the WAL stays bounded even when the thread falls behind or is stopped.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import suppress

# SQLite's own checkpoint on commit, the fallback behind the background checkpointer (pages of 4 KiB).
WAL_AUTOCHECKPOINT_PAGES = 4000
# The background checkpointer runs at most this often (seconds).
CHECKPOINT_INTERVAL = 0.05


class WalCheckpointer:
    """PASSIVE WAL checkpoints on a daemon thread, woken by commits, at most every ``interval`` seconds.

    The thread holds its own driver connection and no reference to the ``Store``; ``stop`` ends it.
    A checkpoint that fails (the file is gone, the database is busy) is skipped: the next commit wakes
    the thread again, and SQLite's autocheckpoint remains underneath.
    """

    def __init__(self, path: str, interval: float = CHECKPOINT_INTERVAL) -> None:
        self._path = path
        self._interval = interval
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def poke(self) -> None:
        """A transaction committed: checkpoint soon."""
        if self._thread is None:
            self._start()
        if not self._wake.is_set():  # already woken: setting it again only takes its lock
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopped.is_set():
                thread = threading.Thread(target=self._run, name="orderloom-wal-checkpoint", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            return
        try:
            while True:
                self._wake.wait()
                if self._stopped.is_set():
                    return
                self._wake.clear()
                with suppress(sqlite3.Error):
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if self._stopped.wait(self._interval):
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        """End the thread (it finishes a checkpoint under way first)."""
        self._stopped.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)


__all__ = ["CHECKPOINT_INTERVAL", "WAL_AUTOCHECKPOINT_PAGES", "WalCheckpointer"]
