from django.urls import path

from palermo.screening import views

# References are pseudonymous (SCR-XXXX-XXXX); no personal data in paths.
urlpatterns = [
    path("", views.screening_list, name="list"),
    path("new/", views.start, name="start"),
    path("<str:reference>/interview/", views.interview, name="interview"),
    path("<str:reference>/interview/step/<int:step>/", views.interview, name="interview_step"),
    path(
        "<str:reference>/interview/summary/",
        views.interview_summary,
        name="interview_summary",
    ),
    path("<str:reference>/refer/", views.refer, name="refer"),
    path("<str:reference>/", views.result, name="result"),
]
