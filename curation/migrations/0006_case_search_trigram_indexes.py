"""Trigram indexes for the case list's free-text search, on PostgreSQL only.

The search (curation.filters.case_search) matches `UPPER(title)` and `UPPER(messages::text)`
with LIKE '%...%', which no B-tree serves: without these GIN indexes every search reads and
upper-cases the conversation of every version. SQLite has no such index and keeps scanning.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# Expressions exactly as Django writes them for `icontains`, so the planner matches them.
INDEXES = {
    "caseversion_title_trgm": 'UPPER(("title")::text)',
    "caseversion_messages_trgm": 'UPPER(("messages")::text)',
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON curation_caseversion "
            f"USING gin ({expression} gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("curation", "0005_background_jobs")]

    operations = [
        TrigramExtension(),  # does nothing on other databases
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
