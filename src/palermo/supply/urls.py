from django.urls import path

from palermo.supply import views, views_diligence, views_portfolio, views_saq

# Paths carry numeric ids and measure letters only: no personal data.
urlpatterns = [
    path("", views.home, name="home"),
    path("suppliers/", views.supplier_list, name="suppliers"),
    path("suppliers/risk/", views_portfolio.supplier_ranking, name="supplier_ranking"),
    path("suppliers/<int:supplier_id>/", views.supplier_detail, name="supplier"),
    path("sites/", views.site_list, name="sites"),
    path("sites/export.csv", views.site_export, name="site_export"),
    path("sites/export.xlsx", views.site_export_xlsx, name="site_export_xlsx"),
    path("sites/import/", views.site_import, name="site_import"),
    path("sites/import/confirm/", views.site_import_confirm, name="site_import_confirm"),
    path("sites/<int:site_id>/review/", views.site_review, name="site_review"),
    path("risk/", views.risk_list, name="risk"),
    path("risk/import/", views.risk_import, name="risk_import"),
    path("risk/import/confirm/", views.risk_import_confirm, name="risk_import_confirm"),
    path("risk/<int:edition_id>/", views.edition_detail, name="edition"),
    path("orders/", views.order_list, name="orders"),
    path("orders/export.xlsx", views.order_export, name="order_export"),
    path("orders/import/", views.order_import, name="order_import"),
    path("orders/import/confirm/", views.order_import_confirm, name="order_import_confirm"),
    path("orders/<int:line_id>/", views.order_detail, name="order"),
    path("contracts/", views.contract_list, name="contracts"),
    path("contracts/<int:contract_id>/", views.contract_detail, name="contract"),
    path(
        "contracts/<int:contract_id>/measures/<str:code>/",
        views.measure_record,
        name="measure_record",
    ),
    path(
        "contracts/<int:contract_id>/evidence/<str:code>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path("contracts/<int:contract_id>/evidence-pack/", views.evidence_pack, name="evidence_pack"),
    # Issue 18: clauses, lifecycle gates, PDF pack, statement draft, information packs.
    path("clauses/", views_diligence.clause_library, name="clauses"),
    path(
        "contracts/<int:contract_id>/clauses/",
        views_diligence.clause_attach,
        name="clause_attach",
    ),
    path(
        "contracts/<int:contract_id>/clauses/<slug:clause_id>/remove/",
        views_diligence.clause_detach,
        name="clause_detach",
    ),
    path(
        "contracts/<int:contract_id>/stage/",
        views_diligence.contract_advance,
        name="contract_advance",
    ),
    path(
        "contracts/<int:contract_id>/evidence-pack.pdf",
        views_diligence.evidence_pack_pdf,
        name="evidence_pack_pdf",
    ),
    path("statement/", views_diligence.statement_page, name="statement"),
    path(
        "statement/draft.<str:fmt>",
        views_diligence.statement_download,
        name="statement_download",
    ),
    path("information-requests/", views_diligence.info_requests, name="info_requests"),
    path(
        "information-requests/<int:request_id>/",
        views_diligence.info_pack,
        name="info_pack",
    ),
    path(
        "information-requests/<int:request_id>/pack.pdf",
        views_diligence.info_pack_pdf,
        name="info_pack_pdf",
    ),
    path("actions/", views.action_list, name="actions"),
    path("actions/<int:action_id>/close/", views.action_close, name="action_close"),
    path("actions/findings/", views.findings_import, name="findings_import"),
    path(
        "actions/findings/confirm/",
        views.findings_import_confirm,
        name="findings_import_confirm",
    ),
    path("actions/fees/", views.fee_record, name="fee_record"),
    path("inspections/", views.inspection_list, name="inspections"),
    path("inspections/<int:inspection_id>/", views.inspection_detail, name="inspection"),
    # self-assessment questionnaires and product classifications (views_saq)
    path("questionnaires/", views_saq.questionnaire_list, name="questionnaires"),
    path(
        "suppliers/<int:supplier_id>/questionnaires/",
        views_saq.questionnaire_send,
        name="questionnaire_send",
    ),
    path(
        "questionnaires/<int:questionnaire_id>/",
        views_saq.questionnaire_detail,
        name="questionnaire",
    ),
    path(
        "questionnaires/<int:questionnaire_id>/import/",
        views_saq.questionnaire_import,
        name="questionnaire_import",
    ),
    path(
        "questionnaires/<int:questionnaire_id>/import/confirm/",
        views_saq.questionnaire_import_confirm,
        name="questionnaire_import_confirm",
    ),
    path(
        "questionnaires/<int:questionnaire_id>/actions/",
        views_saq.questionnaire_actions,
        name="questionnaire_actions",
    ),
    path("risk/codes/", views_saq.code_map_set, name="code_map_set"),
    path("risk/codes/<int:item_id>/delete/", views_saq.code_map_delete, name="code_map_delete"),
    path("risk/crosswalk/defaults/", views_saq.crosswalk_defaults, name="crosswalk_defaults"),
    path("recruiters/", views_saq.recruiter_links, name="recruiters"),
    path("recruiters/import/", views_saq.recruiter_links_import, name="recruiter_links_import"),
    path(
        "recruiters/import/confirm/",
        views_saq.recruiter_links_import_confirm,
        name="recruiter_links_import_confirm",
    ),
    path(
        "recruiters/<int:link_id>/delete/",
        views_saq.recruiter_link_delete,
        name="recruiter_link_delete",
    ),
]
