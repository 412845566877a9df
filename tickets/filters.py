"""Ticket filters shared by the queue page and the API."""

import django_filters
from django.db.models import Q

from tickets.models import Channel, Priority, Status, Tag, Team, Ticket


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
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
        matching = Ticket.objects.filter(messages__text__icontains=value).values("pk")
        return queryset.filter(
            Q(subject__icontains=value)
            | Q(customer__name__icontains=value)
            | Q(customer__email__icontains=value)
            | Q(pk__in=matching)
        )
