"""URLs of the project team and road map pages (filled by their pages)."""

urlpatterns: list = []
