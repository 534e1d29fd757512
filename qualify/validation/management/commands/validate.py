"""`qualify validate --out DIR`: the IQ/OQ/PQ validation pack of this installation
(P60). Exits 1 when any item failed (page 1 of the PDF then says FAIL), 2 on a usage
error. docs/validation/README.md describes the pack and how to run it."""

from __future__ import annotations

import getpass
import os
import sys
import time
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from qualify.progress import Bar, stream_of
from qualify.validation import iq, oq, pack, pq, releases, scratch, spec, urs
from qualify.validation.models import ValidationRun

STANDARD_SCENARIOS = Path(pq.__file__).parent / "scenarios" / "standard.yaml"


class Command(BaseCommand):
    help = (
        "Generate the IQ/OQ/PQ validation pack of this installation into --out (a directory "
        "and one signed PDF); exits non-zero when anything failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="directory of the pack (created)")
        parser.add_argument(
            "--since",
            metavar="VERSION",
            help="OQ runs only what the releases after VERSION touched (CHANGELOG.md)",
        )
        parser.add_argument(
            "--risk",
            choices=["high"],
            help="OQ runs only the tests of high-risk URS items",
        )
        parser.add_argument(
            "--source",
            help="the release's source (tests/, docs/, requirements/); default: the checkout "
            "this package runs from",
        )
        parser.add_argument(
            "--oq-tests",
            nargs="+",
            metavar="PATH",
            help="run these test files or node ids instead of the source's tests/",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="pytest-xdist workers for OQ (default: one per processor; 1: none)",
        )
        parser.add_argument(
            "--oq-all",
            action="store_true",
            help="run the slow tests and browser journeys in the OQ too (by default they "
            "are left out, and listed, unless one is a high-risk item's sole evidence)",
        )
        parser.add_argument("--no-oq", action="store_true", help="leave OQ out (stated as not run)")
        parser.add_argument("--no-pq", action="store_true", help="leave PQ out (stated as not run)")
        parser.add_argument(
            "--scenarios",
            action="append",
            default=[],
            metavar="FILE",
            help="a customer's PQ scenarios (YAML), in addition to the standard ones",
        )
        parser.add_argument(
            "--pq-people-per-function",
            type=int,
            default=None,
            help="staff the PQ demo plant with at most this many people per job function",
        )
        parser.add_argument(
            "--signer",
            metavar="USERNAME",
            help="sign 'validation executed' as this QA approver; the password from "
            "QUALIFY_VALIDATE_PASSWORD(_FILE) or asked",
        )

    def handle(self, *args, **o):
        out = Path(o["out"]).resolve()
        source = Path(o["source"]).resolve() if o["source"] else releases.source_root()
        if not (source / "docs" / "validation" / "urs.yaml").is_file():
            raise CommandError(
                f"{source} is not a Qualify source (no docs/validation/urs.yaml): pass "
                "--source with the release's unpacked source archive"
            )
        try:
            items = urs.load_urs(source)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        scenario_files = ([] if o["no_pq"] else [STANDARD_SCENARIOS]) + [
            Path(p) for p in o["scenarios"]
        ]
        try:
            pq.load_scenarios(scenario_files)  # a bad customer file stops us before a long run
        except (OSError, ValueError) as exc:
            raise CommandError(f"PQ scenarios: {exc}") from exc
        signer, password = self._signer(o["signer"])
        selected, selection = self._selection(o, source, items)
        out.mkdir(parents=True, exist_ok=True)
        started = timezone.now()
        write = self.stdout.write

        write("IQ …")
        checks = iq.run_iq(source)
        write(f"IQ: {sum(not c.ok for c in checks)} of {len(checks)} failed")

        run_oq = not (o["no_oq"] or (selected is not None and not selected))
        workers = oq.default_workers() if o["workers"] is None else o["workers"]
        template, template_error = None, ""
        # One migration for the whole run (P121): the OQ workers' databases and the PQ
        # plant are copies. A named list of tests (CI's narrow packs) needs no database
        # of its own making, so it makes none.
        if scenario_files or (run_oq and not o["oq_tests"]):
            write("Scratch database template (one migration for OQ and PQ) …")
            template_started = time.monotonic()
            try:
                template = scratch.migrate_template(out / "scratch", self._child_env(out))
            except RuntimeError as exc:
                template_error = str(exc)
            write(f"Scratch template: {time.monotonic() - template_started:.0f} s {template_error}")
        try:
            oq_result, scenarios, pq_error, pq_seconds = self._oq_and_pq(
                o, out, source, items, selected, selection, scenario_files, workers, template
            )
        finally:
            if template is not None:
                scratch.drop(template)

        results, deviations = self._results(
            o, source, items, checks, oq_result, scenarios, pq_error, pq_seconds, selection, started
        )
        if template_error:
            # OQ and PQ fell back to migrating their own; a fresh database that does
            # not migrate is still a deviation.
            deviations.append(f"Scratch database template: {template_error}")
            results["deviations"] = deviations
            results["passed"] = False
        passed = not deviations
        digest = pack.write_results(out, results)
        run, signature_lines, signing_error = self._record(
            signer, password, results, deviations, digest, out, passed, started
        )
        results["signatures"] = signature_lines
        if signing_error:
            results["deviations"].append(f"Not signed: {signing_error}")
        pack.write_markdown(out, results)
        pdf = pack.write_pdf(out, results)
        import hashlib

        from qualify.validation.services import validation_run_pack_signed

        validation_run_pack_signed(run=run, pdf_sha256=hashlib.sha256(pdf.read_bytes()).hexdigest())
        verdict = "PASS" if passed else "FAIL"
        write(f"Validation {verdict}: run {run.pk}, pack {out}, PDF {pdf.name}")
        for d in results["deviations"]:
            write(f"  deviation: {d}")
        if not passed or signing_error:
            sys.exit(1)

    # --- parts ---------------------------------------------------------------------

    @staticmethod
    def _child_env(out: Path) -> dict[str, str]:
        # As the OQ's child: the database server, and none of the installation's
        # files (its keys, its log); migrate runs there with a key folder of its own.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("QUALIFY_") or k == "QUALIFY_DATABASE_URL"
        }
        env["QUALIFY_VAR_DIR"] = str(out / "scratch" / "var")
        return env

    def _oq_and_pq(
        self, o, out, source, items, selected, selection, scenario_files, workers, template
    ):
        write = self.stdout.write
        run_oq = not (o["no_oq"] or (selected is not None and not selected))
        if not run_oq:
            oq_result = None
            write("OQ: not run (" + ("--no-oq" if o["no_oq"] else "nothing to re-test") + ")")
        else:
            write(f"OQ ({selection}) on {workers} workers …")
            with Bar("OQ tests", stream=stream_of(self)) as bar:
                oq_result = oq.run_oq(
                    source=source,
                    out=out,
                    items=items,
                    requirements=selected,
                    selection=selection,
                    tests=o["oq_tests"],
                    workers=workers,
                    template=template,
                    leave_out=() if (o["oq_all"] or o["oq_tests"]) else oq.LEAVE_OUT,
                    progress=lambda done, total: bar.follow("OQ tests", done, total),
                )
            write(
                f"OQ: {len(oq_result.failed)} of {len(oq_result.tests)} tests failed "
                f"in {oq_result.seconds:.0f} s (pytest exit {oq_result.exit_code}); "
                f"{len(oq_result.left_out)} left out (oq-left-out.json)"
            )

        if scenario_files:
            write("PQ (scratch copy of the demo plant) …")
            with Bar("PQ", stream=stream_of(self)) as bar:
                scenarios, pq_error, pq_seconds = pq.run_isolated(
                    out=out,
                    scenario_files=scenario_files,
                    people_per_function=o["pq_people_per_function"],
                    template=template,
                    progress=bar.step,
                )
            write(f"PQ: {len(scenarios)} scenarios in {pq_seconds:.0f} s {pq_error}")
        else:
            scenarios, pq_error, pq_seconds = [], "", 0.0
            write("PQ: not run (--no-pq)")
        return oq_result, scenarios, pq_error, pq_seconds

    def _signer(self, username: str | None):
        if not username:
            return None, ""
        from qualify.accounts.models import User

        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        password = os.environ.get("QUALIFY_VALIDATE_PASSWORD", "")
        path = os.environ.get("QUALIFY_VALIDATE_PASSWORD_FILE", "")
        if not password and path:
            password = Path(path).read_text(encoding="utf-8").strip()
        if not password:
            if not sys.stdin.isatty():
                raise CommandError(
                    "no password: set QUALIFY_VALIDATE_PASSWORD_FILE or run interactively"
                )
            password = getpass.getpass(f"Password of {username} (signs 'validation executed'): ")
        return user, password

    def _selection(self, o, source: Path, items):
        if o["since"] and o["risk"]:
            raise CommandError("--since and --risk choose the OQ differently: give one")
        if o["since"]:
            try:
                history = releases.read_changelog(source / "CHANGELOG.md")
                impact = releases.impacted_since(
                    history, o["since"], urs_requirements=urs.requirements_by_urs(items)
                )
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            return impact.requirements, (
                f"since {o['since']}: releases {', '.join(impact.releases) or 'none'}; "
                f"URS {', '.join(sorted(impact.urs)) or 'none'}"
            )
        if o["risk"] == "high":
            return urs.high_risk_requirements(items), "high-risk URS items only"
        if o["oq_tests"]:
            return None, "the tests named: " + ", ".join(o["oq_tests"])
        return None, "full: every requirement-marked test"

    def _results(
        self,
        o,
        source,
        items,
        checks,
        oq_result,
        scenarios,
        pq_error,
        pq_seconds,
        selection,
        started,
    ):
        deviations = [f"IQ {c.id} {c.title}: {c.found}" for c in checks if not c.ok]
        if oq_result is not None:
            for t in oq_result.failed:
                deviations.append(f"OQ test {t.outcome}: {t.nodeid} ({', '.join(t.requirements)})")
            for uid, state in sorted(oq_result.urs_status.items()):
                if state == "FAIL":
                    deviations.append(f"OQ {uid}: FAIL")
            if oq_result.exit_code not in (0, 1, 5) or not oq_result.tests:
                deviations.append(
                    f"OQ: pytest exited {oq_result.exit_code} with {len(oq_result.tests)} "
                    f"tests run: {oq_result.output_tail[-400:]}"
                )
        if pq_error:
            deviations.append(f"PQ: {pq_error}")
        for s in scenarios:
            if not (s["steps"] and all(st["outcome"] == "passed" for st in s["steps"])):
                bad = next((st for st in s["steps"] if st["outcome"] == "failed"), None)
                deviations.append(
                    f"PQ {s['id']} {s['title']}: " + (bad["said"] if bad else "no step ran")
                )
        oq_part = (
            {
                "selection": oq_result.selection,
                "command": oq_result.command,
                "exit_code": oq_result.exit_code,
                "seconds": round(oq_result.seconds, 1),
                "tests": oq_result.tests,
                "requirement_status": oq_result.requirement_status,
                "urs_status": oq_result.urs_status,
                "workers": oq_result.workers,
                "left_out": oq_result.left_out,
            }
            if oq_result is not None
            else {
                "selection": f"not run ({'--no-oq' if o['no_oq'] else selection})",
                "command": ["", ""],
                "exit_code": None,
                "seconds": 0,
                "tests": [],
                "requirement_status": {},
                "urs_status": {u.id: "NOT RUN" for u in items},
                "workers": 0,
                "left_out": [],
            }
        )
        if oq_result is None:
            oq_part["exit_code"] = -1
        pq_failed = sum(
            1
            for s in scenarios
            if not (s["steps"] and all(st["outcome"] == "passed" for st in s["steps"]))
        )
        counts = {
            "iq": (sum(not c.ok for c in checks), len(checks)),
            "oq": (len(oq_result.failed), len(oq_result.tests)) if oq_result else (0, 0),
            "pq": (pq_failed + (1 if pq_error else 0), len(scenarios) + (1 if pq_error else 0)),
        }
        not_run = [name for name, flag in (("OQ", oq_result is None), ("PQ", o["no_pq"])) if flag]
        identity = {
            "version": releases.version(),
            "commit": releases.commit(source),
            "lock_sha256": releases.lock_hash(source) or "no lock file",
            "database": connection.vendor,
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": timezone.now().isoformat(timespec="seconds"),
            "OQ selection": selection,
            "not run": ", ".join(not_run) or "IQ, OQ and PQ all ran",
            "OQ tests left out": oq.left_out_summary(oq_part["left_out"]),
            "PQ seconds": round(pq_seconds, 1),
        }
        results = {
            "passed": not deviations,
            "identity": identity,
            "counts": counts,
            "deviations": deviations,
            "urs": items,
            "functions": spec.functional_specification(),
            "iq": checks,
            "oq": oq_part,
            "pq": {"scenarios": scenarios, "error": pq_error},
            "signatures": [],
        }
        return pack._plain(results), deviations

    def _record(self, signer, password, results, deviations, digest, out, passed, started):
        from qualify.audit.context import audit_context
        from qualify.signatures.services import Credentials, signatures_of
        from qualify.validation.services import validation_run_record

        kwargs = dict(
            started_at=started,
            finished_at=timezone.now(),
            version=results["identity"]["version"],
            commit=results["identity"]["commit"],
            lock_sha256=results["identity"]["lock_sha256"][:64],
            selection=results["identity"]["OQ selection"],
            passed=passed,
            counts=results["counts"],
            deviations=deviations,
            results_sha256=digest,
            pack_path=str(out),
        )
        error = ""
        with audit_context(source="cli"):
            run: ValidationRun | None = None
            if signer is not None:
                try:
                    run = validation_run_record(
                        actor=signer,
                        credentials=Credentials(username=signer.username, password=password),
                        **kwargs,
                    )
                except (ValidationError, PermissionDenied) as exc:
                    error = "; ".join(getattr(exc, "messages", None) or [str(exc)])
            if run is None:
                run = validation_run_record(actor=None, credentials=None, **kwargs)
        lines = [s.manifestation for s in signatures_of(run)]
        return run, lines, error
