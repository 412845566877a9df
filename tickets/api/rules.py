"""Automation rules (admins): list, create, change, delete, and a dry run on a sample message."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from helpdesk.permissions import IsAdmin
from tickets.automation.models import Rule, Trigger
from tickets.models import Channel, Priority, Status
from tickets.rules.dry_run import rules_dry_run
from tickets.services.config import config_delete, rule_save

_ITEMS_HELP = 'A list of objects with a "type", e.g. [{"type": "add_tag", "tag": "delivery"}].'


class RuleSerializer(serializers.ModelSerializer):
    conditions = serializers.ListField(
        child=serializers.DictField(), required=False, help_text=_ITEMS_HELP
    )
    actions = serializers.ListField(child=serializers.DictField(), help_text=_ITEMS_HELP)

    class Meta:
        model = Rule
        fields = [
            "id",
            "name",
            "is_active",
            "position",
            "trigger",
            "match",
            "conditions",
            "actions",
            "stop_processing",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]


class ConditionOutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    type = serializers.CharField()
    params = serializers.DictField()
    matched = serializers.BooleanField()


class ActionOutSerializer(serializers.Serializer):
    type = serializers.CharField()
    params = serializers.DictField()


class RuleOutcomeSerializer(serializers.Serializer):
    rule = serializers.IntegerField(allow_null=True, help_text="The rule id.")
    name = serializers.CharField()
    matched = serializers.BooleanField()
    conditions = ConditionOutcomeSerializer(many=True)
    actions = ActionOutSerializer(many=True)


class DryRunSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, allow_blank=True)
    trigger = serializers.ChoiceField(choices=Trigger.choices, default=Trigger.MESSAGE_RECEIVED)
    channel = serializers.PrimaryKeyRelatedField(
        queryset=Channel.objects.all(), required=False, allow_null=True, default=None
    )
    customer_is_repeat = serializers.BooleanField(default=False)
    customer_tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    customer_language = serializers.CharField(max_length=10, required=False, default="")
    business_hours = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="null: as the calendar says now"
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    status = serializers.ChoiceField(choices=Status.choices, default=Status.NEW)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    rules = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="Only these rules (default: the trigger's active rules).",
    )


class RuleListApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = RuleSerializer
    filter_backends = []

    @extend_schema(summary="Rules in the order they run")
    def get(self, request):
        qs = Rule.objects.order_by("position", "pk")
        trigger = request.query_params.get("trigger")
        if trigger in Trigger.values:
            qs = qs.filter(trigger=trigger)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(RuleSerializer(page, many=True).data)

    @extend_schema(summary="Create a rule", request=RuleSerializer, responses={201: RuleSerializer})
    def post(self, request):
        data = RuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = rule_save(values=data.validated_data, actor=request.user)
        return Response(RuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = RuleSerializer
    filter_backends = []

    @extend_schema(summary="One rule")
    def get(self, request, pk: int):
        return Response(RuleSerializer(get_object_or_404(Rule, pk=pk)).data)

    @extend_schema(summary="Change a rule", request=RuleSerializer, responses=RuleSerializer)
    def patch(self, request, pk: int):
        rule = get_object_or_404(Rule, pk=pk)
        data = RuleSerializer(rule, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rule = rule_save(rule=rule, values=data.validated_data, actor=request.user)
        return Response(RuleSerializer(rule).data)

    @extend_schema(summary="Delete a rule", responses={204: None})
    def delete(self, request, pk: int):
        config_delete(instance=get_object_or_404(Rule, pk=pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleDryRunApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = RuleOutcomeSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Which rules would match a sample message, and what they would do",
        request=DryRunSerializer,
        responses=RuleOutcomeSerializer(many=True),
    )
    def post(self, request):
        data = DryRunSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        rule_ids = d.pop("rules") or None
        results = rules_dry_run(rule_ids=rule_ids, **d)
        body = [
            {
                "rule": r.rule.id,
                "name": r.rule.name,
                "matched": r.matched,
                "conditions": [
                    {"index": c.index, "type": c.type, "params": c.params, "matched": c.matched}
                    for c in r.conditions
                ],
                "actions": [{"type": a.type, "params": a.params} for a in r.actions],
            }
            for r in results
        ]
        return Response(body)
