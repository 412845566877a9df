from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from helpdesk.api_auth import TokenObtainApi
from helpdesk.api_errors import api_not_found
from helpdesk.health import healthz, livez
from helpdesk.login_throttle import ThrottledAuthenticationForm
from helpdesk.media import media
from helpdesk.prometheus import metrics_view

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("metrics", metrics_view, name="metrics"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("channels_in.api_urls")),
    path("api/", include("tickets.api_urls")),
    path("api/", include("sla.api_urls")),
    path("webhooks/", include("channels_in.urls")),
    path("webchat/", include("channels_in.webchat_urls")),
    path("", include("metrics.urls")),
    path("", include("tickets.urls")),
]

# Attachments are customer data: only operators (and above) may fetch them.
urlpatterns += [path("media/<path:path>", media, name="media")]
# Any other address under /api/ answers the API's JSON 404 (after every API route above).
urlpatterns += [re_path(r"^api/", api_not_found, name="api-not-found")]
