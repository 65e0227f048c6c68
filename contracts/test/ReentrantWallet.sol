// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ReentrantWallet
/// @notice Test-only smart wallet that can act as a customer or a payee and, when a HookToken
///         pays it, re-enters a contract with a prepared call. It records what the re-entrant
///         call returned instead of reverting, so a test can inspect whether the guard tripped
///         or the state was already updated.
contract ReentrantWallet {
    address public immutable owner;

    address public target;
    bytes public armedCall;
    bool public refuse;
    uint256 public attempts;
    bool public lastOk;
    bytes public lastReturn;

    event ReentryAttempted(address indexed target, bool ok, bytes returned);

    error NotOwner(address caller);
    error Refused(address from, uint256 amount);
    error CallFailed(address target, bytes returned);

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// Act as this wallet: approve, open, request a close, withdraw, register a hook...
    function execute(address to, bytes calldata data) external onlyOwner returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call(data);
        if (!ok) revert CallFailed(to, ret);
        return ret;
    }

    /// The next payment received triggers one call of `data` on `to`.
    function arm(address to, bytes calldata data) external onlyOwner {
        target = to;
        armedCall = data;
    }

    /// While set, every payment received is refused (the transfer reverts).
    function setRefuse(bool on) external onlyOwner {
        refuse = on;
    }

    function onTokenReceived(address from, uint256 amount) external {
        if (refuse) revert Refused(from, amount);
        if (target == address(0)) return;
        address to = target;
        bytes memory data = armedCall;
        target = address(0);
        delete armedCall;
        attempts += 1;
        (bool ok, bytes memory ret) = to.call(data);
        lastOk = ok;
        lastReturn = ret;
        emit ReentryAttempted(to, ok, ret);
    }
}
