"""Canned responses: global, per team or personal. Operators search and use the ones they
may see and keep their personal ones; shared (team or global) ones are admin configuration."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from helpdesk.roles import ADMIN, has_role
from tickets.api.common import TicketIdSerializer, visible_ticket_or_404
from tickets.models import CannedResponse, Team
from tickets.selectors import agent_team_ids
from tickets.services import canned_use
from tickets.services.config import canned_save, config_delete


class CannedSerializer(serializers.ModelSerializer):
    personal = serializers.SerializerMethodField()

    class Meta:
        model = CannedResponse
        fields = [
            "id",
            "title",
            "shortcut",
            "body",
            "team",
            "owner",
            "personal",
            "usage_count",
            "created_at",
        ]

    def get_personal(self, canned: CannedResponse) -> bool:
        return canned.owner_id is not None


class CannedInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    shortcut = serializers.SlugField(max_length=40)
    body = serializers.CharField(max_length=20_000)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True, default=None
    )
    personal = serializers.BooleanField(
        default=True, help_text="Only for me (default). Shared responses need the admin role."
    )


class CannedUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120, required=False)
    shortcut = serializers.SlugField(max_length=40, required=False)
    body = serializers.CharField(max_length=20_000, required=False)


class CannedUseSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The body with the ticket's placeholders filled in.")


def _visible(user):
    team_ids = agent_team_ids(user=user)
    visible = Q(team__isnull=True, owner__isnull=True) | Q(owner=user)
    if team_ids:
        visible |= Q(team_id__in=team_ids, owner__isnull=True)
    if has_role(user, ADMIN):
        visible |= Q(owner__isnull=True)  # admins manage every shared response
    return CannedResponse.objects.filter(visible)


def _get(request, pk: int) -> CannedResponse:
    canned = _visible(request.user).filter(pk=pk).first()
    if canned is None:
        raise Http404
    return canned


def _check_may_change(request, canned: CannedResponse) -> None:
    if canned.owner_id == request.user.pk:
        return
    if canned.owner_id is None and has_role(request.user, ADMIN):
        return
    raise PermissionDenied("Shared canned responses are changed by admins.")


class CannedListApi(GenericAPIView):
    serializer_class = CannedSerializer
    filter_backends = []

    @extend_schema(
        summary="Canned responses I may use, most used first",
        parameters=[
            OpenApiParameter(
                "q", str, description="`/prefix` matches shortcuts; other text a keyword"
            ),
            OpenApiParameter("team", int, description="only this team's responses"),
            OpenApiParameter("personal", bool, description="only my personal responses"),
        ],
    )
    def get(self, request):
        qs = _visible(request.user)
        p = request.query_params
        query = (p.get("q") or "").strip()
        if query.startswith("/"):
            qs = qs.filter(shortcut__istartswith=query[1:])
        elif query:
            qs = qs.filter(
                Q(title__icontains=query) | Q(shortcut__icontains=query) | Q(body__icontains=query)
            )
        if p.get("team", "").isdigit():
            qs = qs.filter(team_id=int(p["team"]))
        if p.get("personal") in ("true", "1"):
            qs = qs.filter(owner=request.user)
        page = self.paginate_queryset(qs.order_by("-usage_count", "title", "pk"))
        return self.get_paginated_response(CannedSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a canned response (personal, or shared by an admin)",
        request=CannedInputSerializer,
        responses={201: CannedSerializer},
    )
    def post(self, request):
        data = CannedInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        personal = d.pop("personal")
        if not personal and not has_role(request.user, ADMIN):
            raise PermissionDenied("Shared canned responses are created by admins.")
        if personal and d["team"] is not None:
            raise serializers.ValidationError({"team": ["A personal response has no team."]})
        d["owner"] = request.user if personal else None
        canned = canned_save(values=d, actor=request.user)
        return Response(CannedSerializer(canned).data, status=status.HTTP_201_CREATED)


class CannedDetailApi(GenericAPIView):
    serializer_class = CannedSerializer
    filter_backends = []

    @extend_schema(summary="One canned response")
    def get(self, request, pk: int):
        return Response(CannedSerializer(_get(request, pk)).data)

    @extend_schema(
        summary="Change a canned response",
        request=CannedUpdateSerializer,
        responses=CannedSerializer,
    )
    def patch(self, request, pk: int):
        canned = _get(request, pk)
        _check_may_change(request, canned)
        data = CannedUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        canned = canned_save(canned=canned, values=data.validated_data, actor=request.user)
        return Response(CannedSerializer(canned).data)

    @extend_schema(summary="Delete a canned response", responses={204: None})
    def delete(self, request, pk: int):
        canned = _get(request, pk)
        _check_may_change(request, canned)
        config_delete(instance=canned, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CannedUseApi(GenericAPIView):
    serializer_class = CannedUseSerializer
    filter_backends = []

    @extend_schema(
        summary="Fill a canned response in for a ticket (counts one use)",
        request=TicketIdSerializer,
        responses=CannedUseSerializer,
    )
    def post(self, request, pk: int):
        canned = _get(request, pk)
        data = TicketIdSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = visible_ticket_or_404(request, data.validated_data["ticket"])
        text = canned_use(canned=canned, ticket=ticket, agent=request.user)
        return Response({"text": text})
