from django.urls import path

from myprescriptions.testidp import views

app_name = "testidp"
urlpatterns = [
    path("", views.index, name="index"),
    path("sso/", views.sso, name="sso"),
    path("slo/", views.slo, name="slo"),
    path("logout/", views.idp_logout, name="logout"),
    path("metadata/", views.metadata, name="metadata"),
]
