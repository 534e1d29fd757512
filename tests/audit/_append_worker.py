"""One writer of tests/audit/test_concurrency.py, run as its own process.

    python -m tests.audit._append_worker COUNT READY_FILE GO_FILE

Sets Django up against QUALIFY_DATABASE_URL, connects, says it is ready, waits for the
go file so that all writers start together, then appends COUNT events through
qualify.audit.services.record, each in its own transaction.
"""

import os
import sys
import time
from pathlib import Path

ACTION = "test.concurrency.appended"


def main() -> None:
    count, ready, go = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualify.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from qualify.audit.context import audit_context
    from qualify.audit.registry import register_actions
    from qualify.audit.services import record

    register_actions({ACTION: "Concurrent append (test)"})
    connection.ensure_connection()
    ready.touch()
    deadline = time.monotonic() + 120
    while not go.exists():
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.001)
    writer = os.getpid()
    with audit_context(source="task"):
        for i in range(count):
            with transaction.atomic():
                record(ACTION, object_type="test.writer", object_id=f"{writer}-{i}", actor=None)


if __name__ == "__main__":
    main()
