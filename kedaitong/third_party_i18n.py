"""Words of other packages shown on the admin site, for our zh_Hans catalogue (issue 18 item 7).

django-axes has no Chinese catalogue, and Django 5.2's admin has strings its zh_Hans catalogue
does not translate yet. Their code asks gettext for these very msgids; listing them here keeps them
in locale/zh_Hans/LC_MESSAGES/django.po (`make messages`), where our catalogue answers first
(LOCALE_PATHS). Nothing imports this module.
"""

from django.utils.translation import gettext_noop as _
from django.utils.translation import pgettext_lazy

DJANGO_ADMIN = [
    _("Model name"),
    _("Add link"),
    _("Change or view list link"),
    _("Search"),
]

AXES = [
    _("access attempt"),
    _("access attempts"),
    _("access failure"),
    _("access failures"),
    _("access log"),
    _("access logs"),
    _("access attempt expiration"),
    _("access attempt expirations"),
    _("Access Attempt"),
    _("Access lock out"),
    _("Attempt Remaining"),
    _("Attempt Time"),
    _("Clean up expired attempts"),
    _("Expires At"),
    _("Failed Logins"),
    _("Form Data"),
    _("GET Data"),
    _("HTTP Accept"),
    _("IP Address"),
    _("Locked Out"),
    _("Logout Time"),
    _("Meta Data"),
    _("Not set"),
    _("POST Data"),
    _("Path"),
    _("Session key hash (sha256)"),
    _("The time when access attempt expires and is no longer valid."),
    _("User Agent"),
    _("Username"),
]

DJANGO_TASKS = [
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
]

DJANGO_TASKS_DB = [
    _("Task Result"),
    _("Task Results"),
    _("args kwargs"),
    _("backend name"),
    _("enqueued at"),
    _("exception class path"),
    _("finished at"),
    _("priority"),
    _("queue name"),
    _("return value"),
    _("run after"),
    _("started at"),
    _("status"),
    _("task path"),
    _("traceback"),
    _("worker id"),
]
