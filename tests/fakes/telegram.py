"""A fake Telegram Bot API: token in the path, parameters checked, Bot API shaped answers."""

from __future__ import annotations

import itertools
import re
import time

from tests.fakes.base import FakeServer, Request

SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class FakeBotApi(FakeServer):
    def __init__(self, token: str = "123456:TEST-token") -> None:  # noqa: S107
        super().__init__()
        self.token = token
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes)
        self.blocked_chats: set[str] = set()
        self.failures: list[tuple[int, str, int | None]] = []  # next answers to fail with
        self.webhook: dict = {}
        self._ids = itertools.count(500)

    def add_file(self, file_id: str, file_path: str, content: bytes) -> None:
        self.files[file_id] = (file_path, content)

    def calls(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.path.endswith(f"/{method}")]

    @classmethod
    def error(cls, code: int, description: str, retry_after: int | None = None):
        payload: dict = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            payload["parameters"] = {"retry_after": retry_after}
        return cls.json_response(code, payload)

    def handle(self, request: Request):
        if request.path.startswith("/file/bot"):
            return self._download(request)
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", request.path)
        if not match:
            return self.error(404, "Not Found")
        token, method = match.groups()
        if token != self.token:
            return self.error(401, "Unauthorized")
        if self.failures:
            return self.error(*self.failures.pop(0))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self.error(404, "Not Found: method not found")
        return handler(request.params, request)

    def _ok(self, result):
        return self.json_response(200, {"ok": True, "result": result})

    def _message(self, params: dict, **content) -> dict:
        chat_id = params.get("chat_id")
        return {
            "message_id": next(self._ids),
            "from": {"id": 123456, "is_bot": True, "first_name": "Help desk", "username": "hd_bot"},
            "chat": {"id": int(chat_id), "type": "private"},
            "date": int(time.time()),
            **content,
        }

    def _check_chat(self, params: dict):
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            return self.error(400, "Bad Request: chat_id is empty")
        if not re.fullmatch(r"-?\d+|@\w+", str(chat_id)):
            return self.error(400, "Bad Request: chat not found")
        if str(chat_id) in self.blocked_chats:
            return self.error(403, "Forbidden: bot was blocked by the user")
        return None

    def _m_getMe(self, params, request):
        return self._ok({"id": 123456, "is_bot": True, "first_name": "Help desk"})

    def _m_getFile(self, params, request):
        file_id = params.get("file_id")
        if file_id not in self.files:
            return self.error(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        return self._ok(
            {
                "file_id": file_id,
                "file_unique_id": "u" + file_id[:8],
                "file_size": len(content),
                "file_path": path,
            }
        )

    def _download(self, request: Request):
        prefix = f"/file/bot{self.token}/"
        if not request.path.startswith(prefix):
            return self.error(401, "Unauthorized")
        path = request.path.removeprefix(prefix)
        for file_path, content in self.files.values():
            if file_path == path:
                return 200, {"Content-Type": "application/octet-stream"}, content
        return self.error(404, "Not Found")

    def _m_sendMessage(self, params, request):
        if failure := self._check_chat(params):
            return failure
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return self.error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return self.error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        if markup is not None and not _valid_inline_keyboard(markup):
            return self.error(400, "Bad Request: can't parse inline keyboard button")
        return self._ok(self._message(params, text=text))

    def _m_sendPhoto(self, params, request):
        if failure := self._check_chat(params):
            return failure
        if "photo" not in request.files and not params.get("photo"):
            return self.error(400, "Bad Request: there is no photo in the request")
        photo = [{"file_id": "AgAD-sent", "file_unique_id": "x", "width": 1, "height": 1}]
        return self._ok(self._message(params, photo=photo, caption=params.get("caption", "")))

    def _m_sendDocument(self, params, request):
        if failure := self._check_chat(params):
            return failure
        if "document" in request.files:
            name, ctype, content = request.files["document"]
        elif params.get("document"):
            name, ctype, content = str(params["document"]).rsplit("/", 1)[-1], "", b""
        else:
            return self.error(400, "Bad Request: there is no document in the request")
        document = {
            "file_id": "BQAD-sent",
            "file_name": name,
            "mime_type": ctype,
            "file_size": len(content),
        }
        return self._ok(self._message(params, document=document))

    def _m_setWebhook(self, params, request):
        url = params.get("url", "")
        if not str(url).startswith("https://"):
            return self.error(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
            return self.error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = dict(params)
        return self._ok(True)


def _valid_inline_keyboard(markup) -> bool:
    """InlineKeyboardMarkup as the Bot API checks it: rows of buttons with text and 1-64
    bytes of callback_data."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not rows:
        return False
    for row in rows:
        if not isinstance(row, list) or not row:
            return False
        for button in row:
            data = button.get("callback_data", "") if isinstance(button, dict) else ""
            if not button.get("text") or not 1 <= len(data.encode()) <= 64:
                return False
    return True
