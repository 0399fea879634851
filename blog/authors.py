"""Who wrote a post, as readers and other sites see it (the h-card on pages, the author in feeds):
one function, so the profile a later issue adds (display name, URL, photo) feeds every place."""

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
    """The user's name (the blog title when there is none) and the site's URL. Until profiles
    exist there is no display name or photo: this is where they will come from."""
    name = (user.username if user is not None else "").strip()
    return AuthorCard(name=name or get_setting("blog_title"), url=absolute_url_for("public.index"))
