"""EMCY frames and SDO aborts; byte vectors written by hand from CiA 301."""

from __future__ import annotations

import pytest

from bench.errors import ProtocolError
from bench.protocols import canopen_301 as co
from bench.protocols.canopen_emcy import decode_emcy, error_code_text
from bench.protocols.canopen_sdo_abort import SdoAbortError, abort_text, decode_abort


def test_emcy_heartbeat_error():
    # CiA 301 EMCY: code 0x8130 (life guard / heartbeat error) LE = 30 81, error register 0x11
    # (generic + communication), manufacturer bytes zero
    e = decode_emcy(bytes.fromhex("30 81 11 00 00 00 00 00"))
    assert e.code == 0x8130 and e.register == 0x11 and not e.is_reset
    assert "heartbeat" in e.text and "communication" in e.text and "generic" in e.text


def test_emcy_drive_overcurrent_with_vendor_bytes():
    # 0x2310 continuous over current (CiA 402), register 0x03 (generic + current), vendor 01 02 03 04 05
    e = decode_emcy(bytes.fromhex("10 23 03 01 02 03 04 05"))
    assert e.code == 0x2310
    assert e.vendor == b"\x01\x02\x03\x04\x05"
    assert "over current" in e.text.lower() and "01 02 03 04 05" in e.text


def test_emcy_reset_and_class_fallback():
    assert decode_emcy(bytes(8)).is_reset
    assert error_code_text(0x4210) == "Device temperature"  # class 42xx
    assert error_code_text(0x5123) == "CANopen device hardware"  # class 50xx via 5xxx
    assert error_code_text(0xFF42) == "Device specific"
    with pytest.raises(ValueError, match="7 data bytes"):
        decode_emcy(bytes(7))


def test_sdo_abort_frame():
    # abort of 0x6060:00 with 0x06090030 "invalid value": 80 60 60 00 30 00 09 06
    a = decode_abort(bytes.fromhex("80 60 60 00 30 00 09 06"))
    assert (a.index, a.subindex, a.code) == (0x6060, 0, 0x06090030)
    assert a.text == "Invalid value for parameter (download only)"
    with pytest.raises(ValueError):
        decode_abort(bytes.fromhex("60 60 60 00 00 00 00 00"))  # a download response, not an abort


def test_sdo_abort_texts_and_error():
    assert abort_text(0x06020000) == "Object does not exist in the object dictionary"
    assert abort_text(0x06010002) == "Attempt to write a read only object"
    assert "0x12345678" in abort_text(0x12345678)
    err = SdoAbortError("drive_in (node 1)", "download 0x6060:00", 0x06090030)
    assert isinstance(err, ProtocolError)
    assert "drive_in (node 1)" in str(err) and "Invalid value" in str(err) and "0x06090030" in str(err)


def test_cob_ids_and_device_type():
    assert co.tpdo_cob_id(1, 5) == 0x185 and co.tpdo_cob_id(4, 127) == 0x4FF
    assert co.rpdo_cob_id(3, 1) == 0x401
    assert co.is_tpdo_cob_id(0x181) and co.is_tpdo_cob_id(0x4FF)
    assert not co.is_tpdo_cob_id(0x201) and not co.is_tpdo_cob_id(0x180) and not co.is_tpdo_cob_id(0x581)
    # 0x00020192: CiA 402, servo drive (additional information 0x0002)
    dt = co.decode_device_type(0x00020192)
    assert (dt.profile, dt.additional) == (402, 2)
    assert co.decode_device_type(0x00010196).profile == 406


def test_heartbeat_states():
    assert co.decode_heartbeat(b"\x05") is co.NmtState.OPERATIONAL
    assert co.decode_heartbeat(b"\x7f") is co.NmtState.PRE_OPERATIONAL
    assert co.decode_heartbeat(b"\x00") is co.NmtState.BOOT_UP
    assert co.decode_heartbeat(b"\x85") is co.NmtState.OPERATIONAL  # toggle bit ignored
    assert co.decode_heartbeat(b"\x05\x00") is None


def test_mapping_entry():
    # 0x60410010: statusword 0x6041 sub 0, 16 bits (CiA 301 mapping entry format)
    e = co.decode_mapping_entry(0x60410010)
    assert (e.index, e.subindex, e.bits) == (0x6041, 0, 16)
    assert co.MappingEntry(0x6064, 0, 32).word == 0x60640020
