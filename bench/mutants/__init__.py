"""The rig's detection score: seeded defects in firmware, contracts and emulated phones, each
run against the checks that must catch it (``python -m bench.mutants``, ``make mutants``)."""

from bench.mutants.catalog import CATALOG, CatalogError, Defect, PytestCheck, ScenarioCheck

__all__ = ["CATALOG", "CatalogError", "Defect", "PytestCheck", "ScenarioCheck"]
