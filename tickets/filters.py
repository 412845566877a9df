"""Ticket filters shared by the queue page and the API."""

import django_filters
from django.db.models import Q

from tickets.models import Channel, Customer, Message, Priority, Status, Tag, Team, Ticket


def ticket_search_ids(value: str):
    """Ids of the tickets whose subject, customer (name or email) or any message text contains
    `value` (case-insensitive), as one subquery: a union of one lookup per field, so that on
    PostgreSQL each part is answered by its trigram index (migration 0008) rather than by
    scanning every ticket for an OR of the four conditions. The ids may repeat; `pk__in`
    does not mind."""
    by_subject = Ticket.objects.filter(subject__icontains=value).values("pk")
    customers = Customer.objects.filter(Q(name__icontains=value) | Q(email__icontains=value))
    by_customer = Ticket.objects.filter(customer__in=customers.values("pk")).values("pk")
    by_message = Message.objects.filter(text__icontains=value).order_by().values("ticket_id")
    return by_subject.order_by().union(by_customer.order_by(), by_message, all=True)


class TicketFilter(django_filters.FilterSet):
    # No joins behind these two: DISTINCT (the default of multiple-choice filters) would
    # only stop PostgreSQL from reading the first page in index order.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    channel = django_filters.ModelChoiceFilter(queryset=Channel.objects.all())
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    assignee = django_filters.CharFilter(
        method="filter_assignee", help_text="me, none or a user id"
    )
    tag = django_filters.ModelChoiceFilter(queryset=Tag.objects.all(), field_name="tags")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="filter_q", help_text="subject, customer or message text")

    class Meta:
        model = Ticket
        fields = ["status", "priority", "channel", "team", "assignee", "tag"]

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.request.user if self.request else None)
        if value in ("none", "unassigned"):
            return queryset.filter(assignee__isnull=True)
        if value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset.none()

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(pk__in=ticket_search_ids(value))
