"""The engine client's HTTP (validator.engine.client.api over the standard library's http.client) against answers written
by hand on a unix socket: the three ways a body ends, a stream read as it arrives and closed from another thread,
and answers that are no HTTP, each an EngineError rather than a hang, a crash or an http.client exception."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from validator.engine.client.api import Engine, EngineError, EngineTimeout


class Server:
    """A unix socket that answers each connection with the next of ``answers`` (bytes, or a list of byte parts sent
    with a pause between them) and then closes it; what each request said is kept in ``seen``."""

    def __init__(self, path, answers: list, hold: float = 0.0):
        self.path = str(path)
        self.answers = list(answers)
        self.hold = hold
        self.seen: list[bytes] = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for answer in self.answers:
            conn, _ = self.sock.accept()
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    body += conn.recv(65536)
                self.seen.append(head + b"\r\n\r\n" + body)
                for part in answer if isinstance(answer, list) else [answer]:
                    conn.sendall(part)
                    time.sleep(0.05)
                time.sleep(self.hold)

    def engine(self, timeout: float = 5.0) -> Engine:
        return Engine(f"unix://{self.path}", timeout=timeout)


def test_a_json_body_of_content_length_and_the_request_as_sent(tmp_path):
    server = Server(tmp_path / "e.sock", [b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                                          b"Content-Length: 12\r\n\r\n{\"Id\":\"abc\"}extra"])
    assert server.engine().create({"Image": "x"}) == "abc"
    request_line, *headers = server.seen[0].split(b"\r\n\r\n")[0].split(b"\r\n")
    assert request_line == b"POST /containers/create HTTP/1.1"
    assert b"Connection: close" in headers and b"Content-Type: application/json" in headers
    assert server.seen[0].endswith(b'{"Image": "x"}')


def test_a_chunked_body_with_extensions_and_a_trailer(tmp_path):
    server = Server(tmp_path / "e.sock", [b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                          b"Transfer-Encoding: chunked\r\n\r\n"
                                          b"5;x=y\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\nX-Trailer: 1\r\n\r\n"])
    assert server.engine().info() == {"a": 1}


def test_an_upgraded_stream_is_read_until_the_connection_closes(tmp_path):
    frames = b"\x01\x00\x00\x00\x00\x00\x00\x02hi" + b"\x02\x00\x00\x00\x00\x00\x00\x03err"
    server = Server(tmp_path / "e.sock", [[b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
                                           frames[:5], frames[5:]]])
    assert b"".join(server.engine().attach("c1")) == b"hierr"
    assert b"Upgrade: tcp" in server.seen[0]


def test_a_stats_stream_is_read_sample_by_sample_as_it_arrives(tmp_path):
    sample = b'{"memory_stats": {"usage": 1}}\n'
    server = Server(tmp_path / "e.sock", [[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                                           b"%x\r\n%s\r\n" % (len(sample), sample)]], hold=2)
    stats = server.engine().stats("c1")
    assert next(stats) == {"memory_stats": {"usage": 1}}  # the first sample, while the body goes on
    stats.close()


def test_an_output_stream_closed_from_another_thread_ends_a_waiting_read(tmp_path):
    server = Server(tmp_path / "e.sock", [[b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
                                           b"\x01\x00\x00\x00\x00\x00\x00\x02hi"]], hold=30)
    stream = server.engine().attach("c1")
    chunks = iter(stream)
    assert next(chunks) == b"hi"
    started = time.monotonic()
    threading.Timer(0.2, stream.close).start()
    assert list(chunks) == []  # the read that waited for more ends
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("raw", [
    b"",
    b"SSH-2.0-OpenSSH\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * 201 + b"\r\n",
])
def test_an_answer_that_is_no_http_is_an_engine_error(tmp_path, raw):
    server = Server(tmp_path / "e.sock", [raw])
    with pytest.raises(EngineError) as e:
        server.engine().info()
    assert e.value.status == 0 and "GET /info" in e.value.explanation


@pytest.mark.parametrize("raw", [
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\nshort",
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort",
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
])
def test_a_body_cut_short_is_an_engine_error(tmp_path, raw):
    server = Server(tmp_path / "e.sock", [raw])
    with pytest.raises(EngineError) as e:
        server.engine().info()
    assert e.value.status == 0 and "GET /info" in e.value.explanation


def test_an_error_status_carries_the_engines_message(tmp_path):
    body = b'{"message": "No such container: c1"}'
    server = Server(tmp_path / "e.sock", [b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                                          b"Content-Length: %d\r\n\r\n%s" % (len(body), body)])
    with pytest.raises(EngineError) as e:
        server.engine().inspect("c1")
    assert e.value.not_found and e.value.explanation == "No such container: c1"


def test_an_engine_that_never_answers_is_a_timeout(tmp_path):
    server = Server(tmp_path / "e.sock", [b""], hold=5)
    with pytest.raises(EngineTimeout, match="no answer within the timeout"):
        server.engine(timeout=0.3).wait("c1", timeout=0.3)
