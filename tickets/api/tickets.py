"""Ticket endpoints: list with the queue's filters, one ticket with messages, reply."""

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets.filters import TicketFilter
from tickets.models import Attachment, Message, Ticket
from tickets.selectors import ticket_get, ticket_list
from tickets.services import ticket_reply


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "url"]


class MessageSerializer(serializers.ModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "direction",
            "author_kind",
            "author_name",
            "is_internal",
            "text",
            "html",
            "external_id",
            "delivery_status",
            "delivery_error",
            "sent_at",
            "created_at",
            "attachments",
        ]

    def get_author_name(self, message: Message) -> str:
        if message.author:
            return message.author.get_full_name() or message.author.get_username()
        return ""


class TicketSerializer(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    channel = serializers.SerializerMethodField()
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
        ]

    def get_customer(self, ticket: Ticket) -> dict:
        c = ticket.customer
        return {"id": c.pk, "name": c.name, "email": c.email, "phone": c.phone}

    def get_channel(self, ticket: Ticket) -> dict:
        return {"id": ticket.channel_id, "kind": ticket.channel.kind, "name": ticket.channel.name}


class TicketDetailSerializer(TicketSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages"]


class TicketListApi(ListAPIView):
    serializer_class = TicketSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TicketFilter

    def get_queryset(self):
        return ticket_list()


class TicketDetailApi(RetrieveAPIView):
    serializer_class = TicketDetailSerializer

    def get_object(self):
        ticket = get_object_or_404(Ticket.objects.only("pk"), pk=self.kwargs["pk"])
        return ticket_get(ticket_id=ticket.pk)


class ReplyInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=100_000)
    internal = serializers.BooleanField(default=False)


class TicketReplyApi(APIView):
    @extend_schema(request=ReplyInputSerializer, responses={201: MessageSerializer})
    def post(self, request, pk: int):
        ticket = get_object_or_404(Ticket, pk=pk)
        data = ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = ticket_reply(
            ticket=ticket,
            author=request.user,
            text=data.validated_data["text"],
            internal=data.validated_data["internal"],
        )
        message.refresh_from_db()
        return Response(MessageSerializer(message).data, status=201)
