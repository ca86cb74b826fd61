from django.urls import path

from myprescriptions.testidp import views

app_name = "testidp"
urlpatterns = [
    path("sso/", views.sso, name="sso"),
    path("slo/", views.slo, name="slo"),
    path("metadata/", views.metadata, name="metadata"),
]
