"""Spam signals a news site has beyond the text: the author's website, links written so that
no link filter sees them, contact handles, and praise that says nothing of the article.

Article-page spam often reads as a bland compliment ("Great post, very informative!") with
the shop in the form's website field; no public data set has that field, so the models cannot
learn it, and the signals are rules a moderator can read ("website: a shop (watches-outlet
.example/buy)"). Kept small and explicit: each pattern says what kind of spam it catches.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["link_signals"]

# Words of selling in a host or a path: a shop, not a person's blog.
_COMMERCIAL = re.compile(
    r"(?:shop|store|buy|cheap|sale|deals?|discount|outlet|casino|bet|poker|loan|loans|credit"
    r"|pills?|pharma|viagra|cialis|replica|watches|seo|backlinks?|crypto|forex|invest|trading"
    r"|escort|dating|hookup|followers|essay|writing-service|vpn|coupon|promo|product|cart"
    r"|checkout|wholesale|offer)"
)
# Link shorteners hide where a link goes: nobody signs a comment with one.
_SHORTENERS = frozenset(
    "bit.ly tinyurl.com goo.gl t.co ow.ly is.gd cutt.ly rebrand.ly shorturl.at buff.ly "
    "tiny.cc rb.gy t.ly s.id v.gd lnkd.in shorte.st adf.ly bl.ink".split()
)
# Top-level domains that spam favours (cheap to register in bulk).
_SPAMMY_TLDS = frozenset(
    "xyz top shop store online site club icu buzz loan win bid vip work click link fun "
    "live rest cam monster cyou sbs quest cfd".split()
)
# A link spelt out so that no link filter sees it: "example dot com", "www . shop . com".
_TLD = r"(?:com|net|org|info|biz|xyz|shop|store|online|site|co|io|me|ru|uk|de|us|ly|in)"
_OBFUSCATED_LINK = re.compile(
    # "shop dot com", "shop (dot) com", "shop[.]com", "www . shop . com"; not "Herodotus", not
    # a sentence's full stop before "In".
    r"\b[a-z0-9-]{2,}(?:\s+d[o0]t\s+|\s*[(\[{]\s*(?:d[o0]t|\.)\s*[)\]}]\s*)" + _TLD + r"\b"
    r"|\bwww(?:\s+\.\s*|\s*\.\s+|\s+d[o0]t\s+)[a-z0-9-]+(?:\s*\.\s*|\s+d[o0]t\s+)" + _TLD + r"\b"
    r"|\bw\s+w\s+w\b",
    re.IGNORECASE,
)
# A contact to take the conversation elsewhere: "@handle on Instagram", "WhatsApp +44...".
_CONTACT = re.compile(
    r"\b(?:whats\s?app|telegram|wechat|viber|instagram|insta|snapchat|kik)\W{0,3}"
    r"(?:me\W{0,3})?(?:@|\+|\d)"
    r"|(?:contact|message|text|write|reach|dm)\s+(?:me\s+|him\s+|her\s+|them\s+)?(?:on|at|via)"
    r"\s+(?:@|\+|\d|whats\s?app|telegram|instagram|insta|ig)"
    r"|(?:^|\s)@[a-z0-9_.]{3,}\s*(?:on\s+)?(?:instagram|insta|ig|telegram)\b",
    re.IGNORECASE,
)
# Praise that could sit under any article: the whole comment is one of these and little else.
_GENERIC_PRAISE = re.compile(
    r"\b(?:(?:great|nice|good|awesome|amazing|excellent|wonderful|fantastic|informative"
    r"|useful|helpful|lovely|brilliant)\s+(?:post|article|blog|read|piece|content|info"
    r"|information|write-?up|site|website|share|work|job)"
    r"|thanks?\s+(?:you\s+)?for\s+(?:sharing|posting|the\s+(?:post|article|info|information"
    r"|great\s+\w+))"
    r"|very\s+(?:informative|helpful|useful|interesting|nice)"
    r"|keep\s+(?:it\s+up|up\s+the\s+(?:good|great)\s+work|posting|sharing)"
    r"|i\s+(?:really\s+)?(?:enjoyed|like|love|liked|loved|appreciate)\s+(?:this|your|the)"
    r"\s+(?:post|article|blog|site|website|read|content)"
    r"|(?:well|nicely)\s+written|bookmark(?:ed|ing)?)\b",
    re.IGNORECASE,
)
# Praise counts as generic only in a short comment: a long one says something of its own.
GENERIC_PRAISE_MAX_WORDS = 25
_NAME_PART = re.compile(r"[a-z]{3,}")


def _host_and_path(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url.strip() if "://" in url else "http://" + url.strip())
    except ValueError:
        return "", ""
    host = (parts.hostname or "").removeprefix("www.")
    return host, f"{parts.path}?{parts.query}".lower()


def _says_nothing_of(body: str, title: str) -> bool:
    """No word of 4+ letters of the article's title appears in the comment."""
    title_words = {w for w in re.findall(r"[a-z]{4,}", title.lower())}
    return not title_words & set(re.findall(r"[a-z]{4,}", body.lower()))


def link_signals(body: str, author: str = "", url: str = "", title: str = "") -> dict[str, str]:
    """The spam signals of a comment, by name, each with what triggered it:

    - ``website_commercial``: the author's website sells (shop words in its host or path, or a
      spam-favoured top-level domain) and does not carry the author's name;
    - ``website_shortener``: the author's website is a link shortener;
    - ``obfuscated_link``: a link spelt out to dodge filters ("example dot com");
    - ``contact_handle``: an invitation to write to a handle or number elsewhere;
    - ``generic_praise``: a short comment of praise that fits any article (with the article's
      ``title``, one that shares none of its words).
    """
    found: dict[str, str] = {}
    if url.strip():
        host, path = _host_and_path(url)
        if host in _SHORTENERS:
            found["website_shortener"] = host
        elif host:
            tld = host.rsplit(".", 1)[-1]
            selling = _COMMERCIAL.search(host) or _COMMERCIAL.search(path)
            names = set(_NAME_PART.findall(author.lower()))
            own_name = any(name in host for name in names)
            if (selling or tld in _SPAMMY_TLDS) and not own_name:
                found["website_commercial"] = host + (path.rstrip("?") if selling else "")
    obfuscated = _OBFUSCATED_LINK.search(body)
    if obfuscated is not None:
        found["obfuscated_link"] = obfuscated.group(0)
    contact = _CONTACT.search(body)
    if contact is not None:
        found["contact_handle"] = contact.group(0).strip()
    praise = _GENERIC_PRAISE.search(body)
    short = len(body.split()) <= GENERIC_PRAISE_MAX_WORDS
    if praise is not None and short and (not title or _says_nothing_of(body, title)):
        found["generic_praise"] = praise.group(0)
    return found
