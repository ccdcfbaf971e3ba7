"""Content: plain text preferred, HTML sanitised to Markdown, quotes cut from replies only."""

from email_intake.content import (
    COMMENT_LIMIT,
    body_text,
    html_to_markdown,
    reply_text,
    within_limit,
)


def test_plain_text_is_preferred_when_it_is_real() -> None:
    assert body_text("Hello\r\n\r\n\r\n\r\nthere", "<p>other</p>") == "Hello\n\nthere"
    assert body_text("  ", "<p>from <b>HTML</b></p>") == "from **HTML**"


def test_html_loses_scripts_styles_handlers_tracking_and_bad_links() -> None:
    html = (
        '<style>.x{}</style><script>evil()</script><p onclick="evil()">Hi</p>'
        '<img src="https://t.example/p.gif"><a href="javascript:evil()">x</a>'
        '<img src="data:image/png;base64,AAAA"><iframe src="https://e.example"></iframe>'
    )
    assert html_to_markdown(html) == "Hi\n\nx"


def test_inline_images_become_their_names() -> None:
    html = '<p>See <img src="cid:abc@x" alt="alt text"></p>'
    assert html_to_markdown(html, {"abc@x": "shot.png"}) == "See [image: shot.png]"
    assert html_to_markdown(html) == "See [image: alt text]"


def test_replies_lose_quotes_and_signatures() -> None:
    text = (
        "Yes, done.\n\nBest regards,\nJane\n\nOn Mon, 3 Nov 2025 at 10:00, Desk <d@x> wrote:\n"
        "> old\n"
    )
    assert reply_text(text) == "Yes, done."
    german = "Danke!\n\nAm Mo., 3. Nov. 2025 um 10:00 Uhr schrieb Desk <d@x>:\n> alt\n"
    assert reply_text(german) == "Danke!"


def test_a_reply_that_is_only_a_quote_keeps_its_text() -> None:
    assert reply_text("> only quoted") != ""


def test_html_reply_history_is_cut_before_conversion() -> None:
    html = '<p>New words</p><div id="divRplyFwdMsg"><b>From:</b> Desk</div><p>old words</p>'
    assert body_text("", html, reply=True) == "New words"
    assert "old words" in body_text("", html)


def test_long_text_is_cut_with_a_note_never_refused() -> None:
    cut = within_limit("x" * (COMMENT_LIMIT + 10))
    assert len(cut) <= COMMENT_LIMIT and cut.endswith("kept with it.]")
    assert within_limit("short") == "short"
