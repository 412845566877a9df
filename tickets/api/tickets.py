"""Ticket endpoints: the list with the queue's filters (keyset pages), create, one ticket with
its messages, changes through the ticket services, merge."""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from helpdesk.api_pagination import KeysetPagination
from tickets.api.common import (
    AssigneeField,
    ChannelRefSerializer,
    CustomerRefSerializer,
    visible_ticket_or_404,
    visible_tickets,
)
from tickets.api.messages import MessageSerializer
from tickets.filters import TicketFilter
from tickets.models import (
    Channel,
    Customer,
    Direction,
    Message,
    Priority,
    Status,
    Tag,
    Team,
    Ticket,
)
from tickets.selectors import ticket_get, ticket_list
from tickets.services import (
    message_split,
    ticket_assign,
    ticket_merge,
    ticket_set_priority,
    ticket_set_status,
    ticket_set_tags,
    ticket_set_team,
)
from tickets.services.ticket_edit import ticket_open, ticket_set_subject


class ApiTicketFilter(TicketFilter):
    """The queue's filters; several statuses or priorities read as one `IN`, without DISTINCT
    (one value per ticket cannot duplicate rows), so the active-ticket indexes apply."""

    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, method="filter_in", distinct=False
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, method="filter_in", distinct=False
    )

    def filter_in(self, queryset, name, value):
        return queryset.filter(**{f"{name}__in": value}) if value else queryset


class TicketSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer(read_only=True)
    channel = ChannelRefSerializer(read_only=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "status",
            "priority",
            "customer",
            "channel",
            "team",
            "assignee",
            "tags",
            "created_at",
            "updated_at",
            "first_customer_message_at",
            "first_response_at",
            "solved_at",
            "closed_at",
            "reopen_count",
            "last_message_preview",
            "sla_due_at",
            "merged_into",
            "external_id",
        ]


class TicketDetailSerializer(TicketSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages"]


class TagNamesField(serializers.ListField):
    child = serializers.CharField(max_length=60)

    def to_internal_value(self, data):
        names = list(dict.fromkeys(n.strip() for n in super().to_internal_value(data)))
        tags = list(Tag.objects.filter(name__in=names))
        unknown = sorted(set(names) - {t.name for t in tags})
        if unknown:
            raise serializers.ValidationError(f"Unknown tags: {', '.join(unknown)}.")
        return tags


class TicketCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    channel = serializers.PrimaryKeyRelatedField(queryset=Channel.objects.all())
    text = serializers.CharField(max_length=100_000, help_text="The first message.")
    direction = serializers.ChoiceField(
        choices=Direction.choices,
        default=Direction.INBOUND,
        help_text="in: the customer's request taken down by the operator; out: the operator "
        "writes first (delivered through the channel).",
    )
    subject = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True, default=None
    )
    assignee = AssigneeField(required=False, allow_null=True, default=None)
    tags = TagNamesField(required=False, default=list)


class TicketUpdateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=255, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    assignee = AssigneeField(required=False, allow_null=True)
    tags = TagNamesField(required=False, help_text="The ticket's full set of tag names.")


class TicketMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="The ticket that receives this one.")


@extend_schema_view(
    get=extend_schema(summary="Tickets, filtered like the queue", responses=TicketSerializer),
    post=extend_schema(
        summary="Open a ticket for a customer",
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer},
    ),
)
class TicketListApi(GenericAPIView):
    serializer_class = TicketSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApiTicketFilter
    pagination_class = KeysetPagination
    # Newest first reads the created_at index at any size; the queue's order (priority, then
    # oldest) sorts every matching row, so it suits a filter on active statuses.
    keyset_default = "-created"
    keyset_orderings = {
        "-created": ("-created_at", "-id"),
        "created": ("created_at", "id"),
        "priority": ("priority_rank", "created_at", "id"),
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Ticket.objects.none()
        return visible_tickets(self.request, ticket_list())

    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TicketSerializer(page, many=True).data)

    def post(self, request):
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_open(actor=request.user, **data.validated_data)
        return Response(
            TicketDetailSerializer(ticket_get(ticket_id=ticket.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class TicketDetailApi(GenericAPIView):
    serializer_class = TicketDetailSerializer
    filter_backends = []

    @extend_schema(summary="One ticket with its messages and notes")
    def get(self, request, pk: int):
        ticket = visible_ticket_or_404(request, pk)
        return Response(TicketDetailSerializer(ticket_get(ticket_id=ticket.pk)).data)

    @extend_schema(
        summary="Change subject, status, priority, team, assignee or tags",
        request=TicketUpdateSerializer,
        responses=TicketDetailSerializer,
    )
    def patch(self, request, pk: int):
        ticket = visible_ticket_or_404(request, pk)
        data = TicketUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        actor = request.user
        with transaction.atomic():
            if "subject" in d:
                ticket = ticket_set_subject(ticket=ticket, subject=d["subject"], actor=actor)
            if "priority" in d:
                ticket = ticket_set_priority(ticket=ticket, priority=d["priority"], actor=actor)
            if "team" in d:
                ticket = ticket_set_team(ticket=ticket, team=d["team"], actor=actor)
            if "assignee" in d:
                ticket = ticket_assign(ticket=ticket, assignee=d["assignee"], actor=actor)
            if "tags" in d:
                current = list(ticket.tags.all())
                wanted = d["tags"]
                ticket = ticket_set_tags(
                    ticket=ticket,
                    add=wanted,
                    remove=[t for t in current if t not in wanted],
                    actor=actor,
                )
            if "status" in d:
                ticket = ticket_set_status(ticket=ticket, status=d["status"], actor=actor)
        return Response(TicketDetailSerializer(ticket_get(ticket_id=ticket.pk)).data)


class TicketMergeApi(GenericAPIView):
    serializer_class = TicketDetailSerializer
    filter_backends = []

    @extend_schema(
        summary="Merge this ticket into another (this one is closed)",
        request=TicketMergeSerializer,
        responses=TicketDetailSerializer,
    )
    def post(self, request, pk: int):
        source = visible_ticket_or_404(request, pk)
        data = TicketMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = Ticket.objects.filter(pk=data.validated_data["into"]).first()
        if target is None or not visible_tickets(request).filter(pk=target.pk).exists():
            raise serializers.ValidationError({"into": ["No such ticket."]})
        target = ticket_merge(source=source, target=target, actor=request.user)
        return Response(TicketDetailSerializer(ticket_get(ticket_id=target.pk)).data)


class MessageSplitApi(GenericAPIView):
    serializer_class = TicketDetailSerializer
    filter_backends = []

    @extend_schema(
        summary="Move one customer message into a new ticket",
        request=None,
        responses={201: TicketDetailSerializer},
    )
    def post(self, request, pk: int, message_id: int):
        ticket = visible_ticket_or_404(request, pk)
        message = get_object_or_404(Message, pk=message_id, ticket=ticket)
        new = message_split(message=message, actor=request.user)
        return Response(
            TicketDetailSerializer(ticket_get(ticket_id=new.pk)).data,
            status=status.HTTP_201_CREATED,
        )
