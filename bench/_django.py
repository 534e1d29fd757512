"""Django set up for a benchmark: its own database under var/bench/, migrated.

Each benchmark runs in its own process (bench.run starts them), so each can point
Django at its own database before setup. BENCH_DATABASE_URL overrides the SQLite file,
e.g. postgres://postgres@127.0.0.1:5432/qualify_bench (created if missing).
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "var" / "bench"


def setup(name: str, *, migrate: bool = True) -> str:
    """Configure and set up Django for benchmark `name`; return the database vendor."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{BENCH_DIR / f'{name}.sqlite3'}"
    if url.startswith(("postgres://", "postgresql://")):
        _create_postgres_database(url)
    os.environ["QUALIFY_DATABASE_URL"] = url
    os.environ["QUALIFY_SIGNING_KEY"] = str(BENCH_DIR / "checkpoint-ed25519.pem")
    os.environ["DJANGO_SETTINGS_MODULE"] = "qualify.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
    return connection.vendor


def _create_postgres_database(url: str) -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    server = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')
