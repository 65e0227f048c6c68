// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice What a receiver registered with a HookToken implements.
interface ITokenReceiver {
    function onTokenReceived(address from, uint256 amount) external;
}

/// @title HookToken
/// @notice Test-only token that calls back every receiver that registered for it (ERC-777
///         style), handing control to the receiver in the middle of the sender's transfer.
///         This is the reentrancy vector the PaymentProvider's guard has to hold against.
contract HookToken is ERC20 {
    mapping(address receiver => bool) public hooked;

    constructor() ERC20("Hook Credit", "HKC") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// Anyone may mint: the token only exists in tests.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// A receiver opts in to callbacks (only for itself).
    function setHook(bool on) external {
        hooked[msg.sender] = on;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (hooked[to]) ITokenReceiver(to).onTokenReceived(from, value);
    }
}
