"""Shared pieces of the tickets API: visibility-checked lookups and small nested shapes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import Channel, Customer, Ticket
from tickets.selectors import operator_users
from tickets.visibility import ticket_visible, tickets_visible_to


def visible_ticket_or_404(request, pk: int, queryset=None) -> Ticket:
    """The ticket if the user may see it; 404 otherwise (never 403: no existence leak)."""
    qs = Ticket.objects.all() if queryset is None else queryset
    ticket = qs.filter(pk=pk).first()
    if ticket is None or not ticket_visible(request.user, ticket):
        raise Http404
    return ticket


def visible_tickets(request, queryset=None):
    return tickets_visible_to(request.user, queryset)


class UserRefSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "name"]

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class CustomerRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone"]


class ChannelRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["id", "kind", "name"]


@extend_schema_field(OpenApiTypes.INT)
class AssigneeField(serializers.PrimaryKeyRelatedField):
    """A user id among those who may work tickets (operator role or higher)."""

    def get_queryset(self):
        return operator_users()


class TicketIdSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, help_text="A ticket id.")
