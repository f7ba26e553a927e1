"""HTTP/1.1 as medcube reads the engine's answers (validator.engine.wire), against answers written by hand on a socket
pair: the three ways a body ends, and answers that are no HTTP, each a WireError rather than a hang or a crash."""

from __future__ import annotations

import socket
import threading

import pytest

from validator.engine import wire


def answer(raw: bytes, method: str = "GET") -> wire.Response:
    """Send a request through a socket pair whose other end answers ``raw`` and closes."""
    ours, theirs = socket.socketpair()
    seen: list[bytes] = []

    def serve() -> None:
        seen.append(theirs.recv(65536))
        theirs.sendall(raw)
        theirs.close()

    server = threading.Thread(target=serve)
    server.start()
    response = wire.request(ours, method, "/v1.41/x?a=1", "docker", b'{"k": 1}' if method == "POST" else None)
    server.join()
    request_line, *headers = seen[0].split(b"\r\n\r\n")[0].split(b"\r\n")
    assert request_line == f"{method} /v1.41/x?a=1 HTTP/1.1".encode() and b"Connection: close" in headers
    if method == "POST":
        assert b"Content-Length: 8" in headers and seen[0].endswith(b'{"k": 1}')
    return response


def test_a_body_of_content_length():
    r = answer(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}extra")
    assert (r.status, r.reason, r.header("content-type")) == (200, "OK", "application/json")
    assert r.read() == b'{"a":1}' and r.read() == b""


def test_a_chunked_body_with_extensions_and_a_trailer():
    r = answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5;x=y\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: 1\r\n\r\n", method="POST")
    assert r.read() == b"hello world"


def test_a_body_until_the_connection_closes_after_an_upgrade():
    r = answer(b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n\x01\x00\x00\x00\x00\x00\x00\x02hi")
    assert r.status == 101 and r.read() == b"\x01\x00\x00\x00\x00\x00\x00\x02hi"


def test_no_body_for_204():
    r = answer(b"HTTP/1.1 204 No Content\r\n\r\n", method="POST")
    assert r.status == 204 and r.read() == b""


@pytest.mark.parametrize("raw, words", [
    (b"", "not an HTTP status line"),
    (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP status line"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "not an HTTP header"),
    (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n", "longer than 64 KiB"),
    (b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * 201 + b"\r\n", "more than 200 headers"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "Content-Length"),
])
def test_an_answer_that_is_no_http_is_a_wire_error(raw, words):
    with pytest.raises(wire.WireError, match=words):
        answer(raw)


@pytest.mark.parametrize("raw, words", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "before the body's end"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not a chunk size"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort", "inside a chunk"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "before the body's end"),
])
def test_a_body_cut_short_is_a_wire_error(raw, words):
    r = answer(raw)
    with pytest.raises(wire.WireError, match=words):
        r.read()


def test_a_read_past_the_timeout_raises_timeout_error():
    ours, theirs = socket.socketpair()
    ours.settimeout(0.2)
    try:
        with pytest.raises(TimeoutError):
            wire.request(ours, "POST", "/wait", "docker")  # the other end never answers
    finally:
        theirs.close()
        ours.close()
