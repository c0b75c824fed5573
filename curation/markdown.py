"""Markdown written by authors (reference answers, conversation turns), rendered safely.

Python-Markdown turns the text into HTML and passes any raw HTML in it through; nh3 then keeps
only the tags and attributes below, so no script, event handler or style reaches a page.
"""

from functools import lru_cache

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}

# nl2br: clinicians break lines where they mean them, as in a chat or a letter.
_EXTENSIONS = ["tables", "sane_lists", "fenced_code", "nl2br"]


# Rendering is pure and costs a few milliseconds for a long answer: each worker keeps the last
# texts it rendered (a case or a response is shown again and again while it is graded).
@lru_cache(maxsize=1024)
def render_markdown(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=_EXTENSIONS, output_format="html")
    return mark_safe(  # sanitised by nh3 just above
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )
