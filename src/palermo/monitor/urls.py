from django.urls import path

from palermo.monitor import plan_views, register_views, survey_views, views, visit_views

# Paths carry numeric ids of plans, measures and recommendations, and indicator ids: no personal data.
urlpatterns = [
    path("", views.home, name="home"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("measures/<int:measure_id>/", views.measure_detail, name="measure"),
    path("evidence/<int:evidence_id>/download/", views.evidence_download, name="evidence_download"),
    path("recommendations/", views.recommendation_list, name="recommendations"),
    path("recommendations/import/", views.recommendation_import, name="import"),
    path(
        "recommendations/import/confirm/",
        views.recommendation_import_confirm,
        name="import_confirm",
    ),
    path("recommendations/<int:rec_id>/", views.recommendation_detail, name="recommendation"),
    path("indicators/", views.indicator_list, name="indicators"),
    path("indicators/<slug:indicator_id>/cases/", views.indicator_cases, name="indicator_cases"),
    path("report.html", views.annual_report, {"fmt": "html"}, name="report_html"),
    path("report.pdf", views.annual_report, {"fmt": "pdf"}, name="report_pdf"),
    path("report.docx", views.annual_report, {"fmt": "docx"}, name="report_docx"),
]


urlpatterns += [
    path("surveys/", survey_views.survey_list, name="surveys"),
    path("surveys/<int:survey_id>/", survey_views.survey_detail, name="survey"),
    path("surveys/<int:survey_id>/answer/", survey_views.survey_answer, name="survey_answer"),
    path(
        "surveys/<int:survey_id>/consolidated/",
        survey_views.survey_consolidated,
        name="survey_consolidated",
    ),
    path("surveys/<int:survey_id>/xlsform.xlsx", survey_views.survey_export, name="survey_export"),
    path(
        "surveys/<int:survey_id>/questions/remove/",
        survey_views.survey_question_remove,
        name="survey_question_remove",
    ),
    path("surveys/<int:survey_id>/close/", survey_views.survey_close, name="survey_close"),
    path(
        "surveys/attachments/<int:attachment_id>/download/",
        survey_views.survey_attachment,
        name="survey_attachment",
    ),
]

urlpatterns += [
    path("visits/", visit_views.visit_list, name="visits"),
    path("visits/<int:visit_id>/", visit_views.visit_detail, name="visit"),
    path("visits/<int:visit_id>/compare/", visit_views.visit_compare, name="visit_compare"),
    path("visits/reports/<int:report_id>/", visit_views.report_detail, name="visit_report"),
]

urlpatterns += [
    path("recommendations/new/", register_views.recommendation_new, name="recommendation_new"),
    path(
        "recommendations/<int:rec_id>/edit/",
        register_views.recommendation_edit,
        name="recommendation_edit",
    ),
    path("measures/<int:measure_id>/edit/", register_views.measure_edit, name="measure_edit"),
]

urlpatterns += [
    path("plans/<int:plan_id>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<int:plan_id>/remove/", plan_views.plan_remove, name="plan_remove"),
    path("objectives/<int:objective_id>/edit/", plan_views.objective_edit, name="objective_edit"),
    path(
        "objectives/<int:objective_id>/remove/",
        plan_views.objective_remove,
        name="objective_remove",
    ),
    path("measures/<int:measure_id>/remove/", plan_views.measure_remove, name="measure_remove"),
    path("recommendations/remind-overdue/", plan_views.remind_overdue, name="remind_overdue"),
]
