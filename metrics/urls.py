"""Included once from helpdesk/urls.py: path("", include("metrics.urls"))."""

from django.urls import path

from metrics import api, views

urlpatterns = [
    path("dashboards/", views.dashboard, name="dashboards"),
    path("dashboards/settings/", views.settings_update, name="dashboard-settings"),
    path("dashboards/revenue-upload/", views.revenue_upload, name="revenue-upload"),
    path("dashboards/<slug:page>/", views.dashboard, name="dashboard"),
    path("dashboards/<slug:page>/<slug:table>.csv", views.dashboard_csv, name="dashboard-csv"),
    path("api/metrics/summary/", api.MetricsSummaryApi.as_view(), name="api-metrics-summary"),
    path("api/metrics/<slug:page>/", api.DashboardApi.as_view(), name="api-metrics-page"),
    path("api/revenue-events/", api.RevenueEventListApi.as_view(), name="api-revenue-events"),
    path("api/surveys/", api.SurveyAnswerListApi.as_view(), name="api-surveys"),
    path("survey/<str:token>/<int:score>/", views.survey_page, name="survey-answer"),
]
