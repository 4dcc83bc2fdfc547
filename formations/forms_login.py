from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

# One message whatever was wrong: an unknown account, a wrong password and a
# deactivated account look the same, so the form tells nobody which accounts exist.
LOGIN_FAILED = _("Identifiant ou mot de passe incorrect.")


class LoginForm(AuthenticationForm):
    error_messages = {"invalid_login": LOGIN_FAILED, "inactive": LOGIN_FAILED}
