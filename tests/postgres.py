"""A throw-away PostgreSQL server and fresh databases on it, for the test suite and the benchmarks.

``throwaway_server()`` starts a server from the distribution's binaries (Debian's postgresql package:
``scripts/test-deps.sh`` installs it) in a temporary folder, on 127.0.0.1 and a port the system picks,
with durability off (``fsync``, full page writes, synchronous commit: nothing here outlives the run),
and yields its base URL (no database name); it is stopped and its folder removed afterwards. As root,
its binaries run as the ``postgres`` system user (PostgreSQL refuses to run as root).
``fresh_database(server)`` makes an empty database on a server and drops it afterwards.

Here, beside the tests, rather than in ``engine/``: it is a tool of the checkout (the wheel ships
neither the tests nor the benchmarks), and the engine never imports the tests. It imports nothing of
pytest, so a benchmark run from a checkout uses it as the suite does (``from tests.postgres import …``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Connections the server accepts: the suite's workers and its racing tests open many at once.
MAX_CONNECTIONS = 200


class PostgresMissing(RuntimeError):
    """A PostgreSQL binary is not installed: the message says which and how to get it."""


def binary(name: str) -> str:
    """The path of PostgreSQL's ``name`` (``initdb``, ``pg_ctl``): the newest version the distribution
    installed, else one on ``PATH``."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise PostgresMissing(
        f"PostgreSQL's {name} was not found: `bash scripts/test-deps.sh` (run by `make test`) installs the "
        "distribution's postgresql package"
    )


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; run its binaries as the postgres system user then."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_server(prefix: str = "orderloom-pg-") -> Iterator[str]:
    """A running PostgreSQL server of its own, for as long as the block runs: its base URL,
    ``postgresql+psycopg://orderloom@127.0.0.1:<port>`` (the superuser ``orderloom``, trusted)."""
    initdb, pg_ctl = binary("initdb"), binary("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix=prefix))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        for path in (base, sockets):
            os.chown(path, pg.pw_uid, pg.pw_gid)
    port = _free_port()
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
        f"-c full_page_writes=off -c synchronous_commit=off -c max_connections={MAX_CONNECTIONS}"
    )
    # the distribution's binaries, on paths made here: nothing from outside reaches these commands
    try:
        subprocess.run(
            _as_postgres_user(
                [initdb, "-D", str(data), "-A", "trust", "-U", "orderloom", "-E", "UTF8", "--locale=C"]
            ),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            _as_postgres_user(
                [pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://orderloom@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def fresh_database(server: str, prefix: str = "t_") -> Iterator[str]:
    """An empty database on ``server`` (a base URL, as ``throwaway_server`` yields), named ``prefix``
    and a random part, for as long as the block runs: its URL. Dropped afterwards, connections or not."""
    import psycopg

    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{plain}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
