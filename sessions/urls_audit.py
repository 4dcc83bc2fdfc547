from django.urls import path

from sessions.views import audit

urlpatterns = [
    path("demi-journees/<int:pk>/controle/", audit.SlotAuditView.as_view(), name="slot_audit"),
]
