"""The grading grid's cell, rendered in Python: a grid has up to 120 of them, and as a template
(some 40 tags each) they took half the grading screen's time."""

from urllib.parse import quote

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_PRESSED = {True: ("true", "false"), False: ("false", "true"), None: ("false", "false")}
_STATE = {True: " is-met", False: " is-not-met", None: ""}


@register.simple_tag(takes_context=True)
def grading_cell(context, cell) -> SafeString:
    """`{% grading_cell cell %}`: one cell's form. The page's context gives what every cell
    shares (views._cell_context: `mark_base`, `csrf_field` and the words in `text`), whether the
    item is `submitted`, and, when one cell is sent back alone, its `error` or `saved`."""
    text, submitted, error = context["text"], context.get("submitted"), context.get("error")
    key, letter = cell.key, cell.letter
    disabled = mark_safe(" disabled") if submitted else ""
    met_pressed, not_met_pressed = _PRESSED[cell.met]
    editor = ""
    if not submitted:
        editor = format_html(
            '<details class="cell-note"><summary title="{}"><span aria-hidden="true">✎</span>'
            '<span class="visually-hidden">{}</span></summary>\n'
            '<textarea id="note-{}-{}" name="note" rows="2" maxlength="2000" placeholder="{}"'
            ' aria-labelledby="note-word text-{} col-{}" hx-preserve>{}</textarea>\n'
            '<button type="submit" name="save_note" value="1" class="small">{}</button>\n'
            "</details>",
            text["note"], text["note"], key, letter, text["placeholder"], key, letter, cell.note,
            text["save_note"],
        )  # fmt: skip
    preview = ""
    if cell.note:
        preview = format_html(
            '<p class="note-preview"><span class="visually-hidden">{} </span>{}</p>',
            text["note_prefix"],
            cell.note,
        )
    status = ""
    if error:
        status = format_html('<span class="cell-error">{}</span>', error)
    elif context.get("saved"):
        status = format_html('<span class="cell-saved">{}</span>', text["saved"])
    url = f"{context['mark_base']}{letter}/{quote(key)}/"
    return format_html(
        '<td id="cell-{}-{}" class="cell{}{}{}">\n'
        '<form method="post" action="{}" hx-post="{}" hx-target="closest td" hx-swap="outerHTML"'
        ' hx-request=\'{{"timeout": 15000}}\'>\n'
        '{}\n<input type="hidden" name="seconds" value="0">\n'
        '<div class="marks" role="group" aria-labelledby="text-{} col-{}">\n'
        '<button type="submit" name="met" value="1" class="mark mark-met" aria-pressed="{}"{}>'
        '<span aria-hidden="true">✓</span> {}</button>\n'
        '<button type="submit" name="met" value="0" class="mark mark-not-met" aria-pressed="{}"{}>'
        '<span aria-hidden="true">✗</span> {}</button>\n</div>\n'
        '{}\n{}\n<p class="cell-status" role="status">{}</p>\n</form>\n</td>',
        key, letter, _STATE[cell.met], " is-missing" if cell.missing else "",
        " has-error" if error else "", url, url, context["csrf_field"], key, letter,
        met_pressed, disabled, text["met"], not_met_pressed, disabled, text["not_met"],
        editor, preview, status,
    )  # fmt: skip
