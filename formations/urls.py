app_name = "formations"

urlpatterns = []
