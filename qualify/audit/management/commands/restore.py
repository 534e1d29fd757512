"""qualify restore FOLDER [--no-media]: check the backup's manifest, restore into an
empty database, and finish only if `audit verify` of the restored trail is intact with
the size and root the backup recorded (qualify.audit.backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qualify.audit.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `qualify backup` into an empty installation."

    def add_arguments(self, parser):
        parser.add_argument("folder", metavar="FOLDER")
        parser.add_argument("--no-media", action="store_true", help="leave uploaded files out")

    def handle(self, *args, folder: str, no_media: bool, **options):
        try:
            manifest, report = restore_backup(Path(folder), media=not no_media)
        except (BackupError, OSError) as exc:
            raise CommandError(f"restore refused: {exc}", returncode=1) from exc
        self.stdout.write(report.summary())
        self.stdout.write(
            f"restored from {folder}: the roots equal the backup's "
            f"({manifest['audit']['tree_size']} events, root {manifest['audit']['root_hash']})"
        )
