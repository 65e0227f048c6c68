"""Emulated phone running the CoffeePay HCE wallet (card side of CoffeePay NFC v1)."""

from emulators.phone.applet import CoffeePayApplet
from emulators.phone.behaviour import BadSignature, Behaviour, PullAway
from emulators.phone.channels import ChannelKey
from emulators.phone.eip712 import receipt_message, recover_signer, sign_receipt
from emulators.phone.errors import ChannelFormatError, PhoneError, WalletFormatError
from emulators.phone.phone import Phone
from emulators.phone.receipts import ReceiptLog, SignedReceipt
from emulators.phone.wallet import Wallet

__all__ = [
    "BadSignature",
    "Behaviour",
    "ChannelFormatError",
    "ChannelKey",
    "CoffeePayApplet",
    "Phone",
    "PhoneError",
    "PullAway",
    "ReceiptLog",
    "SignedReceipt",
    "Wallet",
    "WalletFormatError",
    "receipt_message",
    "recover_signer",
    "sign_receipt",
]
