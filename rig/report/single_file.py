"""Read what a single-file Allure report embeds: its data files, and each test case's uid.

``allure generate --single-file`` inlines every data file as ``d('data/…', '<base64>')``.
The uid of a test case is what the report's ``#testresult/<uid>`` route opens, so a script
(or a test) can open one scenario's page directly.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

EMBEDDED = re.compile(r"d\('([^']+)','([A-Za-z0-9+/=]*)'\)")


def embedded_files(html: str) -> dict[str, bytes]:
    out = {}
    for name, data in EMBEDDED.findall(html):
        try:
            out[name] = base64.b64decode(data)
        except (binascii.Error, ValueError):
            continue
    return out


def cases(html: str) -> list[dict]:
    """The embedded ``data/test-cases/*.json`` documents (name, uid, status, steps, …)."""
    out = []
    for name, body in embedded_files(html).items():
        if name.startswith("data/test-cases/") and name.endswith(".json"):
            try:
                out.append(json.loads(body))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
    return out


def case_uid(html: str, name: str) -> str:
    """The uid of the test case titled ``name``; KeyError listing the titles there are."""
    found = cases(html)
    for case in found:
        if case.get("name") == name:
            return str(case["uid"])
    raise KeyError(f"no test case named {name!r} in the report; it has "
                   f"{sorted(str(c.get('name')) for c in found)}")
