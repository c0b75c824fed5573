import re

from django import template
from django.utils.translation import gettext

from curation.importing.service import import_note_display
from curation.models import MessageRole
from curation.services.authoring import RESTORE_NOTE

register = template.Library()

_RESTORED = re.compile(r"Restored from version (\d+)\.")


@register.filter
def role_label(role: str) -> str:
    """The translated name of a conversation role ("user" -> "User" / "用户")."""
    return MessageRole(role).label if role in MessageRole.values else role


@register.filter
def change_note(note: str) -> str:
    """A version's change note as the reader should see it: the notes the application writes
    (an import's, a restore's) are stored in English and translated here; people's are kept."""
    if restored := _RESTORED.fullmatch(note):
        return gettext(RESTORE_NOTE) % {"number": int(restored[1])}
    return import_note_display(note)
