app_name = "livrables"

urlpatterns = []
