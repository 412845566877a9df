"""JSON endpoints: the summary (public contract), one per dashboard, revenue events."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView, ListCreateAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.exceptions import ApplicationError
from helpdesk.permissions import IsManager
from metrics.filters import filter_from_query
from metrics.models import RevenueEvent, SurveyKind, SurveyResponse
from metrics.pages import PAGES
from metrics.selectors.summary import jsonable, metric_summary
from metrics.services import RevenueRow, revenue_record

FILTER_PARAMS = [
    OpenApiParameter(name, str, description=desc)
    for name, desc in (
        ("from", "start date or datetime (inclusive)"),
        ("to", "end date (inclusive) or datetime (exclusive)"),
        ("period", "today, 7d, 30d or quarter when from/to are not given"),
        ("channel", "channel id"),
        ("team", "team id"),
        ("agent", "assignee user id"),
        ("tag", "tag id"),
        ("priority", "urgent, high, normal or low"),
    )
]


class MetricsSummaryApi(APIView):
    permission_classes = [IsManager]

    @extend_schema(parameters=FILTER_PARAMS, responses={200: dict})
    def get(self, request):
        f, _period = filter_from_query(request.query_params)
        return Response(jsonable(metric_summary(f)))


class DashboardApi(APIView):
    permission_classes = [IsManager]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "page", str, OpenApiParameter.PATH, enum=sorted(PAGES), description="dashboard"
            ),
            *FILTER_PARAMS,
        ],
        responses={200: dict},
    )
    def get(self, request, page: str):
        if page not in PAGES:
            return Response({"detail": "Unknown dashboard."}, status=status.HTTP_404_NOT_FOUND)
        f, _period = filter_from_query(request.query_params)
        return Response(jsonable(PAGES[page](f).as_dict()))


class RevenueEventSerializer(serializers.ModelSerializer):
    date = serializers.DateTimeField(source="occurred_at")

    class Meta:
        model = RevenueEvent
        fields = [
            "id",
            "order_id",
            "customer",
            "customer_external_id",
            "email",
            "phone",
            "amount",
            "currency",
            "date",
            "source",
            "created_at",
        ]
        read_only_fields = ["id", "customer", "source", "created_at"]
        extra_kwargs = {"order_id": {"validators": []}}

    def validate(self, attrs):
        if not (attrs.get("customer_external_id") or attrs.get("email") or attrs.get("phone")):
            raise serializers.ValidationError(
                "Give customer_external_id, email or phone to match the customer."
            )
        return attrs


class RevenueEventListApi(ListCreateAPIView):
    """GET: events (filters customer, from, to); POST: one event, idempotent by order_id."""

    permission_classes = [IsManager]
    serializer_class = RevenueEventSerializer

    def get_queryset(self):
        qs = RevenueEvent.objects.all().order_by("-occurred_at", "-id")
        p = self.request.query_params
        if p.get("customer", "").isdigit():
            qs = qs.filter(customer_id=int(p["customer"]))
        f = Q()
        if p.get("from"):
            f &= Q(occurred_at__date__gte=p["from"])
        if p.get("to"):
            f &= Q(occurred_at__date__lte=p["to"])
        try:
            return qs.filter(f)
        except Exception as exc:  # a malformed date
            raise ApplicationError("from/to must be dates YYYY-MM-DD.") from exc

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        event, created = revenue_record(
            row=RevenueRow(
                order_id=d["order_id"],
                amount=d["amount"],
                occurred_at=d["occurred_at"],
                currency=d.get("currency") or "RUB",
                customer_external_id=d.get("customer_external_id", ""),
                email=d.get("email", ""),
                phone=d.get("phone", ""),
            )
        )
        return Response(
            self.get_serializer(event).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SurveyAnswerSerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(source="ticket.team_id", allow_null=True, read_only=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "survey",
            "kind",
            "score",
            "comment",
            "ticket",
            "customer",
            "channel",
            "agent",
            "team",
            "source",
            "created_at",
        ]


class SurveyAnswerListApi(ListAPIView):
    """GET: survey answers (CSAT 1-5, NPS 0-10, CES 1-7), newest first, in the metrics'
    period (`from`/`to` or `period`) with the dashboards' filters."""

    permission_classes = [IsManager]
    serializer_class = SurveyAnswerSerializer
    filter_backends = []

    @extend_schema(
        parameters=[
            *FILTER_PARAMS,
            OpenApiParameter("kind", str, enum=SurveyKind.values, description="survey kind"),
            OpenApiParameter("score_min", int, description="lowest score (inclusive)"),
            OpenApiParameter("score_max", int, description="highest score (inclusive)"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        p = self.request.query_params
        f, _period = filter_from_query(p)
        qs = SurveyResponse.objects.filter(created_at__gte=f.start, created_at__lt=f.end)
        for field, value in (
            ("channel_id", f.channel),
            ("agent_id", f.agent),
            ("ticket__team_id", f.team),
            ("ticket__tags", f.tag),
            ("ticket__priority", f.priority),
        ):
            if value is not None:
                qs = qs.filter(**{field: value})
        if p.get("kind") in SurveyKind.values:
            qs = qs.filter(kind=p["kind"])
        for name, lookup in (("score_min", "gte"), ("score_max", "lte")):
            if p.get(name, "").isdigit():
                qs = qs.filter(**{f"score__{lookup}": int(p[name])})
        return qs.select_related("ticket").order_by("-created_at", "-pk")
