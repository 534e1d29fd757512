"""Text and Markdown document versions shown as formatted text, never as markup.

Raw HTML in the source is escaped (html disabled), and links may only lead to
http(s), mailto or a relative address, so a version's text can never run script in
the reader's browser even without the page's Content-Security-Policy."""

from urllib.parse import urlsplit

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_SCHEMES = {"", "http", "https", "mailto"}


def _safe_link(url: str) -> bool:
    return urlsplit(url.strip()).scheme.lower() in ALLOWED_SCHEMES


_renderer = MarkdownIt("commonmark", {"html": False})
_renderer.validateLink = _safe_link


def render(text: str) -> SafeString:
    # markdown-it escapes every text node and attribute; with html off and links
    # validated, its output is safe to mark as such.
    return mark_safe(_renderer.render(text or ""))
