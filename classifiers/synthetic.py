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
a test set: held-out figures stay about the public sources. The spam of article pages and its
harmless pairs are written the same way, in ``classifiers.synthetic_spam``.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["SyntheticRow", "synthetic_rows"]

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


def _stable_number(key: str, below: int) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big") % below


def _distinct(rows: Iterable[SyntheticRow]) -> list[SyntheticRow]:
    """The rows whose text no earlier row has, in their order."""
    seen: set[str] = set()
    out = []
    for row in rows:
        if row.text not in seen:
            seen.add(row.text)
            out.append(row)
    return out


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
    return _distinct(itertools.chain(_threats(), _threat_pairs(), _identity(), _criticism()))
