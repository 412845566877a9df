"""A ticket's messages: list, public reply, internal note."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from tickets.api.common import visible_ticket_or_404
from tickets.models import Attachment, Message
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
            "ticket",
            "direction",
            "author_kind",
            "author",
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


class ReplyInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=100_000)
    internal = serializers.BooleanField(
        default=False, help_text="True stores an internal note instead (never sent)."
    )


class NoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=100_000)


class TicketMessagesApi(GenericAPIView):
    serializer_class = MessageSerializer
    filter_backends = []

    @extend_schema(summary="A ticket's messages and internal notes, oldest first")
    def get(self, request, pk: int):
        ticket = visible_ticket_or_404(request, pk)
        qs = (
            Message.objects.filter(ticket=ticket)
            .select_related("author")
            .prefetch_related("attachments")
            .order_by("created_at", "pk")
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(MessageSerializer(page, many=True).data)


class TicketReplyApi(GenericAPIView):
    serializer_class = MessageSerializer
    filter_backends = []

    @extend_schema(
        summary="Reply to the customer (queued for delivery through the ticket's channel)",
        request=ReplyInputSerializer,
        responses={201: MessageSerializer},
    )
    def post(self, request, pk: int):
        ticket = visible_ticket_or_404(request, pk)
        data = ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = ticket_reply(
            ticket=ticket,
            author=request.user,
            text=data.validated_data["text"],
            internal=data.validated_data["internal"],
        )
        message.refresh_from_db()
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class TicketNoteApi(GenericAPIView):
    serializer_class = MessageSerializer
    filter_backends = []

    @extend_schema(
        summary="Add an internal note (seen by the team, never sent to the customer)",
        request=NoteInputSerializer,
        responses={201: MessageSerializer},
    )
    def post(self, request, pk: int):
        ticket = visible_ticket_or_404(request, pk)
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = ticket_reply(
            ticket=ticket, author=request.user, text=data.validated_data["text"], internal=True
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
