"""Many ids as one task argument (issue 18).

django-tasks normalises a task's arguments value by value, several times per task
(on enqueueing, storing and reading back): a revision's 50,000 assignment ids as a list
of numbers were hundreds of thousands of calls inside the approval's transaction. As
one text they are one value.
"""


def ids_text(ids: list[int]) -> str:
    """Ids as the text `ids_of` reads: decimal numbers separated by commas."""
    return ",".join(map(str, ids))


def ids_of(column: str | list[int]) -> list[int]:
    """A column of ids as `ids_text` wrote it, or as a list (a task queued before)."""
    if isinstance(column, str):
        return [int(i) for i in column.split(",")] if column else []
    return list(column)
