"""Run benchmarks and print their results as one Markdown table.

    python -m bench.run                 # every benchmark
    python -m bench.run audit_verify    # some of them

Every module of this package not named run or starting with "_" is a benchmark: run
as `python -m bench.<name> --json`, it prints a JSON list of rows {benchmark, metric,
value, target, met}. Each runs in its own process so it can configure Django (its own
database) before setup. Flags given here (e.g. --rebuild) are passed to each.
"""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BENCHMARKS = sorted(
    module.name
    for module in pkgutil.iter_modules([str(HERE)])
    if module.name != "run" and not module.name.startswith("_")
)


def run_one(name: str, extra: list[str]) -> list[dict]:
    completed = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--json", *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


def table(rows: list[dict]) -> str:
    lines = ["| benchmark | metric | measured | target | met |", "| --- | --- | --- | --- | --- |"]
    for row in rows:
        met = {True: "yes", False: "**no**", None: ""}[row.get("met")]
        lines.append(
            f"| {row['benchmark']} | {row['metric']} | {row['value']} | {row.get('target', '')}"
            f" | {met} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    names = [arg for arg in argv if not arg.startswith("-")] or BENCHMARKS
    extra = [arg for arg in argv if arg.startswith("-")]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    rows = []
    for name in names:
        print(f"running {name}...", file=sys.stderr, flush=True)
        rows.extend(run_one(name, extra))
    print(table(rows))
    return 0 if all(row.get("met") is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
