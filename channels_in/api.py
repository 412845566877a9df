"""Channels (admins): list, create, change, rotate the webhook secret.

The secret is shown only when it is set: in the create response and the rotate response.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from channels_in.registry import ADAPTERS
from channels_in.services import (
    channel_create,
    channel_secret_rotate,
    channel_update,
    channel_webhook_url,
)
from helpdesk.permissions import IsAdmin
from tickets.models import Channel


class ChannelOutputSerializer(serializers.ModelSerializer):
    webhook_url = serializers.SerializerMethodField()

    class Meta:
        model = Channel
        fields = [
            "id",
            "kind",
            "name",
            "config",
            "is_active",
            "webhook_url",
            "previous_secret_until",
            "created_at",
        ]

    def get_webhook_url(self, channel: Channel) -> str:
        return channel_webhook_url(channel)


class ChannelWithSecretSerializer(ChannelOutputSerializer):
    class Meta(ChannelOutputSerializer.Meta):
        fields = [*ChannelOutputSerializer.Meta.fields, "secret"]


class ChannelInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(ADAPTERS))
    name = serializers.CharField(max_length=120)
    config = serializers.DictField(required=False, default=dict)
    secret = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ChannelUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    config = serializers.DictField(required=False)
    is_active = serializers.BooleanField(required=False)


class SecretRotateSerializer(serializers.Serializer):
    secret = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="The new secret (e.g. WhatsApp's app secret); generated when empty.",
    )
    grace_seconds = serializers.IntegerField(
        min_value=0,
        max_value=30 * 86400,
        required=False,
        allow_null=True,
        default=None,
        help_text="How long the old secret keeps verifying (default from the server).",
    )


class ChannelListCreateApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = ChannelOutputSerializer
    filter_backends = []
    queryset = Channel.objects.order_by("pk")

    @extend_schema(summary="Channels (secrets are never listed)")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ChannelOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a channel; the response is the only one showing its secret",
        request=ChannelInputSerializer,
        responses={201: ChannelWithSecretSerializer},
    )
    def post(self, request):
        data = ChannelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = channel_create(**data.validated_data)
        return Response(ChannelWithSecretSerializer(channel).data, status=status.HTTP_201_CREATED)


class ChannelDetailApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = ChannelOutputSerializer
    filter_backends = []

    @extend_schema(summary="One channel (without its secret)")
    def get(self, request, pk: int):
        return Response(ChannelOutputSerializer(get_object_or_404(Channel, pk=pk)).data)

    @extend_schema(
        summary="Rename, reconfigure, switch on or off",
        request=ChannelUpdateSerializer,
        responses=ChannelOutputSerializer,
    )
    def patch(self, request, pk: int):
        channel = get_object_or_404(Channel, pk=pk)
        data = ChannelUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = channel_update(channel=channel, values=data.validated_data, actor=request.user)
        return Response(ChannelOutputSerializer(channel).data)


class ChannelSecretRotateApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = ChannelWithSecretSerializer
    filter_backends = []

    @extend_schema(
        summary="Rotate the webhook secret; the old one verifies until previous_secret_until",
        request=SecretRotateSerializer,
        responses=ChannelWithSecretSerializer,
    )
    def post(self, request, pk: int):
        channel = get_object_or_404(Channel, pk=pk)
        data = SecretRotateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = channel_secret_rotate(
            channel=channel, actor=request.user, request=request, **data.validated_data
        )
        return Response(ChannelWithSecretSerializer(channel).data)
