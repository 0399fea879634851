"""The Tools → Import form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField


class ImportForm(FlaskForm):
    file = FileField("WordPress export file", validators=[FileRequired("Choose the .xml file WordPress exported.")])
    submit = SubmitField("Import")
