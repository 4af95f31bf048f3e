"""Template sentences of the spam on article pages, and the news comments that share its words.

Why: the spam data are SMS and YouTube comments, so the spam model learnt "a link is spam"
(YouTube ham rarely links) and "claim", "free" or "money" are spam (SMS prizes), while the
spam of news sites — a compliment and a commercial link, a messenger handle to "invest" or
to "meet", pills, crypto "recovery" — is barely in it. These rows pair that spam with news
comments that cite sources, name messengers and talk about money, loans or pharmacies. They
are generated like the toxicity templates of ``classifiers.synthetic``, with its stable
pseudo-random choice.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from classifiers.synthetic import SyntheticRow, _capital, _distinct, _pick, _stable_number

__all__ = ["spam_rows"]

_SPAM_OPENERS = (
    "Great article!", "Thanks for sharing.", "Very informative post.", "Interesting read.",
    "Nice write-up, thank you.", "I agree with the author.", "Well said.", "Good points.",
    "Hello everyone.", "",
)  # fmt: skip
# (product, words for its shop's domain name)
_PRODUCTS = (
    ("car insurance", "carinsure"), ("home loans", "homeloan"), ("payday loans", "quickcash"),
    ("web hosting", "hostpro"), ("SEO services", "seorank"), ("essay writing", "essayhelp"),
    ("replica watches", "replicawatch"), ("cheap flights", "flydeal"), ("solar panels", "solarfit"),
    ("kitchen remodeling", "kitchenpro"), ("casino bonuses", "casinobonus"),
    ("sports betting tips", "betwinner"), ("weight loss pills", "slimfast"), ("VPN", "vpnfree"),
    ("forex signals", "fxsignal"), ("used tyres", "tyreshop"), ("moving services", "movers"),
    ("locksmith services", "locksmith"), ("Instagram followers", "getlikes"),
    ("gold coins", "goldbuy"), ("hair extensions", "hairext"), ("designer handbags", "bagsale"),
)  # fmt: skip
_SHOP_PREFIXES = ("best", "cheap", "top", "my", "get", "buy", "the", "")
_SHOP_SUFFIXES = ("online", "24", "pro", "hub", "4u", "zone", "direct", "")
_SHOP_TLDS = ("com", "net", "info", "biz", "xyz", "shop", "online", "site", "top", "co")
_PITCHES = (
    "For the cheapest {product} quotes visit {url}",
    "Compare {product} prices at {url}",
    "Best {product} deals this week: {url}",
    "Get {discount}% off {product} at {url}",
    "We offer affordable {product}, see {url}",
    "Looking for {product}? Check {url}",
    "Top rated {product} in your area: {url}",
    "Save on {product} here {url}",
    "{product} at wholesale prices, order now {url}",
    "Need {product}? Call us or visit {url}",
)  # fmt: skip
_BLOG_PITCHES = (
    "I wrote about this on my blog, {url}",
    "Check out my site for more tips on this: {url}",
    "Please visit my website {url} thanks",
    "Subscribe to my channel for daily videos like this {url}",
    "My blog covers this in detail, take a look {url}",
    "I made a video about this, please like and share {url}",
)  # fmt: skip
_NAMES = ("Anna", "Lina", "Mrs Grace", "Mr Daniel", "Sophia", "Kate", "Dr Morgan", "Elena")
_MESSENGER_NAMES = ("WhatsApp", "Telegram", "telegram", "whatsapp", "Signal", "Kik", "Snapchat")
_HANDLE_STEMS = ("sweet", "profit", "recovery", "trader", "love", "invest", "kate", "fx", "cash")
_SCAMS = (
    "I made ${amount} in {period} trading with {name}. Contact her on {messenger} {handle}",
    "{name} helped me earn ${amount} every week from home. Message {handle} on {messenger}",
    "I lost ${amount} to a fake broker until {name} recovered my funds. Reach {handle} on "
    "{messenger}, legit!",
    "Scammed by a crypto platform? {name} got my bitcoin back. {messenger}: {handle}",
    "Want extra income? My aunt earns ${amount} a month on her laptop. Ask me how on "
    "{messenger} {handle}",
    "Hiring now! Work from home, no experience needed, ${amount} per week. {messenger}: {handle}",
    "Hi, I'm {first}, {age}, looking for a serious man. Write me on {messenger} {handle}",
    "Hello dear, I like your comment and would love to be friends. Add me on {messenger}: {handle}",
    "Lonely tonight? I'm {first}, {age}, my photos are on {messenger} {handle} ;)",
    "Invest ${amount} and get ${amount2} back in 7 days, guaranteed. Text {phone} on WhatsApp",
    "For a loan approved in one hour, no credit check, call or WhatsApp {phone}",
    "Spell caster {name} brought my husband back in 3 days. WhatsApp {phone}",
)  # fmt: skip
_LINKED_SCAMS = (
    "Hi, I'm {first}, {age}, looking for a serious man. See my photos on {url}",
    "Hot singles in your area are waiting for you {url}",
    "Buy {drug} online without prescription, {discount}% off {url}",
    "{drug} cures anxiety, pain and insomnia, order today at {url}",
    "Cheap {drug} shipped worldwide, no prescription needed {url}",
    "I paid off my mortgage with this simple trick: {url}",
    "Claim your free iPhone now, only 100 left! {url}",
    "Bitcoin doubled my savings in a month. Start with $250 at {url}",
)  # fmt: skip
_DRUGS = (
    "viagra", "cialis", "tramadol", "xanax", "CBD oil", "CBD gummies", "keto pills",
    "ozempic", "phentermine", "testosterone boosters",
)  # fmt: skip

# The same words in comments a moderator approves.
_REFERENCE_INTROS = (
    "The full ruling is here:", "Worth reading the original report before commenting:",
    "The figures are on the statistics office site:", "Their fact check says otherwise:",
    "Here is the minister's actual statement:", "The committee published the evidence:",
    "The claim in the second paragraph is wrong, check the source:",
    "For anyone who wants to check the numbers:", "The free school meals data are here:",
    "The deal text is public, read it yourself:", "Background on the money involved:",
    "The offer the union rejected is described here:",
)  # fmt: skip
_MESSENGER_NEWS = (
    "The ministry announced it on its {messenger} channel before the press conference.",
    "Scammers messaged my dad on {messenger} pretending to be me; please warn your parents.",
    "The leaked {messenger} messages show the ministers knew for weeks.",
    "Anyone on {messenger} offering to recover lost crypto is a fraudster, the police say.",
    "My mother lost her savings to a romance scam that started on {messenger}.",
    "The school now sends every notice by {messenger}, which excludes some parents.",
    "The article should say that the 'investment experts' on {messenger} are all scams.",
    "Journalists in the region rely on {messenger} because the phones are tapped.",
)  # fmt: skip
_MONEY_OPINIONS = (
    "{Product} went up 40% for me this year, something is broken in that market.",
    "The regulator should look at how {product} are sold to vulnerable people.",
    "My neighbour lost money on {product} and nobody was held responsible.",
    "Ads for {product} are everywhere now, and this paper should not run them.",
    "The council wasted money on {product} while the library closed.",
    "I work in {product} and the article gets the prices right.",
    "Prices for {product} have doubled since the election, as the figures show.",
    "Nobody I know can afford {product} any more.",
)  # fmt: skip
_DRUG_NEWS = (
    "The shortage of {drug} at my pharmacy has lasted three months now.",
    "Buying {drug} online without a prescription is dangerous, as this case shows.",
    "My GP says {drug} is overprescribed; the report agrees.",
    "The price of {drug} is a scandal when the patent expired years ago.",
)  # fmt: skip


def _shop_domain(key: str, stem: str) -> str:
    prefix, suffix = _pick(key + "p", _SHOP_PREFIXES), _pick(key + "s", _SHOP_SUFFIXES)
    joiner = _pick(key + "j", ("", "-"))
    name = joiner.join(part for part in (prefix, stem, suffix) if part)
    return f"{name}.{_pick(key + 't', _SHOP_TLDS)}"


def _link(key: str, domain: str) -> str:
    form = _pick(key + "f", ("https://{d}", "http://{d}", "www.{d}", "{d}", "https://www.{d}/shop"))
    return form.format(d=domain)


def _handle(key: str) -> str:
    stem = _pick(key + "h", _HANDLE_STEMS)
    return f"@{_pick(key + 'n', _NAMES).split()[-1].lower()}_{stem}{_stable_number(key, 99)}"


def _phone(key: str) -> str:
    digits = f"{_stable_number(key + 'ph', 10**9):09d}"
    return _pick(key + "cc", ("+1 ", "+44 7", "+234 ", "+1")) + f"{digits[:3]} {digits[3:]}"


def _spam_fill(template: str, key: str) -> str:
    product, stem = _pick(key + "prod", _PRODUCTS)
    name = _pick(key + "name", _NAMES)
    return template.format(
        product=product,
        url=_link(key, _shop_domain(key, stem)),
        discount=_pick(key + "d", ("30", "50", "70", "80")),
        name=name,
        first=name.split()[-1],
        age=20 + _stable_number(key + "age", 15),
        messenger=_pick(key + "m", _MESSENGER_NAMES),
        handle=_handle(key),
        phone=_phone(key),
        amount=_pick(key + "a", ("5,000", "850", "12,400", "3,200", "1500")),
        amount2=_pick(key + "b", ("15,000", "2,500", "40,000")),
        period=_pick(key + "per", ("a week", "two weeks", "a month")),
        drug=_pick(key + "drug", _DRUGS),
    )


def _spam() -> Iterator[SyntheticRow]:
    for i, (opener, pitch) in enumerate(itertools.product(_SPAM_OPENERS, _PITCHES)):
        yield SyntheticRow(f"{opener} {_spam_fill(pitch, f'p{i}')}".strip(), "spam")
    for i, (opener, pitch) in enumerate(itertools.product(_SPAM_OPENERS, _BLOG_PITCHES)):
        yield SyntheticRow(f"{opener} {_spam_fill(pitch, f'b{i}')}".strip(), "spam")
    for i, template in enumerate(_SCAMS * 8 + _LINKED_SCAMS * 6):
        yield SyntheticRow(_spam_fill(template, f"s{i}"), "spam")


def _spam_pairs() -> Iterator[SyntheticRow]:
    """News comments with the spam's words: cited sources, messengers, money, pharmacies."""
    for i, (intro, domain) in enumerate(itertools.product(_REFERENCE_INTROS, _NEWS_DOMAINS)):
        if i % 3 == 0:
            form = _pick(f"r{i}", _REFERENCE_FORMS)
            yield SyntheticRow(f"{intro} {form.format(d=domain, n=1000 + 37 * i)}", "clean")
    for template, messenger in itertools.product(_MESSENGER_NEWS, _MESSENGER_NAMES[:4]):
        yield SyntheticRow(template.format(messenger=messenger), "clean")
    for template, (product, _) in itertools.product(_MONEY_OPINIONS, _PRODUCTS):
        if _stable_number(template + product, 2):
            yield SyntheticRow(template.format(product=product, Product=_capital(product)), "clean")
    for template, drug in itertools.product(_DRUG_NEWS, _DRUGS):
        yield SyntheticRow(template.format(drug=drug), "clean")


_REFERENCE_FORMS = ("https://{d}/news/{n}", "https://www.{d}/{n}", "www.{d}/article/{n}")
# News and reference sites a reader cites (a subset; link spam points elsewhere).
_NEWS_DOMAINS = (
    "apnews.com", "reuters.com", "bbc.co.uk", "theguardian.com", "nytimes.com", "ons.gov.uk",
    "gov.uk", "en.wikipedia.org", "who.int", "europa.eu", "npr.org", "cbc.ca", "abc.net.au",
    "lemonde.fr", "spiegel.de", "census.gov", "snopes.com", "factcheck.org",
)  # fmt: skip


def spam_rows() -> list[SyntheticRow]:
    """Every synthetic spam row ("spam") and its news-comment pair ("clean"), de-duplicated."""
    return _distinct(itertools.chain(_spam(), _spam_pairs()))
