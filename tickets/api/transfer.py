"""Import and export: upload a JSON Lines file of ticket history (admins), follow a large
import's job, stream every ticket as JSON Lines (managers), the ticket list as CSV with
the queue's filters (operators, over the tickets they may see)."""

from __future__ import annotations

from django.core.files.uploadedfile import TemporaryUploadedFile
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from helpdesk.permissions import IsAdmin, IsManager, IsOperator
from tickets.api.common import visible_tickets
from tickets.filters import TicketFilter
from tickets.models import Ticket
from tickets.selectors import ticket_list
from tickets.transfer.exporter import export_csv, export_jsonl
from tickets.transfer.importer import import_lines
from tickets.transfer.jobs import MAX_ERRORS_SHOWN, import_job_get, import_job_start
from tickets.transfer.streaming import streaming_download

# Uploads up to this size are imported during the request; larger ones (or ?async=true)
# become a job run by a worker.
SYNC_MAX_BYTES = 2 * 1024 * 1024
JSONL = "application/x-ndjson"


class JsonLinesParser(BaseParser):
    """A JSON Lines request body, spooled to a temporary file as the upload `file`."""

    media_type = JSONL

    def parse(self, stream, media_type=None, parser_context=None):
        upload = TemporaryUploadedFile("body.jsonl", self.media_type, 0, "utf-8")
        size = 0
        while stream is not None and (chunk := stream.read(1 << 16)):
            upload.write(chunk)
            size += len(chunk)
        upload.size = size
        upload.seek(0)
        return {"file": upload}


class _Lines(JsonLinesParser):
    media_type = "application/jsonl"


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="JSON Lines: one ticket per line (docs/import.md).")


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    reason = serializers.CharField()


class ImportSummarySerializer(serializers.Serializer):
    lines = serializers.IntegerField(help_text="Lines read.")
    created = serializers.IntegerField(help_text="Tickets created.")
    skipped = serializers.IntegerField(help_text="Tickets already imported (same external_id).")
    rejected = serializers.IntegerField(help_text="Lines rejected (all of them counted).")
    messages = serializers.IntegerField()
    customers_created = serializers.IntegerField()
    channels_created = serializers.ListField(child=serializers.CharField())
    agents_created = serializers.ListField(child=serializers.CharField())
    teams_created = serializers.ListField(child=serializers.CharField())
    tags_created = serializers.ListField(child=serializers.CharField())
    errors = ImportErrorSerializer(
        many=True, help_text=f"Rejected lines with the reason (the first {MAX_ERRORS_SHOWN})."
    )


class ImportJobSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    lines_done = serializers.IntegerField()
    summary = ImportSummarySerializer(allow_null=True)
    error = serializers.CharField(required=False)
    status_url = serializers.CharField()


def _job_body(request, job: dict) -> dict:
    return {
        "id": job["id"],
        "status": job["status"],
        "lines_done": job.get("lines_done", 0),
        "summary": job.get("summary"),
        **({"error": job["error"]} if job.get("error") else {}),
        "status_url": request.build_absolute_uri(f"/api/import/{job['id']}/"),
    }


class ImportApi(GenericAPIView):
    permission_classes = [IsAdmin]
    parser_classes = [MultiPartParser, JsonLinesParser, _Lines]
    serializer_class = ImportSummarySerializer
    filter_backends = []

    @extend_schema(
        summary="Import ticket history from JSON Lines (a file field or the raw body)",
        description=(
            "Idempotent by ticket `external_id`: tickets already present are skipped. Files "
            f"up to {SYNC_MAX_BYTES // 1024 // 1024} MiB are imported at once (200, the "
            "summary); larger ones, or `?async=true`, become a job (202) to follow at "
            "`status_url`."
        ),
        parameters=[OpenApiParameter("async", bool, description="always run as a job")],
        request={
            "multipart/form-data": ImportUploadSerializer,
            JSONL: OpenApiTypes.BINARY,
        },
        responses={200: ImportSummarySerializer, 202: ImportJobSerializer},
    )
    def post(self, request):
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None:
            raise serializers.ValidationError(
                {"file": ["Send a JSON Lines file (multipart field `file`) or a body."]}
            )
        run_async = request.query_params.get("async") in ("1", "true")
        if run_async or upload.size > SYNC_MAX_BYTES:
            job_id = import_job_start(upload=upload, user_id=request.user.pk)
            job = import_job_get(job_id) or {"id": job_id, "status": "queued"}
            return Response(_job_body(request, job), status=202)
        upload.seek(0)
        summary = import_lines(upload)
        return Response(summary.as_dict(max_rejects=MAX_ERRORS_SHOWN))


class ImportJobApi(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = ImportJobSerializer
    filter_backends = []

    @extend_schema(summary="State of an import job: progress, then its summary")
    def get(self, request, job_id: str):
        job = import_job_get(job_id)
        if job is None:
            raise Http404
        return Response(_job_body(request, job))


class _Period(serializers.Serializer):
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


class TicketExportApi(GenericAPIView):
    permission_classes = [IsManager]
    serializer_class = None
    filter_backends = []

    @extend_schema(
        summary="Every ticket with its messages as JSON Lines (the import format), streamed",
        parameters=[
            OpenApiParameter("created_after", OpenApiTypes.DATETIME, description="inclusive"),
            OpenApiParameter("created_before", OpenApiTypes.DATETIME, description="exclusive"),
        ],
        responses={
            (200, JSONL): OpenApiResponse(
                OpenApiTypes.STR, description="One ticket per line (docs/import.md)."
            )
        },
    )
    def get(self, request):
        period = _Period(data=request.query_params)
        period.is_valid(raise_exception=True)
        qs = visible_tickets(request, Ticket.objects.all())
        if "created_after" in period.validated_data:
            qs = qs.filter(created_at__gte=period.validated_data["created_after"])
        if "created_before" in period.validated_data:
            qs = qs.filter(created_at__lt=period.validated_data["created_before"])
        return streaming_download(
            request, export_jsonl(qs), content_type=JSONL, filename="tickets.jsonl"
        )


class TicketCsvExportApi(GenericAPIView):
    permission_classes = [IsOperator]
    serializer_class = None
    filter_backends = []

    @extend_schema(
        summary="The ticket list as CSV, with the same filters as the ticket list, streamed",
        parameters=[
            OpenApiParameter(name, str, many=name in ("status", "priority"))
            for name in ("status", "priority", "assignee", "q")
        ]
        + [OpenApiParameter(name, int, description="an id") for name in ("channel", "team", "tag")]
        + [
            OpenApiParameter("created_after", OpenApiTypes.DATETIME),
            OpenApiParameter("created_before", OpenApiTypes.DATETIME),
        ],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def get(self, request):
        filterset = TicketFilter(
            data=request.query_params,
            queryset=visible_tickets(request, ticket_list()),
            request=request,
        )
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        qs = filterset.qs.order_by("-created_at", "-pk")
        return streaming_download(
            request, export_csv(qs), content_type="text/csv; charset=utf-8", filename="tickets.csv"
        )
