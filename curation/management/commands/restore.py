from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consilium.backup import BackupError, Database, restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder made by `backup` into a NEW database and a NEW media folder "
        "(refused if either holds data). Point DATABASE_URL and MEDIA_ROOT at them afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="The dated backup folder.")
        parser.add_argument(
            "--database-url",
            required=True,
            help="The database to create, e.g. postgres://user@host:5432/consilium_restored "
            "or sqlite:////srv/consilium/restored.sqlite3.",
        )
        parser.add_argument(
            "--media-root", type=Path, required=True, help="The new (or empty) media folder."
        )

    def handle(self, *args, folder: Path, database_url: str, media_root: Path, **options):
        try:
            manifest = restore(
                folder=folder, database=Database.from_url(database_url), media_root=media_root
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored the {manifest['engine']} backup of {manifest['created_at']} "
            f"into {database_url.rsplit('@', 1)[-1]} and {media_root}."
        )
