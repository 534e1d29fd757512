"""The queries a page asks, for tests that pin that they do not grow with the rows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def fewest_queries(client, url, params=None):
    """(response, queries) of the GET that asked fewer of two in a row. Once, on
    PostgreSQL beside other test runs, one GET asked 85 more queries than the same GET
    otherwise does, whatever the rows; the fewer of two is what the page itself asks,
    and a count that grows with the rows grows in both."""
    asked = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params or {})
        asked.append((len(queries), response))
    count, response = min(asked, key=lambda pair: pair[0])
    return response, count
