"""HTML building blocks of the report pages: real tables (with header cells a screen reader
announces), escaped text, and trusted markup made here."""

from __future__ import annotations

from html import escape


class Html(str):
    """Markup built by this module (trusted); every other table cell is escaped."""


def _cell(value: object, numeric: bool) -> str:
    text = value if isinstance(value, Html) else escape(str(value))
    return f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>"


def table(table_id: str, headers: list[str], rows: list[list[object]], numeric: frozenset[int] = frozenset(),
          empty: str = "None.", caption: str = "") -> str:
    """A table with column headers (``scope="col"``) and an optional caption; ``empty`` when no rows."""
    if not rows:
        return f'<p class="muted" id="{table_id}">{escape(empty)}</p>'
    head = "".join(f'<th scope="col" class="num">{escape(h)}</th>' if i in numeric else f'<th scope="col">{escape(h)}</th>'
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(_cell(v, i in numeric) for i, v in enumerate(row)) + "</tr>" for row in rows)
    title = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table id="{table_id}">{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def image(image_id: str, png_base64: str, alt: str) -> Html:
    """An embedded PNG with its text alternative."""
    return Html(f'<img id="{image_id}" class="plot" alt="{escape(alt)}" src="data:image/png;base64,{png_base64}">')


def code(text: str) -> Html:
    return Html(f"<code>{escape(text)}</code>")


def points(value: float) -> str:
    return f"{value:g}"
