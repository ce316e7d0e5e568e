from django.urls import path

from palermo.prevent import public_views

# The public pages carry no ids and no query: what a person types arrives by POST only.
urlpatterns = [
    path("check/", public_views.check, name="check"),
    path("report/", public_views.report, name="report"),
    path("report/thanks/", public_views.report_thanks, name="report_thanks"),
]
