"""Prove a rendered report is offline: no analytics tag, nothing fetched over the network.

An auditor opens the report on a machine without network access, or must be sure opening it
tells nobody. Allure embeds a Google Analytics tag unless ``ALLURE_NO_ANALYTICS=true``; a
resource (script, stylesheet, image, frame, font) fetched over http(s) would break offline
viewing too. Only ``data:`` URIs (and in-page references) are allowed for resources.

Links people click (``<a href>``) are not fetches; script *bodies* are not scanned for URL
strings (Allure's bundle mentions XML namespace URLs), only for the analytics loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

FETCHING = {
    ("script", "src"), ("link", "href"), ("img", "src"), ("img", "srcset"),
    ("iframe", "src"), ("frame", "src"), ("embed", "src"), ("object", "data"),
    ("source", "src"), ("source", "srcset"), ("video", "src"), ("video", "poster"),
    ("audio", "src"), ("track", "src"), ("input", "src"), ("image", "href"),
    ("use", "href"), ("image", "xlink:href"), ("use", "xlink:href"), ("body", "background"),
}
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(r"(url\(\s*['\"]?\s*(https?:)?//|@import\s+['\"]?(https?:)?//)",
                        re.IGNORECASE)
ANALYTICS = re.compile(r"googletagmanager|google-analytics|gtag\(|dataLayer|"
                       r"analytics\.js|ga\(\s*['\"]create", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[Problem] = []
        self._in: str | None = None

    def _add(self, what: str) -> None:
        self.problems.append(Problem(self.getpos()[0], what))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = value or ""
            if (tag, name) in FETCHING and REMOTE.match(value):
                self._add(f"<{tag} {name}=\"{value[:120]}\"> fetches from the network")
            if tag == "meta" and name == "content" and "url=http" in value.lower():
                self._add(f"<meta content=\"{value[:120]}\"> redirects to the network")
            if name == "style" and CSS_REMOTE.search(value):
                self._add(f"<{tag} style> loads a remote CSS resource")
            if tag == "script" and name == "src" and ANALYTICS.search(value):
                self._add(f"analytics script tag: <script src=\"{value[:120]}\">")
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style" and CSS_REMOTE.search(data):
            self._add("<style> loads a remote CSS resource (url()/@import over http)")
        if self._in == "script" and ANALYTICS.search(data):
            self._add(f"analytics script tag: {data.strip()[:120]!r}")


def offline_problems(html: str) -> list[Problem]:
    """Everything that would fetch from the network or report to analytics."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems
