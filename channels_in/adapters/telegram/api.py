"""A small Bot API client over httpx: calls, file downloads and error mapping."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from helpdesk.exceptions import ApplicationError, DeliveryError
from tickets.models import Channel

DEFAULT_API_BASE = "https://api.telegram.org"
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB


class BotApiError(ApplicationError):
    """The Bot API answered `ok: false` or could not be reached."""

    code = "telegram_api_error"

    def __init__(self, message: str, *, status: int = 0, retry_after: int | None = None):
        super().__init__(message, extra={"status": status, "retry_after": retry_after})
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500


class BotApi:
    def __init__(self, channel: Channel) -> None:
        config = channel.config or {}
        self.token = str(config.get("bot_token") or "").strip()
        self.base = str(config.get("api_base") or DEFAULT_API_BASE).rstrip("/")
        self.max_download = int(config.get("max_download_bytes") or MAX_DOWNLOAD_BYTES)
        self.timeout = settings.OUTBOUND_TIMEOUT_SECONDS

    def call(
        self, method: str, *, json: dict | None = None, data: dict | None = None, files=None
    ) -> Any:
        """POST one method; return its `result` or raise BotApiError."""
        if not self.token:
            raise BotApiError("The channel has no bot_token configured.", status=401)
        url = f"{self.base}/bot{self.token}/{method}"
        try:
            response = httpx.post(url, json=json, data=data, files=files, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise BotApiError(
                f"Telegram {method}: could not reach the Bot API ({exc.__class__.__name__})."
            ) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if response.status_code == 200 and answer.get("ok") is True:
            return answer.get("result")
        status = answer.get("error_code") or response.status_code
        status = status if isinstance(status, int) else response.status_code
        description = answer.get("description") or f"HTTP {response.status_code}"
        parameters = answer.get("parameters") if isinstance(answer.get("parameters"), dict) else {}
        raise BotApiError(
            f"Telegram {method} failed ({status}): {description}",
            status=status,
            retry_after=parameters.get("retry_after"),
        )

    def download(self, file_id: str, *, known_size: int = 0) -> bytes:
        """getFile, then fetch the file's bytes; refuses files over the size cap."""
        if known_size and known_size > self.max_download:
            raise BotApiError(f"File is {known_size} bytes, over the {self.max_download} cap.")
        info = self.call("getFile", json={"file_id": file_id})
        path = info.get("file_path") if isinstance(info, dict) else None
        if not path:
            raise BotApiError("getFile returned no file_path (file too big for the Bot API?).")
        size = info.get("file_size") or 0
        if isinstance(size, int) and size > self.max_download:
            raise BotApiError(f"File is {size} bytes, over the {self.max_download} cap.")
        url = f"{self.base}/file/bot{self.token}/{path.lstrip('/')}"
        chunks, total = [], 0
        try:
            with httpx.stream("GET", url, timeout=self.timeout) as response:
                if response.status_code != 200:
                    raise BotApiError(
                        f"File download answered {response.status_code}.",
                        status=response.status_code,
                    )
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if total > self.max_download:
                        raise BotApiError(f"File exceeds the {self.max_download} byte cap.")
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise BotApiError(f"File download failed ({exc.__class__.__name__}).") from exc
        return b"".join(chunks)


def delivery_error(exc: BotApiError) -> DeliveryError:
    """Bot API failure -> what the operator sees on the message, and whether to retry."""
    description = exc.message
    if exc.status == 403:
        description = (
            "Telegram refused the message: the customer blocked the bot or never started it "
            f"({exc.message})."
        )
    elif exc.status == 401:
        description = f"The bot token is invalid or missing ({exc.message})."
    elif exc.status == 429:
        description = f"Telegram rate limit, will retry ({exc.message})."
    return DeliveryError(description, retryable=exc.retryable, extra=exc.extra)
