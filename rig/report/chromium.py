"""Render a page in headless Chromium and return its DOM after the scripts ran.

Allure's single-file report builds its pages client-side, so checking what an auditor sees
needs a browser. Debian's ``chromium`` (``tools/install-debian.sh chromium:chromium``) runs
with the flags of the toolchain notes, a fresh ``--user-data-dir`` per call (no profile state
leaks between runs) and ``--virtual-time-budget`` so the page's JavaScript finishes before
``--dump-dom``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from rig.report.errors import ChromiumError, ChromiumNotFoundError

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")
VIRTUAL_TIME_MS = 15_000
TIMEOUT = 120.0


def find_chromium() -> Path:
    for candidate in CANDIDATES:
        found = candidate if Path(candidate).is_absolute() and Path(candidate).exists() \
            else shutil.which(candidate)
        if found:
            return Path(found)
    raise ChromiumNotFoundError("no chromium found (looked for /usr/bin/chromium, chromium, "
                                "chromium-browser): run tools/install-debian.sh chromium:chromium")


def file_url(path: Path, fragment: str = "") -> str:
    url = Path(path).resolve().as_uri()
    return f"{url}#{fragment}" if fragment else url


def dump_dom(url: str, *, chromium: Path | None = None, budget_ms: int = VIRTUAL_TIME_MS,
             timeout: float = TIMEOUT) -> str:
    """The serialised DOM of ``url`` once its scripts ran (up to ``budget_ms`` virtual ms)."""
    binary = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="rig-chromium-") as profile:
        argv = [str(binary), *FLAGS, f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}", "--dump-dom", url]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise ChromiumError(f"chromium did not finish rendering {url} within "
                                f"{timeout:.0f} s") from e
    if done.returncode != 0 or not done.stdout.strip():
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise ChromiumError(f"chromium exited {done.returncode} rendering {url} "
                            f"({len(done.stdout)} bytes of DOM): {tail or 'no stderr'}")
    return done.stdout


def visible_text(dom: str) -> str:
    """The text of a dumped DOM without scripts and styles (what a reader could see)."""
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag: str, attrs: list) -> None:
            self.skip += tag in ("script", "style", "template")

        def handle_endtag(self, tag: str) -> None:
            self.skip -= tag in ("script", "style", "template") and self.skip > 0

        def handle_data(self, data: str) -> None:
            if not self.skip and data.strip():
                self.parts.append(data.strip())

    parser = _Text()
    parser.feed(dom)
    parser.close()
    return "\n".join(parser.parts)
