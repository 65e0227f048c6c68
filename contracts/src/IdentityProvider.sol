// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IdentityProvider
/// @notice Who is who on the platform. Roles are a bit set per account so a company can be,
///         say, both customer and supplier. Admins onboard and revoke; there may be several
///         admins and the last one can never be removed (the platform would be frozen).
contract IdentityProvider {
    enum Role {
        Admin,
        Manufacturer,
        Customer,
        Machine,
        ServiceProvider,
        Supplier
    }

    struct MachineIdentity {
        address manufacturer;
        address payee;
    }

    mapping(address account => uint256 roleBits) private _roles;
    mapping(address machine => MachineIdentity) private _machines;
    uint256 public adminCount;

    event RoleGranted(address indexed account, Role indexed role, address indexed by);
    event RoleRevoked(address indexed account, Role indexed role, address indexed by);
    event MachineRegistered(address indexed machine, address indexed manufacturer, address payee);
    event MachinePayeeChanged(address indexed machine, address payee);

    error MissingRole(address account, Role role);
    error AlreadyHasRole(address account, Role role);
    error LastAdmin(address account);
    error ZeroAddress();
    error MachineAlreadyRegistered(address machine);
    error UnknownMachine(address machine);
    error NotMachineManufacturer(address machine, address caller);

    constructor(address firstAdmin) {
        if (firstAdmin == address(0)) revert ZeroAddress();
        _grant(firstAdmin, Role.Admin, msg.sender);
    }

    modifier only(Role role) {
        if (!hasRole(msg.sender, role)) revert MissingRole(msg.sender, role);
        _;
    }

    function hasRole(address account, Role role) public view returns (bool) {
        return _roles[account] & (1 << uint8(role)) != 0;
    }

    function onboard(address account, Role role) external only(Role.Admin) {
        if (account == address(0)) revert ZeroAddress();
        if (hasRole(account, role)) revert AlreadyHasRole(account, role);
        _grant(account, role, msg.sender);
    }

    function revoke(address account, Role role) external only(Role.Admin) {
        if (!hasRole(account, role)) revert MissingRole(account, role);
        if (role == Role.Admin) {
            if (adminCount == 1) revert LastAdmin(account);
            adminCount -= 1;
        }
        _roles[account] &= ~(uint256(1) << uint8(role));
        emit RoleRevoked(account, role, msg.sender);
    }

    /// @notice A manufacturer registers a machine it built. The machine account is the key
    ///         held by the machine's firmware; `payee` receives what its channels redeem.
    function registerMachine(address machine, address payee) external only(Role.Manufacturer) {
        if (machine == address(0) || payee == address(0)) revert ZeroAddress();
        if (_machines[machine].manufacturer != address(0)) {
            revert MachineAlreadyRegistered(machine);
        }
        _machines[machine] = MachineIdentity(msg.sender, payee);
        if (!hasRole(machine, Role.Machine)) _grant(machine, Role.Machine, msg.sender);
        emit MachineRegistered(machine, msg.sender, payee);
    }

    function setMachinePayee(address machine, address payee) external {
        MachineIdentity storage m = _machines[machine];
        if (m.manufacturer == address(0)) revert UnknownMachine(machine);
        if (m.manufacturer != msg.sender) revert NotMachineManufacturer(machine, msg.sender);
        if (payee == address(0)) revert ZeroAddress();
        m.payee = payee;
        emit MachinePayeeChanged(machine, payee);
    }

    function machine(address account) external view returns (MachineIdentity memory) {
        MachineIdentity memory m = _machines[account];
        if (m.manufacturer == address(0)) revert UnknownMachine(account);
        return m;
    }

    function _grant(address account, Role role, address by) private {
        _roles[account] |= uint256(1) << uint8(role);
        if (role == Role.Admin) adminCount += 1;
        emit RoleGranted(account, role, by);
    }
}
