from django.urls import path

from palermo.jobs import views

# Paths carry only the job's number: never a file name or personal data.
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:job_id>/", views.job_detail, name="detail"),
    path("<int:job_id>/result", views.job_result, name="result"),
]
