"""Domain errors. Services raise these; the API handler maps them to one JSON shape."""


class ApplicationError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotAllowed(ApplicationError):
    status_code = 403
    code = "forbidden"


class SignatureInvalid(ApplicationError):
    status_code = 403
    code = "signature_invalid"


class PayloadInvalid(ApplicationError):
    status_code = 400
    code = "payload_invalid"


class DeliveryError(ApplicationError):
    """An outbound send failed; `retryable` says whether trying again may help."""

    code = "delivery_failed"

    def __init__(self, message: str, *, retryable: bool = True, extra: dict | None = None):
        super().__init__(message, extra=extra)
        self.retryable = retryable
