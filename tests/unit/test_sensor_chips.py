"""Emulated I2C chips against their register maps, and the firmware's conversions of them.

The chips are driven through the emulated bus's transfer engine (what one I2C_RDWR does),
without sockets. Conversions are checked both ways: the emulator encodes a physical value,
the firmware's independent decoder must get it back.
"""

from __future__ import annotations

import errno
import itertools
import random

import pytest

from emulators.sensors import (
    INA219,
    TMP102,
    DeviceFault,
    EmulatedI2CBus,
    I2CDevice,
    I2CMessage,
    StatusMCU,
    create_device,
    model_names,
    register_model,
)
from emulators.sensors import ina219 as ina_regs
from emulators.sensors import status_mcu as mcu_regs
from emulators.sensors import tmp102 as tmp_regs
from emulators.sensors.errors import (
    AddressError,
    DuplicateModelError,
    InvalidValueError,
    TransferError,
    UnknownModelError,
)
from firmware.sensors import ina219 as fw_ina219
from firmware.sensors import tmp102 as fw_tmp102
from firmware.sensors.config import MonitorConfig
from firmware.sensors.errors import SensorConfigError
from firmware.sensors.faults import (
    FaultKind,
    Quantity,
    Sensor,
    describe_fault_code,
    fault_code,
)
from firmware.sensors.stuck import StuckDetector
from firmware.sensors.words import signed16, swap16

W = I2CMessage.write
R = I2CMessage.read


def read_word(bus: EmulatedI2CBus, addr: int, pointer: int) -> int:
    """Big-endian register read as the chip sends it: pointer write, repeated START, 2 bytes."""
    data = bus.transfer([W(addr, bytes([pointer])), R(addr, 2)])[0]
    return data[0] << 8 | data[1]


def write_word(bus: EmulatedI2CBus, addr: int, pointer: int, value: int) -> None:
    bus.transfer([W(addr, bytes([pointer, value >> 8, value & 0xFF]))])


@pytest.fixture
def bus() -> EmulatedI2CBus:
    return EmulatedI2CBus()


# -- TMP102 -------------------------------------------------------------------------------

@pytest.mark.parametrize(("celsius", "raw"), [
    (25.0, 0x1900),
    (0.0625, 0x0010),
    (0.0, 0x0000),
    (-0.0625, 0xFFF0),
    (-25.0, 0xE700),
    (-55.0, 0xC900),
    (127.9375, 0x7FF0),
])
def test_tmp102_normal_mode_encoding_matches_datasheet_and_firmware_decodes_it(celsius, raw):
    assert tmp_regs.encode_temperature(celsius) == raw
    assert fw_tmp102.decode_temperature(raw) == celsius
    assert tmp_regs.decode_temperature(raw) == celsius


@pytest.mark.parametrize(("celsius", "raw"), [
    (180.0, 0x5A01),
    (150.0, 0x4B01),
    (-25.0, 0xF381),
    (255.875, 0x7FF1),
])
def test_tmp102_extended_mode_encoding_flags_itself_in_d0(celsius, raw):
    assert tmp_regs.encode_temperature(celsius, extended=True) == raw
    assert fw_tmp102.decode_temperature(raw) == celsius


def test_tmp102_saturates_at_the_register_format_limits():
    assert tmp_regs.decode_temperature(tmp_regs.encode_temperature(180.0)) == 127.9375
    assert tmp_regs.decode_temperature(tmp_regs.encode_temperature(-300.0)) == -128.0
    assert fw_tmp102.decode_temperature(tmp_regs.encode_temperature(400.0, True)) == 255.9375


def test_tmp102_temperature_read_msb_first_and_pointer_persists(bus):
    chip = bus.attach(TMP102(-12.5))
    assert read_word(bus, 0x48, tmp_regs.TEMPERATURE) == tmp_regs.encode_temperature(-12.5)
    chip.set_temperature(30.0)
    # No pointer write: the chip reads the register selected last time.
    data = bus.transfer([R(0x48, 2)])[0]
    assert data == bytes([0x1E, 0x00])
    assert chip.pointer == tmp_regs.TEMPERATURE


def test_tmp102_read_only_bits_and_registers_ignore_writes(bus):
    chip = bus.attach(TMP102(40.0))
    assert read_word(bus, 0x48, tmp_regs.CONFIG) == tmp_regs.CONFIG_POWER_ON
    # Write and read back in one transfer: no conversion in between could mask the write.
    after = bus.transfer([W(0x48, b"\x00\x12\x34"), R(0x48, 2)])[0]
    assert after == tmp_regs.encode_temperature(40.0).to_bytes(2, "big")
    write_word(bus, 0x48, tmp_regs.CONFIG, 0x0000)  # tries to clear R1 R0 and AL
    assert read_word(bus, 0x48, tmp_regs.CONFIG) == 0x6020
    assert chip.register(tmp_regs.CONFIG) == 0x6020


def test_tmp102_extended_mode_reads_an_overheated_boiler(bus):
    chip = bus.attach(TMP102(180.0))
    assert fw_tmp102.decode_temperature(read_word(bus, 0x48, 0)) == 127.9375
    write_word(bus, 0x48, tmp_regs.CONFIG, tmp_regs.CONFIG_POWER_ON | tmp_regs.EM)
    raw = read_word(bus, 0x48, 0)
    assert raw & 1
    assert fw_tmp102.decode_temperature(raw) == 180.0
    chip.power_on_reset()
    assert read_word(bus, 0x48, 0) & 1 == 0


def test_tmp102_limit_registers_drop_bits_below_the_resolution(bus):
    bus.attach(TMP102())
    write_word(bus, 0x48, tmp_regs.THIGH, 0x500F)
    assert read_word(bus, 0x48, tmp_regs.THIGH) == 0x5000
    write_word(bus, 0x48, tmp_regs.CONFIG, tmp_regs.CONFIG_POWER_ON | tmp_regs.EM)
    write_word(bus, 0x48, tmp_regs.TLOW, 0x4B0F)
    assert read_word(bus, 0x48, tmp_regs.TLOW) == 0x4B08


def test_tmp102_alert_uses_thigh_tlow_hysteresis(bus):
    chip = bus.attach(TMP102(70.0))

    def alert() -> bool:  # POL = 0: AL reads 0 while the alert is active
        return not read_word(bus, 0x48, tmp_regs.CONFIG) & tmp_regs.AL

    assert not alert()
    chip.set_temperature(80.0)  # THIGH
    assert alert()
    chip.set_temperature(76.0)  # between TLOW and THIGH: stays active
    assert alert()
    chip.set_temperature(74.9)
    assert not alert()


def test_tmp102_shutdown_holds_the_reading_and_one_shot_refreshes_it(bus):
    chip = bus.attach(TMP102(20.0))
    read_word(bus, 0x48, 0)
    write_word(bus, 0x48, tmp_regs.CONFIG, tmp_regs.CONFIG_POWER_ON | tmp_regs.SD)
    chip.set_temperature(60.0)
    assert fw_tmp102.decode_temperature(read_word(bus, 0x48, 0)) == 20.0
    write_word(bus, 0x48, tmp_regs.CONFIG, tmp_regs.CONFIG_POWER_ON | tmp_regs.SD | tmp_regs.OS)
    assert read_word(bus, 0x48, tmp_regs.CONFIG) & tmp_regs.OS
    assert fw_tmp102.decode_temperature(read_word(bus, 0x48, 0)) == 60.0


def test_tmp102_nacks_a_pointer_with_reserved_bits(bus):
    bus.attach(TMP102())
    with pytest.raises(TransferError) as info:
        bus.transfer([W(0x48, b"\x04"), R(0x48, 2)])
    assert info.value.errno == errno.EREMOTEIO
    assert "0x04" in info.value.detail


def test_tmp102_jitter_never_repeats_and_replays_from_its_seed():
    def raws(seed: int) -> list[int]:
        bus = EmulatedI2CBus()
        bus.attach(TMP102(93.0, jitter_lsb=1, rng=random.Random(seed)))
        return [read_word(bus, 0x48, 0) for _ in range(30)]

    first = raws(7)
    assert all(a != b for a, b in itertools.pairwise(first))
    assert all(abs(fw_tmp102.decode_temperature(r) - 93.0) <= 0.0625 for r in first)
    assert raws(7) == first


def test_tmp102_rejects_unusable_scripted_values():
    with pytest.raises(InvalidValueError, match="finite"):
        TMP102().set_temperature(float("nan"))
    with pytest.raises(InvalidValueError, match="rng"):
        TMP102(jitter_lsb=1)


# -- INA219 -------------------------------------------------------------------------------

def test_ina219_power_on_state(bus):
    bus.attach(INA219(current_a=2.0))
    assert read_word(bus, 0x40, ina_regs.CONFIG) == 0x399F
    assert read_word(bus, 0x40, ina_regs.CALIBRATION) == 0
    assert read_word(bus, 0x40, ina_regs.CURRENT) == 0  # uncalibrated: current reads 0
    assert read_word(bus, 0x40, ina_regs.SHUNT_VOLTAGE) == 2000  # 20 mV at 10 uV/LSB


def test_ina219_calibration_gives_datasheet_current_and_power(bus):
    bus.attach(INA219(current_a=5.0, bus_v=24.0))
    write_word(bus, 0x40, ina_regs.CALIBRATION, 8193)  # D0 is void
    assert read_word(bus, 0x40, ina_regs.CALIBRATION) == 8192
    # current = shunt * cal / 4096 = 5000 * 8192 / 4096; with 0.01 ohm that is 0.5 mA/LSB
    assert read_word(bus, 0x40, ina_regs.CURRENT) == 10000
    # power = current * bus / 5000 = 10000 * 6000 / 5000; LSB 20 * 0.5 mA = 10 mW -> 120 W
    assert read_word(bus, 0x40, ina_regs.POWER) == 12000
    assert ina_regs.decode_bus_voltage(read_word(bus, 0x40, ina_regs.BUS_VOLTAGE)) == 24.0


def test_ina219_negative_current_is_twos_complement(bus):
    chip = bus.attach(INA219(current_a=-1.5))
    write_word(bus, 0x40, ina_regs.CALIBRATION, 8192)
    assert signed16(read_word(bus, 0x40, ina_regs.SHUNT_VOLTAGE)) == -1500
    assert signed16(read_word(bus, 0x40, ina_regs.CURRENT)) == -3000
    chip.set_current(0.0)
    assert read_word(bus, 0x40, ina_regs.CURRENT) == 0


def test_ina219_power_read_clears_cnvr_until_the_next_conversion(bus):
    chip = bus.attach(INA219())
    assert read_word(bus, 0x40, ina_regs.BUS_VOLTAGE) & ina_regs.CNVR
    read_word(bus, 0x40, ina_regs.POWER)
    # Same transaction as nothing new: the bus voltage read starts a new transaction, and in
    # continuous mode a conversion completes first.
    assert read_word(bus, 0x40, ina_regs.BUS_VOLTAGE) & ina_regs.CNVR
    chip.inject(DeviceFault.STUCK)
    read_word(bus, 0x40, ina_regs.POWER)
    assert not read_word(bus, 0x40, ina_regs.BUS_VOLTAGE) & ina_regs.CNVR
    chip.heal()
    assert read_word(bus, 0x40, ina_regs.BUS_VOLTAGE) & ina_regs.CNVR


def test_ina219_power_down_and_triggered_modes(bus):
    chip = bus.attach(INA219(current_a=1.0))
    write_word(bus, 0x40, ina_regs.CONFIG, 0x3998)  # MODE 0: power-down
    chip.set_current(3.0)
    assert read_word(bus, 0x40, ina_regs.SHUNT_VOLTAGE) == 1000
    write_word(bus, 0x40, ina_regs.CONFIG, 0x3999)  # MODE 1: shunt, triggered once
    assert read_word(bus, 0x40, ina_regs.SHUNT_VOLTAGE) == 3000
    chip.set_current(4.0)
    assert read_word(bus, 0x40, ina_regs.SHUNT_VOLTAGE) == 3000


def test_ina219_shunt_saturates_at_the_pga_range(bus):
    bus.attach(INA219(current_a=10.0))  # 100 mV across 0.01 ohm
    write_word(bus, 0x40, ina_regs.CONFIG, 0x399F & ~0x1800)  # PG /1: 40 mV
    assert read_word(bus, 0x40, ina_regs.SHUNT_VOLTAGE) == 4000


def test_ina219_overflow_sets_ovf(bus):
    chip = bus.attach(INA219())
    write_word(bus, 0x40, ina_regs.CALIBRATION, 16776)
    assert not read_word(bus, 0x40, ina_regs.BUS_VOLTAGE) & ina_regs.OVF
    chip.inject(DeviceFault.OUT_OF_RANGE)  # a 25 A short
    assert read_word(bus, 0x40, ina_regs.BUS_VOLTAGE) & ina_regs.OVF
    assert read_word(bus, 0x40, ina_regs.CURRENT) == 0x7FFF


def test_ina219_read_only_registers_ignore_writes_and_rst_resets(bus):
    chip = bus.attach(INA219(current_a=1.0))
    write_word(bus, 0x40, ina_regs.CALIBRATION, 4096)
    read_word(bus, 0x40, ina_regs.CURRENT)
    for pointer in (ina_regs.SHUNT_VOLTAGE, ina_regs.BUS_VOLTAGE, ina_regs.POWER,
                    ina_regs.CURRENT):
        before = chip.register(pointer)
        after = bus.transfer([W(0x40, bytes([pointer, 0x77, 0x76])), R(0x40, 2)])[0]
        assert int.from_bytes(after, "big") == before != 0x7776
    write_word(bus, 0x40, ina_regs.CONFIG, 0x8000 | 0x0007)
    assert read_word(bus, 0x40, ina_regs.CONFIG) == 0x399F
    assert read_word(bus, 0x40, ina_regs.CALIBRATION) == 0


def test_firmware_calibration_follows_the_datasheet_equation():
    cal, lsb = fw_ina219.calibration_for(0.01, 8.0)
    assert cal == 16776  # trunc(0.04096 / (8 / 32767 * 0.01)), D0 clear
    assert lsb == pytest.approx(0.04096 / (16776 * 0.01))
    assert lsb >= 8.0 / 0x7FFF
    assert fw_ina219.calibration_for(0.1, 3.2767)[0] == 4096  # 100 uA/LSB, 0.1 ohm
    with pytest.raises(SensorConfigError, match="shunt_ohms"):
        fw_ina219.calibration_for(0.0, 8.0)
    with pytest.raises(SensorConfigError, match="outside"):
        fw_ina219.calibration_for(1e-6, 0.001)


def test_smbus_word_byte_swap():
    assert swap16(0x1900) == 0x0019
    assert swap16(swap16(0xBEEF)) == 0xBEEF
    assert signed16(0xFFFF) == -1


# -- status MCU ---------------------------------------------------------------------------

def test_status_mcu_register_file_in_one_block_read(bus):
    bus.attach(StatusMCU(water_pct=80, beans_pct=55, grounds_count=3, door_open=True))
    regs = bus.transfer([W(0x42, b"\x00"), R(0x42, mcu_regs.REGISTER_COUNT)])[0]
    assert regs[mcu_regs.WHO_AM_I] == 0xC5
    assert (regs[mcu_regs.FW_MAJOR], regs[mcu_regs.FW_MINOR]) == mcu_regs.FIRMWARE_VERSION
    assert regs[mcu_regs.STATUS] == mcu_regs.STATUS_DOOR_OPEN
    assert regs[mcu_regs.WATER_LEVEL] == 80
    assert regs[mcu_regs.BEANS_LEVEL] == 55
    assert regs[mcu_regs.GROUNDS_COUNT] == 3
    assert regs[mcu_regs.GROUNDS_LIMIT] == 12


def test_status_mcu_pointer_auto_increments_and_reads_ff_past_the_end(bus):
    bus.attach(StatusMCU(water_pct=70, beans_pct=60))
    assert bus.transfer([W(0x42, b"\x04"), R(0x42, 2)])[0] == bytes([70, 60])
    assert bus.transfer([R(0x42, 1)])[0] == b"\x00"  # continues at GROUNDS_COUNT
    assert bus.transfer([W(0x42, b"\x0a"), R(0x42, 4)])[0] == b"\x00\x00\xff\xff"


def test_status_mcu_writes_only_the_writable_register(bus):
    chip = bus.attach(StatusMCU(grounds_count=5))
    # From WATER_LEVEL: water, beans, grounds count are read-only; then GROUNDS_LIMIT.
    bus.transfer([W(0x42, bytes([mcu_regs.WATER_LEVEL, 1, 2, 3, 5]))])
    regs = bus.transfer([W(0x42, b"\x00"), R(0x42, 10)])[0]
    assert regs[mcu_regs.WATER_LEVEL] == 100
    assert regs[mcu_regs.GROUNDS_COUNT] == 5
    assert regs[mcu_regs.GROUNDS_LIMIT] == 5
    assert regs[mcu_regs.STATUS] & mcu_regs.STATUS_GROUNDS_FULL
    chip.empty_grounds_bin()
    regs = bus.transfer([W(0x42, b"\x03"), R(0x42, 1)])[0]
    assert not regs[0] & mcu_regs.STATUS_GROUNDS_FULL


def test_status_mcu_heartbeat_moves_once_per_transaction_and_freezes_when_stuck(bus):
    chip = bus.attach(StatusMCU())

    def heartbeat() -> int:
        return bus.transfer([W(0x42, bytes([mcu_regs.HEARTBEAT])), R(0x42, 1)])[0][0]

    first = heartbeat()
    assert heartbeat() == first + 1  # two messages, one transaction, one loop pass
    chip.inject(DeviceFault.STUCK)
    chip.set_water_level(10)
    frozen = heartbeat()
    assert heartbeat() == frozen
    assert bus.transfer([W(0x42, b"\x04"), R(0x42, 1)])[0] == b"\x64"
    chip.heal(DeviceFault.STUCK)
    assert heartbeat() == frozen + 1
    assert bus.transfer([W(0x42, b"\x04"), R(0x42, 1)])[0] == b"\x0a"


def test_status_mcu_out_of_range_and_invalid_pointer(bus):
    chip = bus.attach(StatusMCU(water_pct=50))
    chip.inject("out_of_range")
    assert bus.transfer([W(0x42, b"\x04"), R(0x42, 1)])[0] == b"\xff"
    with pytest.raises(TransferError) as info:
        bus.transfer([W(0x42, b"\x0c")])
    assert info.value.errno == errno.EREMOTEIO


def test_status_mcu_selected_product_is_a_big_endian_word(bus):
    chip = bus.attach(StatusMCU())
    chip.select_product(0x1234)
    assert bus.transfer([W(0x42, b"\x0a"), R(0x42, 2)])[0] == b"\x12\x34"
    bus.transfer([W(0x42, b"\x0a\x00\x00")])  # read-only from the bus
    assert bus.transfer([W(0x42, b"\x0a"), R(0x42, 2)])[0] == b"\x12\x34"
    chip.select_product(None)
    assert bus.transfer([W(0x42, b"\x0a"), R(0x42, 2)])[0] == b"\x00\x00"
    for bad in (0, 0x10000, True):
        with pytest.raises(InvalidValueError, match="product"):
            chip.select_product(bad)


@pytest.mark.parametrize(("method", "value"), [
    ("set_water_level", 256), ("set_water_level", -1), ("set_beans_level", 1.5),
    ("set_door_open", 1), ("set_fault_flags", 0x10), ("set_grounds_count", True),
])
def test_status_mcu_refuses_values_its_registers_cannot_hold(method, value):
    chip = StatusMCU()
    before = chip.registers()
    with pytest.raises(InvalidValueError):
        getattr(chip, method)(value)
    chip.tick()
    assert chip.registers()[:mcu_regs.HEARTBEAT] == before[:mcu_regs.HEARTBEAT]


# -- bus engine and registry --------------------------------------------------------------

def test_missing_and_nacking_devices_map_to_enxio_and_eremoteio(bus):
    chip = bus.attach(TMP102())
    with pytest.raises(TransferError) as absent:
        bus.transfer([R(0x50, 1)])
    assert absent.value.errno == errno.ENXIO
    chip.inject(DeviceFault.NACK)
    with pytest.raises(TransferError) as nack:
        bus.transfer([R(0x48, 2)])
    assert nack.value.errno == errno.EREMOTEIO
    chip.heal()
    chip.inject(DeviceFault.MISSING)
    with pytest.raises(TransferError) as missing:
        bus.transfer([R(0x48, 2)])
    assert missing.value.errno == errno.ENXIO


def test_a_failing_message_ends_the_transfer_but_earlier_ones_took_effect(bus):
    bus.attach(TMP102())
    with pytest.raises(TransferError):
        bus.transfer([W(0x48, bytes([tmp_regs.THIGH, 0x20, 0x00])), R(0x50, 1)])
    assert read_word(bus, 0x48, tmp_regs.THIGH) == 0x2000


def test_attach_refuses_taken_and_reserved_addresses(bus):
    bus.attach(TMP102())
    with pytest.raises(AddressError, match="taken by tmp102"):
        bus.attach(TMP102())
    with pytest.raises(AddressError, match=r"0x03\.\.0x77"):
        bus.attach(INA219(), 0x78)


def test_registry_builds_models_by_name_and_refuses_clashes():
    assert {"tmp102", "ina219", "status_mcu"} <= set(model_names())
    chip = create_device("tmp102", temperature_c=50.0)
    assert isinstance(chip, TMP102)
    assert chip.temperature_c == 50.0
    with pytest.raises(UnknownModelError, match=r"registered models: .*tmp102"):
        create_device("tmp103")

    class Impostor(I2CDevice):
        model = "tmp102"
        default_address = 0x49

        def write(self, data: bytes) -> None: ...

        def read(self, length: int) -> bytes:
            return bytes(length)

        def _reset_registers(self) -> None: ...

    with pytest.raises(DuplicateModelError, match="taken by"):
        register_model(Impostor)
    assert create_device("tmp102").__class__ is TMP102


# -- firmware fault codes and stuck rule --------------------------------------------------

def test_fault_codes_are_distinct_and_decode_back():
    codes = {}
    for sensor in Sensor:
        for kind in FaultKind:
            code = fault_code(sensor, kind)
            codes[code] = (sensor, kind, None)
    codes[fault_code(Sensor.BOILER_TEMP, FaultKind.OUT_OF_RANGE, Quantity.BOILER_C)] = (
        Sensor.BOILER_TEMP, FaultKind.OUT_OF_RANGE, Quantity.BOILER_C)
    assert len(codes) == 13
    for code, parts in codes.items():
        assert 0 <= code <= 0xFFFF
        assert describe_fault_code(code) == parts
    assert fault_code(Sensor.BOILER_TEMP, FaultKind.OUT_OF_RANGE, Quantity.BOILER_C) == 0x0131
    assert fault_code(Sensor.STATUS_MCU, FaultKind.STUCK) == 0x0340
    with pytest.raises(ValueError, match="not measured by"):
        fault_code(Sensor.BOILER_TEMP, FaultKind.OUT_OF_RANGE, Quantity.WATER_PCT)
    with pytest.raises(ValueError, match="not a sensor fault code"):
        describe_fault_code(0x0150)


def test_stuck_detector_counts_only_reads_that_should_move():
    detector = StuckDetector(3)
    assert not detector.observe(5, should_move=False)
    assert not detector.observe(5, should_move=False)
    assert not detector.observe(5)
    assert not detector.observe(5, should_move=False)  # neither counts nor resets
    assert not detector.observe(5)
    assert detector.observe(5)
    assert not detector.observe(6)  # any change clears at once
    detector.reset()
    assert not detector.observe(6)


def test_monitor_config_refuses_bad_settings():
    with pytest.raises(SensorConfigError, match="addresses must differ"):
        MonitorConfig(ina219_address=0x48)
    with pytest.raises(SensorConfigError, match="stuck_reads"):
        MonitorConfig(stuck_reads=1)
    with pytest.raises(SensorConfigError, match="7-bit"):
        MonitorConfig(status_mcu_address=0x80)
