"""The operator's own settings: interface language and time zone."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets.forms import PreferencesForm
from tickets.middleware import PREFS_SESSION_KEY
from tickets.selectors import agent_preferences
from tickets.services import agent_set_preferences
from tickets.views.common import operator_page, saved_views_nav


def _save(request, response, *, language: str, time_zone: str):
    agent_set_preferences(user=request.user, language=language, time_zone=time_zone)
    request.session[PREFS_SESSION_KEY] = {"language": language, "timezone": time_zone}
    if language:
        translation.activate(language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


@operator_page
def preferences_view(request):
    language, time_zone = agent_preferences(user=request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            response = redirect("preferences")
            _save(
                request,
                response,
                language=form.cleaned_data["language"],
                time_zone=form.cleaned_data["timezone"],
            )
            messages.success(request, _("Preferences saved."))
            return response
    else:
        form = PreferencesForm(initial={"language": language, "timezone": time_zone})
    context = {
        "form": form,
        "time_zones": sorted(zoneinfo.available_timezones()),
        "views_nav": saved_views_nav(user=request.user, current=None),
    }
    return render(request, "tickets/preferences.html", context)


@require_POST
@operator_page
def language_switch_view(request):
    """The top bar's language buttons: the choice is the operator's, kept on their profile."""
    language = request.POST.get("language", "")
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    if language not in dict(settings.LANGUAGES):
        return response
    _, time_zone = agent_preferences(user=request.user)
    return _save(request, response, language=language, time_zone=time_zone)
