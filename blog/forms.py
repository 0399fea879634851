"""Flask-WTF forms, one class per form. Labels are the texts people (and browser tests) look for."""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from .linkbacks.links import invalid_trackback_entries

USERNAME_RULE = Regexp(r"^[\w.@+-]+$", message="Use letters, digits and . @ + - _ only.")
DATE_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
DATE_MESSAGE = "Enter the date as YYYY-MM-DD HH:MM"
# Years whose dates survive conversion between any two time zones (datetime ends at 1 and 9999).
DATE_YEARS = (1000, 9998)


def strip_whitespace(value):
    """Field filter: surrounding whitespace is never meaningful in one-line fields."""
    return value.strip() if isinstance(value, str) else value


STRIP = [strip_whitespace]


class MaxConfiguredLength:
    """Length limit read from the app config when the form is validated."""

    def __init__(self, config_key: str):
        self.config_key = config_key

    def __call__(self, form, field):
        limit = current_app.config[self.config_key]
        if field.data and len(field.data) > limit:
            raise ValidationError(f"This is too long: at most {limit:,} characters.")


class LocalDateTimeField(DateTimeLocalField):
    """A datetime-local field that says what it expects when the text is not a date."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(f"{DATE_MESSAGE}.") from error


class SetupForm(FlaskForm):
    blog_title = StringField("Blog title", filters=STRIP, validators=[DataRequired(), Length(max=250)])
    username = StringField(
        "Username", filters=STRIP, validators=[DataRequired(), Length(max=60), USERNAME_RULE]
    )
    password = PasswordField(
        "Password", validators=[InputRequired(), Length(min=8, message="Use at least 8 characters.")]
    )
    email = EmailField("Email", filters=STRIP, validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField("Install")


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])
    submit = SubmitField("Log in")


class PostForm(FlaskForm):
    title = StringField(
        "Title",
        filters=STRIP,
        validators=[DataRequired(message="Please give the post a title."), Length(max=250)],
    )
    body = TextAreaField("Content", validators=[MaxConfiguredLength("POST_MAX_CHARS")])
    tags = StringField("Tags", validators=[Length(max=2000)])
    slug = StringField("Slug", filters=STRIP, validators=[Optional(), Length(max=190)])
    publish_date = LocalDateTimeField(
        "Publish date",
        format=DATE_FORMATS,
        validators=[Optional()],
        render_kw={"step": 60},
    )
    allow_comments = BooleanField("Allow comments", default=True)
    allow_pings = BooleanField("Allow pingbacks & trackbacks", default=True)
    trackback_urls = TextAreaField("Send trackbacks to", validators=[Length(max=5000)])

    def validate_trackback_urls(self, field):
        bad = invalid_trackback_entries(field.data or "")
        if bad:
            raise ValidationError(
                f"Not a web address: {', '.join(bad[:3])}. Give full http:// or https:// URLs, separated by spaces."
            )

    def validate_publish_date(self, field):
        first, last = DATE_YEARS
        if field.data is not None and not first <= field.data.year <= last:
            raise ValidationError(f"{DATE_MESSAGE}, with a year from {first} to {last}.")


class CommentForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=250)])
    email = EmailField("Email", validators=[Optional(), Email(), Length(max=254)])
    url = StringField("Website", validators=[Length(max=2000)])
    content = TextAreaField(
        "Comment",
        validators=[InputRequired(message="Please type a comment."), MaxConfiguredLength("COMMENT_MAX_CHARS")],
    )
    parent_id = IntegerField(widget=HiddenInput(), validators=[Optional()])  # replying to this comment
    submit = SubmitField("Post Comment")

    def require_name_and_email(self) -> bool:
        """WordPress's "Comment author must fill out name and email" rule; False with errors set."""
        ok = True
        if not self.name.data or not self.name.data.strip():
            self.name.errors = [*self.name.errors, "Please fill in your name."]
            ok = False
        if not self.email.data or not self.email.data.strip():
            self.email.errors = [*self.email.errors, "Please fill in your email address."]
            ok = False
        return ok


def _timezone_choices() -> list[str]:
    return sorted(available_timezones() - {"localtime", "Factory"})


SITE_URL_MESSAGE = "Enter a full URL such as https://example.com"


class GeneralSettingsForm(FlaskForm):
    blog_title = StringField("Blog title", filters=STRIP, validators=[DataRequired(), Length(max=250)])
    tagline = StringField("Tagline", filters=STRIP, validators=[Length(max=250)])
    site_url = URLField(
        "Site URL",
        filters=STRIP,
        validators=[Optional(), URL(require_tld=False, message=SITE_URL_MESSAGE)],
    )
    posts_per_page = IntegerField(
        "Posts per page", validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    timezone = SelectField("Time zone", validators=[InputRequired()])
    submit = SubmitField("Save Changes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = _timezone_choices()

    def validate_site_url(self, field):
        # Paths are appended to the site URL, so a query or fragment would swallow them.
        url = field.data or ""
        parts = urlsplit(url)
        if parts.query or parts.fragment or url.endswith(("?", "#")):
            raise ValidationError(f"{SITE_URL_MESSAGE} (without ? or #).")


class CommentEditForm(FlaskForm):
    """The owner's corrections to a comment, pingback, trackback or webmention (the moderation queue)."""

    author_name = StringField("Name", filters=STRIP, validators=[Length(max=250)])
    author_email = EmailField("Email", filters=STRIP, validators=[Optional(), Email(), Length(max=254)])
    author_url = StringField("Website", filters=STRIP, validators=[Length(max=2000)])
    content = TextAreaField(
        "Text",
        validators=[DataRequired(message="The text cannot be empty."), MaxConfiguredLength("COMMENT_MAX_CHARS")],
    )
    submit = SubmitField("Update")

    def validate_author_url(self, field):
        from .comments import normalize_author_url

        if field.data and not normalize_author_url(field.data):
            raise ValidationError("Enter a web address starting with http:// or https://, or leave it empty.")
