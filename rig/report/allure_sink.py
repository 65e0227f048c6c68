"""Write into the Allure result of the test pytest is running, with real timestamps.

allure-pytest's public API (``allure.step``, ``allure.attach``) stamps everything with the
moment it is called. A scenario's steps happened earlier, inside ``runtest``; the report must
show when each one ran. So this module builds the result's step tree directly from
allure-commons' model (the same objects allure-pytest builds) and writes attachment bodies
through allure-commons' file-logger hook. Everything that touches allure-pytest's internals is
here, so a change in allure-pytest breaks one small file with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import allure_commons
import pytest
from allure_commons.model2 import (
    ATTACHMENT_PATTERN,
    Attachment,
    Label,
    Link,
    Parameter,
    StatusDetails,
    TestResult,
    TestStepResult,
)
from allure_commons.utils import uuid4

from rig.report.errors import ReportError

LISTENER = "allure_listener"     # the name allure-pytest registers its listener under


def ms(seconds: float) -> int:
    """Allure's timestamps: integer milliseconds since the epoch."""
    return round(seconds * 1000)


@dataclass(frozen=True)
class Kind:
    mime: str
    ext: str


HTML = Kind("text/html", "html")
JSON = Kind("application/json", "json")
TEXT = Kind("text/plain", "txt")
JSONL = Kind("text/plain", "jsonl")


class AllureSink:
    """The Allure result of one running test, and ways to add to it."""

    def __init__(self, test: TestResult):
        self.test = test

    @classmethod
    def current(cls, config: pytest.Config) -> AllureSink | None:
        """The running test's result; None when pytest runs without ``--alluredir``."""
        listener = config.pluginmanager.get_plugin(LISTENER)
        if listener is None:
            return None
        logger = getattr(listener, "allure_logger", None)
        test = logger.get_test(None) if logger is not None else None
        if not isinstance(test, TestResult):
            raise ReportError("allure-pytest is active (--alluredir) but has no running test "
                              "result to write the scenario into; its listener API changed "
                              "(rig/report/allure_sink.py needs updating)")
        return cls(test)

    # ------------------------------------------------------------------ content
    def attach(self, body: str | bytes, name: str, kind: Kind,
               parent: TestStepResult | None = None) -> None:
        """A named attachment on ``parent`` (a step) or on the test itself."""
        file_name = ATTACHMENT_PATTERN.format(prefix=uuid4(), ext=kind.ext)
        allure_commons.plugin_manager.hook.report_attached_data(body=body, file_name=file_name)
        (parent or self.test).attachments.append(Attachment(name=name, source=file_name,
                                                            type=kind.mime))

    def step(self, name: str, start: float, stop: float, status: str = "passed",
             parameters: dict[str, Any] | None = None, parent: TestStepResult | None = None,
             message: str | None = None) -> TestStepResult:
        """A finished step (times in unix seconds) under ``parent`` or the test."""
        step = TestStepResult(
            name=name, start=ms(start), stop=ms(max(stop, start)), status=status,
            parameters=[Parameter(name=k, value=_text(v)) for k, v in (parameters or {}).items()],
            statusDetails=StatusDetails(message=message) if message else None)
        (parent or self.test).steps.append(step)
        return step

    def label(self, name: str, value: str) -> None:
        if not any(lb.name == name and lb.value == value for lb in self.test.labels):
            self.test.labels.append(Label(name=name, value=value))

    def has_label(self, name: str) -> bool:
        return any(lb.name == name for lb in self.test.labels)

    def link(self, url: str, name: str, link_type: str = "link") -> None:
        self.test.links.append(Link(type=link_type, url=url, name=name))

    def parameter(self, name: str, value: Any, excluded: bool = True) -> None:
        """A parameter shown with the test; excluded ones do not split its history."""
        self.test.parameters.append(Parameter(name=name, value=_text(value),
                                              excluded=excluded or None))

    def title(self, name: str) -> None:
        self.test.name = name

    def description_html(self, html: str) -> None:
        self.test.descriptionHtml = html

    def status(self, status: str, message: str, trace: str | None = None,
               flaky: bool = False) -> None:
        """Override allure-pytest's status (it calls every non-assertion exception broken)."""
        old = self.test.statusDetails
        self.test.status = status
        if not message and not flaky:
            return
        self.test.statusDetails = StatusDetails(
            message=message, trace=trace if trace is not None else getattr(old, "trace", None),
            flaky=True if flaky else None)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)
