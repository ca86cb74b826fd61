from django.urls import path

from myprescriptions.saml import shibboleth, views

urlpatterns = [
    path("saml/<slug:organization_slug>/login/", views.login, name="saml_login"),
    path("saml/<slug:organization_slug>/acs/", views.acs, name="saml_acs"),
    path("saml/<slug:organization_slug>/acs/finish/", views.finish_acs, name="saml_finish_acs"),
    path("saml/<slug:organization_slug>/metadata/", views.metadata, name="saml_metadata"),
    path("saml/<slug:organization_slug>/sls/", views.sls, name="saml_sls"),
    path("shibboleth/login/", shibboleth.login, name="shibboleth_login"),
]
