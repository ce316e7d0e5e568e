from django.urls import path

from palermo.investigate import views

# Paths carry only the pseudonymous investigation reference (INV-2026-0001): never names or account numbers.
urlpatterns = [
    path("", views.investigation_list, name="list"),
    path("new/", views.investigation_create, name="create"),
    path("profiles/", views.profiles, name="profiles"),
    path("<str:reference>/", views.investigation_detail, name="detail"),
    path("<str:reference>/statements/", views.statement_upload, name="upload"),
    path("<str:reference>/run/", views.rules_run, name="run"),
    path("<str:reference>/alerts/decide/", views.alert_decide, name="decide"),
    path("<str:reference>/parties/", views.party_add, name="party_add"),
    path(
        "<str:reference>/parties/from-cases/", views.parties_from_cases, name="parties_from_cases"
    ),
    path("<str:reference>/matches/judge/", views.match_judge, name="judge"),
    path("<str:reference>/close/", views.investigation_close, name="close"),
    path("<str:reference>/reopen/", views.investigation_reopen, name="reopen"),
    path("<str:reference>/members/", views.member_add, name="member_add"),
    path("<str:reference>/cases/", views.case_link, name="case_link"),
    path("<str:reference>/network/", views.network, name="network"),
    path("<str:reference>/proceeds/", views.proceeds, name="proceeds"),
    path("<str:reference>/proceeds/attach/", views.proceeds_attach, name="attach"),
    path(
        "<str:reference>/evidence-pack.html", views.evidence_pack, {"fmt": "html"}, name="pack_html"
    ),
    path("<str:reference>/evidence-pack.pdf", views.evidence_pack, {"fmt": "pdf"}, name="pack_pdf"),
    path("<str:reference>/ftm.json", views.ftm_export, name="ftm"),
]
