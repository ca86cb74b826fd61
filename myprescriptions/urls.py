from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from prescriptions.access_rules import public

urlpatterns = [
    path("", include("myprescriptions.site.urls")),
    path("auth/", include("myprescriptions.saml.urls")),
    path("auth/", include("myprescriptions.accounts.urls")),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("", include("prescriptions.urls")),
    path("", include("proxies.urls")),
]
if settings.ADMIN_ENABLED:
    urlpatterns.append(path(settings.ADMIN_PATH, admin.site.urls))
if settings.TEST_IDP:
    urlpatterns.append(path("testidp/", include("myprescriptions.testidp.urls")))
