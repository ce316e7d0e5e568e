from django.urls import path

from palermo.exercise import views

# Paths carry numeric ids and day numbers only.
urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("cues/", views.cues, name="cues"),
    path("inbox/<int:receipt_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("antenna/", views.antenna, name="antenna"),
    path("direction/", views.direction, name="direction"),
    path("direction/clock/", views.clock, name="clock"),
    path("direction/injects/<int:inject_id>/fire/", views.fire, name="fire"),
    path("direction/adhoc/", views.adhoc, name="adhoc"),
    path(
        "direction/deviations/<int:observation_id>/seen/",
        views.deviation_seen,
        name="deviation_seen",
    ),
    path("direction/end-day/", views.end_day, name="end_day"),
    path("tabletop/", views.tabletop, name="tabletop"),
    path(
        "evidence/team/<int:team_id>/<slug:figure>/",
        views.evidence_figure,
        name="evidence_figure",
    ),
    path(
        "evidence/delivery/<int:delivery_id>/action/<int:action_id>/",
        views.evidence_action,
        name="evidence_action",
    ),
    path("evidence/entry/<int:entry_id>/", views.evidence_entry, name="evidence_entry"),
    path("hotwash/<int:day>/", views.hotwash, name="hotwash"),
    path("hotwash/<int:day>/pack.pdf", views.hotwash_pdf, name="hotwash_pdf"),
    path("aar/", views.aar, name="aar"),
    path("aar/report.pdf", views.aar_pdf, name="aar_pdf"),
    path("aar/improvement-plan.csv", views.improvement_csv, name="improvement_csv"),
    path("applicants/", views.applicants, name="applicants"),
    path("applicants/selection/", views.selection, name="selection"),
    path("applicants/selection.csv", views.selection_csv, name="selection_csv"),
]
