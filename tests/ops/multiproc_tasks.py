"""A task for the several-machines test: each run appends its marker to a file, so a
task run twice shows as a marker written twice."""

import os

from django_tasks import task


@task()
def mark(path: str, marker: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{marker} {os.getpid()}\n")
