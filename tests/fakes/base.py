"""A threaded local HTTP server with JSON/multipart request decoding and a request log."""

from __future__ import annotations

import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class Request:
    def __init__(self, method: str, target: str, headers: dict, body: bytes) -> None:
        split = urlsplit(target)
        self.method = method
        self.path = split.path
        self.query = dict(parse_qsl(split.query))
        self.headers = headers
        self.body = body
        self.content_type = headers.get("Content-Type", "")
        self.json: dict | None = None
        self.form: dict[str, str] = {}
        self.files: dict[str, tuple[str, str, bytes]] = {}  # field -> (filename, type, bytes)
        if self.content_type.startswith("application/json"):
            self.json = json.loads(body)
        elif self.content_type.startswith("application/x-www-form-urlencoded"):
            self.form = dict(parse_qsl(body.decode()))
        elif self.content_type.startswith("multipart/form-data"):
            self._multipart()

    def _multipart(self) -> None:
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {self.content_type}\r\n\r\n".encode() + self.body
        )
        for part in message.iter_parts():
            field = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename is not None:
                self.files[field] = (filename, part.get_content_type(), payload)
            else:
                self.form[field] = payload.decode()

    @property
    def params(self) -> dict:
        """Bot API style: parameters from the query, a form, multipart fields or JSON."""
        return {**self.query, **self.form, **(self.json or {})}


class FakeServer:
    """Subclasses implement `handle(request) -> (status, headers, body bytes)`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command, self.path, dict(self.headers), self.rfile.read(length)
                )
                fake.requests.append(request)
                status, headers, body = fake.handle(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, request: Request) -> tuple[int, dict, bytes]:
        raise NotImplementedError

    @staticmethod
    def json_response(status: int, payload) -> tuple[int, dict, bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
