"""CRM sync (customer upsert, admins) and personal-data requests (export and erasure of one
customer, managers and admins; both written to the audit log)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from helpdesk.api_parsers import contains_nul
from helpdesk.permissions import IsAdmin, IsManager
from tickets.api.customers import CustomerSerializer
from tickets.models import Customer
from tickets.services.crm import MAX_BATCH, customer_upsert, customer_upsert_many
from tickets.services.privacy import customer_data_export, customer_erase


class CustomerUpsertSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    language = serializers.CharField(max_length=10, required=False, allow_blank=True)
    attributes = serializers.DictField(
        required=False,
        help_text="CRM attributes shown on the customer card; replaces the stored ones.",
    )

    def validate_attributes(self, value):
        if contains_nul(value):
            raise serializers.ValidationError("Text may not contain NUL characters.")
        return value

    def validate(self, attrs):
        if not any((attrs.get(k) or "").strip() for k in ("external_id", "email", "phone")):
            raise serializers.ValidationError("Give an external_id, email or phone.")
        return attrs


class CustomerUpsertBatchSerializer(serializers.Serializer):
    customers = CustomerUpsertSerializer(many=True, max_length=MAX_BATCH, min_length=1)


class UpsertResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created = serializers.BooleanField()
    matched_by = serializers.ChoiceField(choices=["external_id", "email", "phone"], allow_null=True)
    customer = CustomerSerializer()


class UpsertBatchResultSerializer(serializers.Serializer):
    results = UpsertResultSerializer(many=True)


def _result(r) -> dict:
    return {
        "id": r.customer.pk,
        "created": r.created,
        "matched_by": r.matched_by,
        "customer": CustomerSerializer(r.customer).data,
    }


class CustomerUpsertApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = CustomerUpsertSerializer
    filter_backends = []

    @extend_schema(
        summary="Create or update customers from the CRM (one, or a batch of up to 1,000)",
        description=(
            "Matched by CRM id (`external_id`), then email, then phone among customers "
            "without another CRM id; no match creates a customer. A batch is stored all or "
            "nothing."
        ),
        request=PolymorphicProxySerializer(
            component_name="CustomerUpsertRequest",
            serializers=[CustomerUpsertSerializer, CustomerUpsertBatchSerializer],
            resource_type_field_name=None,
        ),
        responses=PolymorphicProxySerializer(
            component_name="CustomerUpsertResponse",
            serializers=[UpsertResultSerializer, UpsertBatchResultSerializer],
            resource_type_field_name=None,
        ),
    )
    def post(self, request):
        if isinstance(request.data, dict) and "customers" in request.data:
            batch = CustomerUpsertBatchSerializer(data=request.data)
            batch.is_valid(raise_exception=True)
            results = customer_upsert_many(items=batch.validated_data["customers"])
            return Response({"results": [_result(r) for r in results]})
        one = CustomerUpsertSerializer(data=request.data)
        one.is_valid(raise_exception=True)
        return Response(_result(customer_upsert(**one.validated_data)))


class _ProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    language = serializers.CharField()
    external_id = serializers.CharField()
    notes = serializers.CharField()
    crm_attributes = serializers.DictField()
    crm_synced_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    erased_at = serializers.DateTimeField(allow_null=True)
    linked_into = serializers.IntegerField(allow_null=True)


class _ChannelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()


class _IdentitySerializer(serializers.Serializer):
    channel = _ChannelSerializer()
    external_id = serializers.CharField()
    display_name = serializers.CharField()
    username = serializers.CharField()
    created_at = serializers.DateTimeField()


class _AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    stored = serializers.BooleanField()


class _MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.CharField()
    author_kind = serializers.CharField()
    internal = serializers.BooleanField()
    text = serializers.CharField()
    html = serializers.CharField()
    sent_at = serializers.DateTimeField()
    attachments = _AttachmentSerializer(many=True)


class _TicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField()
    channel = _ChannelSerializer()
    tags = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    solved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    messages = _MessageSerializer(many=True)


class _SurveyAnswerSerializer(serializers.Serializer):
    kind = serializers.CharField()
    score = serializers.IntegerField()
    comment = serializers.CharField()
    ticket_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class CustomerDataSerializer(serializers.Serializer):
    """Everything held about one person (docs/import.md, personal-data requests)."""

    format = serializers.CharField()
    exported_at = serializers.DateTimeField()
    customer = _ProfileSerializer()
    linked_customers = _ProfileSerializer(many=True)
    identities = _IdentitySerializer(many=True)
    tickets = _TicketSerializer(many=True)
    survey_answers = _SurveyAnswerSerializer(many=True)


class CustomerDataExportApi(GenericAPIView):
    permission_classes = [IsManager]
    serializer_class = CustomerDataSerializer
    filter_backends = []

    @extend_schema(
        summary="A customer's full personal-data export (logged as customer.exported)",
        request=None,
        responses=CustomerDataSerializer,
    )
    def post(self, request, pk: int):
        customer = get_object_or_404(Customer, pk=pk)
        data = customer_data_export(customer=customer, actor=request.user, request=request)
        response = Response(data)
        response["Content-Disposition"] = f'attachment; filename="customer-{pk}.json"'
        return response


class EraseInputSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(help_text="Must be true: erasure cannot be undone.")

    def validate_confirm(self, value):
        if value is not True:
            raise serializers.ValidationError("Confirm the erasure with true.")
        return value


class CustomerEraseApi(GenericAPIView):
    permission_classes = [IsManager]
    serializer_class = EraseInputSerializer
    filter_backends = []

    @extend_schema(
        summary="Erase a customer's personal data (logged as customer.erased)",
        description=(
            "Anonymises the customer and the customers linked into it, blanks the texts of "
            "their tickets' messages, deletes attachment files; tickets stay for metrics."
        ),
        request=EraseInputSerializer,
        responses=CustomerSerializer,
    )
    def post(self, request, pk: int):
        customer = get_object_or_404(Customer, pk=pk)
        EraseInputSerializer(data=request.data).is_valid(raise_exception=True)
        customer = customer_erase(customer=customer, actor=request.user, request=request)
        return Response(CustomerSerializer(customer).data)
