"""A hardware profile: which kind of each part the machine under test uses."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.hardware.registry import kinds

PROFILES = Path(__file__).resolve().parents[2] / "profiles"
PARTS = ("nfc", "brew", "sensors", "power")


class ProfileError(ValueError):
    """The profile is missing, malformed, or names a part kind the rig does not have."""


@dataclass(frozen=True)
class Profile:
    name: str
    source: Path
    parts: dict[str, dict[str, Any]]   # part → {"kind": ..., params...}

    def kind(self, part: str) -> str:
        return self.parts[part]["kind"]

    def params(self, part: str) -> dict[str, Any]:
        return {k: v for k, v in self.parts[part].items() if k != "kind"}


def load_profile(name_or_path: str | Path) -> Profile:
    path = Path(name_or_path)
    if not path.suffix:
        path = PROFILES / f"{name_or_path}.toml"
    if not path.exists():
        known = ", ".join(p.stem for p in PROFILES.glob("*.toml"))
        raise ProfileError(f"no profile {str(name_or_path)!r} ({path}); known: {known}")
    try:
        doc = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{path}: not valid TOML: {e}") from e
    parts = {}
    for part in PARTS:
        table = doc.get(part)
        if not isinstance(table, dict) or "kind" not in table:
            raise ProfileError(f"{path}: [{part}] needs a 'kind'")
        if (part, table["kind"]) not in kinds(part):
            known = ", ".join(k for _, k in kinds(part))
            raise ProfileError(f"{path}: [{part}] kind {table['kind']!r} is unknown; "
                               f"known: {known}")
        parts[part] = dict(table)
    name = doc.get("profile", {}).get("name", path.stem)
    return Profile(name, path, parts)


def profile_capabilities(profile: Profile) -> frozenset[str]:
    """What the profile's part kinds implement (rig/hardware/protocols.py), before any
    part is started."""
    from rig.hardware.protocols import capabilities_of
    from rig.hardware.registry import factory

    out: frozenset[str] = frozenset()
    for part in PARTS:
        out |= capabilities_of(factory(part, profile.kind(part)))
    return out
