// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IdentityProvider} from "./IdentityProvider.sol";
import {PaymentProvider} from "./PaymentProvider.sol";

/// @title RentalProvider
/// @notice Rental, supply and service contracts around one machine.
///
/// - A manufacturer lists an offer for a machine it registered: a price per product, a rental
///   fee, a security deposit, the supplier that delivers it and what the supplier is paid, and
///   what a service call pays.
/// - A customer accepts: it pays the rental fee to the manufacturer, locks the security deposit
///   here, and a payment channel customer → machine is opened with its credit deposit.
/// - Supply: the supplier's fee is locked from the manufacturer's escrow at acceptance and paid
///   when the machine checks in on-chain for the first time at the customer (delivery attested
///   by the machine itself, not by either party).
/// - Service: the machine reports a fault code (a ticket); a service provider accepts it (the
///   service fee is locked from the manufacturer's escrow), resolves it, and is paid when the
///   machine attests the fix.
/// - Termination by the customer or the manufacturer returns the security deposit and starts
///   the channel's challenge period, so the machine can still redeem its latest receipt.
contract RentalProvider is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    enum RentalStatus {
        None,
        Active,
        Terminated
    }

    enum TicketStatus {
        None,
        Open,
        Accepted,
        Resolved,
        Paid
    }

    struct Offer {
        address manufacturer;
        address machine;
        address supplier;
        bool taken;
        bool withdrawn;
        uint256 rentalFee;
        uint256 securityDeposit;
        uint256 supplyFee;
        uint256 serviceFee;
    }

    struct Rental {
        uint256 offerId;
        address customer;
        RentalStatus status;
        bool delivered;
        bytes32 channelId;
    }

    struct Ticket {
        uint256 rentalId;
        uint16 faultCode;
        TicketStatus status;
        address serviceProvider;
    }

    IERC20 public immutable token;
    IdentityProvider public immutable identity;
    PaymentProvider public immutable payments;

    uint256 public offerCount;
    uint256 public rentalCount;
    uint256 public ticketCount;
    mapping(uint256 offerId => Offer) private _offers;
    mapping(uint256 offerId => mapping(uint16 productId => uint256 price)) public priceOf;
    mapping(uint256 offerId => uint16[] productIds) private _products;
    mapping(uint256 rentalId => Rental) private _rentals;
    mapping(address machine => uint256 rentalId) public activeRentalOf;
    mapping(uint256 ticketId => Ticket) private _tickets;
    /// Manufacturer funds held for supply and service payments.
    mapping(address manufacturer => uint256 amount) public escrow;
    /// Part of the escrow promised to an accepted supply or service contract.
    mapping(address manufacturer => uint256 amount) public escrowLocked;
    /// Service fees locked for a rental's accepted tickets not yet paid: released when the
    /// rental ends, since only the machine of an active rental can attest a fix.
    mapping(uint256 rentalId => uint256 amount) private _serviceLocked;

    event OfferListed(
        uint256 indexed offerId, address indexed manufacturer, address indexed machine,
        uint256 rentalFee, uint256 securityDeposit, uint256 supplyFee, uint256 serviceFee
    );
    event OfferWithdrawn(uint256 indexed offerId);
    event EscrowFunded(address indexed manufacturer, uint256 amount, uint256 balance);
    event EscrowWithdrawn(address indexed manufacturer, uint256 amount, uint256 balance);
    event RentalStarted(
        uint256 indexed rentalId, uint256 indexed offerId, address indexed customer,
        address machine, bytes32 channelId
    );
    event DeliveryAttested(uint256 indexed rentalId, address indexed machine);
    event SupplierPaid(uint256 indexed rentalId, address indexed supplier, uint256 amount);
    event FaultReported(
        uint256 indexed ticketId, uint256 indexed rentalId, address indexed machine, uint16 faultCode
    );
    event TicketAccepted(uint256 indexed ticketId, address indexed serviceProvider);
    event TicketResolved(uint256 indexed ticketId, address indexed serviceProvider);
    event ServicePaid(uint256 indexed ticketId, address indexed serviceProvider, uint256 amount);
    event RentalTerminated(uint256 indexed rentalId, address by, uint256 depositReturned);

    error MissingRole(address account, IdentityProvider.Role role);
    error NotMachineManufacturer(address machine, address caller);
    error UnknownOffer(uint256 offerId);
    error OfferUnavailable(uint256 offerId);
    error NotOfferManufacturer(uint256 offerId, address caller);
    error PriceListMismatch(uint256 products, uint256 prices);
    error ZeroPrice(uint16 productId);
    error DuplicateProduct(uint16 productId);
    error MachineAlreadyRented(address machine, uint256 rentalId);
    error UnknownRental(uint256 rentalId);
    error RentalNotActive(uint256 rentalId);
    error NotRentedMachine(uint256 rentalId, address caller);
    error NotRentalParty(uint256 rentalId, address caller);
    error AlreadyDelivered(uint256 rentalId);
    error NotDelivered(uint256 rentalId);
    error UnknownTicket(uint256 ticketId);
    error WrongTicketStatus(uint256 ticketId, TicketStatus status);
    error NotTicketServiceProvider(uint256 ticketId, address caller);
    error InsufficientEscrow(address manufacturer, uint256 needed, uint256 free);
    error ZeroAmount();

    constructor(IERC20 token_, IdentityProvider identity_, PaymentProvider payments_) {
        token = token_;
        identity = identity_;
        payments = payments_;
    }

    modifier only(IdentityProvider.Role role) {
        if (!identity.hasRole(msg.sender, role)) revert MissingRole(msg.sender, role);
        _;
    }

    // ----------------------------------------------------------------------- escrow

    function fundEscrow(uint256 amount) external only(IdentityProvider.Role.Manufacturer) {
        if (amount == 0) revert ZeroAmount();
        escrow[msg.sender] += amount;
        emit EscrowFunded(msg.sender, amount, escrow[msg.sender]);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function withdrawEscrow(uint256 amount) external nonReentrant {
        uint256 free = escrow[msg.sender] - escrowLocked[msg.sender];
        if (amount == 0) revert ZeroAmount();
        if (amount > free) revert InsufficientEscrow(msg.sender, amount, free);
        escrow[msg.sender] -= amount;
        emit EscrowWithdrawn(msg.sender, amount, escrow[msg.sender]);
        token.safeTransfer(msg.sender, amount);
    }

    function _lockEscrow(address manufacturer, uint256 amount) private {
        uint256 free = escrow[manufacturer] - escrowLocked[manufacturer];
        if (amount > free) revert InsufficientEscrow(manufacturer, amount, free);
        escrowLocked[manufacturer] += amount;
    }

    function _payFromEscrow(address manufacturer, address to, uint256 amount) private {
        escrowLocked[manufacturer] -= amount;
        escrow[manufacturer] -= amount;
        token.safeTransfer(to, amount);
    }

    // ----------------------------------------------------------------------- offers

    function listOffer(
        address machine,
        uint16[] calldata productIds,
        uint256[] calldata prices,
        uint256 rentalFee,
        uint256 securityDeposit,
        address supplier,
        uint256 supplyFee,
        uint256 serviceFee
    ) external only(IdentityProvider.Role.Manufacturer) returns (uint256 offerId) {
        if (identity.machine(machine).manufacturer != msg.sender) {
            revert NotMachineManufacturer(machine, msg.sender);
        }
        if (!identity.hasRole(supplier, IdentityProvider.Role.Supplier)) {
            revert MissingRole(supplier, IdentityProvider.Role.Supplier);
        }
        if (productIds.length != prices.length || prices.length == 0) {
            revert PriceListMismatch(productIds.length, prices.length);
        }
        offerId = ++offerCount;
        for (uint256 i; i < prices.length; ++i) {
            if (prices[i] == 0) revert ZeroPrice(productIds[i]);
            if (priceOf[offerId][productIds[i]] != 0) revert DuplicateProduct(productIds[i]);
            priceOf[offerId][productIds[i]] = prices[i];
        }
        _products[offerId] = productIds;
        _offers[offerId] = Offer({
            manufacturer: msg.sender,
            machine: machine,
            supplier: supplier,
            taken: false,
            withdrawn: false,
            rentalFee: rentalFee,
            securityDeposit: securityDeposit,
            supplyFee: supplyFee,
            serviceFee: serviceFee
        });
        emit OfferListed(offerId, msg.sender, machine, rentalFee, securityDeposit, supplyFee,
            serviceFee);
    }

    function withdrawOffer(uint256 offerId) external {
        Offer storage o = _offer(offerId);
        if (o.manufacturer != msg.sender) revert NotOfferManufacturer(offerId, msg.sender);
        if (o.taken || o.withdrawn) revert OfferUnavailable(offerId);
        o.withdrawn = true;
        emit OfferWithdrawn(offerId);
    }

    /// @notice The customer rents the machine: pays the rental fee, locks the security deposit
    ///         and opens the payment channel with `channelDeposit` credits. The customer must
    ///         have approved this contract (fee + security deposit) and the PaymentProvider
    ///         (channel deposit).
    function acceptOffer(uint256 offerId, uint256 channelDeposit)
        external
        nonReentrant
        only(IdentityProvider.Role.Customer)
        returns (uint256 rentalId, bytes32 channelId)
    {
        Offer storage o = _offer(offerId);
        if (o.taken || o.withdrawn) revert OfferUnavailable(offerId);
        uint256 current = activeRentalOf[o.machine];
        if (current != 0) revert MachineAlreadyRented(o.machine, current);
        _lockEscrow(o.manufacturer, o.supplyFee);
        o.taken = true;
        rentalId = ++rentalCount;
        channelId = payments.openFor(msg.sender, o.machine, channelDeposit);
        _rentals[rentalId] = Rental(offerId, msg.sender, RentalStatus.Active, false, channelId);
        activeRentalOf[o.machine] = rentalId;
        emit RentalStarted(rentalId, offerId, msg.sender, o.machine, channelId);
        token.safeTransferFrom(msg.sender, o.manufacturer, o.rentalFee);
        token.safeTransferFrom(msg.sender, address(this), o.securityDeposit);
    }

    // ----------------------------------------------------------------------- supply

    /// @notice The machine's first on-chain check-in at the customer attests delivery and
    ///         pays the supplier.
    function checkIn(uint256 rentalId) external nonReentrant {
        (Rental storage r, Offer storage o) = _activeRentalOfCaller(rentalId);
        if (r.delivered) revert AlreadyDelivered(rentalId);
        r.delivered = true;
        emit DeliveryAttested(rentalId, msg.sender);
        if (o.supplyFee > 0) {
            emit SupplierPaid(rentalId, o.supplier, o.supplyFee);
            _payFromEscrow(o.manufacturer, o.supplier, o.supplyFee);
        }
    }

    // ----------------------------------------------------------------------- service

    function reportFault(uint256 rentalId, uint16 faultCode) external returns (uint256 ticketId) {
        (Rental storage r,) = _activeRentalOfCaller(rentalId);
        if (!r.delivered) revert NotDelivered(rentalId);
        ticketId = ++ticketCount;
        _tickets[ticketId] = Ticket(rentalId, faultCode, TicketStatus.Open, address(0));
        emit FaultReported(ticketId, rentalId, msg.sender, faultCode);
    }

    function acceptTicket(uint256 ticketId) external only(IdentityProvider.Role.ServiceProvider) {
        Ticket storage t = _ticket(ticketId, TicketStatus.Open);
        Rental storage r = _rentals[t.rentalId];
        // A ticket of an ended rental can never be attested: locking its fee would freeze it.
        if (r.status != RentalStatus.Active) revert RentalNotActive(t.rentalId);
        Offer storage o = _offers[r.offerId];
        _lockEscrow(o.manufacturer, o.serviceFee);
        _serviceLocked[t.rentalId] += o.serviceFee;
        t.status = TicketStatus.Accepted;
        t.serviceProvider = msg.sender;
        emit TicketAccepted(ticketId, msg.sender);
    }

    function resolveTicket(uint256 ticketId) external {
        Ticket storage t = _ticket(ticketId, TicketStatus.Accepted);
        if (t.serviceProvider != msg.sender) revert NotTicketServiceProvider(ticketId, msg.sender);
        t.status = TicketStatus.Resolved;
        emit TicketResolved(ticketId, msg.sender);
    }

    /// @notice The machine attests that the fault is gone; the service provider is paid.
    function attestFix(uint256 ticketId) external nonReentrant {
        Ticket storage t = _ticket(ticketId, TicketStatus.Resolved);
        (, Offer storage o) = _activeRentalOfCaller(t.rentalId);
        t.status = TicketStatus.Paid;
        _serviceLocked[t.rentalId] -= o.serviceFee;
        emit ServicePaid(ticketId, t.serviceProvider, o.serviceFee);
        _payFromEscrow(o.manufacturer, t.serviceProvider, o.serviceFee);
    }

    // ----------------------------------------------------------------------- termination

    function terminate(uint256 rentalId) external nonReentrant {
        Rental storage r = _rentals[rentalId];
        if (r.status == RentalStatus.None) revert UnknownRental(rentalId);
        if (r.status != RentalStatus.Active) revert RentalNotActive(rentalId);
        Offer storage o = _offers[r.offerId];
        if (msg.sender != r.customer && msg.sender != o.manufacturer) {
            revert NotRentalParty(rentalId, msg.sender);
        }
        r.status = RentalStatus.Terminated;
        delete activeRentalOf[o.machine];
        // Release what only this rental's machine could have paid out: the undelivered
        // supply fee and the fees of accepted tickets it will never attest.
        uint256 release = _serviceLocked[rentalId];
        if (!r.delivered) release += o.supplyFee;
        if (release > 0) {
            delete _serviceLocked[rentalId];
            escrowLocked[o.manufacturer] -= release;
        }
        emit RentalTerminated(rentalId, msg.sender, o.securityDeposit);
        if (payments.channel(r.channelId).status == PaymentProvider.Status.Open) {
            payments.requestClose(r.channelId);
        }
        if (o.securityDeposit > 0) token.safeTransfer(r.customer, o.securityDeposit);
    }

    // ----------------------------------------------------------------------- views

    function offer(uint256 offerId) external view returns (Offer memory) {
        return _offer(offerId);
    }

    function products(uint256 offerId) external view returns (uint16[] memory) {
        _offer(offerId);
        return _products[offerId];
    }

    function rental(uint256 rentalId) external view returns (Rental memory) {
        Rental memory r = _rentals[rentalId];
        if (r.status == RentalStatus.None) revert UnknownRental(rentalId);
        return r;
    }

    function ticket(uint256 ticketId) external view returns (Ticket memory) {
        Ticket memory t = _tickets[ticketId];
        if (t.status == TicketStatus.None) revert UnknownTicket(ticketId);
        return t;
    }

    function _offer(uint256 offerId) private view returns (Offer storage o) {
        o = _offers[offerId];
        if (o.manufacturer == address(0)) revert UnknownOffer(offerId);
    }

    function _ticket(uint256 ticketId, TicketStatus expected) private view returns (Ticket storage t) {
        t = _tickets[ticketId];
        if (t.status == TicketStatus.None) revert UnknownTicket(ticketId);
        if (t.status != expected) revert WrongTicketStatus(ticketId, t.status);
    }

    function _activeRentalOfCaller(uint256 rentalId)
        private
        view
        returns (Rental storage r, Offer storage o)
    {
        r = _rentals[rentalId];
        if (r.status == RentalStatus.None) revert UnknownRental(rentalId);
        if (r.status != RentalStatus.Active) revert RentalNotActive(rentalId);
        o = _offers[r.offerId];
        if (o.machine != msg.sender) revert NotRentedMachine(rentalId, msg.sender);
        if (!identity.hasRole(msg.sender, IdentityProvider.Role.Machine)) {
            revert MissingRole(msg.sender, IdentityProvider.Role.Machine);
        }
    }
}
