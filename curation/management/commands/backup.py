from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from consilium.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump custom format; SQLite: online backup) and the "
        "media folder into a new dated folder. Safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--into",
            type=Path,
            default=Path(settings.VAR_DIR) / "backups",
            help="Folder in which to create the dated backup folder (default: var/backups).",
        )

    def handle(self, *args, into: Path, **options):
        try:
            folder = backup(into=into)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(folder))
