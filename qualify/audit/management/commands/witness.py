"""`qualify witness`: witness another installation's audit checkpoints (A6).

    qualify witness key --key witness.pem --name qa.example/witness
    qualify witness serve --key witness.pem --name qa.example/witness \\
        --log VERIFIER_KEY [--log VERIFIER_KEY]... --state witness.json \\
        --listen 127.0.0.1:8081

Run on a machine other than the one it witnesses (QA's, a sister site's): it keeps,
for each log whose verifier key it is given, the latest checkpoint it cosigned (in
the state file), and cosigns a new checkpoint only when a consistency proof shows it
extends that one (C2SP tlog-witness `add-checkpoint`, ``qualify.audit.witness``).
`key` creates the witness's own Ed25519 key when it is missing and prints the witness
key that the witnessed installation lists in QUALIFY_AUDIT_WITNESSES
("http://host:port WITNESS_KEY"). The witness needs no database.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qualify.audit import notes, witness
from qualify.edge import whole_number


def _listen(text: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    host = host.strip("[]")
    number = whole_number(port)
    if not colon or not host or number is None or number > 65535:
        raise CommandError(f"--listen is HOST:PORT, e.g. 127.0.0.1:8081, not {text!r}")
    return host, number


def _name(text: str) -> str:
    if not notes.is_valid_key_name(text):
        raise CommandError(
            f"--name {text!r} cannot name a key: no spaces, no '+', e.g. qa.example/witness"
        )
    return text


class Command(BaseCommand):
    help = "Witness other installations' audit checkpoints (C2SP tlog-witness)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        for name, text in (
            ("key", "create the witness key if missing and print the witness key"),
            ("serve", "serve add-checkpoint over HTTP until stopped"),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("--key", required=True, metavar="FILE", help="witness key (PEM)")
            command.add_argument("--name", required=True, help="the witness's name")
        serve = sub.choices["serve"]
        serve.add_argument(
            "--log",
            action="append",
            required=True,
            metavar="VERIFIER_KEY",
            help="verifier key of an installation to witness (repeatable)",
        )
        serve.add_argument(
            "--state", required=True, metavar="FILE", help="where the cosigned sizes are kept"
        )
        serve.add_argument("--listen", default="127.0.0.1:8081", metavar="HOST:PORT")

    def handle(self, *args, subcommand: str, **options: Any) -> None:
        getattr(self, f"_{subcommand}")(**options)

    def _key(self, *, key: str, name: str, **_: Any) -> None:
        private_key = self._load(Path(key), name, create=True)
        self.stdout.write(witness.cosigner_vkey(name, private_key.public_key()))

    def _serve(self, *, key: str, name: str, log: list[str], state: str, listen: str, **_):
        host, port = _listen(listen)
        private_key = self._load(Path(key), name, create=False)
        try:
            server = witness.Witness.from_vkeys(name, private_key, log, Path(state))
        except notes.NoteError as exc:
            raise CommandError(f"--log is not an installation's verifier key: {exc}") from exc

        def ready(address: tuple[str, int]) -> None:
            self.stdout.write(f"witness {server.vkey}")
            self.stdout.write(f"listening on http://{address[0]}:{address[1]}")
            self.stdout.flush()

        try:
            witness.serve(server, host, port, ready=ready)
        except OSError as exc:
            raise CommandError(f"cannot listen on {listen}: {exc}") from exc
        self.stdout.write("witness stopped")

    def _load(self, path: Path, name: str, *, create: bool):
        _name(name)
        try:
            return witness.load_or_create_key(path, create=create)
        except (witness.WitnessError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
