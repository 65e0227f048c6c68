"""The PN532's command set as nfcpy's ``pn532`` driver uses it (UM0701-02 §7).

``execute`` takes one host command (the frame data after TFI D4) and returns the response
data (TFI D5 first). Commands nfcpy never sends (InDataExchange: nfcpy runs RATS and
ISO-DEP itself; target mode) are refused with ``InvalidCommand``, which the device answers
with the syntax error frame, as the chip does for a command it cannot run. The RF side is
an ``RfLink``: InListPassiveTarget and InCommunicateThru are the only commands that reach
a card.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emulators.nfc.pn532.activation import PassiveTarget, activate_type_a
from emulators.nfc.pn532.errors import InvalidCommand
from emulators.nfc.pn532.frame import CHIP_TFI
from emulators.nfc.pn532.registers import Registers
from emulators.nfc.pn532.rf import RfLink

FIRMWARE_VERSION = bytes([0x32, 0x01, 0x06, 0x07])  # IC PN532, v1.6, ISO18092|14443A|B
BAUD_RATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1288000)
SENSE_WINDOW = 0.025     # s an activation answer (SENS_RES, SDD_RES, SEL_RES) is waited for
AUTO_RATS = 0x10         # SetParameters fAutomaticRATS
RETRY_FOREVER = 0xFF
RF_CONFIG_LENGTHS = {0x01: 1, 0x02: 3, 0x04: 1, 0x05: 3, 0x0A: 11, 0x0B: 8, 0x0C: 3,
                     0x0D: 9}
COMMAND_NAMES = {
    0x00: "Diagnose", 0x02: "GetFirmwareVersion", 0x04: "GetGeneralStatus",
    0x06: "ReadRegister", 0x08: "WriteRegister", 0x10: "SetSerialBaudrate",
    0x12: "SetParameters", 0x14: "SAMConfiguration", 0x16: "PowerDown",
    0x32: "RFConfiguration", 0x40: "InDataExchange", 0x42: "InCommunicateThru",
    0x44: "InDeselect", 0x4A: "InListPassiveTarget", 0x52: "InRelease",
    0x8C: "TgInitAsTarget",
}
STATUS_OK, STATUS_TIMEOUT = 0x00, 0x01


@dataclass
class ChipState:
    """Settings the host changes; the values are the chip's reset values."""

    parameters: int = 0x14              # fAutomaticATR_RES | fAutomaticRATS
    baudrate: int = 115200              # recorded, not enforced: a pty moves bytes at any rate
    sam_mode: int = 1
    rf_timeout_index: int = 0x0A        # RFConfiguration item 2: 100 µs * 2**(n-1), 51.2 ms
    passive_retries: int = RETRY_FOREVER  # RFConfiguration item 5, MxRtyPassiveActivation
    rf_settings: dict[int, bytes] = field(default_factory=dict)
    target: PassiveTarget | None = None
    last_error: int = STATUS_OK
    asleep: bool = False

    @property
    def rf_timeout(self) -> float | None:
        index = self.rf_timeout_index
        return None if index == 0 else 100e-6 * 2 ** (index - 1)


class Pn532Chip:
    """The chip's firmware: host commands in, responses out; cards through ``link``."""

    def __init__(self, link: RfLink, sense_window: float = SENSE_WINDOW) -> None:
        if not sense_window > 0:
            raise ValueError(f"sense_window must be > 0 s, got {sense_window}")
        self.link = link
        self.sense_window = sense_window
        self.registers = Registers()
        self.state = ChipState()
        self.commands: Counter[str] = Counter()
        self._abort: tuple[int, ...] = ()
        self._handlers: dict[int, Callable[[bytes], bytes]] = {
            0x00: self._diagnose, 0x02: self._get_firmware_version,
            0x04: self._get_general_status, 0x06: self._read_register,
            0x08: self._write_register, 0x10: self._set_serial_baudrate,
            0x12: self._set_parameters, 0x14: self._sam_configuration,
            0x16: self._power_down, 0x32: self._rf_configuration,
            0x42: self._in_communicate_thru, 0x4A: self._in_list_passive_target,
        }

    def execute(self, command: bytes, abort: Sequence[int] = ()) -> bytes:
        """Run one command (code and parameters); ``abort``: descriptors whose becoming
        readable cancels a command waiting on the RF side (``CommandAborted``)."""
        if not command:
            raise InvalidCommand("a command frame needs a command code after TFI D4")
        code, params = command[0], bytes(command[1:])
        name = COMMAND_NAMES.get(code, "unknown")
        handler = self._handlers.get(code)
        if handler is None:
            raise InvalidCommand(f"command 0x{code:02X} ({name}) is not emulated; nfcpy's "
                                 "pn532 driver as an initiator never sends it")
        self.commands[name] += 1
        self.state.asleep = False
        self._abort = tuple(abort)
        try:
            payload = handler(params)
        finally:
            self._abort = ()
        return bytes([CHIP_TFI, code + 1]) + payload

    def field_off(self) -> None:
        """The RF field goes off (RFConfiguration, PowerDown, the chip closing)."""
        if self.registers.rf_on:
            self.link.field_off()
        self.registers.rf_on = False
        self.state.target = None

    # -- the air ----------------------------------------------------------------------------

    def _air(self, frame: bytes, timeout: float | None) -> bytes | None:
        self.registers.rf_on = True
        self.registers.load_fifo(frame)
        answer = self.link.transceive(frame, timeout, self._abort)
        if answer is not None:
            self.registers.load_fifo(answer)
        return answer

    # -- miscellaneous ----------------------------------------------------------------------

    def _diagnose(self, p: bytes) -> bytes:
        if not p:
            raise InvalidCommand("Diagnose needs a test number (NumTst)")
        if p[0] == 0x00:          # communication line test: the whole frame comes back
            return p
        if p[0] in (0x01, 0x02):  # ROM / RAM test: status OK
            return bytes([STATUS_OK])
        raise InvalidCommand(f"Diagnose test 0x{p[0]:02X} is not emulated (0x00, 0x01, 0x02 "
                             "are)")

    def _get_firmware_version(self, p: bytes) -> bytes:
        return FIRMWARE_VERSION

    def _get_general_status(self, p: bytes) -> bytes:
        t = self.state.target
        targets = bytes([1, 1, 0, 0, 0x00]) if t else b"\x00"   # NbTg [Tg BrRx BrTx Type]
        return bytes([self.state.last_error, 0x00]) + targets + b"\x00"

    def _read_register(self, p: bytes) -> bytes:
        if not p or len(p) % 2:
            raise InvalidCommand(f"ReadRegister takes 2-byte addresses, got {len(p)} bytes")
        return bytes(self.registers.read(int.from_bytes(p[i:i + 2], "big"))
                     for i in range(0, len(p), 2))

    def _write_register(self, p: bytes) -> bytes:
        if not p or len(p) % 3:
            raise InvalidCommand(f"WriteRegister takes (2-byte address, value) triples, got "
                                 f"{len(p)} bytes")
        for i in range(0, len(p), 3):
            self.registers.write(int.from_bytes(p[i:i + 2], "big"), p[i + 2])
        return b""

    def _set_serial_baudrate(self, p: bytes) -> bytes:
        if len(p) != 1 or p[0] >= len(BAUD_RATES):
            raise InvalidCommand(f"SetSerialBaudrate takes one index 0..{len(BAUD_RATES) - 1}, "
                                 f"got {p.hex() or 'nothing'}")
        self.state.baudrate = BAUD_RATES[p[0]]
        return b""

    def _set_parameters(self, p: bytes) -> bytes:
        if len(p) != 1:
            raise InvalidCommand(f"SetParameters takes one flags byte, got {len(p)}")
        self.state.parameters = p[0]
        return b""

    def _sam_configuration(self, p: bytes) -> bytes:
        if not 1 <= len(p) <= 3 or not 1 <= p[0] <= 4:
            raise InvalidCommand(f"SAMConfiguration takes Mode 1..4 [Timeout [IRQ]], got "
                                 f"{p.hex() or 'nothing'}")
        self.state.sam_mode = p[0]
        return b""

    def _power_down(self, p: bytes) -> bytes:
        if not 1 <= len(p) <= 2:
            raise InvalidCommand(f"PowerDown takes WakeUpEnable [GenerateIRQ], got {p.hex()}")
        self.field_off()
        self.state.asleep = True
        return bytes([STATUS_OK])

    # -- RF ---------------------------------------------------------------------------------

    def _rf_configuration(self, p: bytes) -> bytes:
        if not p or p[0] not in RF_CONFIG_LENGTHS:
            raise InvalidCommand(f"RFConfiguration item {p[:1].hex() or 'missing'} is not "
                                 f"one of {', '.join(f'{i:02X}' for i in RF_CONFIG_LENGTHS)}")
        item, data = p[0], p[1:]
        if len(data) != RF_CONFIG_LENGTHS[item]:
            raise InvalidCommand(f"RFConfiguration item {item:02X} takes "
                                 f"{RF_CONFIG_LENGTHS[item]} bytes, got {len(data)}")
        if item == 0x01:
            if data[0] & 0x01:
                self.registers.rf_on = True
            else:
                self.field_off()
        elif item == 0x02:
            if data[2] > 0x10:
                raise InvalidCommand(f"RFConfiguration timeout index {data[2]} is over 16")
            self.state.rf_timeout_index = data[2]
        elif item == 0x05:
            self.state.passive_retries = data[2]
        self.state.rf_settings[item] = data
        return b""

    def _in_list_passive_target(self, p: bytes) -> bytes:
        if len(p) < 2 or p[0] not in (1, 2) or p[1] > 4:
            raise InvalidCommand(f"InListPassiveTarget takes MaxTg 1..2, BrTy 0..4 "
                                 f"[InitiatorData], got {p.hex() or 'nothing'}")
        self.state.target = None
        if p[1] != 0:   # 212/424F, 106B, Jewel: the cards here are all ISO 14443-A phones
            return b"\x00"
        auto_rats = bool(self.state.parameters & AUTO_RATS)
        attempt = 0
        while True:
            self.link.flush()
            found = activate_type_a(self._air, self.sense_window, p[2:], auto_rats)
            if found is not None:
                self.state.target = found
                return b"\x01" + found.report(1)
            if self.state.passive_retries != RETRY_FOREVER \
                    and attempt >= self.state.passive_retries:
                return b"\x00"
            attempt += 1

    def _in_communicate_thru(self, p: bytes) -> bytes:
        if not p:
            raise InvalidCommand("InCommunicateThru needs data to send")
        answer = self._air(p, self.state.rf_timeout)
        self.state.last_error = STATUS_OK if answer is not None else STATUS_TIMEOUT
        return bytes([self.state.last_error]) + (answer or b"")
