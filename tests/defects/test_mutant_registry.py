"""The seeded-defect registry stays true to the code (fast: no chain, no compiler).

Every contract mutant applies exactly once to today's sources, so a refactor that breaks one
is noticed here rather than by a mutant run that silently tests the correct contract; every
firmware and phone defect is wired at a real place; the bench's catalog lists exactly the
defects the code offers, each with a check that can catch it; docs/mutants.md names them all.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.mutants.catalog import (
    CATALOG,
    CatalogError,
    Defect,
    PytestCheck,
    ScenarioCheck,
    by_name,
    validate,
)
from contracts import load_artifacts
from contracts.build import SRC, standard_input
from contracts.mutants import MUTANTS, Mutant, MutantError, mutant
from emulators.phone import defects as phone
from firmware.config import DEFECTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_each_contract_mutant_applies_exactly_once_to_the_current_source(name):
    m = MUTANTS[name]
    text = (SRC / m.file).read_text()
    assert text.count(m.original) == 1, f"{name}: original text not found once in {m.file}"
    mutated = m.apply(text)
    assert mutated != text and mutated.count(m.original) == 0


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_mutant_build_differs_from_the_correct_one_in_its_file_only(name):
    clean, mutated = standard_input()["sources"], standard_input(mutant=name)["sources"]
    changed = [unit for unit in clean if clean[unit] != mutated[unit]]
    assert changed == [f"contracts/src/{MUTANTS[name].file}"]


def test_a_mutant_whose_text_is_gone_is_refused_naming_file_and_text():
    stale = Mutant("gone", "PaymentProvider.sol", "if (no_such_code) revert Nope();", "", "x")
    with pytest.raises(MutantError, match=r"gone.*PaymentProvider\.sol.*0 times.*no_such_code"):
        stale.apply((SRC / "PaymentProvider.sol").read_text())


def test_a_mutant_text_found_twice_is_refused():
    twice = Mutant("twice", "PaymentProvider.sol", "revert", "", "x")
    with pytest.raises(MutantError, match="times, expected exactly once"):
        twice.apply("revert A(); revert B();")


def test_an_unknown_mutant_lists_the_known_ones():
    with pytest.raises(MutantError, match=r"unknown contract mutant 'nope'.*settle_at_deadline"):
        mutant("nope")
    with pytest.raises(MutantError, match="nope"):
        standard_input(mutant="nope")


def test_load_artifacts_takes_a_path_or_a_mutant_not_both(tmp_path):
    with pytest.raises(ValueError, match="not both"):
        load_artifacts(tmp_path / "out.json", mutant="settle_at_deadline")


@pytest.mark.parametrize("name", DEFECTS)
def test_each_firmware_defect_is_switched_somewhere_in_the_firmware(name):
    sources = "\n".join(p.read_text() for p in (ROOT / "firmware").rglob("*.py")
                        if p.name != "config.py")
    assert re.search(rf'defect\("{name}"\)', sources), f"{name} is in DEFECTS but never used"


@pytest.mark.parametrize("name", phone.PHONE_DEFECTS)
def test_each_phone_defect_is_switched_in_the_applet(name):
    applet = (ROOT / "emulators" / "phone" / "applet.py").read_text()
    assert f'defect("{name}")' in applet


def test_phone_defects_switch_on_for_a_block_and_back_off(monkeypatch):
    monkeypatch.delenv(phone.ENV, raising=False)
    assert phone.active() == frozenset()
    with phone.enabled("phone_no_log"):
        assert phone.defect("phone_no_log") and not phone.defect("phone_no_stale_check")
    assert phone.active() == frozenset()


def test_an_unknown_phone_defect_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(phone.ENV, "phone_no_log,phone_flies")
    with pytest.raises(phone.PhoneDefectError, match=r"phone_flies.*phone_no_predecessor_check"):
        phone.active()
    with pytest.raises(phone.PhoneDefectError, match="phone_flies"), phone.enabled("phone_flies"):
        pass


def test_the_catalog_lists_exactly_the_offered_defects_with_valid_checks():
    validate()
    assert len(CATALOG) >= 15
    assert {d.layer for d in CATALOG} == {"firmware", "contract", "phone"}


def test_the_catalog_refuses_a_missing_defect_and_a_check_that_cannot_work():
    with pytest.raises(CatalogError, match=r"firmware defects.*misses.*'no_fsync'"):
        validate(tuple(d for d in CATALOG if d.name != "no_fsync"))
    broken = Defect("no_fsync", "firmware", "x", "x", (PytestCheck(("tests/unit",)),))
    others = tuple(d for d in CATALOG if d.name != "no_fsync")
    with pytest.raises(CatalogError, match="no_fsync: firmware defects are switched on"):
        validate((*others, broken))
    ghost = Defect("no_fsync", "firmware", "x", "x",
                   (ScenarioCheck("no-such-scenario", frozenset({"INV-2"})),))
    with pytest.raises(CatalogError, match="no scenario file"):
        validate((*others, ghost))


def test_docs_table_names_every_defect():
    doc = (ROOT / "docs" / "mutants.md").read_text()
    missing = [d.name for d in CATALOG if f"`{d.name}`" not in doc]
    assert not missing, f"docs/mutants.md does not list {missing}"
    assert set(by_name()) == {d.name for d in CATALOG}
