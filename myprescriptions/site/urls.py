from django.urls import path

from myprescriptions.site import views

app_name = "site"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("logout/", views.logout, name="logout"),
    path("logged-out/", views.logged_out, name="logged_out"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("cookies/", views.cookie_page, name="cookies"),
    path("cookies/consent/", views.consent_choice, name="consent"),
]
