"""GET/POST /api/channels/: admins list and configure customer channels."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from channels_in.registry import ADAPTERS
from channels_in.services import channel_create, channel_webhook_url
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
            "secret",
            "is_active",
            "webhook_url",
            "created_at",
        ]

    def get_webhook_url(self, channel: Channel) -> str:
        return channel_webhook_url(channel)


class ChannelInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(ADAPTERS))
    name = serializers.CharField(max_length=120)
    config = serializers.DictField(required=False, default=dict)
    secret = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ChannelListCreateApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = ChannelOutputSerializer
    queryset = Channel.objects.order_by("pk")

    @extend_schema(responses=ChannelOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ChannelOutputSerializer(page, many=True).data)

    @extend_schema(request=ChannelInputSerializer, responses={201: ChannelOutputSerializer})
    def post(self, request):
        data = ChannelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = channel_create(**data.validated_data)
        return Response(ChannelOutputSerializer(channel).data, status=201)
