from django.urls import path

from myprescriptions.accounts import views

app_name = "accounts"
urlpatterns = [
    path("session/", views.session_status, name="session_status"),
    path("session/keep-alive/", views.keep_alive, name="keep_alive"),
]
