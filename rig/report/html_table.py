"""Small, escaped HTML tables for attachments (and plain lists for the description):
readable offline, no scripts, no fetches.

Every cell goes through ``html.escape``: values come from the firmware's logs, the chain and
scenario files, and none of them may inject markup into the auditor's report.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

STYLE = (
    "<style>"
    "body{font-family:system-ui,sans-serif;font-size:13px;margin:8px}"
    "table{border-collapse:collapse;margin:4px 0 12px}"
    "th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".fire{background:#fde2e2}.heal{background:#e2f5e2}.fail{background:#fbb}"
    ".info{background:#fff3c4}.ok{background:#e2f5e2}"
    "code,pre{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap}"
    "</style>"
)


def esc(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        value = json.dumps(value, default=str, sort_keys=True)
    return html.escape(str(value))


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]],
          row_classes: Iterable[str] | None = None, numeric: Sequence[int] = ()) -> str:
    """A table; ``row_classes`` colours rows (see STYLE), ``numeric`` right-aligns columns."""
    classes = list(row_classes) if row_classes is not None else None
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{esc(classes[i])}"' if classes and classes[i] else ""
        cells = "".join(f'<td class="num">{esc(c)}</td>' if j in numeric else f"<td>{esc(c)}</td>"
                        for j, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def page(title: str, *parts: str) -> str:
    """A whole HTML document (an Allure HTML attachment is shown in its own frame)."""
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{esc(title)}</title>"
            f"{STYLE}</head><body>{''.join(parts)}</body></html>")



def bullets(items: Iterable[tuple[str, Any]]) -> str:
    """``<ul>`` of "**label** text" lines: for Allure's description, whose sanitiser drops
    every style and table attribute (a table there has no borders, and ``<pre>`` is not
    monospaced), so a list is what stays readable."""
    lines = "".join(f"<li><b>{esc(label)}</b> {esc(text)}</li>" for label, text in items)
    return f"<ul>{lines}</ul>"
