"""What an import did: counts, items skipped and why, images left on the old site; shown by the
command, the Tools → Import page, and kept as JSON for the import's status page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Lines listed one by one; past this many of a kind, the rest are only counted (a file of 200,000
# comments must not make a report of 200,000 lines).
MAX_LISTED = 200
COUNT_ORDER = ["posts", "drafts", "scheduled posts", "pages", "comments", "pingbacks", "trackbacks",
               "webmentions", "tags"]
ALREADY_HERE = ["already imported posts", "already imported comments"]


@dataclass
class Skipped:
    kind: str  # "comment", "page", "attachment"...
    what: str  # its title, or "comment 12 on “Title”"
    why: str


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    skipped_total: Counter = field(default_factory=Counter)  # by kind, listed or not
    notes: list[str] = field(default_factory=list)  # a slug changed, a parent missing, an author mapped
    old_images: list[str] = field(default_factory=list)
    old_images_total: int = 0

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n

    def skip(self, kind: str, what: str, why: str) -> None:
        self.skipped_total[kind] += 1
        if len(self.skipped) < MAX_LISTED:
            self.skipped.append(Skipped(kind, what, why))

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_LISTED:
            self.notes.append(text)
        else:
            self.counts["notes not listed"] += 1

    def old_image(self, url: str) -> None:
        self.old_images_total += 1
        if len(self.old_images) < MAX_LISTED and url not in self.old_images:
            self.old_images.append(url)

    def count_lines(self) -> list[str]:
        """"12 posts", "340 comments"... in a fixed order, then any other count."""
        others = sorted(n for n in self.counts if n not in COUNT_ORDER and n not in ALREADY_HERE)
        return [f"{self.counts[n]} {n}" for n in COUNT_ORDER + others if self.counts[n]]

    def summary(self) -> str:
        counts = ", ".join(self.count_lines()) or "nothing new"
        skipped = sum(self.skipped_total.values())
        text = f"Imported {counts}; skipped {skipped} item{'s' if skipped != 1 else ''}."
        already = [f"{self.counts[n]} {n.removeprefix('already imported ')}" for n in ALREADY_HERE if self.counts[n]]
        if already:
            text += f" Already here from an earlier import, left as they are: {', '.join(already)}."
        return text

    def as_text(self) -> str:
        lines = [self.summary()]
        if self.skipped:
            lines.append("Skipped:")
            lines += [f"  {s.kind} {s.what}: {s.why}" for s in self.skipped]
            more = sum(self.skipped_total.values()) - len(self.skipped)
            if more > 0:
                lines.append(f"  … and {more} more")
        if self.notes:
            lines.append("Notes:")
            lines += [f"  {note}" for note in self.notes]
        if self.old_images_total:
            lines.append(f"Images still on the old site ({self.old_images_total}; copy them before it goes away):")
            lines += [f"  {url}" for url in self.old_images]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "counts": dict(self.counts), "skipped": [vars(s) for s in self.skipped],
            "skipped_total": dict(self.skipped_total), "notes": self.notes,
            "old_images": self.old_images, "old_images_total": self.old_images_total,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        return cls(
            counts=Counter(data.get("counts", {})), skipped=[Skipped(**s) for s in data.get("skipped", [])],
            skipped_total=Counter(data.get("skipped_total", {})), notes=list(data.get("notes", [])),
            old_images=list(data.get("old_images", [])), old_images_total=data.get("old_images_total", 0),
        )
