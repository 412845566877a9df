"""Included from helpdesk/urls.py under /api/."""

from django.urls import path

from sla import api

urlpatterns = [
    path("sla-policies/", api.SlaPolicyListApi.as_view(), name="api-sla-policies"),
    path("sla-policies/<int:pk>/", api.SlaPolicyDetailApi.as_view(), name="api-sla-policy"),
    path("sla-calendars/", api.CalendarListApi.as_view(), name="api-sla-calendars"),
]
