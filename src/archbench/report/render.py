"""Render the report's blocks (headings, paragraphs, tables, images) as Markdown and self-contained HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """A table of preformatted cells."""

    header: list[str]
    rows: list[list[str]]


Block = tuple[str, str] | Table  # ("h1" | "h2" | "p" | "img", text or PNG file name) or a table

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; display: block; max-width: 100%; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; margin: 0.5em 0; }
"""


def markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: list[Block]) -> str:
    """Markdown with one blank line between blocks."""
    parts = []
    for block in blocks:
        if isinstance(block, Table):
            lines = [block.header, ["---"] * len(block.header), *block.rows]
            parts.append("\n".join("| " + " | ".join(map(markdown_cell, line)) + " |" for line in lines))
            continue
        kind, text = block
        if kind == "img":
            parts.append(f"![{text}]({text})")
        else:
            parts.append({"h1": "# ", "h2": "## ", "p": ""}[kind] + text)
    return "\n\n".join(parts) + "\n"


def html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.header)
    cells = ("".join(f"<td>{html.escape(c)}</td>" for c in row) for row in table.rows)
    body = "\n".join(f"<tr>{line}</tr>" for line in cells)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def render_html(blocks: list[Block], title: str) -> str:
    """One HTML page with inline CSS; images are referenced by relative file name."""
    parts = []
    for block in blocks:
        if isinstance(block, Table):
            parts.append(html_table(block))
            continue
        kind, text = block
        if kind == "img":
            parts.append(f'<img src="{html.escape(text)}" alt="{html.escape(text)}">')
        else:
            parts.append(f"<{kind}>{html.escape(text)}</{kind}>")
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
