"""User text (file names, column names, class labels, category values) made inert where it is rendered: one
function per output kind.

- Markdown (`escape_markdown`): Streamlit renders Markdown in st.markdown, st.write, messages, captions, metric
  labels, values and deltas, widget labels and radio options; the model card is Markdown too. A label such as
  `[click](http://host)` or a column named `![x](http://host/leak.png)` would become a live link or an image the
  browser fetches. Escaped, it shows as written.
- HTML (`escape_html`): the HTML model card and the Summary card.
- Chart text (`escape_chart_text`): plotly draws a subset of HTML in labels, titles and hover text (`<a href>` is a
  live link, `<b>` bold); escaped, a label shows as written.

Escape at the point of rendering, whatever the text's origin (training rows, test rows, synthetic rows, config):
the renderer cannot know which of its strings came from the user, so it escapes all of them and adds its own
markup around.
"""
from __future__ import annotations

import html
import re

# Characters that open or close Markdown anywhere in a line: CommonMark (code, emphasis, links and images,
# autolinks and raw HTML, entities), GitHub-flavoured Markdown (strikethrough, tables) and Streamlit ($math$).
# `!`, `(` and `)` only act next to `[`, which is always escaped.
MARKDOWN_ACTIVE = "\\`*_[]<>~$|&"
_INLINE = re.compile("[" + re.escape(MARKDOWN_ACTIVE) + "]")
# Active only at the start of a line: headings, block quotes, bullet and numbered lists.
_LINE_START = re.compile(r"^(\s*\d*)([#>+\-.)])(?=\s|$)")
# GFM autolink literals (http://x, www.x, a@b.c) and Streamlit directives (:red[..], :material/x:).
_AUTOLINK = re.compile(r"(?<=[A-Za-z])(:)(?=//)|(?<=www)(\.)|(@)|(:)(?=[A-Za-z/])", re.IGNORECASE)
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def escape_markdown(value: object) -> str:
    """The text of `value` with every Markdown-active character backslash-escaped and line breaks as spaces.

    Rendered, it reads exactly as written. Use for user-derived text (or a whole message that holds some);
    the app's own Markdown (bold labels, links it writes) goes around it.
    """
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _INLINE.sub(lambda match: "\\" + match.group(0), text)
    text = _AUTOLINK.sub(lambda match: "\\" + match.group(0), text)
    start = _LINE_START.match(text)
    if start and (start.group(2) in "#>+-") == (start.group(1).strip() == ""):  # "# x", "- x", "1. x", "2) x"
        text = f"{start.group(1)}\\{text[start.end(1):]}"
    return text


def escape_html(value: object) -> str:
    """The text of `value` for HTML text or an attribute value: &, <, >, " and ' as entities."""
    return html.escape(str(value), quote=True)


def escape_chart_text(value: object) -> str:
    """The text of `value` for a plotly label, title or hover text: &, < and > as the entities plotly decodes
    (&amp; &lt; &gt;), so no tag in it is drawn; line breaks as spaces."""
    return html.escape(_LINE_BREAKS.sub(" ", str(value)), quote=False)
