"""After a bulk load (P183, P208): PostgreSQL's statistics and index upkeep at once.

PostgreSQL plans from table statistics, which a bulk load leaves stale until
autovacuum gets to it (or never, where it is off): the pages of a just-built or
just-restored plant were planned as if its tables were empty. A vacuum too, outside a
transaction: the text search indexes (GIN, qualify.text_search) keep every row a bulk
load inserted in a pending list that each search reads whole until a vacuum merges it
(a search of 10,000 people: 8.6 ms to count before, 5 ms after), and index-only scans
need the visibility map a vacuum sets. SQLite keeps no statistics unless asked, and its
plans were tuned without them, so it is left as it is.
"""

from django.db import connection


def after_bulk_load() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
