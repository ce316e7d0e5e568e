from django.urls import path

from palermo.stats import views

# Paths carry table names and, in the query string, filters (a year, an HTCDS form code): never personal data.
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tables/<str:table>.csv", views.table_csv, name="table_csv"),
    path("tables/<str:table>.svg", views.table_image, name="table_image"),
    path("statistics.csv", views.statistics_csv, name="statistics_csv"),
    path("export/htcds/", views.htcds_export, name="htcds_export"),
    path("export/ctdc/", views.ctdc, name="ctdc"),
    path("import/", views.import_upload, name="import"),
    path("import/preview/", views.import_preview, name="import_preview"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("import/cancel/", views.import_cancel, name="import_cancel"),
]
