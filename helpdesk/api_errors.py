"""One JSON error shape for the whole API: {"error": {"code", "message", "detail"}}."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk.exceptions import ApplicationError


def error_body(code: str, message: str, detail: object = None) -> dict:
    body: dict = {"error": {"code": code, "message": message}}
    if detail:
        body["error"]["detail"] = detail
    return body


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.extra), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        # A model's own validation (full_clean in a service): same shape as a serializer's.
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", "The request is not valid.", response.data)
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = error_body(code, str(exc.detail))
    return response


@csrf_exempt  # nothing is done with the request
def api_not_found(request, *args, **kwargs) -> JsonResponse:
    """Any path under /api/ that names no endpoint: the JSON 404, not an HTML page."""
    message = "No API endpoint at this address."
    if not request.path.endswith("/"):
        try:
            resolve(request.path + "/")
            message = f"No API endpoint at this address; did you mean {request.path}/ ?"
        except Resolver404:
            pass
    return JsonResponse(error_body("not_found", message), status=404)
