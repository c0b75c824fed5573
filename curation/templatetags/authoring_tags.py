from django import template

from curation.change_notes import change_note_display
from curation.models import MessageRole

register = template.Library()


@register.filter
def role_label(role: str) -> str:
    """The translated name of a conversation role ("user" -> "User" / "用户")."""
    return MessageRole(role).label if role in MessageRole.values else role


@register.filter
def change_note(note: str) -> str:
    """A version's change note in the reader's language (curation.change_notes)."""
    return change_note_display(note)
