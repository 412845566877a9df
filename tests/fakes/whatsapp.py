"""A fake WhatsApp Cloud API (Graph API): bearer token, version/phone-number paths, media."""

from __future__ import annotations

import hashlib
import itertools
import re

from tests.fakes.base import FakeServer, Request

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")


class FakeGraphApi(FakeServer):
    def __init__(
        self,
        *,
        token: str = "EAAG-test-token",  # noqa: S107
        phone_number_id: str = "106540352242922",
        version: str = "v21.0",
    ) -> None:
        super().__init__()
        self.token = token
        self.phone_number_id = phone_number_id
        self.version = version
        self.media: dict[str, tuple[str, bytes]] = {}  # media id -> (mime type, bytes)
        self.failures: list[tuple[int, int, str]] = []  # (http status, graph code, message)
        self.sent: list[dict] = []
        self._ids = itertools.count(1)

    def add_media(self, media_id: str, mime_type: str, content: bytes) -> None:
        self.media[media_id] = (mime_type, content)

    @classmethod
    def graph_error(cls, status: int, code: int, message: str, details: str = ""):
        error = {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "AbCdEf123",
        }
        if details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        return cls.json_response(status, {"error": error})

    def handle(self, request: Request):
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self.graph_error(
                401, 190, "Invalid OAuth access token - Cannot parse access token"
            )
        if request.path.startswith("/download/"):
            media_id = request.path.removeprefix("/download/")
            if media_id not in self.media:
                return 404, {}, b""
            mime, content = self.media[media_id]
            return 200, {"Content-Type": mime}, content
        match = re.fullmatch(rf"/{re.escape(self.version)}/([^/]+)(?:/(\w+))?", request.path)
        if not match:
            return self.graph_error(400, 2500, "Unknown path components")
        node, edge = match.groups()
        if self.failures:
            status, code, message = self.failures.pop(0)
            return self.graph_error(status, code, message, details=message)
        if edge is None and request.method == "GET":
            return self._media_info(node)
        if node != self.phone_number_id:
            return self.graph_error(
                400, 100, f"Unsupported post request. Object with ID '{node}' does not exist"
            )
        if edge == "messages" and request.method == "POST":
            return self._messages(request)
        if edge == "media" and request.method == "POST":
            return self._upload(request)
        return self.graph_error(400, 100, "Unsupported request")

    def _media_info(self, media_id: str):
        if media_id not in self.media:
            return self.graph_error(400, 100, f"Object with ID '{media_id}' does not exist")
        mime, content = self.media[media_id]
        return self.json_response(
            200,
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/download/{media_id}",
                "mime_type": mime,
                "sha256": hashlib.sha256(content).hexdigest(),
                "file_size": len(content),
                "id": media_id,
            },
        )

    def _messages(self, request: Request):
        body = request.json
        if not isinstance(body, dict):
            return self.graph_error(400, 100, "The parameter messaging_product is required.")
        if body.get("messaging_product") != "whatsapp":
            return self.graph_error(400, 100, "The parameter messaging_product is required.")
        to, kind = body.get("to"), body.get("type", "text")
        if not to:
            return self.graph_error(400, 100, "The parameter to is required.")
        if kind == "text":
            text = (body.get("text") or {}).get("body")
            if not isinstance(text, str) or not text:
                return self.graph_error(400, 100, "The parameter text['body'] is required.")
            if len(text) > 4096:
                return self.graph_error(
                    400, 100, "Param text['body'] must be at most 4096 characters"
                )
        elif kind in MEDIA_TYPES:
            media = body.get(kind) or {}
            if not media.get("id") and not media.get("link"):
                return self.graph_error(
                    400, 131009, "Parameter value is not valid", f"{kind} requires id or link"
                )
            if media.get("id") and media["id"] not in self.media:
                return self.graph_error(400, 131053, "Media upload error")
        elif kind == "interactive":
            if problem := _interactive_problem(body.get("interactive")):
                return self.graph_error(400, 131009, "Parameter value is not valid", problem)
        else:
            return self.graph_error(400, 100, f"Unsupported message type {kind}")
        self.sent.append(body)
        wamid = f"wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI{next(self._ids):04d}"
        return self.json_response(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            },
        )

    def _upload(self, request: Request):
        if request.form.get("messaging_product") != "whatsapp" or "file" not in request.files:
            return self.graph_error(400, 100, "The parameter messaging_product is required.")
        _name, ctype, content = request.files["file"]
        media_id = f"{900000 + next(self._ids)}"
        self.media[media_id] = (request.form.get("type") or ctype, content)
        return self.json_response(200, {"id": media_id})


def _interactive_problem(interactive) -> str:
    """What the Cloud API would refuse in an interactive message (reply buttons or list)."""
    if not isinstance(interactive, dict) or interactive.get("type") not in ("button", "list"):
        return "interactive.type must be button or list"
    body = (interactive.get("body") or {}).get("text")
    if not isinstance(body, str) or not body or len(body) > 1024:
        return "interactive.body.text is required (1-1024 characters)"
    action = interactive.get("action") or {}
    if interactive["type"] == "button":
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= 3:
            return "action.buttons takes 1 to 3 buttons"
        for button in buttons:
            reply = button.get("reply") or {}
            if button.get("type") != "reply" or not reply.get("id"):
                return "each button needs type reply and an id"
            if not 1 <= len(reply.get("title") or "") <= 20:
                return "button titles are 1-20 characters"
        return ""
    rows = [row for section in action.get("sections") or [] for row in section.get("rows") or []]
    if not action.get("button") or not 1 <= len(rows) <= 10:
        return "a list needs a button label and 1 to 10 rows"
    if any(not row.get("id") or not 1 <= len(row.get("title") or "") <= 24 for row in rows):
        return "list rows need an id and a 1-24 character title"
    return ""
