"""IdentityProvider: role bits per account, several admins (never zero), machine registry."""

from __future__ import annotations

import pytest

from rig.chain.tx import Reverted
from rig.platform import Platform
from rig.platform.deploy import Role
from tests.contracts.support import assert_event, deploy_contract, events, reverts

ZERO = "0x" + "00" * 20


def _has(p: Platform, who: str, role: Role) -> bool:
    return p.identity.functions.hasRole(who, role).call()


def test_constructor_makes_the_first_admin(platform: Platform):
    p, a = platform, platform.actors
    block = p.chain.block_number
    ident = deploy_contract(p, "IdentityProvider", a.stranger.address)
    assert ident.functions.hasRole(a.stranger.address, Role.Admin).call()
    assert not ident.functions.hasRole(a.admin.address, Role.Admin).call()
    assert ident.functions.adminCount().call() == 1
    (log,) = ident.events.RoleGranted.get_logs(from_block=block + 1)
    assert dict(log["args"]) == {"account": a.stranger.address, "role": Role.Admin,
                                 "by": a.admin.address}


def test_constructor_refuses_the_zero_admin(platform: Platform):
    with reverts("ZeroAddress"):
        deploy_contract(platform, "IdentityProvider", ZERO)


def test_platform_roles_after_deployment(platform: Platform):
    p, a = platform, platform.actors
    assert p.identity.functions.adminCount().call() == 2
    for who, role in [(a.admin, Role.Admin), (a.second_admin, Role.Admin),
                      (a.manufacturer, Role.Manufacturer), (a.customer, Role.Customer),
                      (a.supplier, Role.Supplier), (a.service, Role.ServiceProvider),
                      (a.machine, Role.Machine)]:
        assert _has(p, who.address, role), (who.address, role)
    assert not any(_has(p, a.stranger.address, r) for r in Role)


def test_onboard_grants_one_role_bit_and_emits(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    r = p.tx(a.second_admin, f.onboard(a.stranger.address, Role.Customer))
    assert_event(p.identity, "RoleGranted", r, account=a.stranger.address, role=Role.Customer,
                 by=a.second_admin.address)
    r = p.tx(a.admin, f.onboard(a.stranger.address, Role.Supplier))
    assert_event(p.identity, "RoleGranted", r, account=a.stranger.address, role=Role.Supplier)
    held = {role for role in Role if _has(p, a.stranger.address, role)}
    assert held == {Role.Customer, Role.Supplier}


def test_onboard_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    with reverts("MissingRole", a.stranger.address, Role.Admin):
        p.tx(a.stranger, f.onboard(a.stranger.address, Role.Admin))
    with reverts("MissingRole", a.manufacturer.address, Role.Admin):
        p.tx(a.manufacturer, f.onboard(a.stranger.address, Role.Customer))
    with reverts("ZeroAddress"):
        p.tx(a.admin, f.onboard(ZERO, Role.Customer))
    with reverts("AlreadyHasRole", a.customer.address, Role.Customer):
        p.tx(a.admin, f.onboard(a.customer.address, Role.Customer))


def test_onboard_rejects_a_role_outside_the_enum(platform: Platform):
    p, a = platform, platform.actors
    data = p.identity.encode_abi("onboard", [a.stranger.address, 0])
    bad = data[:-2] + "06"  # Role has six members, 0..5
    with pytest.raises(Reverted) as info:
        p.sender.transact(a.admin, to=p.identity.address, data=bytes.fromhex(bad[2:]))
    assert info.value.data == b""  # ABI decoding of an enum reverts without a reason
    assert not any(_has(p, a.stranger.address, r) for r in Role)


def test_revoke_clears_only_that_role(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    p.tx(a.admin, f.onboard(a.customer.address, Role.Supplier))
    r = p.tx(a.admin, f.revoke(a.customer.address, Role.Customer))
    assert_event(p.identity, "RoleRevoked", r, account=a.customer.address, role=Role.Customer,
                 by=a.admin.address)
    assert not _has(p, a.customer.address, Role.Customer)
    assert _has(p, a.customer.address, Role.Supplier)


def test_revoke_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    with reverts("MissingRole", a.customer.address, Role.Admin):
        p.tx(a.customer, f.revoke(a.supplier.address, Role.Supplier))
    with reverts("MissingRole", a.stranger.address, Role.Customer):
        p.tx(a.admin, f.revoke(a.stranger.address, Role.Customer))


def test_the_last_admin_can_never_be_removed(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    r = p.tx(a.admin, f.revoke(a.second_admin.address, Role.Admin))
    assert_event(p.identity, "RoleRevoked", r, account=a.second_admin.address, role=Role.Admin)
    assert f.adminCount().call() == 1
    with reverts("LastAdmin", a.admin.address):
        p.tx(a.admin, f.revoke(a.admin.address, Role.Admin))
    assert _has(p, a.admin.address, Role.Admin)
    # a revoked admin has lost its powers
    with reverts("MissingRole", a.second_admin.address, Role.Admin):
        p.tx(a.second_admin, f.onboard(a.stranger.address, Role.Customer))


def test_an_admin_may_step_down_while_another_remains(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    p.tx(a.admin, f.revoke(a.admin.address, Role.Admin))
    assert f.adminCount().call() == 1
    assert not _has(p, a.admin.address, Role.Admin)
    p.tx(a.second_admin, f.onboard(a.admin.address, Role.Admin))
    assert f.adminCount().call() == 2


def test_register_machine(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    new_machine = a.employees[0].address
    r = p.tx(a.manufacturer, f.registerMachine(new_machine, a.stranger.address))
    assert_event(p.identity, "MachineRegistered", r, machine=new_machine,
                 manufacturer=a.manufacturer.address, payee=a.stranger.address)
    assert_event(p.identity, "RoleGranted", r, account=new_machine, role=Role.Machine,
                 by=a.manufacturer.address)
    assert tuple(f.machine(new_machine).call()) == (a.manufacturer.address, a.stranger.address)
    assert _has(p, new_machine, Role.Machine)


def test_register_machine_that_already_holds_the_role_grants_nothing_twice(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    m = a.employees[1].address
    p.tx(a.admin, f.onboard(m, Role.Machine))
    r = p.tx(a.manufacturer, f.registerMachine(m, a.payee.address))
    assert events(p.identity, "RoleGranted", r) == []
    assert_event(p.identity, "MachineRegistered", r, machine=m)


def test_register_machine_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    m = a.employees[0].address
    with reverts("MissingRole", a.customer.address, Role.Manufacturer):
        p.tx(a.customer, f.registerMachine(m, a.payee.address))
    with reverts("MissingRole", a.admin.address, Role.Manufacturer):
        p.tx(a.admin, f.registerMachine(m, a.payee.address))
    with reverts("ZeroAddress"):
        p.tx(a.manufacturer, f.registerMachine(ZERO, a.payee.address))
    with reverts("ZeroAddress"):
        p.tx(a.manufacturer, f.registerMachine(m, ZERO))
    with reverts("MachineAlreadyRegistered", a.machine.address):
        p.tx(a.manufacturer, f.registerMachine(a.machine.address, a.stranger.address))
    # another manufacturer cannot take over a registered machine either
    p.tx(a.admin, f.onboard(a.stranger.address, Role.Manufacturer))
    with reverts("MachineAlreadyRegistered", a.machine.address):
        p.tx(a.stranger, f.registerMachine(a.machine.address, a.stranger.address))
    assert tuple(f.machine(a.machine.address).call()) == (a.manufacturer.address,
                                                          a.payee.address)


def test_set_machine_payee(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    r = p.tx(a.manufacturer, f.setMachinePayee(a.machine.address, a.stranger.address))
    assert_event(p.identity, "MachinePayeeChanged", r, machine=a.machine.address,
                 payee=a.stranger.address)
    assert f.machine(a.machine.address).call()[1] == a.stranger.address


def test_set_machine_payee_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.identity.functions
    with reverts("UnknownMachine", a.stranger.address):
        p.tx(a.manufacturer, f.setMachinePayee(a.stranger.address, a.payee.address))
    with reverts("NotMachineManufacturer", a.machine.address, a.stranger.address):
        p.tx(a.stranger, f.setMachinePayee(a.machine.address, a.stranger.address))
    with reverts("NotMachineManufacturer", a.machine.address, a.admin.address):
        p.tx(a.admin, f.setMachinePayee(a.machine.address, a.stranger.address))
    with reverts("ZeroAddress"):
        p.tx(a.manufacturer, f.setMachinePayee(a.machine.address, ZERO))
    assert f.machine(a.machine.address).call()[1] == a.payee.address


def test_machine_view_of_an_unknown_account(platform: Platform):
    p, a = platform, platform.actors
    with reverts("UnknownMachine", a.customer.address):
        p.sender.call(p.identity.functions.machine(a.customer.address))
