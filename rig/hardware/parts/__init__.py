"""Every part kind: one module each, imported here so that it registers itself.

Adding a part kind is adding a module to this package; nothing names it anywhere else.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
