"""Structured fuzzing: take a valid-ish input and damage it the ways wires and files do.

A raw-bytes strategy alone rarely gets past a checksum or a length prefix; mutating a valid
frame reaches the field parsers behind them. Mutations: bit flips, truncation, deletion,
insertion of random or nasty bytes (huge numbers, non-ASCII, separators, NUL),
duplication of a slice, and replacement of a slice.
"""

from __future__ import annotations

from hypothesis import strategies as st

NASTY_BYTES: tuple[bytes, ...] = (
    b"\x00", b"\xff", b"\r", b"\n", b"\r\n", b" ", b"  ", b"*", b"-", b"+", b"0", b"00",
    b"-1", b"4294967296", b"18446744073709551616", b"9" * 25, b"1e999", b"nan", b"inf",
    "é".encode(), "\u202e".encode(), "😀".encode(), b"\xc3", b"\xed\xa0\x80", b"\x80",
    b"\t", b"\x7f", b"\x1b[0m", b"'", b'"', b"\\", b"[", b"]", b"{", b"}", b":", b"=", b"#",
)
"""Bytes that have broken parsers before: limits ±1, overlong numbers, bad UTF-8, framing."""

NASTY_TEXT: tuple[str, ...] = (
    *(b.decode("utf-8", "replace") for b in NASTY_BYTES),
    "\x00", "\ud7ff", "\ufeff", "Ⅻ", "٣", "²", "ß", "\u2028", "0x" + "f" * 70,
    str(2**64), str(-(2**63) - 1), str(10**400), "1" * 100, "true", "null", "~",
)
"""The text twin of :data:`NASTY_BYTES`, plus Unicode digits and YAML/TOML specials."""

def _flip(draw: st.DrawFn, data: bytearray) -> bytearray:
    if data:
        i = draw(st.integers(0, len(data) - 1))
        data[i] ^= 1 << draw(st.integers(0, 7))
    return data


def _truncate(draw: st.DrawFn, data: bytearray) -> bytearray:
    return data[:draw(st.integers(0, len(data)))]


def _delete(draw: st.DrawFn, data: bytearray) -> bytearray:
    i = draw(st.integers(0, len(data)))
    j = draw(st.integers(i, min(len(data), i + 16)))
    return data[:i] + data[j:]


def _insert(draw: st.DrawFn, data: bytearray) -> bytearray:
    i = draw(st.integers(0, len(data)))
    chunk = draw(st.one_of(st.sampled_from(NASTY_BYTES), st.binary(min_size=1, max_size=8)))
    return data[:i] + chunk + data[i:]


def _duplicate(draw: st.DrawFn, data: bytearray) -> bytearray:
    i = draw(st.integers(0, len(data)))
    j = draw(st.integers(i, min(len(data), i + 32)))
    at = draw(st.integers(0, len(data)))
    return data[:at] + data[i:j] + data[at:]


def _replace(draw: st.DrawFn, data: bytearray) -> bytearray:
    i = draw(st.integers(0, len(data)))
    j = draw(st.integers(i, min(len(data), i + 8)))
    return data[:i] + draw(st.sampled_from(NASTY_BYTES)) + data[j:]


MUTATIONS = (_flip, _truncate, _delete, _insert, _duplicate, _replace)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[bytes], max_mutations: int = 4) -> bytes:
    """``base`` with 0..``max_mutations`` random mutations; half the inputs stay intact so
    the deep (accepting) paths of a parser get as much fuzzing as its refusals."""
    data = bytearray(draw(base))
    count = draw(st.integers(1, max_mutations)) if draw(st.booleans()) else 0
    for _ in range(count):
        data = draw(st.sampled_from(MUTATIONS))(draw, data)
    return bytes(data)


@st.composite
def mutated_text(draw: st.DrawFn, base: st.SearchStrategy[str], max_mutations: int = 4) -> str:
    """Text mutations that keep it valid UTF-8 (for parsers that take ``str``)."""
    text = draw(base)
    count = draw(st.integers(1, max_mutations)) if draw(st.booleans()) else 0
    for _ in range(count):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 8)))
        op = draw(st.sampled_from(("insert", "delete", "replace", "duplicate", "truncate")))
        if op == "insert":
            text = text[:i] + draw(st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=4))) \
                + text[i:]
        elif op == "delete":
            text = text[:i] + text[j:]
        elif op == "replace":
            text = text[:i] + draw(st.sampled_from(NASTY_TEXT)) + text[j:]
        elif op == "duplicate":
            text = text[:i] + text[i:j] + text[i:]
        else:
            text = text[:i]
    return text


def huge_ints(bits: int = 300) -> st.SearchStrategy[int]:
    """Integers around the edges that matter: 0, limits of common widths ±1, and huge."""
    edges = [0, 1, -1]
    for width in (8, 16, 32, 63, 64, 128, 256):
        edges += [2**width - 1, 2**width, -(2**width)]
    return st.one_of(st.sampled_from(edges), st.integers(-(2**bits), 2**bits))
