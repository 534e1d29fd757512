"""qualify backup --out FOLDER [--no-media]: a consistent database dump, the key files
and the checkpoint log, the uploaded files, and a manifest of their hashes with the
audit trail's size and root (qualify.audit.backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qualify.audit.backup import BackupError, make_backup


class Command(BaseCommand):
    help = "Back up the database, the key files, the checkpoint log and the uploaded files."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, metavar="FOLDER", help="a new folder")
        parser.add_argument("--no-media", action="store_true", help="leave uploaded files out")

    def handle(self, *args, out: str, no_media: bool, **options):
        try:
            manifest = make_backup(Path(out), media=not no_media)
        except (BackupError, OSError) as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        audit = manifest["audit"]
        self.stdout.write(
            f"backup written to {out}: {len(manifest['files'])} files; audit trail "
            f"{audit['tree_size']} events, root {audit['root_hash']}"
        )
