import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class FakeBrevo:
    """A local stand-in for Brevo's API on 127.0.0.1 (random port): records each request
    and answers with the next scripted response (default: 201 with a message id)."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    responses: list[tuple[int, bytes]] = field(default_factory=list)

    def respond(self, status: int, body) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.responses.append((status, raw))


@pytest.fixture
def fake_brevo():
    fake = FakeBrevo()
    counter = iter(range(1511882900176220, 1511882900176300))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            fake.requests.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": json.loads(body),
                }
            )
            if fake.responses:
                status, raw = fake.responses.pop(0)
            else:
                status, raw = 201, json.dumps({"messageId": next(counter)}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_port}/v3/transactionalSMS/send"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_port_url():
    """A local address nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v3/transactionalSMS/send"
