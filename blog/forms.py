"""Flask-WTF forms, one class per form. Labels are the texts people (and browser tests) look for."""

from __future__ import annotations

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
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

USERNAME_RULE = Regexp(r"^[\w.@+-]+$", message="Use letters, digits and . @ + - _ only.")
DATE_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class MaxConfiguredLength:
    """Length limit read from the app config when the form is validated."""

    def __init__(self, config_key: str):
        self.config_key = config_key

    def __call__(self, form, field):
        limit = current_app.config[self.config_key]
        if field.data and len(field.data) > limit:
            raise ValidationError(f"This is too long: at most {limit:,} characters.")


class SetupForm(FlaskForm):
    blog_title = StringField("Blog title", validators=[InputRequired(), Length(max=250)])
    username = StringField("Username", validators=[InputRequired(), Length(max=60), USERNAME_RULE])
    password = PasswordField(
        "Password", validators=[InputRequired(), Length(min=8, message="Use at least 8 characters.")]
    )
    email = EmailField("Email", validators=[InputRequired(), Email(), Length(max=254)])
    submit = SubmitField("Install")


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])
    submit = SubmitField("Log in")


class PostForm(FlaskForm):
    title = StringField(
        "Title", validators=[InputRequired(message="Please give the post a title."), Length(max=250)]
    )
    body = TextAreaField("Content", validators=[MaxConfiguredLength("POST_MAX_CHARS")])
    tags = StringField("Tags", validators=[Length(max=2000)])
    slug = StringField("Slug", validators=[Optional(), Length(max=190)])
    publish_date = DateTimeLocalField(
        "Publish date",
        format=DATE_FORMATS,
        validators=[Optional()],
        render_kw={"step": 60},
    )
    allow_comments = BooleanField("Allow comments", default=True)
    allow_pings = BooleanField("Allow pingbacks & trackbacks", default=True)

    def validate_publish_date(self, field):
        if field.raw_data and field.raw_data[0].strip() and field.data is None:
            raise ValidationError("Enter the date as YYYY-MM-DD HH:MM.")


class CommentForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=250)])
    email = EmailField("Email", validators=[Optional(), Email(), Length(max=254)])
    url = StringField("Website", validators=[Length(max=2000)])
    content = TextAreaField(
        "Comment",
        validators=[InputRequired(message="Please type a comment."), MaxConfiguredLength("COMMENT_MAX_CHARS")],
    )
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


class GeneralSettingsForm(FlaskForm):
    blog_title = StringField("Blog title", validators=[InputRequired(), Length(max=250)])
    tagline = StringField("Tagline", validators=[Length(max=250)])
    site_url = URLField(
        "Site URL",
        validators=[Optional(), URL(require_tld=False, message="Enter a full URL such as https://example.com")],
    )
    posts_per_page = IntegerField(
        "Posts per page", validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    timezone = SelectField("Time zone", validators=[InputRequired()])
    submit = SubmitField("Save Changes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = _timezone_choices()
