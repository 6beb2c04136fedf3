"""The panel's forms. Every field is checked here, on the server; messages are English msgids."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import Field as WTField
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from cloudy_panel.web.i18n import LANGUAGES
from cloudy_panel.web.services import Field, Form, check_field

# A Unix account name as Debian's adduser accepts it by default.
USER_RE = r"[a-z_][a-z0-9_-]{0,31}"


class LoginForm(FlaskForm):
    user = StringField(
        lazy_gettext("User name"),
        validators=[
            DataRequired(lazy_gettext("Enter your user name.")),
            Regexp(
                USER_RE + r"\Z", message=lazy_gettext("A user name has lower-case letters, digits, - and _.")
            ),
        ],
    )
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[
            DataRequired(lazy_gettext("Enter your password.")),
            Length(max=1024, message=lazy_gettext("The password is too long.")),
        ],
    )


class PasswordForm(FlaskForm):
    old = PasswordField(
        lazy_gettext("Current password"),
        validators=[
            DataRequired(lazy_gettext("Enter your current password.")),
            Length(max=1024, message=lazy_gettext("The password is too long.")),
        ],
    )
    new = PasswordField(
        lazy_gettext("New password"),
        validators=[
            Length(min=8, max=128, message=lazy_gettext("The new password needs from 8 to 128 characters.")),
        ],
    )
    confirm = PasswordField(
        lazy_gettext("New password again"),
        validators=[EqualTo("new", message=lazy_gettext("The two new passwords differ."))],
    )


class LanguageForm(FlaskForm):
    lang = SelectField(
        lazy_gettext("Language"),
        choices=list(LANGUAGES),  # values only: the page shows the names (and WTForms 3.0 to 3.3 agree)
        validators=[DataRequired(lazy_gettext("Choose a language."))],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


def _descriptor_check(spec: Field) -> Any:
    def check(_form: FlaskForm, field: WTField) -> None:
        value, error = check_field(spec, field.data or "")
        if error:
            raise ValidationError(gettext(error))
        field.data = value

    return check


def service_form(form: Form, data: dict[str, str] | None = None) -> FlaskForm:
    """A WTForms form built from a descriptor's form; checked with the same rules as the helper."""

    class ServiceForm(FlaskForm):
        pass

    for spec in form.fields:
        # A password field never sends its value back to the browser.
        kind = PasswordField if spec.kind == "secret" else StringField
        setattr(
            ServiceForm,
            spec.name,
            kind(spec.label, default=spec.default, validators=[_descriptor_check(spec)]),
        )
    return ServiceForm(data=data) if data else ServiceForm()
