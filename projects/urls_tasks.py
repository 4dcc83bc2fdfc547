"""URLs of the tasks pages (filled by their pages)."""

urlpatterns: list = []
