"""URLs of the fiches pages (filled by their pages)."""

urlpatterns: list = []
