"""Who takes part in a rental, as local keys on the chain.

Keys are the dev mnemonic's accounts, so the same names mean the same addresses on every run
(an auditor can match a report's addresses across runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount

from rig.chain.node import dev_account

_ROLES = ("admin", "manufacturer", "customer", "supplier", "service", "machine", "payee",
          "stranger", "second_admin")
FIRST_EMPLOYEE = len(_ROLES)


@dataclass(frozen=True)
class Actors:
    admin: LocalAccount
    manufacturer: LocalAccount
    customer: LocalAccount
    supplier: LocalAccount
    service: LocalAccount
    machine: LocalAccount
    payee: LocalAccount
    stranger: LocalAccount
    second_admin: LocalAccount
    employees: tuple[LocalAccount, ...] = field(default=())

    @classmethod
    def standard(cls, employees: int = 3, first: int = 0) -> Actors:
        """The roles, then the employees, from the dev account ``first`` on (a process
        sharing a node has its own block: ``rig.chain.share``)."""
        named = {role: dev_account(first + i) for i, role in enumerate(_ROLES)}
        staff = tuple(dev_account(first + FIRST_EMPLOYEE + i) for i in range(employees))
        return cls(**named, employees=staff)

    def name_of(self, address: str) -> str:
        """A readable name for an address in logs and reports."""
        for role in _ROLES:
            if getattr(self, role).address.lower() == address.lower():
                return role
        for i, e in enumerate(self.employees):
            if e.address.lower() == address.lower():
                return f"employee{i + 1}"
        return address
