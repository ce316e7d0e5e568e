from django.urls import path

from palermo.crossborder import views

# Paths carry numeric ids, or a case's pseudonymous reference as the cases pages do: never
# personal data.
urlpatterns = [
    path("", views.home, name="home"),
    path("send/", views.send, name="send"),
    path("trust-list/", views.trust_list, name="trust_list"),
    path("handovers/<int:handover_id>/", views.handover, name="handover"),
    path("handovers/<int:handover_id>/act/", views.handover_action, name="handover_action"),
    path("handovers/<int:handover_id>/envelope.jwe", views.envelope_file, name="envelope"),
    path("police/<str:reference>/", views.police_exchanges, name="police"),
]
