"""Manager dashboards (HTML and CSV) and the public survey answer page."""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.exceptions import ApplicationError
from helpdesk.permissions import role_required
from helpdesk.roles import MANAGER
from metrics.dashboards_value import page_quality
from metrics.filters import PERIODS, filter_from_query
from metrics.forms import MetricsSettingsForm, RevenueUploadForm, SurveyCommentForm, WhatIfForm
from metrics.models import MetricsSettings
from metrics.pages import PAGES
from metrics.selectors import planning, revenue, surveys
from metrics.selectors.volume import metric_nst
from metrics.services import revenue_import_csv, survey_answer, survey_from_token
from metrics.services.settings import metrics_settings_update
from metrics.whatif import fit, simulate
from tickets.models import Channel, Priority, Tag, Team

NAV = [
    ("sla", "SLA"),
    ("operations", "Operations"),
    ("quality", "Quality"),
    ("roi", "ROI"),
    ("staffing", "Staffing"),
]


def _filter_choices():
    from django.contrib.auth import get_user_model

    return {
        "channels": Channel.objects.order_by("name").values_list("pk", "name"),
        "teams": Team.objects.order_by("name").values_list("pk", "name"),
        "tags": Tag.objects.order_by("name").values_list("pk", "name"),
        "agents": get_user_model()
        .objects.filter(agent__isnull=False)
        .order_by("username")
        .values_list("pk", "username"),
        "priorities": Priority.choices,
    }


def whatif_result(f, data) -> dict | None:
    form = WhatIfForm(data) if data else None
    if form is None or not form.is_valid():
        return {"form": form or WhatIfForm()}
    model = fit(surveys.metric_frt_csat_bins(f, planning.WHATIF_EDGES))
    if model is None:
        return {"form": form, "error": _("Not enough CSAT answers with a first response yet.")}
    s = MetricsSettings.load()
    rev = revenue.metric_revenue(f, window_days=s.attribution_window_days)
    per_customer = (
        (rev.attributed / rev.retained_customers) if rev.retained_customers else s.average_check
    )
    sim = simulate(
        model,
        frt_from=form.cleaned_data["frt_from"],
        frt_to=form.cleaned_data["frt_to"],
        tickets=metric_nst(f).value,
        revenue_per_customer=Decimal(per_customer).quantize(Decimal("0.01")),
    )
    return {"form": form, "simulation": sim}


def _page(request, key: str):
    f, period = filter_from_query(request.GET)
    if key == "quality":
        page = page_quality(
            f, whatif=whatif_result(f, request.GET if "frt_to" in request.GET else None)
        )
    else:
        page = PAGES[key](f)
    return f, period, page


@role_required(MANAGER)
def dashboard(request, page: str = "sla"):
    if page not in PAGES:
        raise Http404
    f, period, data = _page(request, page)
    query = request.GET.copy()
    context = {
        "page": data,
        "nav": NAV,
        "current": page,
        "period": period,
        "periods": PERIODS,
        "f": f,
        "query": query.urlencode(),
        "choices": _filter_choices(),
        "currency": MetricsSettings.load().currency,
        "hours": range(24),
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        "to_value": f.end - timedelta(days=1),
    }
    if page == "roi":
        context["settings_form"] = MetricsSettingsForm(instance=MetricsSettings.load())
        context["upload_form"] = RevenueUploadForm()
    return render(request, f"metrics/{page}.html", context)


@role_required(MANAGER)
def dashboard_csv(request, page: str, table: str):
    if page not in PAGES:
        raise Http404
    _f, _period, data = _page(request, page)
    t = data.table(table)
    if t is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{page}-{table}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(label) for _key, label in t.columns])
    for row in t.rows:
        writer.writerow([_csv_safe(row.get(key, "")) for key, _label in t.columns])
    return response


def _csv_safe(value):
    """Customer text must not become a spreadsheet formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@require_POST
@role_required(MANAGER)
def settings_update(request):
    form = MetricsSettingsForm(request.POST, instance=MetricsSettings.load())
    if form.is_valid():
        metrics_settings_update(form=form)
        messages.success(request, _("Settings saved."))
    else:
        messages.error(request, _("Settings not saved: %(e)s") % {"e": form.errors.as_text()})
    return redirect(reverse("dashboard", args=["roi"]) + "?" + request.GET.urlencode())


@require_POST
@role_required(MANAGER)
def revenue_upload(request):
    form = RevenueUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV file."))
        return redirect("dashboard", page="roi")
    try:
        text = form.cleaned_data["file"].read().decode("utf-8-sig")
        result = revenue_import_csv(text=text)
    except (UnicodeDecodeError, ApplicationError) as exc:
        messages.error(request, _("Import failed: %(e)s") % {"e": getattr(exc, "message", exc)})
        return redirect("dashboard", page="roi")
    messages.success(
        request,
        _("Imported: %(c)s new, %(u)s updated, %(m)s matched to customers, %(e)s errors.")
        % {"c": result.created, "u": result.updated, "m": result.matched, "e": len(result.errors)},
    )
    for error in result.errors[:5]:
        messages.warning(request, error)
    return redirect("dashboard", page="roi")


def survey_page(request, token: str, score: int):
    """Public one-click answer from an email survey; then an optional comment."""
    survey = survey_from_token(token)
    if survey is None:
        return render(request, "metrics/survey.html", {"invalid": True}, status=404)
    error = None
    response = None
    try:
        if request.method == "POST":
            form = SurveyCommentForm(request.POST)
            if form.is_valid():
                response = survey_answer(
                    survey=survey, score=score, comment=form.cleaned_data["comment"]
                )
                return render(request, "metrics/survey.html", {"done": True, "survey": survey})
        else:
            response = survey_answer(survey=survey, score=score, source="link")
    except ApplicationError as exc:
        error = exc.message
    return render(
        request,
        "metrics/survey.html",
        {
            "survey": survey,
            "score": score,
            "response": response,
            "error": error,
            "form": SurveyCommentForm(),
        },
        status=400 if error else 200,
    )
