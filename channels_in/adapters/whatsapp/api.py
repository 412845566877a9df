"""A small Graph API client for the WhatsApp Cloud API: sends, media, error mapping."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from helpdesk.exceptions import ApplicationError, DeliveryError
from tickets.models import Channel

DEFAULT_API_BASE = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024  # the Cloud API's largest media (documents)

# Graph error codes that a later attempt may get past (rate limits, temporary trouble).
RETRYABLE_CODES = {1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131048, 131056, 133004}
EXPLAINED = {
    131047: "More than 24 hours have passed since the customer last wrote; WhatsApp only "
    "accepts an approved template message now.",
    131026: "WhatsApp could not deliver to this number (not on WhatsApp or an old app).",
    131051: "WhatsApp does not support this message type.",
    131052: "The customer's media could not be downloaded.",
    190: "The WhatsApp access token is invalid or expired; update the channel's access_token.",
    100: "WhatsApp rejected the request parameters.",
    131030: "The recipient is not in the allowed list of this test number.",
}


class GraphError(ApplicationError):
    code = "whatsapp_api_error"

    def __init__(self, message: str, *, status: int = 0, graph_code: int | None = None):
        super().__init__(message, extra={"status": status, "graph_code": graph_code})
        self.status = status
        self.graph_code = graph_code

    @property
    def retryable(self) -> bool:
        if self.graph_code in RETRYABLE_CODES:
            return True
        if self.graph_code in EXPLAINED:
            return False
        return self.status == 0 or self.status == 429 or self.status >= 500


class GraphApi:
    def __init__(self, channel: Channel) -> None:
        config = channel.config or {}
        self.token = str(config.get("access_token") or "").strip()
        self.phone_number_id = str(config.get("phone_number_id") or "").strip()
        base = str(config.get("api_base") or DEFAULT_API_BASE).rstrip("/")
        self.root = f"{base}/{str(config.get('version') or DEFAULT_VERSION).strip('/')}"
        self.max_download = int(config.get("max_download_bytes") or MAX_DOWNLOAD_BYTES)
        self.timeout = settings.OUTBOUND_TIMEOUT_SECONDS

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method: str, path: str, **kwargs) -> dict[str, Any]:
        if not self.token:
            raise GraphError("The WhatsApp channel has no access_token configured.", status=401)
        try:
            response = httpx.request(
                method,
                f"{self.root}/{path}",
                headers=self.headers,
                timeout=self.timeout,
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise GraphError(
                f"Could not reach the WhatsApp Cloud API ({exc.__class__.__name__})."
            ) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        if response.status_code < 300 and "error" not in answer:
            return answer
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        graph_code = error.get("code") if isinstance(error.get("code"), int) else None
        details = (
            (error.get("error_data") or {}).get("details")
            if isinstance(error.get("error_data"), dict)
            else None
        )
        text = str(error.get("message") or f"HTTP {response.status_code}")
        if details and details not in text:
            text += f" ({details})"
        if graph_code in EXPLAINED:
            text = f"{EXPLAINED[graph_code]} [{graph_code}: {text}]"
        elif graph_code is not None:
            text = f"WhatsApp error {graph_code}: {text}"
        raise GraphError(text, status=response.status_code, graph_code=graph_code)

    def send(self, payload: dict) -> str:
        if not self.phone_number_id:
            raise GraphError("The WhatsApp channel has no phone_number_id configured.", status=400)
        answer = self.request(
            "POST",
            f"{self.phone_number_id}/messages",
            json={"messaging_product": "whatsapp", "recipient_type": "individual", **payload},
        )
        messages = answer.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return str(messages[0].get("id") or "")
        return ""

    def upload(self, *, content: bytes, filename: str, content_type: str) -> str:
        answer = self.request(
            "POST",
            f"{self.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": content_type},
            files={"file": (filename, content, content_type)},
        )
        if not answer.get("id"):
            raise GraphError("Media upload returned no id.", status=502)
        return str(answer["id"])

    def download(self, media_id: str) -> tuple[bytes, str]:
        """(bytes, mime type) of an inbound media id: look up its URL, then fetch it."""
        info = self.request("GET", media_id)
        url, size = info.get("url"), info.get("file_size") or 0
        if not url:
            raise GraphError("The media lookup returned no url.")
        if isinstance(size, int) and size > self.max_download:
            raise GraphError(f"Media is {size} bytes, over the {self.max_download} cap.")
        chunks, total = [], 0
        try:
            with httpx.stream("GET", url, headers=self.headers, timeout=self.timeout) as response:
                if response.status_code != 200:
                    raise GraphError(
                        f"Media download answered {response.status_code}.",
                        status=response.status_code,
                    )
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if total > self.max_download:
                        raise GraphError(f"Media exceeds the {self.max_download} byte cap.")
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise GraphError(f"Media download failed ({exc.__class__.__name__}).") from exc
        return b"".join(chunks), str(info.get("mime_type") or "")


def delivery_error(exc: GraphError) -> DeliveryError:
    return DeliveryError(exc.message, retryable=exc.retryable, extra=exc.extra)
