"""SLA policies over the API: managers read them, admins change them."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from helpdesk.permissions import ManagerReadsAdminWrites
from sla.models import BusinessCalendar, EscalationStep, SlaPolicy
from sla.services.policies import sla_policy_delete, sla_policy_save
from tickets.models import ChannelKind, Priority, Tag, Team


class EscalationStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationStep
        fields = ["id", "metric", "level", "after_minutes", "position", "action", "tag", "team"]


class SlaPolicySerializer(serializers.ModelSerializer):
    priorities = serializers.ListField(
        child=serializers.ChoiceField(choices=Priority.choices),
        required=False,
        help_text="Empty: any priority.",
    )
    channel_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=ChannelKind.choices),
        required=False,
        help_text="Empty: any channel kind.",
    )
    teams = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Team.objects.all(), required=False
    )
    tags = serializers.PrimaryKeyRelatedField(many=True, queryset=Tag.objects.all(), required=False)
    escalations = EscalationStepSerializer(many=True, read_only=True)

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "position",
            "is_active",
            "priorities",
            "channel_kinds",
            "teams",
            "tags",
            "first_response_minutes",
            "next_response_minutes",
            "resolution_minutes",
            "business_hours",
            "calendar",
            "warn_percent",
            "escalations",
            "updated_at",
        ]
        read_only_fields = ["id", "escalations", "updated_at"]


class CalendarSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "time_zone"]


def _policies():
    return SlaPolicy.objects.prefetch_related(
        Prefetch("teams", Team.objects.only("pk")),
        Prefetch("tags", Tag.objects.only("pk")),
        "escalations",
    )


def _save(request, policy: SlaPolicy | None, data: SlaPolicySerializer) -> SlaPolicy:
    d = dict(data.validated_data)
    teams = d.pop("teams", None)
    tags = d.pop("tags", None)
    return sla_policy_save(policy=policy, values=d, teams=teams, tags=tags, actor=request.user)


class SlaPolicyListApi(GenericAPIView):
    permission_classes = [ManagerReadsAdminWrites]
    serializer_class = SlaPolicySerializer
    filter_backends = []

    @extend_schema(summary="SLA policies, first match first")
    def get(self, request):
        page = self.paginate_queryset(_policies().order_by("position", "pk"))
        return self.get_paginated_response(SlaPolicySerializer(page, many=True).data)

    @extend_schema(
        summary="Create an SLA policy",
        request=SlaPolicySerializer,
        responses={201: SlaPolicySerializer},
    )
    def post(self, request):
        data = SlaPolicySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = _save(request, None, data)
        return Response(
            SlaPolicySerializer(_policies().get(pk=policy.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class SlaPolicyDetailApi(GenericAPIView):
    permission_classes = [ManagerReadsAdminWrites]
    serializer_class = SlaPolicySerializer
    filter_backends = []

    @extend_schema(summary="One SLA policy")
    def get(self, request, pk: int):
        return Response(SlaPolicySerializer(get_object_or_404(_policies(), pk=pk)).data)

    @extend_schema(
        summary="Change an SLA policy (applies to clocks started afterwards)",
        request=SlaPolicySerializer,
        responses=SlaPolicySerializer,
    )
    def patch(self, request, pk: int):
        policy = get_object_or_404(SlaPolicy, pk=pk)
        data = SlaPolicySerializer(policy, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        _save(request, policy, data)
        return Response(SlaPolicySerializer(_policies().get(pk=pk)).data)

    @extend_schema(summary="Delete an SLA policy", responses={204: None})
    def delete(self, request, pk: int):
        sla_policy_delete(policy=get_object_or_404(SlaPolicy, pk=pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarListApi(GenericAPIView):
    permission_classes = [ManagerReadsAdminWrites]
    serializer_class = CalendarSerializer
    filter_backends = []

    @extend_schema(summary="Business-hours calendars (for a policy's `calendar`)")
    def get(self, request):
        page = self.paginate_queryset(BusinessCalendar.objects.order_by("name", "pk"))
        return self.get_paginated_response(CalendarSerializer(page, many=True).data)
