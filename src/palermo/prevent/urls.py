from django.urls import path

from palermo.prevent import views

# Staff pages of the online-risk context. Paths carry numeric ids only.
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("adverts/import/", views.advert_import, name="advert_import"),
    path("leads/<int:lead_id>/", views.lead_detail, name="lead"),
    path("leads/<int:lead_id>/decide/", views.lead_decide, name="lead_decide"),
    path("leads/<int:lead_id>/refer/", views.lead_refer, name="lead_refer"),
    path(
        "leads/<int:lead_id>/adverts/<int:advert_id>/attach/",
        views.advert_attach,
        name="advert_attach",
    ),
    path("statistics/", views.statistics, name="statistics"),
    path("licences/", views.registry, name="registry"),
    path("licences/import/", views.registry_import, name="registry_import"),
    path("reports/", views.report_queue, name="reports"),
    path("reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path("reports/<int:report_id>/decide/", views.report_decide, name="report_decide"),
]
