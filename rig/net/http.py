"""Just enough HTTP/1.1 to pair JSON-RPC requests with their responses.

The proxy relays whole messages, byte for byte as they came, so it must know where each one
ends: a head up to the blank line, then a body framed by Content-Length or chunked encoding
(a response with neither runs to the end of the connection). The body is kept decoded as
well, so a toxic can see which JSON-RPC methods a request calls.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

MAX_BODY = 64 * 1024 * 1024
_NO_BODY_STATUS = (204, 304)


class HttpFramingError(ValueError):
    """A message the proxy cannot frame; the message says what was wrong and where."""


@dataclass(frozen=True)
class HttpMessage:
    start: str                     # request line or status line
    headers: tuple[tuple[str, str], ...]
    body: bytes                    # decoded (chunked encoding removed)
    raw: bytes                     # exactly what is sent on

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def method(self) -> str:
        """The HTTP method of a request ("POST")."""
        return self.start.split(" ", 1)[0]

    @property
    def status(self) -> int:
        """The status code of a response."""
        return int(self.start.split(" ", 2)[1])

    @property
    def version(self) -> str:
        parts = self.start.split(" ")
        return parts[0] if parts[0].startswith("HTTP/") else parts[-1]

    def keep_alive(self) -> bool:
        conn = (self.header("connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn


async def read_request(reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter | None = None) -> HttpMessage | None:
    """The next request on a connection; None when the client closed it between requests.

    A client that sends ``Expect: 100-continue`` waits for a go-ahead before its body: with
    ``writer`` the proxy gives it and drops the header, so the node never sees it.
    """
    head = await _read_head(reader, allow_eof=True)
    if head is None:
        return None
    start, headers = _parse_head(head, "request")
    parts = start.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpFramingError(f"not an HTTP/1.x request line: {start[:80]!r}")
    expect = next((v for k, v in headers if k.lower() == "expect"), "")
    if writer is not None and expect.lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
    body, raw_body = await _read_body(reader, headers, until_eof=False, what="request")
    msg = HttpMessage(start, headers, body, head + raw_body)
    return without_header(msg, "expect") if expect and writer is not None else msg


async def read_response(reader: asyncio.StreamReader, request_method: str = "POST",
                        ) -> HttpMessage:
    """The response to a request, including any interim 1xx responses before it."""
    interim = b""
    while True:
        head = await _read_head(reader, allow_eof=False)
        assert head is not None
        start, headers = _parse_head(head, "response")
        parts = start.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise HttpFramingError(f"not an HTTP/1.x status line: {start[:80]!r}")
        status = int(parts[1])
        if 100 <= status < 200:
            interim += head
            continue
        if request_method == "HEAD" or status in _NO_BODY_STATUS:
            body, raw_body = b"", b""
        else:
            body, raw_body = await _read_body(reader, headers, until_eof=True, what="response")
        return HttpMessage(start, headers, body, interim + head + raw_body)


def without_header(msg: HttpMessage, name: str) -> HttpMessage:
    """The same message with header ``name`` removed (the raw bytes rebuilt)."""
    lower = name.lower()
    kept = tuple((k, v) for k, v in msg.headers if k.lower() != lower)
    head = "\r\n".join([msg.start, *(f"{k}: {v}" for k, v in kept)]) + "\r\n\r\n"
    body_start = msg.raw.index(b"\r\n\r\n") + 4
    return HttpMessage(msg.start, kept, msg.body, head.encode("latin-1") + msg.raw[body_start:])


def rpc_methods(body: bytes) -> tuple[str, ...]:
    """The JSON-RPC methods a request body calls (a batch calls several); () if not JSON-RPC."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ()
    calls = doc if isinstance(doc, list) else [doc]
    return tuple(c["method"] for c in calls
                 if isinstance(c, dict) and isinstance(c.get("method"), str))


def error_response(status: int, reason: str, text: str) -> bytes:
    """A small plain-text response the proxy itself sends (the connection then closes)."""
    body = text.encode()
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


async def _read_head(reader: asyncio.StreamReader, allow_eof: bool) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if allow_eof and not e.partial.strip():
            return None
        raise HttpFramingError(f"connection closed inside a message head after "
                               f"{len(e.partial)} bytes") from e
    except asyncio.LimitOverrunError as e:
        raise HttpFramingError(f"message head longer than {e.consumed} bytes") from e
    return head.lstrip(b"\r\n") if allow_eof else head


def _parse_head(head: bytes, what: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    lines = head.decode("latin-1").split("\r\n")
    start, headers = lines[0], []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or line[0] in " \t":
            raise HttpFramingError(f"malformed {what} header line {line[:80]!r}")
        headers.append((name, value.strip()))
    return start, tuple(headers)


async def _read_body(reader: asyncio.StreamReader, headers: tuple[tuple[str, str], ...],
                     until_eof: bool, what: str) -> tuple[bytes, bytes]:
    """(decoded body, raw body bytes)."""
    values = {k.lower(): v for k, v in headers}
    if "chunked" in values.get("transfer-encoding", "").lower():
        return await _read_chunked(reader, what)
    if "content-length" in values:
        text = values["content-length"]
        if not text.isdigit():
            raise HttpFramingError(f"{what} Content-Length {text!r} is not a number")
        length = int(text)
        if length > MAX_BODY:
            raise HttpFramingError(f"{what} body of {length} bytes exceeds {MAX_BODY}")
        try:
            body = await reader.readexactly(length)
        except asyncio.IncompleteReadError as e:
            raise HttpFramingError(f"connection closed after {len(e.partial)} of {length} "
                                   f"{what} body bytes") from e
        return body, body
    if not until_eof:
        return b"", b""
    buf = bytearray()
    while chunk := await reader.read(65536):
        buf += chunk
        if len(buf) > MAX_BODY:
            raise HttpFramingError(f"{what} body without a length exceeds {MAX_BODY} bytes")
    return bytes(buf), bytes(buf)


async def _read_chunked(reader: asyncio.StreamReader, what: str) -> tuple[bytes, bytes]:
    body, raw = bytearray(), bytearray()
    try:
        while True:
            line = await reader.readuntil(b"\r\n")
            raw += line
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise HttpFramingError(f"bad chunk size {size_text[:20]!r} in {what}") from None
            if size == 0:
                while True:  # trailers, then the blank line
                    trailer = await reader.readuntil(b"\r\n")
                    raw += trailer
                    if trailer == b"\r\n":
                        return bytes(body), bytes(raw)
            if len(body) + size > MAX_BODY:
                raise HttpFramingError(f"chunked {what} body exceeds {MAX_BODY} bytes")
            chunk = await reader.readexactly(size + 2)
            raw += chunk
            body += chunk[:-2]
    except asyncio.IncompleteReadError as e:
        raise HttpFramingError(f"connection closed inside a chunked {what} body") from e
    except asyncio.LimitOverrunError as e:
        raise HttpFramingError(f"chunk-size line longer than {e.consumed} bytes in {what}") from e
