"""The PostgreSQL the suite starts is a real server that answers SQL."""

import psycopg


def test_postgres_server_answers(pg_url: str) -> None:
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    assert version is not None and int(version[0].split(".")[0]) >= 13
