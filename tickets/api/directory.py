"""Teams, agents and tags: operators read them (to pick in a ticket), admins change them."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from helpdesk.permissions import OperatorReadsAdminWrites
from tickets.api.common import UserRefSerializer
from tickets.models import ACTIVE_STATUSES, AgentProfile, OnlineState, Tag, Team
from tickets.services.config import agent_update, config_delete, tag_save, team_save

# --- teams ----------------------------------------------------------------------------------


class TeamSerializer(serializers.ModelSerializer):
    agents = serializers.SerializerMethodField(help_text="Agent profile ids in the team.")

    class Meta:
        model = Team
        fields = ["id", "name", "created_at", "agents"]

    def get_agents(self, team: Team) -> list[int]:
        return [a.pk for a in team.agents.all()]


class TeamInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)


def _teams():
    return Team.objects.prefetch_related(Prefetch("agents", AgentProfile.objects.only("pk", "id")))


class TeamListApi(GenericAPIView):
    permission_classes = [OperatorReadsAdminWrites]
    serializer_class = TeamSerializer
    filter_backends = []

    @extend_schema(summary="Teams")
    def get(self, request):
        page = self.paginate_queryset(_teams().order_by("name", "pk"))
        return self.get_paginated_response(TeamSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a team", request=TeamInputSerializer, responses={201: TeamSerializer}
    )
    def post(self, request):
        data = TeamInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = team_save(name=data.validated_data["name"], actor=request.user)
        return Response(TeamSerializer(_teams().get(pk=team.pk)).data, status=201)


class TeamDetailApi(GenericAPIView):
    permission_classes = [OperatorReadsAdminWrites]
    serializer_class = TeamSerializer
    filter_backends = []

    @extend_schema(summary="One team")
    def get(self, request, pk: int):
        return Response(TeamSerializer(get_object_or_404(_teams(), pk=pk)).data)

    @extend_schema(summary="Rename a team", request=TeamInputSerializer, responses=TeamSerializer)
    def patch(self, request, pk: int):
        team = get_object_or_404(Team, pk=pk)
        data = TeamInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team_save(team=team, name=data.validated_data["name"], actor=request.user)
        return Response(TeamSerializer(_teams().get(pk=pk)).data)

    @extend_schema(summary="Delete a team (its tickets keep no team)", responses={204: None})
    def delete(self, request, pk: int):
        config_delete(instance=get_object_or_404(Team, pk=pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- agents ---------------------------------------------------------------------------------


class AgentSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)
    teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    open_tickets = serializers.IntegerField(read_only=True, help_text="Active tickets assigned.")

    class Meta:
        model = AgentProfile
        fields = [
            "id",
            "user",
            "teams",
            "capacity",
            "online_state",
            "last_seen_at",
            "language",
            "timezone",
            "open_tickets",
        ]


class AgentUpdateSerializer(serializers.Serializer):
    teams = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Team.objects.all(), required=False
    )
    capacity = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    online_state = serializers.ChoiceField(choices=OnlineState.choices, required=False)


def _agents():
    return (
        AgentProfile.objects.select_related("user")
        .prefetch_related(Prefetch("teams", Team.objects.only("pk")))
        .annotate(
            open_tickets=Count(
                "user__assigned_tickets",
                filter=Q(user__assigned_tickets__status__in=ACTIVE_STATUSES),
            )
        )
    )


class AgentListApi(GenericAPIView):
    permission_classes = [OperatorReadsAdminWrites]
    serializer_class = AgentSerializer
    filter_backends = []

    @extend_schema(summary="Agents: teams, capacity, online state, open tickets")
    def get(self, request):
        qs = _agents().filter(user__is_active=True).order_by("user__username", "pk")
        team = request.query_params.get("team", "")
        if team.isdigit():
            qs = qs.filter(teams__pk=int(team))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(AgentSerializer(page, many=True).data)


class AgentDetailApi(GenericAPIView):
    permission_classes = [OperatorReadsAdminWrites]
    serializer_class = AgentSerializer
    filter_backends = []

    @extend_schema(summary="One agent")
    def get(self, request, pk: int):
        return Response(AgentSerializer(get_object_or_404(_agents(), pk=pk)).data)

    @extend_schema(
        summary="Change an agent's teams, capacity or online state",
        request=AgentUpdateSerializer,
        responses=AgentSerializer,
    )
    def patch(self, request, pk: int):
        profile = get_object_or_404(AgentProfile, pk=pk)
        data = AgentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        teams = d.pop("teams", None)
        agent_update(profile=profile, values=d, teams=teams, actor=request.user)
        return Response(AgentSerializer(_agents().get(pk=pk)).data)


# --- tags -----------------------------------------------------------------------------------


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "color"]


class TagInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)


class TagListApi(GenericAPIView):
    permission_classes = [OperatorReadsAdminWrites]
    serializer_class = TagSerializer
    filter_backends = []

    @extend_schema(summary="Tags")
    def get(self, request):
        page = self.paginate_queryset(Tag.objects.order_by("name", "pk"))
        return self.get_paginated_response(TagSerializer(page, many=True).data)

    @extend_schema(summary="Create a tag", request=TagSerializer, responses={201: TagSerializer})
    def post(self, request):
        data = TagSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tag = tag_save(values=data.validated_data, actor=request.user)
        return Response(TagSerializer(tag).data, status=201)


class TagDetailApi(GenericAPIView):
    permission_classes = [OperatorReadsAdminWrites]
    serializer_class = TagSerializer
    filter_backends = []

    @extend_schema(summary="One tag")
    def get(self, request, pk: int):
        return Response(TagSerializer(get_object_or_404(Tag, pk=pk)).data)

    @extend_schema(
        summary="Rename or recolour a tag", request=TagInputSerializer, responses=TagSerializer
    )
    def patch(self, request, pk: int):
        tag = get_object_or_404(Tag, pk=pk)
        data = TagInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tag_save(tag=tag, values=data.validated_data, actor=request.user)
        return Response(TagSerializer(tag).data)

    @extend_schema(summary="Delete a tag (removed from every ticket)", responses={204: None})
    def delete(self, request, pk: int):
        config_delete(instance=get_object_or_404(Tag, pk=pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
