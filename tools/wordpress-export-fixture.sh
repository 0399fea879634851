#!/usr/bin/env bash
# Builds tests/data/wordpress-6.1-export.xml from a real WordPress 6.1 (../shared/tools/wp-peer,
# already started): writes posts (classic and block markup), a page, a draft, a private and a
# scheduled post, tags and a category, threaded comments in every status, a pingback and a
# trackback sent by WordPress itself, runs WordPress's own export_wp() limited to those posts, and
# deletes everything it wrote again (other benchmarks use the peer's standard content). Run as root.
#
#     tools/wordpress-export-fixture.sh [OUTPUT]
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
PEER="${WP_PEER:-$HERE/../shared/tools/wp-peer}"
OUT="${1:-$HERE/tests/data/wordpress-6.1-export.xml}"
IDS="$(mktemp)"

cleanup() {
    if [ -s "$IDS" ]; then
        "$PEER/wp-eval.sh" '
            foreach ( explode( ",", "'"$(cat "$IDS")"'" ) as $id ) { if ( $id ) { wp_delete_post( (int) $id, true ); } }
            foreach ( array( "wxr-python", "wxr-linkbacks" ) as $slug ) {
                $t = get_term_by( "slug", $slug, "post_tag" ); if ( $t ) { wp_delete_term( $t->term_id, "post_tag" ); } }
            $c = get_term_by( "slug", "wxr-fixture-news", "category" ); if ( $c ) { wp_delete_term( $c->term_id, "category" ); }
            echo "deleted the fixture content\n";' >&2
    fi
    rm -f "$IDS"
}
trap cleanup EXIT

# 1. Content. Post A gets comments in every status, threaded three deep.
"$PEER/wp-eval.sh" 'try {
    $admin = get_user_by( "login", "admin" ); wp_set_current_user( $admin->ID );
    $ids = array();
    $news = wp_insert_term( "WXR Fixture News", "category", array( "slug" => "wxr-fixture-news" ) );
    $news_id = is_wp_error( $news ) ? get_term_by( "slug", "wxr-fixture-news", "category" )->term_id : $news["term_id"];
    $home = get_option( "home" );
    $make_post = function ( $title, $content, $status, $date, $extra = array() ) use ( &$ids, $admin ) {
        $id = wp_insert_post( array_merge( array(
            "post_title" => $title, "post_content" => $content, "post_status" => $status,
            "post_author" => $admin->ID, "post_date" => $date, "post_date_gmt" => get_gmt_from_date( $date ),
            "comment_status" => "open", "ping_status" => "open" ), $extra ), true );
        if ( is_wp_error( $id ) ) { fwrite( STDERR, $id->get_error_message() ); exit( 1 ); }
        $ids[] = $id; return $id;
    };
    $a = $make_post( "WXR fixture: a classic post", "First paragraph of a classic post, with <strong>bold</strong> &amp; an ampersand.\nA second line.\n\n<!--more-->\n\n[caption id=\"\" align=\"alignnone\" width=\"300\"]<img src=\"$home/wp-content/uploads/2021/03/cat.jpg\" alt=\"A cat\" width=\"300\" height=\"200\" /> A cat on the old site[/caption]\n\nA link to <a href=\"http://example.org/elsewhere/\">another site</a>.", "publish", "2021-03-04 10:20:30",
        array( "tags_input" => array( "wxr-python", "wxr-linkbacks" ), "post_category" => array( $news_id ), "post_name" => "wxr-classic" ) );
    $b = $make_post( "WXR fixture: a block post", "<!-- wp:paragraph -->\n<p>A block paragraph linking to <a href=\"" . get_permalink( $a ) . "\">the classic post</a>.</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:list -->\n<ul><li>one</li><li>two</li></ul>\n<!-- /wp:list -->\n\n<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><p>A quotation.</p></blockquote>\n<!-- /wp:quote -->", "publish", "2021-03-05 11:00:00",
        array( "tags_input" => array( "wxr-python" ), "post_name" => "wxr-block" ) );
    $make_post( "WXR fixture: a draft", "Not finished.", "draft", "2021-03-06 09:00:00" );
    $make_post( "WXR fixture: a private post", "Only for me.", "private", "2021-03-07 09:00:00" );
    $make_post( "WXR fixture: a scheduled post", "Comes later.", "future", "2099-01-01 09:00:00" );
    $page = $make_post( "WXR fixture page", "<!-- wp:paragraph -->\n<p>About this blog.</p>\n<!-- /wp:paragraph -->", "publish", "2021-03-01 08:00:00", array( "post_type" => "page", "menu_order" => 3 ) );
    $make_comment = function ( $post_id, $author, $text, $approved, $parent = 0, $date = "2021-03-08 12:00:00" ) {
        return wp_insert_comment( array( "comment_post_ID" => $post_id, "comment_author" => $author,
            "comment_author_email" => strtolower( $author ) . "@example.com", "comment_author_url" => "",
            "comment_author_IP" => "192.0.2.10", "comment_content" => $text, "comment_approved" => $approved,
            "comment_parent" => $parent, "comment_date" => $date, "comment_date_gmt" => $date,
            "comment_agent" => "Mozilla/5.0 (fixture)", "comment_type" => "comment" ) );
    };
    $top = $make_comment( $a, "Ann", "A first comment, with <em>emphasis</em> and a link: <a href=\"http://example.org/ann/\">my site</a>.", 1 );
    $reply = $make_comment( $a, "Bob", "A reply to Ann.", 1, $top, "2021-03-08 13:00:00" );
    $make_comment( $a, "Ann", "A reply to the reply.", 1, $reply, "2021-03-08 14:00:00" );
    $make_comment( $a, "Cy", "Waiting for moderation.", 0, 0, "2021-03-09 09:00:00" );
    $make_comment( $a, "Spammer", "Cheap pills at http://spam.example/", "spam", 0, "2021-03-09 10:00:00" );
    $trashed = $make_comment( $a, "Dee", "Thrown away.", 1, 0, "2021-03-09 11:00:00" ); wp_trash_comment( $trashed );
    $make_comment( $page, "Eve", "A comment on the page.", 1 );
    update_post_meta( $a, "_wxr_fixture", "1" );
    echo implode( ",", $ids ), ",";
} catch ( Throwable $e ) { fwrite( STDERR, $e->getMessage() . " line " . $e->getLine() . "\n" ); echo implode( ",", $ids ), ","; exit( 1 ); }
' > "$IDS"
A_URL="$("$PEER/wp-eval.sh" '$p = get_page_by_path( "wxr-classic", OBJECT, "post" ); echo get_permalink( $p );')"
echo "classic post: $A_URL" >&2

# 2. A trackback sent by WordPress itself (the block post sent its pingback when it was published).
C_URL="$("$PEER/publish.sh" "WXR fixture: a post that sends a trackback" "<p>Tracking back.</p>" "${A_URL}trackback/" 2>/dev/null)"
"$PEER/wp-eval.sh" 'echo url_to_postid( "'"$C_URL"'" ), ",";' >> "$IDS"
"$PEER/comments.sh" "$A_URL" | cut -c1-160 >&2

# 3. WordPress's own exporter, limited to those posts (its query for post ids gets "AND ID IN (...)").
"$PEER/wp-eval.sh" '
    require_once ABSPATH . "wp-admin/includes/export.php";
    $ids = array_filter( array_map( "intval", explode( ",", "'"$(cat "$IDS")"'" ) ) );
    add_filter( "query", function ( $sql ) use ( $ids ) {
        global $wpdb;
        if ( 0 === strpos( $sql, "SELECT ID FROM {$wpdb->posts} " ) ) { $sql .= " AND {$wpdb->posts}.ID IN (" . implode( ",", $ids ) . ")"; }
        return $sql;
    } );
    export_wp( array( "content" => "all" ) );
' > "$OUT"
echo "wrote $OUT ($(grep -c '<item>' "$OUT") items)" >&2
