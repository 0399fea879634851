"""Revisions and autosaves of posts and pages, as in WordPress: tables.py (the two tables),
history.py (revisions kept on each update of a published post, their diffs, restoring one) and
autosave.py (the editor's autosave: the draft itself, or a separate row for a live post)."""
