"""OpenAPI generation: every operation documents the JSON error shape of its failures."""

from __future__ import annotations

import re

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. `invalid`.")
    message = serializers.CharField(help_text="A human-readable sentence.")
    detail = serializers.JSONField(
        required=False, help_text="For validation errors: the message list per field."
    )


class ErrorSerializer(serializers.Serializer):
    """{"error": {"code", "message", "detail"?}}: the body of every API failure."""

    error = ErrorBodySerializer()


ERRORS = {
    "400": "The request is not valid (see `error.detail` for each field).",
    "401": "No or a wrong token or session.",
    "403": "The user's role may not do this.",
    "404": "No such object (or not visible to this user).",
    "429": "Too many requests: wait and retry (see the `Retry-After` header).",
}


class ApiSchema(AutoSchema):
    def _is_list_view(self, serializer=None) -> bool:
        # Our list endpoints are GenericAPIViews with a hand-written `get` that paginates: a
        # GET on a path not ending in an id, on a view with a paginator, returns a page.
        if (
            self.method == "GET"
            and isinstance(self.view, GenericAPIView)
            and getattr(self.view, "pagination_class", None) is not None
            and not re.search(r"\{[^}]+\}/?$", self.path)
        ):
            return True
        return super()._is_list_view(serializer)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(ERRORS)
        if self.method == "DELETE":
            errors["409"] = "Still in use: the object cannot be deleted."
        for code, description in errors.items():
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = description
                responses[code] = body
        return responses
