from django.urls import path

from myprescriptions.benchsite import views

app_name = "benchsite"
urlpatterns = [path("fortunes/", views.fortunes, name="fortunes")]
