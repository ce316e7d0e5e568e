from django.urls import path

from palermo.cases import views

# Paths carry only the pseudonymous case reference (NRM-XXXX-XXXX) and numeric ids: never names.
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_open, name="open"),
    path("oversight/", views.oversight, name="oversight"),
    path(
        "oversight/break-glass/<int:access_id>/review/",
        views.break_glass_review,
        name="break_glass_review",
    ),
    path("referrals/", views.referral_inbox, name="referrals"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral"),
    path(
        "referrals/<int:referral_id>/<str:answer>/", views.referral_answer, name="referral_answer"
    ),
    path("services/", views.directory, name="directory"),
    path("<str:reference>/", views.case_detail, name="detail"),
    path("<str:reference>/break-glass/", views.break_glass, name="break_glass"),
]
for _slug, _view in views.ACTION_VIEWS.items():
    urlpatterns.append(path(f"<str:reference>/{_slug}/", _view, name=f"action_{_slug}"))
    urlpatterns.append(
        path(f"<str:reference>/{_slug}/<int:item_id>/", _view, name=f"action_{_slug}_item")
    )
