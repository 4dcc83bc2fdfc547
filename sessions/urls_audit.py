from django.urls import path

from sessions.views import audit

urlpatterns = [
    path("demi-journees/<int:pk>/controle/", audit.SlotAuditView.as_view(), name="slot_audit"),
    path(
        "formations/<int:pk>/risques-audit/expliquer/",
        audit.AuditRiskAcknowledgeView.as_view(),
        name="audit_risk_acknowledge",
    ),
]
