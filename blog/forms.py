"""Flask-WTF forms, one class per form. Labels are the texts people (and browser tests) look for."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget, PasswordInput

from .categories import NAME_MAX_CHARS as CATEGORY_NAME_MAX_CHARS
from .categories import SLUG_MAX_CHARS as CATEGORY_SLUG_MAX_CHARS
from .comments import normalize_author_url
from .linkbacks.links import invalid_trackback_entries
from .posts import TITLE_MAX_CHARS

USERNAME_RULE = Regexp(r"^[\w.@+-]+$", message="Use letters, digits and . @ + - _ only.")
DATE_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
DATE_MESSAGE = "Enter the date as YYYY-MM-DD HH:MM"
# Years whose dates survive conversion between any two time zones (datetime ends at 1 and 9999).
DATE_YEARS = (1000, 9998)


def strip_whitespace(value):
    """Field filter: surrounding whitespace is never meaningful in one-line fields."""
    return value.strip() if isinstance(value, str) else value


STRIP = [strip_whitespace]


# Special-use names (RFC 6761, RFC 6762) a self-hosted blog's owner or visitors may well use.
LOCAL_EMAIL_DOMAINS = ("test", "example", "localhost", "local")


class WellFormedEmail:
    """Any well-formed address, without asking DNS whether it receives mail (a self-hosted blog may
    run where mail is local or not yet set up), and on special-use domains such as alice@example.test
    or alice@home.local, which email-validator refuses outright."""

    message = "Invalid email address."

    def __call__(self, form, field):
        address = field.data or ""
        local, at, domain = address.rpartition("@")
        labels = domain.split(".")
        special = bool(at) and labels[-1].lower() in LOCAL_EMAIL_DOMAINS
        if special:
            # Checked as the same address under a name email-validator accepts ("example", a reserved
            # TLD it does not list), so the local part and the other labels get the full syntax check.
            address = f"{local}@{'.'.join([*labels[:-1], 'example'])}"
        try:
            validate_email(address, check_deliverability=False, globally_deliverable=not special)
        except EmailNotValidError as error:
            raise ValidationError(self.message) from error


EMAIL_RULE = WellFormedEmail()


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

    def __call__(self, **kwargs):
        """A datetime-local input can only hold a real date: text that is not one is shown back as
        typed, in a plain text input (valid HTML), beside its error."""
        if self.raw_data and self.raw_data[0] and self.data is None:
            kwargs["type"] = "text"
            self.render_kw = {k: v for k, v in (self.render_kw or {}).items() if k not in ("step", "min", "max")}
        return super().__call__(**kwargs)


class TypedIntegerField(IntegerField):
    """A number input that shows text that is not a number back as typed, in a plain text input
    (a number input may only hold a number), beside its error."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a whole number, such as 0, 1 or 2.") from error

    def __call__(self, **kwargs):
        if self.raw_data and self.raw_data[0] and self.data is None:
            kwargs["type"] = "text"
            for flag in ("min", "max", "step"):
                kwargs[flag] = False
        return super().__call__(**kwargs)


class SetupForm(FlaskForm):
    blog_title = StringField("Blog title", filters=STRIP, validators=[DataRequired(), Length(max=250)])
    username = StringField(
        "Username", filters=STRIP, validators=[DataRequired(), Length(max=60), USERNAME_RULE]
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(), Length(min=8, message="Use at least 8 characters.")],
        widget=PasswordInput(hide_value=False),  # kept after an error in another field (never cached: no-store)
    )
    email = EmailField("Email", filters=STRIP, validators=[DataRequired(), EMAIL_RULE, Length(max=254)])
    submit = SubmitField("Install")


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])
    submit = SubmitField("Log in")


class CheckboxListField(SelectMultipleField):
    """A checkbox per choice (the values are ids). A value no longer offered (a category deleted while
    the editor was open) is dropped, not refused: the rest of the form is still saved."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        offered = {value for value, _ in self.choices or []}
        self.data = [value for value in self.data or [] if value in offered]


class PostForm(FlaskForm):
    title = StringField(
        "Title",
        filters=STRIP,
        validators=[
            DataRequired(message="Please give the post a title."),
            Length(max=TITLE_MAX_CHARS, message=f"A title can have at most {TITLE_MAX_CHARS} characters; "
                   "this one has %(length)d. Shorten it, then save again."),
        ],
    )
    body = TextAreaField("Content", validators=[MaxConfiguredLength("POST_MAX_CHARS")])
    tags = StringField("Tags", validators=[Length(max=2000)])
    categories = CheckboxListField("Categories", coerce=int, choices=[])
    new_category = StringField("New category", filters=STRIP, validators=[Length(max=1000)])
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


class PageForm(PostForm):
    """The editor for a static page: a post's fields without tags or categories, with a menu order."""

    title = StringField(
        "Title",
        filters=STRIP,
        validators=[
            DataRequired(message="Please give the page a title: it is also its name in the site's navigation."),
            Length(max=TITLE_MAX_CHARS, message=f"A title can have at most {TITLE_MAX_CHARS} characters; "
                   "this one has %(length)d. Shorten it, then save again."),
        ],
    )
    tags = None
    categories = None
    new_category = None
    menu_order = TypedIntegerField("Menu order", default=0, validators=[Optional()],
                                   render_kw={"min": -9999, "max": 9999})

    def validate_menu_order(self, field):
        if field.data is not None and not -9999 <= field.data <= 9999:
            raise ValidationError("Give a number from -9999 to 9999.")


class CategoryForm(FlaskForm):
    name = StringField("Name", filters=STRIP, validators=[
        DataRequired(message="Please give the category a name."), Length(max=CATEGORY_NAME_MAX_CHARS)])
    slug = StringField("Slug", filters=STRIP, validators=[Optional(), Length(max=CATEGORY_SLUG_MAX_CHARS)])


class CommentForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=250)])
    email = EmailField("Email", validators=[Optional(), EMAIL_RULE, Length(max=254)])
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
    timezone = SelectField("Time zone")  # a value that is not one of the choices is refused
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


FULL_OR_EXCERPT = [SelectChoice("full", "Full text"), SelectChoice("excerpt", "Excerpt")]


class ReadingSettingsForm(FlaskForm):
    """Settings -> Reading, in WordPress's words. The two choices are stored as rss_use_excerpt and
    home_use_excerpt (true: excerpt)."""

    posts_per_page = IntegerField("Blog pages show at most", validators=[InputRequired(), NumberRange(min=1, max=100)])
    posts_per_rss = IntegerField("Syndication feeds show the most recent",
                                 validators=[InputRequired(), NumberRange(min=1, max=100)])
    rss_use_excerpt = RadioField("For each post in a feed, include", choices=FULL_OR_EXCERPT)
    home_use_excerpt = RadioField("For each post on the home page, include", choices=FULL_OR_EXCERPT)
    submit = SubmitField("Save Changes")

    CHOICES = ("rss_use_excerpt", "home_use_excerpt")

    @classmethod
    def from_settings(cls, settings: dict) -> ReadingSettingsForm:
        data = {name: settings[name] for name in ("posts_per_page", "posts_per_rss")}
        data.update({name: "excerpt" if settings[name] else "full" for name in cls.CHOICES})
        return cls(data=data)

    def values(self) -> dict:
        """The settings to store."""
        values = {name: getattr(self, name).data for name in ("posts_per_page", "posts_per_rss")}
        values.update({name: getattr(self, name).data == "excerpt" for name in self.CHOICES})
        return values


class CommentEditForm(FlaskForm):
    """The owner's corrections to a comment, pingback, trackback or webmention (the moderation queue)."""

    author_name = StringField("Name", filters=STRIP, validators=[Length(max=250)])
    author_email = EmailField("Email", filters=STRIP, validators=[Optional(), EMAIL_RULE, Length(max=254)])
    author_url = StringField("Website", filters=STRIP, validators=[Length(max=2000)])
    content = TextAreaField(
        "Text",
        validators=[DataRequired(message="The text cannot be empty."), MaxConfiguredLength("COMMENT_MAX_CHARS")],
    )
    submit = SubmitField("Update")

    def validate_author_url(self, field):
        if field.data and not normalize_author_url(field.data):
            raise ValidationError("Enter a web address starting with http:// or https://, or leave it empty.")


def _lines(text: str | None) -> str:
    """A word/site list as stored: trimmed lines, empty ones dropped."""
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


class DiscussionSettingsForm(FlaskForm):
    """Settings -> Discussion, labelled as WordPress users know it (LINKBACKS.md section 5)."""

    default_pingback_flag = BooleanField("Attempt to notify any blogs linked to from the post")
    default_ping_status = BooleanField(
        "Allow link notifications from other blogs (pingbacks and trackbacks) on new posts"
    )
    default_comment_status = BooleanField("Allow people to submit comments on new posts")
    require_name_email = BooleanField("Comment author must fill out name and email")
    close_comments_for_old_posts = BooleanField("Automatically close comments on posts older than")
    close_comments_days_old = IntegerField("days", validators=[InputRequired(), NumberRange(min=1, max=36500)])
    close_pings_for_old_posts = BooleanField("Automatically close pingbacks and trackbacks on posts older than")
    close_pings_days_old = IntegerField("days", validators=[InputRequired(), NumberRange(min=1, max=36500)])
    thread_comments = BooleanField("Enable threaded (nested) comments")
    thread_comments_depth = SelectField(
        "levels deep",
        coerce=int,
        choices=[SelectChoice(str(n), str(n)) for n in range(2, 11)],  # any other value is refused as not a choice
    )
    page_comments = BooleanField("Break comments into pages with")
    comments_per_page = IntegerField(
        "top level comments per page", validators=[InputRequired(), NumberRange(min=1, max=1000)]
    )
    default_comments_page = SelectField(
        "and the … page displayed by default", choices=[SelectChoice("newest", "last"), SelectChoice("oldest", "first")]
    )
    comment_order = SelectField(
        "Comments should be displayed with the … comments at the top of each page",
        choices=[SelectChoice("asc", "older"), SelectChoice("desc", "newer")],
    )
    comments_notify = BooleanField("Anyone posts a comment")
    pings_notify = BooleanField("A pingback or trackback arrives")
    moderation_notify = BooleanField("A comment is held for moderation")
    comment_moderation = BooleanField("Comment must be manually approved")
    comment_previously_approved = BooleanField("Comment author must have a previously approved comment")
    comment_max_links = IntegerField(
        "Hold a comment in the queue if it contains … or more links (0: never)",
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    moderation_keys = TextAreaField("Comment Moderation", filters=[_lines], validators=[Length(max=20000)])
    disallowed_keys = TextAreaField("Disallowed Comment Keys", filters=[_lines], validators=[Length(max=20000)])
    linkback_allow_sites = TextAreaField(
        "Always accept linkbacks from these sites", filters=[_lines], validators=[Length(max=20000)]
    )
    linkback_block_sites = TextAreaField(
        "Send linkbacks from these sites to spam", filters=[_lines], validators=[Length(max=20000)]
    )
    approve_own_links = BooleanField("Approve links between my own posts automatically")
    verify_trackbacks = BooleanField("Verify that trackbacks link to this blog")
    nofollow_links = BooleanField('Add rel="nofollow" to links in comments and linkbacks')
    separate_mentions = BooleanField("Show pingbacks and trackbacks separately from comments")
    accept_pingbacks = BooleanField("Accept pingbacks")
    accept_trackbacks = BooleanField("Accept trackbacks")
    accept_webmentions = BooleanField("Accept webmentions")
    spam_check_sender = BooleanField(
        "Send a pingback or trackback to spam when the address that sent it is not one of its site's addresses"
    )
    spam_hold_link_farms = BooleanField("Hold a linkback whose page links to more than")
    spam_link_farm_links = IntegerField("other sites", validators=[InputRequired(), NumberRange(min=1, max=10000)])
    spam_hold_contextless = BooleanField(
        "Hold a pingback or trackback whose page is not HTML or has no text around its link"
    )
    spam_filter = BooleanField(
        "Score every new comment and linkback with a spam filter that learns from your decisions"
    )
    spam_threshold = IntegerField(
        "Send to spam at a score of", validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    spam_hold_threshold = IntegerField(
        "hold for moderation from", validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    spam_discard = BooleanField("Silently discard the worst spam: not stored, only counted, at a score of")
    spam_discard_threshold = IntegerField("Discard at a score of",
                                          validators=[InputRequired(), NumberRange(min=1, max=100)])
    spam_delete_days = IntegerField(
        "Delete spam older than", validators=[InputRequired(), NumberRange(min=0, max=3650)]
    )
    submit = SubmitField("Save Changes")

    def validate_spam_hold_threshold(self, field):
        if self.spam_threshold.data is not None and field.data is not None and field.data > self.spam_threshold.data:
            raise ValidationError("Hold from a score no higher than the spam score.")

    def validate_spam_discard_threshold(self, field):
        if self.spam_threshold.data is not None and field.data is not None and field.data < self.spam_threshold.data:
            raise ValidationError("Discard only at a score at least as high as the spam score.")

    def _check_sites(self, field):
        for entry in (field.data or "").splitlines():
            if "://" in entry:
                parts = urlsplit(entry)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise ValidationError(f"Not a site: {entry} (give a host such as example.com, or an http(s) URL)")
            elif not re.fullmatch(r"\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?", entry):
                raise ValidationError(f"Not a site: {entry} (give a host such as example.com, or an http(s) URL)")

    validate_linkback_allow_sites = _check_sites
    validate_linkback_block_sites = _check_sites


class ImageUploadForm(FlaskForm):
    """An image for the media library, with the alt text its Markdown gets. In the editor it rides in
    the post's form (prefix "upload", the post form's token covers it); on the Media page it has its own."""

    image = FileField("Upload image", render_kw={"accept": "image/jpeg,image/png,image/gif,image/webp"})
    alt_text = StringField("Alt text", filters=STRIP)
