#!/usr/bin/env bash
# The whole path against a live WordPress 6.1 (../shared/tools/wp-peer, started), outside `make test`:
# WordPress writes content and exports it (tools/wordpress-export-fixture.sh, which removes the content
# again), a throwaway blog imports the file, exports itself, a second throwaway blog imports that, and
# both blogs' exports are compared. Run as root from the worktree.
#
#     tools/wp-roundtrip.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FLASK="$HERE/.venv/bin/flask"

"$HERE/tools/wordpress-export-fixture.sh" "$WORK/wordpress.xml"

blog() {  # blog NAME COMMAND...: a flask command on the throwaway blog NAME
    local name="$1"; shift
    BLOG_INSTANCE_PATH="$WORK/$name" "$FLASK" --app blog "$@"
}
for name in first second; do
    mkdir -p "$WORK/$name"
    BLOG_INSTANCE_PATH="$WORK/$name" "$HERE/.venv/bin/python" -c \
        'from blog import create_app; from blog.extensions import db; app = create_app(); app.app_context().push(); db.create_all()'
    blog "$name" create-admin --blog-title "Round trip" --username owner --email owner@example.com \
        --password "round-trip-password" >/dev/null
done
echo "== WordPress's export imported into a fresh blog"
blog first import-wordpress "$WORK/wordpress.xml"
echo "== the same file again (changes nothing)"
blog first import-wordpress "$WORK/wordpress.xml" | head -1
blog first export-wordpress --site-url http://first.example "$WORK/first.xml"
echo "== our export imported into a second fresh blog"
blog second import-wordpress "$WORK/first.xml" | head -1
blog second export-wordpress --site-url http://second.example "$WORK/second.xml"
"$HERE/.venv/bin/python" - "$WORK/first.xml" "$WORK/second.xml" <<'PY'
import sys
from blog.wordpress.wxr_reader import Item, read_wxr

def content(path):
    items = [r for r in read_wxr(open(path, "rb")) if isinstance(r, Item)]
    posts = sorted((i.title, i.slug, i.status, str(i.date_gmt), i.markdown) for i in items)
    comments = sorted((i.slug, c.type, c.approved, c.author, c.author_url, c.content) for i in items for c in i.comments)
    deliveries = sorted((i.slug, d.target, d.status) for i in items for d in i.deliveries)
    return posts, comments, deliveries

first, second = content(sys.argv[1]), content(sys.argv[2])
print(f"posts {len(first[0])}, comments and linkbacks {len(first[1])}, deliveries {len(first[2])}")
print("round trip: the same" if first == second else "round trip: DIFFERENT")
sys.exit(0 if first == second else 1)
PY
