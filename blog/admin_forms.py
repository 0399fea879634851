"""Forms of the dashboard (quick draft), the profile, password reset and replying from the moderation
queue (the others are in forms.py). Labels are the texts people and browser tests look for."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField, TextAreaField, URLField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from .comments import normalize_author_url
from .forms import EMAIL_RULE, STRIP, MaxConfiguredLength
from .posts import TITLE_MAX_CHARS

PASSWORD_RULES = [Length(min=8, max=1000, message="Use at least 8 characters.")]
PHOTO_TYPES = "image/jpeg,image/png,image/gif,image/webp"


class QuickDraftForm(FlaskForm):
    title = StringField(
        "Title", filters=STRIP,
        validators=[DataRequired(message="Please give the draft a title."), Length(max=TITLE_MAX_CHARS)],
    )
    body = TextAreaField("Content", validators=[MaxConfiguredLength("POST_MAX_CHARS")])
    submit = SubmitField("Save Draft")


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", filters=STRIP, validators=[Length(max=250)])
    email = EmailField("Email", filters=STRIP, validators=[DataRequired(), EMAIL_RULE, Length(max=254)])
    website = URLField("Website", filters=STRIP, validators=[Length(max=2000)])
    photo = FileField("Photo", render_kw={"accept": PHOTO_TYPES})
    remove_photo = BooleanField("Remove the photo")
    current_password = PasswordField("Current password", validators=[Length(max=1000)])
    new_password = PasswordField("New password", validators=[Optional(), *PASSWORD_RULES])
    submit = SubmitField("Update Profile")

    def validate_website(self, field):
        url = field.data or ""
        if url and not (url.lower().startswith(("http://", "https://")) and normalize_author_url(url)):
            raise ValidationError("Enter a web address starting with http:// or https://, or leave it empty.")


class LostPasswordForm(FlaskForm):
    name = StringField("Username or email address", filters=STRIP, validators=[InputRequired(), Length(max=254)])
    submit = SubmitField("Get New Password")


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[InputRequired(), *PASSWORD_RULES])
    submit = SubmitField("Save Password")


class ReplyForm(FlaskForm):
    content = TextAreaField(
        "Reply",
        validators=[DataRequired(message="Please type a reply."), MaxConfiguredLength("COMMENT_MAX_CHARS")],
    )
    submit = SubmitField("Reply")
