"""User text (file names, column names, class labels, category values) made inert for Markdown.

Streamlit renders Markdown in st.markdown, st.write, messages, captions, metric labels and values, widget
labels and radio options; the model card is Markdown too. A label such as `[click](http://host)` or a column
named `![x](http://host/leak.png)` would become a live link or an image the browser fetches. Escaped, it
shows as written.
"""
from __future__ import annotations

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
