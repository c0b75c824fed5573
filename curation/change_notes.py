"""The change notes the application writes on versions (an import's, a restore's) are stored in
English, so that the importer recognises its own drafts and every reader gets them in their own
language: `change_note_display` translates them when shown; notes people wrote are kept."""

import re

from django.utils.translation import gettext

from curation.importing.service import IMPORT_NOTE
from curation.services.authoring import RESTORE_NOTE

_IMPORTED = re.compile(re.escape(IMPORT_NOTE.format(name="")) + r"(?P<name>[^\n]*)")
_RESTORED = re.compile(r"Restored from version (?P<number>\d+)\.")


def change_note_display(note: str) -> str:
    if restored := _RESTORED.fullmatch(note):
        return gettext(RESTORE_NOTE) % {"number": int(restored["number"])}
    if imported := _IMPORTED.fullmatch(note):
        return gettext(IMPORT_NOTE).format(name=imported["name"])
    return note
