from django.urls import path

from prescriptions import export_views, views

app_name = "prescriptions"
urlpatterns = [
    path("prescriptions/", views.valid, name="valid"),
    path("prescriptions/<uuid:public_id>/", views.detail, name="detail"),
    path("dispensed/", views.dispensed, name="dispensed"),
    path("history/", views.history, name="history"),
    path("my-data/download/", export_views.download, name="export"),
]
