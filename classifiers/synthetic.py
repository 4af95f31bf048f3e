"""Template sentences that teach what the public datasets hardly show: threats and
dehumanising attacks without swear words, and the harmless sentences that share their words.

Why: in the datasets, toxic text is mostly insults and profanity (TOXICSPANS has ~140 threat
comments, Jigsaw 8), while violent words in ordinary news comments ("the rent rises will kill
off the high street", "the opposition got slaughtered in the polls") and harsh criticism of
people in power ("the minister is incompetent and should resign") are nearly absent. A bag of
n-grams trained on them scores "kill" as toxic and "should be hanged" as clean. These rows are
*minimal pairs*: the same target with a violent or a peaceful predicate, the same violent
verb aimed at a person or at a thing, the same dehumanising word used as an attack or quoted
to condemn it (counter-speech), after the functionalities of HateCheck (Röttger et al., ACL
2021). They are written here, not copied from any evaluation set, and generated from small
word lists with a stable pseudo-random choice, so the same rows come out on every machine.

They train with a modest source weight (``classifiers.datasets.SOURCE_WEIGHTS``) and are never
a test set: held-out figures stay about the public sources.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["SyntheticRow", "spam_rows", "synthetic_rows"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SyntheticRow:
    text: str
    kind: str  # "threat", "identity_attack", "insult", "spam" or "clean"
    # Also a threat (e.g. calls to exterminate a group): labels threat as well.
    threat: bool = False
    # One of the criticism rows (harsh words about things and trades, and at readers): they
    # train as a source of their own, so their weight does not dilute the other templates'.
    criticism: bool = False


# People a threat is aimed at: the reader replied to, or a named person in the story.
_TARGETS = (
    "you", "him", "her", "them", "the mayor", "that journalist", "the author", "this writer",
    "the judge", "the councillor", "your family", "the referee", "the editor", "the senator",
    "the protesters", "the landlord",
)  # fmt: skip
_THREAT_OPENERS = (
    "I'm going to", "I will", "I swear I'll", "Someone should", "Somebody needs to",
    "One day someone will", "We will", "I'll find a way to", "Next time I see you I'll",
    "Keep it up and I'll",
)  # fmt: skip
_VIOLENT_VERBS = (
    "kill", "shoot", "stab", "strangle", "beat up", "hang", "burn", "bury", "hunt down",
    "break the legs of", "put a bullet in", "slit the throat of", "run over", "torch the house of",
    "smash the face of", "blow up",
)  # fmt: skip
_SHOULD_BE = (
    "should be shot", "should be hanged", "deserves to be beaten", "should be lynched",
    "needs to be put down", "should be burned alive", "deserves a bullet", "should be stabbed",
    "will get what's coming to them", "should be dragged out and shot",
)  # fmt: skip
_MENACE = (
    "I know where you live.", "Watch your back.", "You won't be safe walking home.",
    "I know where your kids go to school.", "Sleep with one eye open.",
    "You'll regret writing this when I find you.", "Say that again and you're dead.",
    "Enjoy your last days.", "We know your address and we are coming.",
    "People like you end up in a ditch.",
)  # fmt: skip

# Peaceful predicates for the same people: what harsh but legitimate comments call for.
_ACCOUNTABLE = (
    "should resign", "should be voted out", "should face an inquiry", "must be held to account",
    "should apologise", "should be sacked", "should answer questions in parliament",
    "should face a tribunal", "should be investigated", "deserves to lose the next election",
    "should step down today", "should be prosecuted if the allegations are true",
)  # fmt: skip
_POWERFUL = (
    "The minister", "The prime minister", "The president", "The government", "The council",
    "This cabinet", "The chief executive", "The mayor", "The police chief", "The health secretary",
    "The party leader", "The board",
)  # fmt: skip
_HARSH_CRITICISM = (
    "is incompetent", "is a disgrace", "is corrupt to the core", "has failed working families",
    "is arrogant and out of touch", "is lying to the public", "is cruel to the poor",
    "has made a catastrophic mess of this", "is the worst in living memory",
    "is responsible for a shameful failure", "has blood on its hands over this war",
    "is guilty of war crimes, as the report shows",
)  # fmt: skip

# Violent words about things, not people: idioms, sport, business, weather.
_IDIOMS = (
    "I'd kill for a straight answer from {who}.",
    "I would kill for a decent bus service in this town.",
    "These prices are killing {things}.",
    "The new tax will kill off {things}.",
    "My back is killing me after {activity}.",
    "{team} absolutely murdered that {contest}.",
    "{team} got slaughtered in the {contest}, and they deserved it.",
    "{team} destroyed the opposition in the {contest}.",
    "The storm smashed the sea wall and flooded {things}.",
    "That comedian killed it last night, I was crying with laughter.",
    "Shoot me an email if you want the figures.",
    "Let's bury this myth about {things} once and for all.",
    "The budget will be a killer blow for {things}.",
    "They blew up the old power station to make room for housing.",
    "{who} shot down the proposal in ten minutes.",
    "We need to beat {team} on Saturday.",
    "The heat is murder on {things}.",
    "The bill was killed in committee.",
)  # fmt: skip
_WHO = ("the council", "the minister", "the school board", "anyone in charge", "the company")
_THINGS = (
    "small businesses", "the high street", "independent shops", "local pubs", "family farms",
    "the tomatoes", "the bus routes", "young families", "the local economy",
)  # fmt: skip
_ACTIVITIES = ("queuing to vote", "a day on the allotment", "the school run", "moving house")
_TEAMS = ("Our keeper", "The home side", "The opposition", "United", "The challenger", "Our team")
_CONTESTS = ("penalty", "final", "debate", "election", "vote", "match", "by-election")

# The menaces' words in harmless sentences: "I know where you live" is a threat because of who
# says it to whom, not because of "know", "where", "live" or "people".
_MENACE_PAIRS = (
    "I know where the new library is going to be built.",
    "People who live near the airport deserve a say on the runway.",
    "Does anyone know where the polling station moved to?",
    "Everyone I know who lives on the estate signed the petition.",
    "Watch the full debate, it is worth your time.",
    "Sleep is the first thing new parents lose, as the article says.",
    "People like you and me pay for these decisions.",
    "I know where you are coming from, but the numbers say otherwise.",
    "Enjoy your holiday, and thanks for the reporting.",
    "You'll regret missing this exhibition, it closes on Sunday.",
    "Where I live the buses stopped running after eight.",
    "Many people live on less than the minimum wage in this city.",
)  # fmt: skip

# Reporting violence or threats, and condemning them: not a threat.
_REPORTING = (
    "The man was jailed for threatening to {verb} {target_person}.",
    "Police said the attacker tried to {verb} two people outside the station.",
    "{target_cap} received threats to {verb} them, which is appalling.",
    "Nobody should have to read messages saying they should be {done}.",
    "Telling someone they {should_be} is a crime, and the paper should report it to police.",
    "He admitted sending messages saying the victim {should_be}.",
)  # fmt: skip
_DONE = ("shot", "hanged", "killed", "beaten", "stabbed")

# Groups, as people write about them (plural nouns, unlike the bias report's adjectives).
_GROUPS = (
    "Muslims", "Jews", "Christians", "Hindus", "Sikhs", "immigrants", "refugees", "migrants",
    "asylum seekers", "Black people", "white people", "Asians", "Arabs", "Mexicans",
    "Nigerians", "Somalis", "Poles", "Romanians", "Roma", "Gypsies", "Travellers", "Russians",
    "Ukrainians", "Chinese people", "Koreans", "Americans", "Pakistanis", "Indians", "Syrians",
    "Palestinians", "Israelis", "Irish people", "women", "men", "gay people", "lesbians",
    "trans people", "bisexual people", "disabled people", "deaf people", "Catholics",
    "atheists", "feminists", "Africans", "foreigners",
)  # fmt: skip
_DEHUMANISING = (
    "vermin", "rats", "parasites", "animals", "cockroaches", "a plague", "a disease",
    "savages", "subhuman", "filth", "a cancer on this country", "scum", "an infestation",
    "not real people", "mentally ill freaks", "born criminals", "all terrorists",
    "all rapists", "a virus",
)  # fmt: skip
_ATTACK_TEMPLATES = (
    "{group} are {insult}.",
    "{group} are {insult} and always will be.",
    "All {group} are {insult}.",
    "Honestly, {group} are nothing but {insult}.",
    "Face it, {group} are {insult}, every last one of them.",
    "{group} breed like rats and are taking over our towns.",
    "{group} are ruining this country and should go back where they came from.",
    "{group} should not be allowed to vote.",
    "{group} should be banned from working with children.",
    "{group} are naturally violent, the stats prove it.",
    "{group} only come here to steal and live off benefits.",
    "Never trust {group}, they lie by nature.",
    "{group} control the banks and the media.",
    "I can't stand {group}, they disgust me.",
    "Typical of {group}, always whining. Go back to your own country.",
)  # fmt: skip
_EXTERMINATE_TEMPLATES = (
    "{group} should be wiped out.",
    "{group} deserve to be exterminated.",
    "Round up all {group} and shoot them.",
    "Burn down their mosques and churches with {group} inside.",
    "The world would be better if all {group} were dead.",
    "We should gas {group}.",
)  # fmt: skip
# Hate said plainly (strong dislike, a very negative trait, as a question or an opinion) and
# its negations, after HateCheck's functionalities: short sentences where the group is the
# whole difference between "I hate Mondays" and "I hate <group>".
_BAD_TRAITS = (
    "disgusting", "filthy", "stupid", "worthless", "pathetic", "lazy", "dirty", "evil",
    "dangerous", "dishonest", "repulsive", "useless", "primitive",
)  # fmt: skip
_HATE_TEMPLATES = (
    "I hate {group}.", "I despise {group}.", "{group} disgust me.", "I think {group} are {bad}.",
    "Why are {group} so {bad}?", "{group} are {bad}.", "{group} are so {bad}.",
    "I really can't stand {group}.",
)  # fmt: skip
_NEGATED_TEMPLATES = (
    "I don't hate {group}.", "{group} are not {bad}.", "Nobody should say {group} are {bad}.",
    "I've never understood people who hate {group}.", "It's wrong to say {group} are {bad}.",
)  # fmt: skip
_PEACEFUL_TEMPLATES = (
    # Short ones, shaped like the attacks ("{group} are ..."), so that a sentence's shape and
    # the group's name are not what the model learns.
    "{group} are welcome here.",
    "{group} are part of this community.",
    "{group} are people like anyone else.",
    "{group} work hard and pay their taxes.",
    "I have {group} in my family.",
    "{group} run the bakery on the corner.",
    "{group} are proud of their history.",
    "{group} vote in every election.",
    "{group} have lived in this city for generations.",
    "Many {group} work at the local hospital.",
    "The article interviews several {group} about the housing crisis.",
    "{group} deserve the same rights as everyone else.",
    "I grew up with {group} and never thought twice about it.",
    "{group} are as varied as any other group of people.",
    "The survey asked {group} what they think of the new bus routes.",
    "{group} were among the volunteers who cleaned up after the flood.",
    "The council met {group} from the neighbourhood to discuss the plans.",
    "{group} have been part of this town's history for centuries.",
    "More {group} are standing for the council this year.",
    "The report found {group} face discrimination when renting.",
    "Hate crimes against {group} have risen, the police say.",
    "As one of the {group} in this town, I found the piece fair.",
)  # fmt: skip
_COUNTER_TEMPLATES = (
    "Calling {group} {insult} is bigotry, plain and simple.",
    "Saying {group} are {insult} is disgusting and the moderators should remove it.",
    "No, {group} are not {insult}. That kind of talk has no place here.",
    "It is shameful that people still call {group} {insult}.",
    "The leaflet described {group} as {insult}, and the police are investigating.",
    "I'm tired of reading comments that call {group} {insult}.",
)  # fmt: skip


# Harsh words about things (a policy, an article) and about people in public life as a trade
# or a party, beside the same words aimed at a person. Debate on a news site calls a policy
# stupid and politicians liars every day; a reader called stupid has been insulted. The
# datasets' raters marked "stupid" and "all liars" toxic wherever they met them, so without
# these rows "What a stupid policy." scored 0.94 and "Politicians are all liars." 0.65.
_CRITICISED_THINGS = (
    "policy", "decision", "idea", "plan", "law", "budget", "article", "argument", "headline",
    "scheme", "proposal", "reform", "ruling", "bill", "excuse", "tax", "statement", "speech",
    "poll", "strategy",
)  # fmt: skip
_HARSH_WORDS = (
    "stupid", "idiotic", "dumb", "ridiculous", "absurd", "pathetic", "insane", "moronic",
    "brainless", "crazy", "laughable", "disgraceful", "shameful", "rubbish", "clueless",
)  # fmt: skip
_ABOUT_THINGS = (
    "What a {harsh} {thing}.",
    "This {thing} is {harsh}.",
    "The {thing} is {harsh}, and everyone at the council knows it.",
    "Honestly, the most {harsh} {thing} I have read this year.",
    "That is a {harsh} {thing} and it will cost us dearly.",
    "A {harsh} {thing} from a government that has run out of ideas.",
    "Honestly, the whole {thing} is {harsh}.",
    "The new {thing} is {harsh}, as anyone who read it can see.",
    "Sorry, but this {thing} is just {harsh}.",
)  # fmt: skip
_PERSON_INSULTS = (
    "an idiot", "a moron", "stupid", "pathetic", "brainless", "a clown", "a fool", "a liar",
    "an imbecile", "a complete waste of space", "too dumb to read", "a halfwit",
)  # fmt: skip
_AT_PEOPLE = (
    "You are {insult}.",
    "You're {insult}, and everyone here can see it.",
    "Honestly, you are {insult}.",
    "Whoever wrote this is {insult}.",
    "The commenter above is {insult}.",
    "Anyone who agrees with you is {insult}.",
    "Are you really this {insult_adj}?",
)  # fmt: skip
_HATED_THINGS = (
    "Mondays", "traffic jams", "this weather", "the new parking charges", "rush hour",
    "potholes", "the queues at the post office", "pop-up adverts", "the roadworks in town",
    "reality TV", "paywalls", "automated phone menus",
)  # fmt: skip
_DISLIKE_THINGS = ("I hate {thing}.", "I despise {thing}.", "I really can't stand {thing}.")
_PUBLIC_TRADES = (
    "Politicians", "Bankers", "Journalists", "Landlords", "Lobbyists", "MPs", "Economists",
    "Billionaires", "Developers", "CEOs", "Pundits", "Councillors", "Senators",
    "Estate agents", "Oil companies", "Tech companies", "The Tories", "Labour",
    "Republicans", "Democrats", "The media", "Both parties", "Ministers", "Tax advisers",
)  # fmt: skip
_TRADE_CRITICISM = (
    "are all liars", "are greedy", "are corrupt", "only care about themselves",
    "never listen to ordinary people", "are out of touch", "are useless", "are cowards",
    "are hypocrites", "are crooks", "lie for a living", "have ruined this country",
    "are all the same", "are bought and paid for",
)  # fmt: skip


def _pick(key: str, options: Sequence[T]) -> T:
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return options[int.from_bytes(digest, "big") % len(options)]


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


def _threats() -> Iterator[SyntheticRow]:
    for opener, verb in itertools.product(_THREAT_OPENERS, _VIOLENT_VERBS):
        target = _pick(f"t{opener}{verb}", _TARGETS)
        yield SyntheticRow(f"{opener} {verb} {target}.", "threat", threat=True)
    for target, done in itertools.product(_TARGETS[2:], _SHOULD_BE):
        yield SyntheticRow(f"{_capital(target)} {done}.", "threat", threat=True)
    for menace in _MENACE:
        yield SyntheticRow(menace, "threat", threat=True)
        yield SyntheticRow(f"{menace} {_pick(menace, _MENACE)}", "threat", threat=True)


def _threat_pairs() -> Iterator[SyntheticRow]:
    """Harmless sentences with the threats' targets or verbs."""
    for who, demand in itertools.product(_POWERFUL, _ACCOUNTABLE):
        yield SyntheticRow(f"{who} {demand}.", "clean")
    for who, criticism in itertools.product(_POWERFUL, _HARSH_CRITICISM):
        demand = _pick(f"{who}{criticism}", _ACCOUNTABLE)
        yield SyntheticRow(f"{who} {criticism} and {demand}.", "clean")
    for i, template in enumerate(_IDIOMS * 4):
        key = f"{i}{template}"
        yield SyntheticRow(
            template.format(
                who=_pick(key + "w", _WHO),
                things=_pick(key + "t", _THINGS),
                activity=_pick(key + "a", _ACTIVITIES),
                team=_pick(key + "m", _TEAMS),
                contest=_pick(key + "c", _CONTESTS),
            ),
            "clean",
        )
    for sentence in _MENACE_PAIRS:
        yield SyntheticRow(sentence, "clean")
    for i, template in enumerate(_REPORTING * 6):
        key = f"r{i}{template}"
        target = _pick(key + "p", _TARGETS[4:])
        yield SyntheticRow(
            template.format(
                verb=_pick(key + "v", _VIOLENT_VERBS[:6]),
                target_person=target,
                target_cap=_capital(target),
                done=_pick(key + "d", _DONE),
                should_be=_pick(key + "s", _SHOULD_BE),
            ),
            "clean",
        )


def _identity() -> Iterator[SyntheticRow]:
    for group in _GROUPS:
        for i, template in enumerate(_ATTACK_TEMPLATES):
            if "{insult}" in template or i % 3 == len(group) % 3:
                insult = _pick(f"{group}{template}", _DEHUMANISING)
                yield SyntheticRow(
                    _capital(template.format(group=group, insult=insult)), "identity_attack"
                )
        template = _pick(f"x{group}", _EXTERMINATE_TEMPLATES)
        yield SyntheticRow(_capital(template.format(group=group)), "identity_attack", threat=True)
        for template in _PEACEFUL_TEMPLATES:
            yield SyntheticRow(_capital(template.format(group=group)), "clean")
        for k in range(3):
            template = _pick(f"hate{k}{group}", _HATE_TEMPLATES)
            bad = _pick(f"bad{k}{group}", _BAD_TRAITS)
            yield SyntheticRow(_capital(template.format(group=group, bad=bad)), "identity_attack")
        template = _pick(f"neg{group}", _NEGATED_TEMPLATES)
        bad = _pick(f"negbad{group}", _BAD_TRAITS)
        yield SyntheticRow(_capital(template.format(group=group, bad=bad)), "clean")
        for template in _COUNTER_TEMPLATES[: 2 + len(group) % 3]:
            insult = _pick(f"c{group}{template}", _DEHUMANISING)
            yield SyntheticRow(_capital(template.format(group=group, insult=insult)), "clean")


def _criticism() -> Iterator[SyntheticRow]:
    """Harsh words about things and trades (clean) and the same words at a person (insult)."""
    pairs = [
        (template, _pick(f"h{i}", _HARSH_WORDS), thing)
        for i, (template, thing) in enumerate(itertools.product(_ABOUT_THINGS, _CRITICISED_THINGS))
    ] + [
        (template, harsh, _pick(f"t{i}", _CRITICISED_THINGS))
        for i, (template, harsh) in enumerate(itertools.product(_ABOUT_THINGS, _HARSH_WORDS))
    ]
    for template, harsh, thing in pairs:
        text = template.format(harsh=harsh, thing=thing)
        if template.startswith(("A {harsh}", "That is a {harsh}")) and harsh[0] in "aeiou":
            text = text.replace(f"a {harsh}", f"an {harsh}", 1).replace(f"A {harsh}", f"An {harsh}")
        yield SyntheticRow(text, "clean", criticism=True)
    for i, (template, insult) in enumerate(itertools.product(_AT_PEOPLE, _PERSON_INSULTS)):
        adjective = _pick(f"a{i}", ("stupid", "dumb", "clueless", "brainless", "pathetic"))
        yield SyntheticRow(
            template.format(insult=insult, insult_adj=adjective), "insult", criticism=True
        )
    for template, thing in itertools.product(_DISLIKE_THINGS, _HATED_THINGS):
        yield SyntheticRow(template.format(thing=thing), "clean", criticism=True)
    for trade, criticism in itertools.product(_PUBLIC_TRADES, _TRADE_CRITICISM):
        if _stable_number(trade + criticism, 3) == 0:
            continue
        yield SyntheticRow(f"{trade} {criticism}.", "clean", criticism=True)
        if _stable_number(criticism + trade, 4) == 0 and not trade.startswith(("The ", "Both")):
            text = f"Typical. {trade} {criticism}, as this story shows."
            yield SyntheticRow(text, "clean", criticism=True)


def synthetic_rows() -> list[SyntheticRow]:
    """Every synthetic row, de-duplicated, in a stable order."""
    seen: set[str] = set()
    rows = []
    for row in itertools.chain(_threats(), _threat_pairs(), _identity(), _criticism()):
        if row.text not in seen:
            seen.add(row.text)
            rows.append(row)
    return rows


# --- Spam on article pages, and the news comments that share its words -------------------
#
# Why: the spam data are SMS and YouTube comments, so the spam model learnt "a link is spam"
# (YouTube ham rarely links) and "claim", "free" or "money" are spam (SMS prizes), while the
# spam of news sites — a compliment and a commercial link, a messenger handle to "invest" or
# to "meet", pills, crypto "recovery" — is barely in it. These rows pair that spam with news
# comments that cite sources, name messengers and talk about money, loans or pharmacies.

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


def _stable_number(key: str, below: int) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big") % below


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
    seen: set[str] = set()
    rows = []
    for row in itertools.chain(_spam(), _spam_pairs()):
        if row.text not in seen:
            seen.add(row.text)
            rows.append(row)
    return rows
