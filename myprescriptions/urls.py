from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from myprescriptions.site.views import set_language

urlpatterns = [
    path("", include("myprescriptions.site.urls")),
    path("auth/", include("myprescriptions.saml.urls")),
    path("auth/", include("myprescriptions.accounts.urls")),
    # The site's own language switch: the choice lives in the session, the cookie only with consent.
    path("i18n/setlang/", set_language, name="set_language"),
    path("health/", include("myprescriptions.hardening.urls")),
    path("", include("prescriptions.urls")),
    path("", include("proxies.urls")),
]
# Error pages that render without the database (myprescriptions.hardening.views).
handler400 = "myprescriptions.hardening.views.bad_request"
handler403 = "myprescriptions.hardening.views.permission_denied"
handler404 = "myprescriptions.hardening.views.page_not_found"
handler500 = "myprescriptions.hardening.views.server_error"
if settings.ADMIN_ENABLED:
    urlpatterns.append(path(settings.ADMIN_PATH, admin.site.urls))
if settings.TEST_IDP:
    urlpatterns.append(path("testidp/", include("myprescriptions.testidp.urls")))
if settings.BENCHMARK:
    urlpatterns.append(path("bench/", include("myprescriptions.benchsite.urls")))
