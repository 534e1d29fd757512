"""The validation pack (P60): one directory (results.json and a Markdown file per
section) and one PDF signed with the reports' PAdES signing (qualify.reports.signing).

Page 1 of the PDF states the verdict — PASS or FAIL — with the deviations, before any
detail, so a reader cannot miss a failure. Sections: 1 summary and deviations,
2 signatures, 3 URS, 4 functional specification, 5 IQ, 6 OQ (per URS item, per
requirement, the traceability matrix, then the evidence of each test: name, the
requirement in words from its docstring, outcome, duration, examples run), 7 PQ.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

SECTIONS = [
    "1. Summary and deviations",
    "2. Signatures",
    "3. User requirements (URS)",
    "4. Functional specification",
    "5. Installation qualification (IQ)",
    "6. Operational qualification (OQ)",
    "7. Performance qualification (PQ)",
]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, set) else items
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def write_results(out: Path, results: dict) -> str:
    """results.json (canonical, sorted keys); its SHA-256."""
    data = json.dumps(_plain(results), sort_keys=True, indent=1, ensure_ascii=False).encode()
    (out / "results.json").write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _md_table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _over_runs(h: dict) -> str:
    runs = h.get("runs", 1)
    return f" over {runs} property runs" if runs > 1 else ""


def write_markdown(out: Path, r: dict) -> None:
    verdict = "PASS" if r["passed"] else "FAIL"
    summary = [f"# Validation pack: {verdict}", ""]
    summary += [f"- {k}: {v}" for k, v in r["identity"].items()]
    summary += ["", "## Deviations", ""]
    summary += [f"- {d}" for d in r["deviations"]] or ["None."]
    (out / "summary.md").write_text("\n".join(summary) + "\n", encoding="utf-8")
    (out / "urs.md").write_text(
        "# User requirements\n\n"
        + _md_table(
            ["ID", "Title", "Risk", "Reason", "GAMP", "Regulation", "Requirements", "Functions"],
            [
                [
                    u["id"],
                    u["title"],
                    u["risk"],
                    u["risk_reason"],
                    u["gamp"],
                    u["regulation"],
                    ", ".join(u["requirements"]),
                    ", ".join(u["functions"]),
                ]
                for u in r["urs"]
            ],
        ),
        encoding="utf-8",
    )
    (out / "functional-specification.md").write_text(
        "# Functional specification\n\n"
        + _md_table(
            ["Kind", "Name", "Does", "Who"],
            [[f["kind"], f["name"], f["does"], f["who"]] for f in r["functions"]],
        ),
        encoding="utf-8",
    )
    (out / "iq.md").write_text(
        "# IQ\n\n"
        + _md_table(
            ["ID", "Check", "Result", "Found", "Expected"],
            [
                [c["id"], c["title"], "PASS" if c["ok"] else "FAIL", c["found"], c["expected"]]
                for c in r["iq"]
            ],
        ),
        encoding="utf-8",
    )
    oq = r["oq"]
    (out / "traceability.md").write_text(
        "# Traceability: URS -> requirement -> test -> result\n\n"
        + _md_table(["URS", "Requirement", "Test", "Result"], traceability_rows(r)),
        encoding="utf-8",
    )
    evidence = ["# OQ evidence", "", f"Selection: {oq['selection']}", ""]
    for t in oq["tests"]:
        evidence += [
            f"## {t['nodeid']}",
            "",
            f"- Requirements: {', '.join(t['requirements'])}",
            f"- Outcome: {t['outcome']} in {t['duration']:.3f} s",
        ]
        if t.get("hypothesis"):
            h = t["hypothesis"]
            evidence.append(
                f"- Examples run: {h['passing']} passing, {h['failing']} failing, "
                f"{h['invalid']} invalid{_over_runs(h)}"
            )
        evidence += ["", t["doc"] or "(no docstring)", ""]
        if t["message"]:
            evidence += ["```", t["message"], "```", ""]
    if oq.get("left_out"):
        evidence += ["# Left out of this OQ", ""]
        evidence += [f"- {t['nodeid']}: {t['reason']}" for t in oq["left_out"]]
    (out / "oq-evidence.md").write_text("\n".join(evidence), encoding="utf-8")
    pq = ["# PQ", ""]
    for s in r["pq"]["scenarios"]:
        ok = s["steps"] and all(st["outcome"] == "passed" for st in s["steps"])
        pq += [f"## {s['id']} {s['title']}: {'PASS' if ok else 'FAIL'}", ""]
        pq += [f"- URS: {', '.join(s['urs'])}; from {s['source']}"]
        for st in s["steps"]:
            pq.append(f"- {st['step']} {json.dumps(st['params'])}: {st['outcome']}. {st['said']}")
        pq.append("")
    if r["pq"].get("error"):
        pq += ["PQ could not run: " + r["pq"]["error"]]
    (out / "pq.md").write_text("\n".join(pq), encoding="utf-8")


def traceability_rows(r: dict) -> list[list[str]]:
    oq = r["oq"]
    tests_of: dict[str, list[dict]] = {}
    for t in oq["tests"]:
        for rid in t["requirements"]:
            tests_of.setdefault(rid, []).append(t)
    rows = []
    for u in r["urs"]:
        for rid in u["requirements"]:
            ran = tests_of.get(rid) or []
            if not ran:
                state = oq["requirement_status"].get(rid) or (
                    "NOT RUN" if oq["urs_status"].get(u["id"]) == "NOT RUN" else "NO TEST"
                )
                rows.append([u["id"], rid, "(none)", state])
            for t in ran:
                rows.append([u["id"], rid, t["nodeid"], t["outcome"]])
    return rows


# --- PDF -------------------------------------------------------------------------


def write_pdf(out: Path, r: dict) -> Path:
    """The pack as one PDF, signed (PAdES) with the installation's report key."""
    # The reports' page flow (fonts embedded, "Page n of N") and their PAdES signing:
    # one PDF look and one signing key for every document the installation hands over.
    from qualify.reports.render.pdf import BOLD, FONT
    from qualify.reports.render.pdf import _Pages as Pages
    from qualify.reports.signing import sign_pdf

    verdict = "PASS" if r["passed"] else "FAIL"
    ident = r["identity"]
    target = out / "validation-pack.pdf"
    fd, unsigned = tempfile.mkstemp(suffix=".pdf")
    os.close(fd)
    try:
        pages = Pages(
            unsigned,
            f"Validation pack {ident['version']}: {verdict}",
            f"Qualify validation pack {ident['version']} · {verdict} · {ident['finished_at']}",
        )
        red, green = (0.7, 0.0, 0.0), (0.0, 0.45, 0.0)
        from reportlab.lib.colors import Color

        pages.lines(
            f"VALIDATION {verdict}",
            size=28,
            font=BOLD,
            color=Color(*(red if verdict == "FAIL" else green)),
        )
        pages.lines(f"Qualify {ident['version']} — IQ/OQ/PQ validation pack", size=13, font=BOLD)
        for key, value in ident.items():
            pages.lines(f"{key}: {value}", size=8)
        pages.rule()
        pages.lines(SECTIONS[0], size=12, font=BOLD)
        for label, (failed, total) in r["counts"].items():
            pages.lines(
                f"{label.upper()}: {total - failed} of {total} passed"
                + (f", {failed} FAILED" if failed else ""),
                size=10,
                font=BOLD if failed else FONT,
            )
        pages.gap()
        pages.lines("Deviations", size=10, font=BOLD)
        for d in r["deviations"] or ["None."]:
            pages.lines(f"• {d}", size=8, indent=6)
        pages.rule()
        pages.lines(SECTIONS[1], size=12, font=BOLD)
        for line in r["signatures"] or ["Not signed: no signer was given (--signer)."]:
            pages.lines(line, size=8)
        pages.lines(
            "QA approval: given in Qualify on the Validation runs page (a Part 11 signature, "
            "meaning Approved), after this pack is read.",
            size=8,
        )
        pages.rule()
        pages.lines(SECTIONS[2], size=12, font=BOLD)
        for u in r["urs"]:
            state = r["oq"]["urs_status"].get(u["id"], "")
            pages.lines(
                f"{u['id']} {u['title']} — risk {u['risk']}, GAMP {u['gamp']} — OQ {state}",
                size=8.5,
                font=BOLD,
            )
            pages.lines(u["text"], size=7.5, indent=8)
            pages.lines(
                f"Regulation: {u['regulation']}. Risk reason: {u['risk_reason']} "
                f"Requirements: {', '.join(u['requirements'])}. "
                f"Functions: {', '.join(u['functions']) or '—'}",
                size=7,
                indent=8,
            )
        pages.rule()
        pages.lines(SECTIONS[3], size=12, font=BOLD)
        pages.lines(
            f"{len(r['functions'])} functions, generated from the URL configuration with its "
            "access rules, the commands and the OpenAPI schema (functional-specification.md).",
            size=8,
        )
        for f in r["functions"]:
            pages.lines(f"[{f['kind']}] {f['name']} — {f['does']} — {f['who']}", size=6.5)
        pages.rule()
        pages.lines(SECTIONS[4], size=12, font=BOLD)
        for c in r["iq"]:
            pages.lines(
                f"{c['id']} {c['title']}: {'PASS' if c['ok'] else 'FAIL'}", size=8.5, font=BOLD
            )
            pages.lines(f"Found: {c['found']}", size=7, indent=8)
            if c["expected"]:
                pages.lines(f"Expected: {c['expected']}", size=7, indent=8)
        pages.rule()
        oq = r["oq"]
        pages.lines(SECTIONS[5], size=12, font=BOLD)
        pages.lines(
            f"Selection: {oq['selection']}. {len(oq['tests'])} tests in {oq['seconds']:.0f} s "
            f"on {oq.get('workers') or 1} worker(s), {len(oq.get('left_out', []))} left out "
            f"(listed at the end of this section), pytest exit code {oq['exit_code']}. "
            f"Command: {' '.join(oq['command'][2:])}",
            size=7.5,
        )
        pages.lines("Result per URS item", size=9, font=BOLD)
        for uid, state in sorted(oq["urs_status"].items()):
            pages.lines(f"{uid}: {state}", size=7.5, indent=6)
        pages.lines("Result per requirement", size=9, font=BOLD)
        for rid, state in sorted(oq["requirement_status"].items()):
            count = sum(1 for t in oq["tests"] if rid in t["requirements"])
            pages.lines(f"{rid}: {state} ({count} tests)", size=7.5, indent=6)
        pages.lines("Traceability matrix (URS, requirement, test, result)", size=9, font=BOLD)
        for row in traceability_rows(r):
            pages.lines(" · ".join(row), size=6)
        pages.lines("Evidence per test", size=9, font=BOLD)
        for t in oq["tests"]:
            pages.lines(
                f"{t['nodeid']} — {t['outcome'].upper()} in {t['duration']:.2f} s — "
                f"{', '.join(t['requirements'])}",
                size=7,
                font=BOLD,
            )
            if t.get("hypothesis"):
                h = t["hypothesis"]
                pages.lines(
                    f"Property test: {h['passing']} passing, {h['failing']} failing, "
                    f"{h['invalid']} invalid examples run{_over_runs(h)}",
                    size=6.5,
                    indent=8,
                )
            pages.lines(t["doc"] or "(no docstring)", size=6.5, indent=8)
            if t["message"]:
                pages.lines(t["message"], size=6, indent=8)
        if oq.get("left_out"):
            pages.lines(
                f"Left out of this OQ ({len(oq['left_out'])} tests) and why", size=9, font=BOLD
            )
            for t in oq["left_out"]:
                pages.lines(f"{t['nodeid']} — {t['reason']}", size=6.5)
        pages.rule()
        pages.lines(SECTIONS[6], size=12, font=BOLD)
        if r["pq"].get("error"):
            pages.lines(f"PQ could not run: {r['pq']['error']}", size=8, font=BOLD)
        for s in r["pq"]["scenarios"]:
            ok = s["steps"] and all(st["outcome"] == "passed" for st in s["steps"])
            pages.lines(
                f"{s['id']} {s['title']}: {'PASS' if ok else 'FAIL'} (URS {', '.join(s['urs'])})",
                size=8.5,
                font=BOLD,
            )
            for st in s["steps"]:
                pages.lines(f"{st['step']}: {st['outcome']}. {st['said']}", size=7, indent=8)
        pages.finish()
        with open(unsigned, "rb") as infile, target.open("w+b") as signed:
            sign_pdf(
                infile, signed, reason=f"Qualify validation pack {ident['version']}: {verdict}"
            )
    finally:
        os.unlink(unsigned)
    return target
