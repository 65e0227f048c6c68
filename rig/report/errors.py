"""What can go wrong while building a report; each message says what to do about it."""

from __future__ import annotations


class ReportError(RuntimeError):
    """The report could not be produced; the message names the file or tool involved."""


class NoResultsError(ReportError):
    """The results directory is missing or holds no ``*-result.json``."""


class AllureNotInstalledError(ReportError):
    """``node_modules/.bin/allure`` (npm ``allure-commandline``) or Java is missing."""


class AllureGenerateError(ReportError):
    """``allure generate`` failed or did not produce exactly one HTML file."""


class ReportNotOfflineError(ReportError):
    """The HTML would fetch something from the network or carries an analytics tag."""


class ChromiumNotFoundError(ReportError):
    """No chromium binary; ``tools/install-debian.sh chromium:chromium`` installs Debian's."""


class ChromiumError(ReportError):
    """Headless chromium failed to render a page."""
