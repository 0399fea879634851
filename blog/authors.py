"""Who wrote a post, as readers and other sites see it (the h-card on pages, the author in feeds):
one function, so the profile (/admin/profile: display name, website, photo) feeds every place."""

from __future__ import annotations

from dataclasses import dataclass

from .models import User
from .permalinks import absolute_url_for
from .site_settings import get_setting


@dataclass(frozen=True)
class AuthorCard:
    name: str
    url: str  # absolute
    photo: str = ""  # absolute URL, or "" when none is set


def author_card(user: User | None) -> AuthorCard:
    """The user's display name (else login name; the blog title when there is no user), their
    website (else the site's URL) and the URL of their photo, if they have one."""
    if user is None:
        return AuthorCard(name=get_setting("blog_title"), url=absolute_url_for("public.index"))
    name = user.public_name.strip() or get_setting("blog_title")
    url = user.website if user.website.startswith(("http://", "https://")) else absolute_url_for("public.index")
    photo = absolute_url_for("profile_photos.photo", name=user.photo) if user.photo else ""
    return AuthorCard(name=name, url=url, photo=photo)
