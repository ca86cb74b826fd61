from django.urls import path

from proxies import views

app_name = "proxies"
urlpatterns = [
    path("choose/", views.choose, name="choose"),
    path("choose/switch/", views.switch, name="switch"),
    path("choose/self/", views.switch_to_self, name="self"),
]
