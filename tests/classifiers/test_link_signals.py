"""Spam signals of the website field, spelt-out links, contact handles and generic praise."""

from __future__ import annotations

import pytest

from classifiers.link_signals import link_signals

TITLE = "Council approves the new bypass"


@pytest.mark.parametrize(
    ("body", "author", "url", "expected"),
    [
        (
            "Great post, very informative!",
            "Anna",
            "https://cheap-watches-outlet.example/buy",
            {"generic_praise", "website_commercial"},
        ),
        (
            "Nice article, thanks for sharing",
            "Bob",
            "http://bit.ly/3xYz",
            {"generic_praise", "website_shortener"},
        ),
        ("Find the best prices at shopname dot com", "", "", {"obfuscated_link"}),
        ("see www . deals [dot] com today", "", "", {"obfuscated_link"}),
        ("Contact me on WhatsApp +44 7700 900123 for advice", "", "", {"contact_handle"}),
        (
            "Great read! Message her on instagram @trader_jane",
            "",
            "",
            {"contact_handle", "generic_praise"},
        ),
        (
            "Lovely piece",
            "Zed",
            "https://best-offers.xyz",
            {"generic_praise", "website_commercial"},
        ),
    ],
)
def test_spam_an_article_page_gets_is_named(
    body: str, author: str, url: str, expected: set[str]
) -> None:
    assert set(link_signals(body, author, url, TITLE)) == expected


@pytest.mark.parametrize(
    ("body", "author", "url"),
    [
        # A baker signs with her own shop: her name is in it.
        (
            "The new parking rules will hurt the high street.",
            "Joan Baker",
            "https://joanbaker.example/shop",
        ),
        # Praise that speaks of the article is not generic.
        ("Great article on the bypass, thanks for sharing", "Bob", ""),
        # A long comment with praise in it says something of its own.
        (
            "Great post. "
            + "The bypass will take lorries out of the old town centre at last. " * 3,
            "",
            "",
        ),
        ("She wore a polka dot dress to the count.", "", ""),
        ("The U.S. Dept. of Energy said so.", "", ""),
        (
            "I wrote to my MP about it and she replied within a week.",
            "",
            "https://myblog.example.org",
        ),
    ],
)
def test_ordinary_comments_have_no_spam_signal(body: str, author: str, url: str) -> None:
    found = link_signals(body, author, url, TITLE)
    assert not {"website_commercial", "generic_praise", "obfuscated_link"} & found.keys(), found
