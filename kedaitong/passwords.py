"""Password validation in Chinese.

Django 5.2.19 reworded MinimumLengthValidator's message ("... at least %d characters." instead of
"... at least %(min_length)d characters."), and its own zh_Hans catalogue still translates only the
old wording, so a zh-hans user was told "This password is too short" in English (issue 18 item 7).
This validator is Django's with the message as our catalogue (locale/zh_Hans) words it; the other
three validators' messages are translated by Django's catalogue.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: it must have at least %(min_length)d character.",
            "This password is too short: it must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
