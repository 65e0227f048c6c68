"""Render an Allure results directory to ONE self-contained, offline HTML file.

``ALLURE_NO_ANALYTICS=true allure generate RESULTS -o OUT --clean --single-file`` with the
npm ``allure-commandline`` (Allure 2, runs on Java). ``--clean`` empties OUT, so allure writes
into a fresh temporary directory next to the target and only ``index.html`` is moved into
place: rendering into the directory that holds the results can never delete them. The file
is then checked to be offline (``offline.py``); a report that is not is refused, not kept.

The single file holds no ``history/`` for the next report's trend, so with ``history_dir``
the results are rendered a second time as a plain report and only its ``history/`` is kept
(``trend.py`` feeds it to the next render).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from rig.report.errors import (
    AllureGenerateError,
    AllureNotInstalledError,
    NoResultsError,
    ReportNotOfflineError,
)
from rig.report.offline import offline_problems

ROOT = Path(__file__).resolve().parents[2]
ALLURE = ROOT / "node_modules" / ".bin" / "allure"
REPORT_NAME = "report.html"
GENERATE_TIMEOUT = 300.0


def _check_results(results: Path) -> None:
    if not results.is_dir():
        raise NoResultsError(f"{results}: no such results directory (run pytest with "
                             f"--alluredir {results}, or `rig run --report DIR`)")
    if not any(results.glob("*-result.json")):
        raise NoResultsError(f"{results}: holds no *-result.json; did the run write its "
                             f"Allure results there (--alluredir)?")


def _allure(allure: Path | None) -> Path:
    binary = allure or ALLURE
    if not binary.exists():
        raise AllureNotInstalledError(f"{binary} is missing: npm allure-commandline is not "
                                      f"installed (run `make deps`)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise AllureNotInstalledError("allure generate needs Java (17 works): no `java` on "
                                      "PATH and JAVA_HOME is not set")
    return binary


def _generate(binary: Path, results: Path, out: Path, timeout: float, *extra: str) -> None:
    env = {**os.environ, "ALLURE_NO_ANALYTICS": "true"}
    argv = [str(binary), "generate", str(results), "-o", str(out), "--clean", *extra]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        raise AllureGenerateError(f"allure generate {results} took more than {timeout:.0f}"
                                  f" s and was stopped") from e
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()[-2000:]
        raise AllureGenerateError(f"allure generate {results} exited {done.returncode}: "
                                  f"{said or 'no output'}")


def keep_allure_history(results: Path, history_dir: Path, *, allure: Path | None = None,
                        timeout: float = GENERATE_TIMEOUT) -> Path:
    """Allure's ``history/`` for ``results`` (with the history they were given) into
    ``history_dir``, replacing what was there."""
    results, history_dir = Path(results).resolve(), Path(history_dir).resolve()
    binary = _allure(allure)
    history_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".allure-", dir=history_dir.parent) as tmp:
        _generate(binary, results, Path(tmp) / "report", timeout)
        made = Path(tmp) / "report" / "history"
        if not made.is_dir():
            raise AllureGenerateError(f"allure generate {results} wrote no history/ (an "
                                      f"Allure 2 report always has one)")
        shutil.rmtree(history_dir, ignore_errors=True)
        shutil.copytree(made, history_dir)
    return history_dir


def render_html(results: Path, out_dir: Path, *, name: str = REPORT_NAME,
                allure: Path | None = None, timeout: float = GENERATE_TIMEOUT,
                history_dir: Path | None = None) -> Path:
    """Render ``results`` to ``out_dir/name``; returns the HTML file's path. With
    ``history_dir``, Allure's history of this render is kept there for the next one.

    Raises ``NoResultsError``, ``AllureNotInstalledError``, ``AllureGenerateError`` or
    ``ReportNotOfflineError`` (the message says what and where)."""
    results, out_dir = Path(results).resolve(), Path(out_dir).resolve()
    _check_results(results)
    binary = _allure(allure)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / name
    with tempfile.TemporaryDirectory(prefix=".allure-", dir=out_dir) as tmp:
        generated = Path(tmp) / "report"
        _generate(binary, results, generated, timeout, "--single-file")
        files = sorted(p.relative_to(generated).as_posix()
                       for p in generated.rglob("*") if p.is_file())
        if files != ["index.html"]:
            raise AllureGenerateError(f"allure generate --single-file should write one "
                                      f"index.html, it wrote {files[:10]}"
                                      f"{' …' if len(files) > 10 else ''}")
        html = (generated / "index.html").read_text(encoding="utf-8")
        problems = offline_problems(html)
        if problems:
            raise ReportNotOfflineError(
                f"the report rendered from {results} is not offline (was "
                f"ALLURE_NO_ANALYTICS=true honoured?): " + "; ".join(map(str, problems[:5])))
        os.replace(generated / "index.html", target)
    if history_dir is not None:
        keep_allure_history(results, history_dir, allure=binary, timeout=timeout)
    return target
