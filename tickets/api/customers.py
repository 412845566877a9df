"""Customers: list and search, one customer with identities and ticket history, changes,
linking two customers as one person, and their channel identities."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from tickets.api.common import ChannelRefSerializer, visible_tickets
from tickets.models import Channel, Customer, CustomerIdentity, Ticket
from tickets.services import customer_merge
from tickets.services.config import (
    customer_identity_add,
    customer_identity_remove,
    customer_update,
)

HISTORY_LIMIT = 50


class IdentitySerializer(serializers.ModelSerializer):
    channel = ChannelRefSerializer(read_only=True)

    class Meta:
        model = CustomerIdentity
        fields = ["id", "channel", "external_id", "display_name", "username", "created_at"]


class IdentityInputSerializer(serializers.Serializer):
    channel = serializers.PrimaryKeyRelatedField(queryset=Channel.objects.all())
    external_id = serializers.CharField(max_length=255)
    display_name = serializers.CharField(max_length=200, required=False, default="")
    username = serializers.CharField(max_length=200, required=False, default="")


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "language",
            "external_id",
            "notes",
            "crm_attributes",
            "crm_synced_at",
            "merged_into",
            "erased_at",
            "created_at",
        ]
        read_only_fields = ["id", "crm_attributes", "crm_synced_at", "merged_into", "erased_at"]


class CustomerTicketSerializer(serializers.ModelSerializer):
    channel = ChannelRefSerializer(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "status",
            "priority",
            "channel",
            "created_at",
            "solved_at",
            "merged_into",
            "last_message_preview",
        ]


class CustomerDetailSerializer(CustomerSerializer):
    identities = IdentitySerializer(many=True, read_only=True)
    tickets = CustomerTicketSerializer(
        many=True,
        read_only=True,
        source="ticket_history",
        help_text=f"Tickets the user may see, newest first (at most {HISTORY_LIMIT}).",
    )

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "identities", "tickets"]


class CustomerUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["name", "email", "phone", "language", "external_id", "notes"]
        extra_kwargs = {f: {"required": False} for f in fields}


class CustomerMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(
        min_value=1, help_text="The customer who survives and receives this one's tickets."
    )


def _customer_detail(request, pk: int) -> Customer:
    customer = get_object_or_404(
        Customer.objects.prefetch_related(
            Prefetch(
                "identities",
                queryset=CustomerIdentity.objects.select_related("channel").order_by("pk"),
            )
        ),
        pk=pk,
    )
    customer.ticket_history = list(
        visible_tickets(request, Ticket.objects.filter(customer=customer))
        .select_related("channel")
        .order_by("-created_at", "-pk")[:HISTORY_LIMIT]
    )
    return customer


class CustomerListApi(GenericAPIView):
    serializer_class = CustomerSerializer
    filter_backends = []

    @extend_schema(
        summary="Customers, newest first; search by name, email, phone or CRM id",
        parameters=[
            OpenApiParameter("q", str, description="part of name, email, phone or CRM id"),
            OpenApiParameter("email", str, description="exact email (case-insensitive)"),
            OpenApiParameter("phone", str, description="exact phone"),
            OpenApiParameter("external_id", str, description="exact CRM id"),
            OpenApiParameter(
                "include_linked", bool, description="also customers linked into another one"
            ),
        ],
    )
    def get(self, request):
        p = request.query_params
        qs = Customer.objects.order_by("-created_at", "-pk")
        if p.get("include_linked") not in ("true", "1"):
            qs = qs.filter(merged_into__isnull=True)
        q = (p.get("q") or "").strip()
        if q:
            qs = qs.filter(
                Q(name__icontains=q)
                | Q(email__icontains=q)
                | Q(phone__icontains=q)
                | Q(external_id=q)
            )
        if p.get("email"):
            qs = qs.filter(email__iexact=p["email"])
        if p.get("phone"):
            qs = qs.filter(phone=p["phone"])
        if p.get("external_id"):
            qs = qs.filter(external_id=p["external_id"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CustomerSerializer(page, many=True).data)


class CustomerDetailApi(GenericAPIView):
    serializer_class = CustomerDetailSerializer
    filter_backends = []

    @extend_schema(summary="One customer with channel identities and ticket history")
    def get(self, request, pk: int):
        return Response(CustomerDetailSerializer(_customer_detail(request, pk)).data)

    @extend_schema(
        summary="Change contact details, language, CRM id or notes",
        request=CustomerUpdateSerializer,
        responses=CustomerDetailSerializer,
    )
    def patch(self, request, pk: int):
        customer = get_object_or_404(Customer, pk=pk)
        data = CustomerUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        customer_update(customer=customer, values=data.validated_data, actor=request.user)
        return Response(CustomerDetailSerializer(_customer_detail(request, pk)).data)


class CustomerMergeApi(GenericAPIView):
    serializer_class = CustomerDetailSerializer
    filter_backends = []

    @extend_schema(
        summary="Link this customer into another (the same person): tickets and identities move",
        request=CustomerMergeSerializer,
        responses=CustomerDetailSerializer,
    )
    def post(self, request, pk: int):
        source = get_object_or_404(Customer, pk=pk)
        data = CustomerMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = Customer.objects.filter(pk=data.validated_data["into"]).first()
        if target is None:
            raise serializers.ValidationError({"into": ["No such customer."]})
        target = customer_merge(source=source, target=target, actor=request.user)
        return Response(CustomerDetailSerializer(_customer_detail(request, target.pk)).data)


class CustomerIdentityListApi(GenericAPIView):
    serializer_class = IdentitySerializer
    filter_backends = []

    @extend_schema(summary="The customer's channel identities")
    def get(self, request, pk: int):
        customer = get_object_or_404(Customer, pk=pk)
        qs = customer.identities.select_related("channel").order_by("pk")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(IdentitySerializer(page, many=True).data)

    @extend_schema(
        summary="Link a channel account to the customer",
        request=IdentityInputSerializer,
        responses={201: IdentitySerializer},
    )
    def post(self, request, pk: int):
        customer = get_object_or_404(Customer, pk=pk)
        data = IdentityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = customer_identity_add(customer=customer, **data.validated_data)
        return Response(IdentitySerializer(identity).data, status=status.HTTP_201_CREATED)


class CustomerIdentityDetailApi(GenericAPIView):
    serializer_class = IdentitySerializer
    filter_backends = []

    @extend_schema(summary="Unlink a channel account from the customer", responses={204: None})
    def delete(self, request, pk: int, identity_id: int):
        identity = get_object_or_404(CustomerIdentity, pk=identity_id, customer_id=pk)
        customer_identity_remove(identity=identity)
        return Response(status=status.HTTP_204_NO_CONTENT)
