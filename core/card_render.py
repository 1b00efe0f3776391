"""The model card's form and its two renderers: a card is sections of Blocks (text, bullets, tables, the analyst's
fields, figures by name), rendered as Markdown and as one self-contained HTML file. Text is escaped where it is
rendered, whatever its origin (training, test or synthetic rows, config): every cell, paragraph and bullet in
Markdown by core.text.escape_markdown, in HTML by core.text.escape_html, chart text by core.plots.inert; the
renderers add only their own markup around it, so no file name, column name, label or category value becomes a
link, an image or a tag."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core import plots
from core.pipeline import ExperimentResult
from core.text import escape_html, escape_markdown

NOT_PROVIDED = "not provided"


@dataclass(frozen=True)
class Block:
    """One piece of a section: kind 'text' (a paragraph), 'bullets' (list of str), 'table' (DataFrame),
    'fields' (tuple of (label, analyst text or None), shown escaped or as 'not provided'), or 'figure' (the name
    of a function in core.plots)."""
    kind: str
    content: object


@dataclass(frozen=True)
class ModelCard:
    """The card's text and tables, as plain text: the renderers (to_markdown, to_html) escape all of it."""
    title: str
    sections: tuple[tuple[str, tuple[Block, ...]], ...]


def _markdown_cell(value) -> str:
    """A value as Markdown text, escaped in full (core.text.escape_markdown) whatever its origin: the renderer
    cannot tell a test-only category level from its own words, so it escapes both; rendered, they read the same."""
    return escape_markdown(f"{value:.4g}" if isinstance(value, float) else value)


def to_markdown(card: ModelCard) -> str:
    """The card as Markdown (figures are listed by name; the HTML version draws them)."""
    cell = _markdown_cell

    def bullet(item) -> str:
        mark = str(item)[:4] if str(item)[:4] in ("[x] ", "[ ] ") else ""  # the checklist's own boxes
        return f"- {mark}{cell(str(item)[len(mark):])}"
    lines = [f"# {cell(card.title)}", ""]
    for title, blocks in card.sections:
        lines += [f"## {title}", ""]
        for block in blocks:
            if block.kind == "text":
                lines += [cell(block.content), ""]
            elif block.kind == "bullets":
                lines += [bullet(item) for item in block.content] + [""]
            elif block.kind == "table":
                frame: pd.DataFrame = block.content
                lines.append("| " + " | ".join(cell(c) for c in frame.columns) + " |")
                lines.append("|" + "---|" * len(frame.columns))
                lines += ["| " + " | ".join(cell(v) for v in row) + " |"
                          for row in frame.itertuples(index=False)]
                lines.append("")
            elif block.kind == "fields":
                lines += [f"- **{label}:** {cell(value) if value else '*' + NOT_PROVIDED + '*'}"
                          for label, value in block.content] + [""]
            elif block.kind == "figure":
                lines += [f"*Figure: {block.content.replace('_', ' ')} (in the HTML model card).*", ""]
    return "\n".join(lines)


def _figure(result: ExperimentResult, name: str):
    if name.startswith("confusion_"):
        return plots.confusion(result, name.removeprefix("confusion_"))
    if name in ("class_counts", "typology"):
        return getattr(plots, name)(result.profile)
    return getattr(plots, name)(result)


def to_html(card: ModelCard, result: ExperimentResult) -> str:
    """One self-contained HTML file: escaped text and tables, plotly charts inline (plotly.js embedded once)."""
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>{escape_html(card.title)}</title><style>body{{font-family:sans-serif;max-width:1100px;"
             "margin:2em auto;color:#1f2a30}table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
             "td,th{border:1px solid #ccd;padding:4px 8px;text-align:left}th{background:#eef2f3}</style></head><body>",
             f"<h1>{escape_html(card.title)}</h1>"]
    first_figure = True
    for title, blocks in card.sections:
        parts.append(f"<h2>{escape_html(title)}</h2>")
        for block in blocks:
            if block.kind == "text":
                parts.append(f"<p>{escape_html(str(block.content))}</p>")
            elif block.kind == "bullets":
                parts.append("<ul>" + "".join(f"<li>{escape_html(str(i))}</li>" for i in block.content) + "</ul>")
            elif block.kind == "table":
                parts.append(block.content.to_html(index=False, escape=True, float_format=lambda v: f"{v:.4g}",
                                                   na_rep=""))
            elif block.kind == "fields":
                parts.append("<ul>" + "".join(
                    f"<li><strong>{escape_html(label)}:</strong> "
                    f"{escape_html(value) if value else '<em>' + NOT_PROVIDED + '</em>'}</li>"
                    for label, value in block.content) + "</ul>")
            elif block.kind == "figure":
                figure = plots.inert(_figure(result, block.content))
                markup = figure.to_html(full_html=False, include_plotlyjs=first_figure)
                parts.append(markup.replace("</script><script", "</script>\n<script"))
                first_figure = False
    parts.append("</body></html>")
    return "\n".join(parts)
