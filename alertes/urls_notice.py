from django.urls import path

from alertes import views_notice

urlpatterns = [
    path("<int:structure>/notice/", views_notice.notice_page, name="notice"),
    path("<int:structure>/notice.pdf", views_notice.notice_pdf, name="notice_pdf"),
]
