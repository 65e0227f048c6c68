"""The rig's pytest plugin surface: options, fixtures and hooks live in ``rig.pytestplugin``."""

pytest_plugins = ["rig.pytestplugin", "pytester"]
