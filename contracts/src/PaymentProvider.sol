// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IdentityProvider} from "./IdentityProvider.sol";

/// @title PaymentProvider
/// @notice One-way payment channels customer → machine in the credit token.
///
/// A customer locks a deposit; each coffee is an EIP-712 `Receipt` signed by the customer or a
/// delegate (an employee's phone) carrying the *cumulative* amount owed. The machine keeps only
/// the latest receipt and redeems it whenever it likes; anyone may submit it (the payee is
/// fixed), so a watchtower can act for an offline machine.
///
/// Boundaries (strict, documented in docs/contracts.md): a close request sets
/// `deadline = now + challengePeriod`; `redeem` is accepted while `block.timestamp <= deadline`;
/// `settle` only when `block.timestamp > deadline`. Revoking a delegate works the same way: its
/// receipts are accepted while `block.timestamp <= revokedAt + challengePeriod`, so a customer
/// cannot void receipts the machine already holds (coffee already served) by revoking the phone
/// that signed them before the machine redeems.
///
/// Payouts are pushed, and a payout the receiver refuses is kept for it to `withdraw` later, so
/// a reverting receiver can never lock a channel or anyone else's funds.
contract PaymentProvider is EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    enum Status {
        None,
        Open,
        Closing,
        Settled
    }

    /// Packed so that a redeem writes one slot, (deposit, redeemed, sequence), and reads two
    /// more: (customer, status, deadline) and payee. 96 bits hold 7.9e22 credits.
    struct Channel {
        address customer;
        Status status;
        uint64 closeDeadline;
        uint96 deposit;
        uint96 redeemed;
        uint64 sequence;
        address payee;
        address machine;
        address opener;
    }

    bytes32 public constant RECEIPT_TYPEHASH =
        keccak256("Receipt(bytes32 channelId,uint256 cumulativeAmount,uint64 sequence)");

    IERC20 public immutable token;
    IdentityProvider public immutable identity;
    uint64 public immutable challengePeriod;

    uint256 public channelCount;
    mapping(bytes32 channelId => Channel) private _channels;
    /// Until when a signer's receipts count: 0 never authorised, type(uint64).max authorised,
    /// otherwise the end of the challenge period that followed its revocation.
    mapping(bytes32 channelId => mapping(address signer => uint64 until)) private _delegateUntil;
    mapping(address opener => bool) public isOpener;
    mapping(address account => uint256 amount) public withdrawable;

    event ChannelOpened(
        bytes32 indexed channelId,
        address indexed customer,
        address indexed machine,
        address payee,
        uint256 deposit,
        address opener
    );
    event ToppedUp(bytes32 indexed channelId, uint256 amount, uint256 deposit);
    event SignerAuthorized(bytes32 indexed channelId, address indexed signer);
    event SignerRevoked(bytes32 indexed channelId, address indexed signer);
    event Redeemed(
        bytes32 indexed channelId,
        address indexed payee,
        uint256 amount,
        uint256 cumulativeAmount,
        uint64 sequence,
        address signer
    );
    event CloseRequested(bytes32 indexed channelId, address by, uint64 deadline);
    event Settled(bytes32 indexed channelId, uint256 paid, uint256 refunded);
    event PayoutDeferred(address indexed to, uint256 amount);
    event Withdrawn(address indexed to, uint256 amount);
    event OpenerSet(address indexed opener, bool allowed);

    error UnknownChannel(bytes32 channelId);
    error ChannelNotOpen(bytes32 channelId, Status status);
    error MissingRole(address account, IdentityProvider.Role role);
    error NotCustomer(bytes32 channelId, address caller);
    error NotMachine(bytes32 channelId, address caller);
    error NotOpener(address caller);
    error ZeroAmount();
    error ZeroAddress();
    error CumulativeNotIncreasing(uint256 cumulativeAmount, uint256 redeemed);
    error SequenceNotIncreasing(uint64 sequence, uint64 lastSequence);
    error ExceedsDeposit(uint256 cumulativeAmount, uint256 deposit);
    error InvalidSignatureLength(uint256 length);
    error InvalidSignature();
    error SignatureHighS();
    error UnauthorizedSigner(bytes32 channelId, address signer);
    error ChallengePeriodActive(uint64 deadline, uint256 timestamp);
    error ChallengePeriodOver(uint64 deadline, uint256 timestamp);
    error CloseAlreadyRequested(bytes32 channelId, uint64 deadline);
    error NothingToWithdraw(address account);

    constructor(IERC20 token_, IdentityProvider identity_, uint64 challengePeriod_)
        EIP712("CoffeePay", "1")
    {
        if (address(token_) == address(0) || address(identity_) == address(0)) {
            revert ZeroAddress();
        }
        token = token_;
        identity = identity_;
        challengePeriod = challengePeriod_;
    }

    // ----------------------------------------------------------------------- administration

    /// @notice Admins allow contracts (the RentalProvider) to open channels for customers.
    function setOpener(address opener, bool allowed) external {
        _requireRole(msg.sender, IdentityProvider.Role.Admin);
        isOpener[opener] = allowed;
        emit OpenerSet(opener, allowed);
    }

    // ----------------------------------------------------------------------- opening

    function open(address machine, uint256 amount, address[] calldata delegates)
        external
        nonReentrant
        returns (bytes32 channelId)
    {
        channelId = _open(msg.sender, machine, amount, msg.sender);
        for (uint256 i; i < delegates.length; ++i) {
            _authorize(channelId, delegates[i]);
        }
    }

    /// @notice Opened by an allowed opener contract; the deposit is pulled from the customer,
    ///         who must have approved this contract.
    function openFor(address customer, address machine, uint256 amount)
        external
        nonReentrant
        returns (bytes32)
    {
        if (!isOpener[msg.sender]) revert NotOpener(msg.sender);
        return _open(customer, machine, amount, msg.sender);
    }

    function _open(address customer, address machine, uint256 amount, address opener)
        private
        returns (bytes32 channelId)
    {
        _requireRole(customer, IdentityProvider.Role.Customer);
        _requireRole(machine, IdentityProvider.Role.Machine);
        if (amount == 0) revert ZeroAmount();
        address payee = identity.machine(machine).payee;
        uint256 instance = ++channelCount;
        // Unique per channel instance, contract and chain: a receipt can never be replayed
        // into a re-opened channel, another PaymentProvider or another chain.
        channelId = keccak256(abi.encode(block.chainid, address(this), customer, machine, instance));
        _channels[channelId] = Channel({
            customer: customer,
            status: Status.Open,
            closeDeadline: 0,
            deposit: amount.toUint96(),
            redeemed: 0,
            sequence: 0,
            payee: payee,
            machine: machine,
            opener: opener
        });
        emit ChannelOpened(channelId, customer, machine, payee, amount, opener);
        token.safeTransferFrom(customer, address(this), amount);
    }

    function topUp(bytes32 channelId, uint256 amount) external nonReentrant {
        Channel storage ch = _channel(channelId);
        if (msg.sender != ch.customer) revert NotCustomer(channelId, msg.sender);
        if (ch.status != Status.Open) revert ChannelNotOpen(channelId, ch.status);
        if (amount == 0) revert ZeroAmount();
        uint96 deposit = (uint256(ch.deposit) + amount).toUint96();
        ch.deposit = deposit;
        emit ToppedUp(channelId, amount, deposit);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    // ----------------------------------------------------------------------- signers

    function authorizeSigner(bytes32 channelId, address signer) external {
        Channel storage ch = _channel(channelId);
        if (msg.sender != ch.customer) revert NotCustomer(channelId, msg.sender);
        if (ch.status != Status.Open) revert ChannelNotOpen(channelId, ch.status);
        _authorize(channelId, signer);
    }

    /// @notice The signer's receipts stop counting one challenge period from now: the machine
    ///         (watching SignerRevoked) accepts none of its new receipts and redeems the ones it
    ///         holds in that window. Revoking never extends a running window and never makes a
    ///         signer that was not authorised valid.
    function revokeSigner(bytes32 channelId, address signer) external {
        Channel storage ch = _channel(channelId);
        if (msg.sender != ch.customer) revert NotCustomer(channelId, msg.sender);
        uint64 until = (block.timestamp + challengePeriod).toUint64();
        if (_delegateUntil[channelId][signer] > until) _delegateUntil[channelId][signer] = until;
        emit SignerRevoked(channelId, signer);
    }

    /// @notice Whether receipts signed by `signer` count on the channel right now (true for a
    ///         revoked delegate until its revocation's challenge period is over).
    function isDelegate(bytes32 channelId, address signer) public view returns (bool) {
        return block.timestamp <= _delegateUntil[channelId][signer];
    }

    function _authorize(bytes32 channelId, address signer) private {
        if (signer == address(0)) revert ZeroAddress();
        _delegateUntil[channelId][signer] = type(uint64).max;
        emit SignerAuthorized(channelId, signer);
    }

    // ----------------------------------------------------------------------- redeeming

    /// @notice Pay the machine's payee what `cumulativeAmount` adds to what was redeemed.
    ///         Callable by anyone: the receipt itself is the authorisation.
    function redeem(
        bytes32 channelId,
        uint256 cumulativeAmount,
        uint64 sequence,
        bytes calldata signature
    ) external nonReentrant {
        Channel storage ch = _channel(channelId);
        Status status = ch.status;
        if (status == Status.Closing) {
            if (block.timestamp > ch.closeDeadline) {
                revert ChallengePeriodOver(ch.closeDeadline, block.timestamp);
            }
        } else if (status != Status.Open) {
            revert ChannelNotOpen(channelId, status);
        }
        _redeem(channelId, ch, cumulativeAmount, sequence, signature);
    }

    function _redeem(
        bytes32 channelId,
        Channel storage ch,
        uint256 cumulativeAmount,
        uint64 sequence,
        bytes calldata signature
    ) private {
        uint96 redeemed = ch.redeemed;
        if (cumulativeAmount <= redeemed) revert CumulativeNotIncreasing(cumulativeAmount, redeemed);
        if (sequence <= ch.sequence) revert SequenceNotIncreasing(sequence, ch.sequence);
        if (cumulativeAmount > ch.deposit) revert ExceedsDeposit(cumulativeAmount, ch.deposit);
        address signer = _recover(receiptDigest(channelId, cumulativeAmount, sequence), signature);
        if (signer != ch.customer && !isDelegate(channelId, signer)) {
            revert UnauthorizedSigner(channelId, signer);
        }
        uint256 amount = cumulativeAmount - redeemed;
        ch.redeemed = uint96(cumulativeAmount); // <= deposit, which is a uint96
        ch.sequence = sequence;
        address payee = ch.payee;
        emit Redeemed(channelId, payee, amount, cumulativeAmount, sequence, signer);
        _pay(payee, amount);
    }

    function receiptDigest(bytes32 channelId, uint256 cumulativeAmount, uint64 sequence)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(RECEIPT_TYPEHASH, channelId, cumulativeAmount, sequence))
        );
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address) {
        // Only 65-byte r‖s‖v signatures: ERC-2098 compact forms are a second encoding of the
        // same signature and are refused outright.
        if (signature.length != 65) revert InvalidSignatureLength(signature.length);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.InvalidSignatureS) revert SignatureHighS();
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature();
        return signer;
    }

    // ----------------------------------------------------------------------- closing

    /// @notice The machine closes: redeems its latest receipt (if it adds anything) and
    ///         refunds the rest of the deposit to the customer, in one step.
    function cooperativeClose(
        bytes32 channelId,
        uint256 cumulativeAmount,
        uint64 sequence,
        bytes calldata signature
    ) external nonReentrant {
        Channel storage ch = _channel(channelId);
        if (msg.sender != ch.machine) revert NotMachine(channelId, msg.sender);
        Status status = ch.status;
        if (status != Status.Open && status != Status.Closing) {
            revert ChannelNotOpen(channelId, status);
        }
        if (status == Status.Closing && block.timestamp > ch.closeDeadline) {
            revert ChallengePeriodOver(ch.closeDeadline, block.timestamp);
        }
        if (cumulativeAmount != ch.redeemed || sequence != ch.sequence) {
            _redeem(channelId, ch, cumulativeAmount, sequence, signature);
        }
        _settle(channelId, ch);
    }

    /// @notice The customer (or the contract that opened the channel for it) starts the
    ///         challenge period; the machine can still redeem until the deadline.
    function requestClose(bytes32 channelId) external {
        Channel storage ch = _channel(channelId);
        if (msg.sender != ch.customer && msg.sender != ch.opener) {
            revert NotCustomer(channelId, msg.sender);
        }
        if (ch.status == Status.Closing) revert CloseAlreadyRequested(channelId, ch.closeDeadline);
        if (ch.status != Status.Open) revert ChannelNotOpen(channelId, ch.status);
        uint64 deadline = (block.timestamp + challengePeriod).toUint64();
        ch.status = Status.Closing;
        ch.closeDeadline = deadline;
        emit CloseRequested(channelId, msg.sender, deadline);
    }

    /// @notice After the deadline anyone may settle: the unredeemed rest goes to the customer.
    function settle(bytes32 channelId) external nonReentrant {
        Channel storage ch = _channel(channelId);
        if (ch.status != Status.Closing) revert ChannelNotOpen(channelId, ch.status);
        if (block.timestamp <= ch.closeDeadline) {
            revert ChallengePeriodActive(ch.closeDeadline, block.timestamp);
        }
        _settle(channelId, ch);
    }

    function _settle(bytes32 channelId, Channel storage ch) private {
        uint256 refund = uint256(ch.deposit) - ch.redeemed;
        ch.status = Status.Settled;
        emit Settled(channelId, ch.redeemed, refund);
        if (refund > 0) _pay(ch.customer, refund);
    }

    // ----------------------------------------------------------------------- payouts

    function withdraw() external nonReentrant {
        uint256 amount = withdrawable[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        withdrawable[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    function _pay(address to, uint256 amount) private {
        if (!token.trySafeTransfer(to, amount)) {
            withdrawable[to] += amount;
            emit PayoutDeferred(to, amount);
        }
    }

    // ----------------------------------------------------------------------- views

    function channel(bytes32 channelId) external view returns (Channel memory) {
        return _channel(channelId);
    }

    function _channel(bytes32 channelId) private view returns (Channel storage ch) {
        ch = _channels[channelId];
        if (ch.status == Status.None) revert UnknownChannel(channelId);
    }

    function _requireRole(address account, IdentityProvider.Role role) private view {
        if (!identity.hasRole(account, role)) revert MissingRole(account, role);
    }
}
