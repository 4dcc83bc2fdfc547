from django.urls import path

from sessions.views import paper

urlpatterns = [
    path("demi-journees/<int:pk>/papier/", paper.SlotPaperView.as_view(), name="slot_paper"),
    path(
        "demi-journees/<int:pk>/papier/<int:scan_pk>/",
        paper.SlotPaperScanView.as_view(),
        name="slot_paper_scan",
    ),
]
