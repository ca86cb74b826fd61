from django.urls import path

from proxies import views, views_print

app_name = "proxies"
urlpatterns = [
    path("choose/", views.choose, name="choose"),
    path("choose/switch/", views.switch, name="switch"),
    path("choose/self/", views.switch_to_self, name="self"),
    path("powers-of-attorney/", views.powers, name="powers"),
    path("powers-of-attorney/grant/", views.grant, name="grant"),
    path("powers-of-attorney/grant/confirm/", views.grant_confirm, name="grant_confirm"),
    path("powers-of-attorney/<int:poa_id>/end/", views.end, name="end"),
    path("access-log/", views.access_log, name="access_log"),
    # The printable list offered by the closing notice (myprescriptions.site).
    path("powers-of-attorney/print/", views_print.print_powers, name="print"),
]
