"""Safe text helpers for templates: markdown with raw HTML disabled, money in cents."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

# "js-default": CommonMark with raw HTML off and unsafe link schemes (javascript:, data:...)
# refused, so a requester's instructions cannot inject script into a worker's page.
_md = MarkdownIt("js-default", {"linkify": False, "typographer": False}).enable("table")


def render_markdown(text: str | None) -> Markup:
    return Markup(_md.render(text or ""))  # raw HTML is disabled above


def money(cents: int | None) -> str:
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"
