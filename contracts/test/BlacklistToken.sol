// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BlacklistToken
/// @notice Test-only credit token whose transfers to a blocked receiver fail, the way a
///         regulated stablecoin refuses a frozen account. Lets tests prove that a receiver who
///         cannot be paid never locks a channel or anyone else's funds.
contract BlacklistToken is ERC20 {
    /// How a transfer to a blocked receiver fails: by reverting, or by returning false.
    enum Block {
        None,
        Revert,
        ReturnFalse
    }

    mapping(address account => Block mode) public blocked;

    event Blocked(address indexed account, Block mode);

    error ReceiverBlocked(address receiver);

    constructor() ERC20("Blacklist Credit", "BLC") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// Anyone may mint: the token only exists in tests.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, Block mode) external {
        blocked[account] = mode;
        emit Blocked(account, mode);
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (blocked[to] == Block.ReturnFalse) return false;
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (blocked[to] == Block.ReturnFalse) return false;
        return super.transferFrom(from, to, value);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[to] == Block.Revert) revert ReceiverBlocked(to);
        super._update(from, to, value);
    }
}
