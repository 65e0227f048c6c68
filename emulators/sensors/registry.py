"""Registry of emulated I2C device models: adding a chip is adding one file.

A model module decorates its class with :func:`register_model`; importing
``emulators.sensors`` imports the bundled models so they are available by name to
profiles (``model = "tmp102"``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from emulators.sensors.device import I2CDevice
from emulators.sensors.errors import DuplicateModelError, UnknownModelError

_MODELS: dict[str, type[I2CDevice]] = {}

D = TypeVar("D", bound=type[I2CDevice])


def register_model(cls: D) -> D:
    """Class decorator: make ``cls`` available under ``cls.model``."""
    name = cls.model
    known = _MODELS.get(name)
    if known is not None and known is not cls:
        raise DuplicateModelError(
            f"device model name {name!r} is taken by {known.__module__}.{known.__qualname__};"
            f" {cls.__module__}.{cls.__qualname__} must use another name")
    _MODELS[name] = cls
    return cls


def model_class(name: str) -> type[I2CDevice]:
    """The class registered as ``name``."""
    try:
        return _MODELS[name]
    except KeyError:
        raise UnknownModelError(
            f"unknown I2C device model {name!r}; registered models: "
            f"{', '.join(sorted(_MODELS)) or '(none)'}") from None


def create_device(name: str, **params: Any) -> I2CDevice:
    """Instantiate the model registered as ``name`` with its constructor parameters."""
    return model_class(name)(**params)


def model_names() -> tuple[str, ...]:
    """Registered model names, sorted."""
    return tuple(sorted(_MODELS))
