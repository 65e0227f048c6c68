"""A person at the bench, told what to do: tap a phone, press a product button.

``prompt`` is a shell command with ``{message}`` in it (a desktop notification, a chat
message, a text-to-speech line); without one the message goes to the terminal (stderr).
The rig does not wait for an answer: it waits for what the person's action causes (the
firmware's tap-done), with a timeout, so a person who is not there is a timeout, not a hang.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from dataclasses import dataclass


class PromptError(RuntimeError):
    """The prompt command failed: the person was not told."""


@dataclass(frozen=True)
class Person:
    prompt: str | None = None

    def tell(self, message: str) -> None:
        if not self.prompt:
            print(f"[rig] {message}", file=sys.stderr, flush=True)
            return
        command = self.prompt.replace("{message}", shlex.quote(message))
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30,
                              check=False)
        if done.returncode != 0:
            raise PromptError(f"prompt command {command!r} exited {done.returncode}: "
                              f"{(done.stderr or done.stdout).strip()[-300:]}")
