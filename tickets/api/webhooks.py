"""Outbound webhook subscriptions (admins only): CRUD, the delivery log with filters, one
delivery's redelivery, secret rotation and a test ping. See docs/webhooks.md."""

from __future__ import annotations

import json

import django_filters
from django.core.validators import URLValidator
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from helpdesk.permissions import IsAdmin
from tickets.integrations.models import (
    PING,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
)
from tickets.integrations.selectors import subscription_deliveries, subscription_list
from tickets.integrations.services import (
    webhook_ping,
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as listed: never its secret."""

    event_types = serializers.ListField(child=serializers.ChoiceField(EventType.choices))
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "created_by",
            "created_at",
            "updated_at",
            "secret_rotated_at",
            "consecutive_failures",
            "failing_since",
            "disabled_at",
            "disabled_reason",
        ]
        read_only_fields = fields


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    """The answer to a creation or a rotation: the only time the secret is shown."""

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


HTTP_URL = URLValidator(schemes=["http", "https"], message="Enter an http or https URL.")


class SubscriptionInputSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=1000, validators=[HTTP_URL])
    description = serializers.CharField(max_length=255, required=False, default="")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(EventType.choices), min_length=1, max_length=20
    )
    is_active = serializers.BooleanField(required=False, default=True)


class SubscriptionPatchSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=1000, required=False, validators=[HTTP_URL])
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(EventType.choices),
        min_length=1,
        max_length=20,
        required=False,
    )
    is_active = serializers.BooleanField(required=False)


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event",
            "ticket_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "delivered_at",
            "response_code",
            "response_body",
            "duration_ms",
            "error",
            "created_at",
        ]
        read_only_fields = fields


class DeliveryDetailSerializer(DeliverySerializer):
    payload = serializers.SerializerMethodField()

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "payload"]
        read_only_fields = fields

    def get_payload(self, delivery: WebhookDelivery) -> dict:
        """The JSON body exactly as sent (signed as the UTF-8 bytes of `body`)."""
        return json.loads(delivery.body)


EVENT_CHOICES = [*EventType.choices, (PING, "Ping")]


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event = django_filters.ChoiceFilter(choices=EVENT_CHOICES)
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    response_code = django_filters.NumberFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event", "ticket", "response_code", "created_after", "created_before"]


# Path ids as the URL patterns take them (`<int:pk>` matches no sign).
SUBSCRIPTION_ID = OpenApiParameter(
    "id",
    {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    OpenApiParameter.PATH,
    description="A subscription id.",
)
ID = [SUBSCRIPTION_ID]


def _subscription(pk: int) -> WebhookSubscription:
    return get_object_or_404(WebhookSubscription, pk=pk)


class WebhookListCreateApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = SubscriptionSerializer
    filter_backends = []

    def get_queryset(self):
        return subscription_list()

    @extend_schema(responses=SubscriptionSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SubscriptionSerializer(page, many=True).data)

    @extend_schema(
        request=SubscriptionInputSerializer, responses={201: SubscriptionWithSecretSerializer}
    )
    def post(self, request):
        data = SubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = webhook_subscription_create(
            **data.validated_data, created_by=request.user, request=request
        )
        return Response(
            SubscriptionWithSecretSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


class WebhookDetailApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = SubscriptionSerializer
    filter_backends = []

    @extend_schema(parameters=ID, responses=SubscriptionSerializer)
    def get(self, request, pk: int):
        return Response(SubscriptionSerializer(_subscription(pk)).data)

    @extend_schema(
        parameters=ID, request=SubscriptionPatchSerializer, responses=SubscriptionSerializer
    )
    def patch(self, request, pk: int):
        subscription = _subscription(pk)
        data = SubscriptionPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = webhook_subscription_update(
            subscription=subscription, actor=request.user, request=request, **data.validated_data
        )
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(parameters=ID, responses={204: None})
    def delete(self, request, pk: int):
        webhook_subscription_delete(
            subscription=_subscription(pk), actor=request.user, request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = SubscriptionWithSecretSerializer
    filter_backends = []

    @extend_schema(parameters=ID, request=None, responses=SubscriptionWithSecretSerializer)
    def post(self, request, pk: int):
        subscription = webhook_secret_rotate(
            subscription=_subscription(pk), actor=request.user, request=request
        )
        return Response(SubscriptionWithSecretSerializer(subscription).data)


class WebhookPingApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = DeliverySerializer
    filter_backends = []

    @extend_schema(parameters=ID, request=None, responses={202: DeliverySerializer})
    def post(self, request, pk: int):
        delivery = webhook_ping(subscription=_subscription(pk), actor=request.user)
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryListApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return WebhookDelivery.objects.none()
        return subscription_deliveries(subscription_id=self.kwargs["pk"])

    @extend_schema(parameters=ID, responses=DeliverySerializer(many=True))
    def get(self, request, pk: int):
        _subscription(pk)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


def _delivery(pk: int, delivery_id) -> WebhookDelivery:
    return get_object_or_404(WebhookDelivery, subscription_id=pk, pk=delivery_id)


class WebhookDeliveryDetailApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = DeliveryDetailSerializer
    filter_backends = []

    @extend_schema(parameters=ID, responses=DeliveryDetailSerializer)
    def get(self, request, pk: int, delivery_id):
        return Response(DeliveryDetailSerializer(_delivery(pk, delivery_id)).data)


class WebhookRedeliverApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = DeliverySerializer
    filter_backends = []

    @extend_schema(parameters=ID, request=None, responses={202: DeliverySerializer})
    def post(self, request, pk: int, delivery_id):
        delivery = webhook_redeliver(
            delivery=_delivery(pk, delivery_id), actor=request.user, request=request
        )
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
