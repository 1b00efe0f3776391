"""User text (file names, column names, class labels, category values) made inert for Markdown.

Streamlit renders Markdown in st.markdown, st.write, messages, captions, metric labels and values, widget
labels and radio options; the model card is Markdown too. A label such as `[click](http://host)` or a column
named `![x](http://host/leak.png)` would become a live link or an image the browser fetches. Escaped, it
shows as written.
"""
from __future__ import annotations

import re

# Every character that starts or closes Markdown syntax in CommonMark, GitHub-flavoured Markdown (tables,
# strikethrough, autolinks such as www.x.org or http://x) or Streamlit's directives (:red[...], $math$,
# :emoji:). CommonMark shows any backslash-escaped ASCII punctuation as the character itself.
MARKDOWN_ACTIVE = "\\`*_{}[]()#+-.!|<>~$:&^=\"'"
_ACTIVE = re.compile("[" + re.escape(MARKDOWN_ACTIVE) + "]")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def escape_markdown(value: object) -> str:
    """The text of `value` with every Markdown-active character backslash-escaped and line breaks as spaces.

    Use for user-derived text only; the app's own Markdown (bold labels, links it writes) goes around it.
    """
    text = _LINE_BREAKS.sub(" ", str(value))
    return _ACTIVE.sub(lambda match: "\\" + match.group(0), text)
