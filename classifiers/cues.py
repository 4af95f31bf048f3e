"""What n-grams miss: who a sentence is aimed at, and what it says of them.

A bag of n-grams scores "vermin, the lot of them" or "someone should pay him a visit" as
clean because none of its words is rude, and "fucking brilliant reporting" as abusive
because one is. What makes a sentence an attack is a target (the reader, a named person, a
group) together with something said of that target (a dehumanising noun, "should be
deported", "I know where you live", "kys"). These cues are matched per sentence on the
normalised text and given to the models as features (one column each, so the models learn how
much each is worth from the data) and to the policy as named signals a moderator can read.

Hand-written rather than learnt because the data sets hold too few polite threats and coded
words for n-grams to learn them, and a phrase list is something a moderator can read and
correct. The hate codes are a maintained, cited list (``lexicons/hate_codes.tsv``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "CUE_NAMES",
    "Cue",
    "cue_matrix",
    "cue_places",
    "find_cues",
    "hate_codes",
    "sentence_bounds",
]

HATE_CODES_FILE = Path(__file__).resolve().parent / "lexicons" / "hate_codes.tsv"


def _words(*phrases: str) -> str:
    return "|".join(phrases)


# The reader or the person addressed.
# "u" and "ur" only as words of their own, not the "u" of "u.s." or "u.k.".
_YOU = r"\b(?:you|your|youre|yours|yourself|yourselves|ya)\b|(?<![.\w])(?:u|ur)(?![.\w])"
# A person talked about: the article's author and the people a news site writes about.
_PERSON = (
    r"\b(?:him|her|he|she|his|hers|himself|herself|the (?:journalist|reporter|author|writer"
    r"|editor|columnist|presenter|mayor|councillor|minister|judge|mp|senator)|this (?:guy|man"
    r"|woman|bloke|clown|lady|reporter|journalist|writer|author))\b"
)
# Groups people are attacked as (plurals and collective names; the singular of a group noun
# is mostly used descriptively).
_GROUP = (
    r"\b(?:immigrants|migrants|refugees|asylum seekers|illegals|foreigners|muslims|moslems"
    r"|islam|islamists|jews|jewish people|zionists|blacks|black people|whites|white people"
    r"|africans|arabs|asians|chinese|mexicans|latinos|hispanics|indians|pakistanis|pakis"
    r"|poles|romanians|gypsies|roma|travellers|gays|gay people|homosexuals|lesbians|queers"
    r"|trans people|transgenders|trannies|lgbt|lgbtq|women|females|feminists|girls|men|males"
    r"|christians|catholics|hindus|sikhs|atheists|disabled people|the disabled|autistic people"
    r"|retards|these people|those people|their kind|that lot|the lot of them|all of them"
    r"|every one of them|them all)\b"
)
# Nouns that deny people their humanity. Insults (scum, trash, filth) and words with common
# literal uses (disease, cancer, invasion, inferior, animals) are left to the models: with a
# group noun in the same sentence they matched history, medicine and military writing.
_DEHUMANISING = (
    r"\b(?:vermin|parasites|cockroach(?:es)?|rats|savages|sub ?humans?|infestation"
    r"|infest(?:ed|ing)|invaders|apes|leech(?:es)|breed(?:ing)? like (?:rats|rabbits|animals)"
    r"|locusts|lice|maggots|not (?:even )?human|less than human|mongrels)\b"
)
# Harm wished on someone. Verbs with everyday senses ("should be beaten" by the other team,
# "thrown out" of court, "put down" in writing) and policy words ("deported", "locked up",
# which readers argue for about convicted people) are left to the models.
_HARM_VERB = (
    r"(?:shot|hanged|hung|killed|gassed|exterminated|eradicated|wiped out|lynched|burned alive"
    r"|burnt alive|put down like (?:a dog|dogs|animals)|drowned|executed|castrated"
    r"|sterili[sz]ed|culled|hunted down|strung up|stoned to death|shipped back)"
)
# "should be shot", "deserves a bullet", "let's hang them": intent, not narrative ("the
# soldier shot him" is news).
_HARM_SHOULD = (
    r"\b(?:should|ought to|needs? to|must|deserves? to|gotta)\s+(?:all\s+)?"
    r"(?:be|get|got)\s+" + _HARM_VERB + r"\b"
    r"|\b(?:deserves?|earned)\s+(?:to die|a bullet|a beating|to hang|to be raped|death)\b"
    r"|\b(?:i(?:ll| will| am going to|m going to|m gonna| want to)|we(?:ll| will| should"
    r"| must| need to)|let'?s|lets|someone (?:should|needs to|ought to)|gonna)\s+(?:kill|shoot"
    r"|hang|burn|gas|exterminate|nuke|lynch|eradicate|string up)\s+(?:them|him|her|you|all"
    r"|every|the lot|these|those)\b"
)
_THREAT = (
    r"\bpay (?:him|her|you|them|his family|her family|your family)?\s*(?:a little )?visit\b"
    r"|\bknow where (?:you|he|she|they|your \w+) (?:live|lives|work|works|sleep|sleeps)\b"
    r"|\bknow where your (?:kids|children|family|wife|husband|daughter|son)\b"
    r"|\bwatch (?:your|his|her) back\b"
    r"|\b(?:wait|waiting|be waiting) for (?:you|him|her|them) (?:outside|after|at)\b"
    r"|\bsleep with one eye open\b"
    r"|\bwould be a (?:shame|pity) if (?:something|anything)\b"
    r"|\baccidents (?:can |do |will )?happen to\b"
    r"|\byou(?:ll| will| are going to| re going to) (?:regret|pay for) (?:this|it|that)\b"
    r"|\b(?:hunt|track) (?:you|him|her|them) down\b"
    r"|\b(?:coming|come) for (?:you|him|her)\b"
    r"|\bi(?: will|ll|m going to|m gonna| am going to) (?:kill|hurt|destroy|beat|stab|shoot"
    r"|smash|strangle|end) (?:you|him|her|them)\b"
    r"|\bi(?: will|ll|m going to|m gonna| am going to) find (?:you|him|her)(?: and|,|$)"
    r"|\b(?:days are numbered|dead (?:man|woman) walking)\b"
    r"|\b(?:bullet|bullets) (?:for|in|between) (?:you|him|her|them|your|his|her)\b"
    r"|\b(?:your|his|her) (?:kids|children|daughter|son|wife|husband) (?:go|goes|walk|walks"
    r"|attend|attends) (?:to|home)\b"
    r"|\b(?:his|her|your) (?:home )?address is\b"
    r"|\b(?:he|she) lives (?:at|on) (?:number )?\d+\b"
    r"|\bsomeone (?:should|needs to|ought to) (?:teach|sort|deal with|shut|take care of|pay)\b"
)
_SELF_HARM = (
    r"\bkys\b|\bkill (?:yo)?urself\b|\bkill yourselves\b|\bneck yourself\b|\ban hero\b"
    r"|\bdrink bleach\b|\bjump off a (?:bridge|cliff|roof|building)\b|\bgo die\b"
    r"|\bhang yourself\b|\bslit your wrists\b|\bunalive yourself\b|\bend yourself\b"
    r"|\boff yourself\b|\bdo (?:us|everyone|the world)(?: all)? a favou?r and (?:die|disappear)\b"
    r"|\bthe world (?:would be|is) better (?:off )?without you\b"
)
# Counter-speech and negation: the words of an attack, quoted or named in order to condemn it.
_COUNTER = (
    r"\b(?:it'?s|it is|is|that'?s|that is) (?:wrong|not ok|not okay|disgusting|unacceptable"
    r"|shameful|racist|vile|dehumani[sz]ing|despicable|sick) to (?:call|say|describe|label"
    r"|treat|compare)\b"
    r"|\b(?:stop|don'?t|do not|never|quit) (?:calling|call|comparing)\b"
    r"|\bcalling (?:them|people|anyone|\w+) \w+ is (?:wrong|racist|vile|disgusting"
    r"|dehumani[sz]ing|unacceptable|not ok)\b"
    r"|\b(?:no one|nobody|no human being) (?:deserves|should be called|is)\b"
    r"|\b(?:are|is) not (?:vermin|animals|parasites|invaders|criminals|subhuman)\b"
)
_ECHO = r"\(\(\s*[a-z][a-z ]{0,30}?\s*\)\)"  # (((they))), squeezed to ((they)) by normalisation


@dataclass(frozen=True, slots=True)
class Cue:
    """A cue found in a comment: its name and the normalised words that matched."""

    name: str
    text: str


_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in (
        ("target_you", _YOU),
        ("target_person", _PERSON),
        ("target_group", _GROUP),
        ("dehumanising", _DEHUMANISING),
        ("harm_should", _HARM_SHOULD),
        ("threat_phrase", _THREAT),
        ("self_harm_call", _SELF_HARM),
        ("counter_speech", _COUNTER),
        ("echo", _ECHO),
    )
}

# The feature columns, in order: what is said, then a target together with what is said of
# it in the same sentence (what makes a sentence an attack rather than a mention). A target
# alone is no feature: "gay people", "you" and "she" are in attacks more often than not in the
# data, and a weight on them would hold every neutral mention of a group.
CUE_NAMES: tuple[str, ...] = (
    "dehumanising",
    "harm_should",
    "threat_phrase",
    "self_harm_call",
    "counter_speech",
    "hate_code",
    "you_attacked",
    "person_attacked",
    "group_dehumanised",
    "group_harmed",
)
# Every cue a comment may have: the targets (read by the policy) and the feature cues.
ALL_CUES: tuple[str, ...] = ("target_you", "target_person", "target_group", *CUE_NAMES)

# A sentence ends at . ! ? or an ellipsis followed by a space (normalised text has no
# newlines), except after an initial ("u.s.", "j. smith"). Sentences of fewer than
# MIN_SENTENCE_WORDS words join the one before ("No.", "Mr." are not sentences of their own),
# and a comment is cut into at most MAX_SENTENCES parts, so a pasted essay costs a bounded
# number of extra rows.
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])(?<![\s.][a-z]\.)\s+")
MIN_SENTENCE_WORDS = 4
MAX_SENTENCES = 12


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each sentence of a normalised text, in order; ``text[start:end]``
    is the sentence without the spaces that follow it. A text of one sentence (or none) is
    one part: ``[(0, len(text))]``."""
    cuts = [match.span() for match in _SENTENCE_END.finditer(text)]
    if not cuts:
        return [(0, len(text))]
    starts = [0, *(end for _, end in cuts)]
    ends = [*(start for start, _ in cuts), len(text)]
    bounds: list[tuple[int, int]] = []
    opening: int | None = None  # the start of a short opening waiting for its sentence
    for begin, end in zip(starts, ends, strict=True):
        if opening is not None:
            begin, opening = opening, None
        # Normalised text has single spaces: a piece has one word more than it has spaces.
        if text.count(" ", begin, end) + 1 >= MIN_SENTENCE_WORDS:
            bounds.append((begin, end))
        elif bounds:
            bounds[-1] = (bounds[-1][0], end)
        else:
            opening = begin
    if opening is not None:
        bounds.append((opening, len(text)))
    if len(bounds) > MAX_SENTENCES:
        # Join neighbours into MAX_SENTENCES runs of about equal numbers of sentences.
        step = len(bounds) / MAX_SENTENCES
        bounds = [
            (bounds[int(i * step)][0], bounds[int((i + 1) * step) - 1][1])
            for i in range(MAX_SENTENCES)
        ]
    return bounds


@lru_cache(maxsize=1)
def hate_codes() -> tuple[str, ...]:
    """The codes of ``lexicons/hate_codes.tsv``, in file order."""
    codes = []
    for line in HATE_CODES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            codes.append(line.split("\t", 1)[0].strip())
    return tuple(codes)


@lru_cache(maxsize=1)
def _hate_code_pattern() -> re.Pattern[str]:
    # An apostrophe may sit anywhere in a code as written ("wasn't" for "wasnt").
    spelt = ("['\u2019]?".join(re.escape(ch) for ch in code) for code in hate_codes())
    alternatives = sorted(spelt, key=len, reverse=True)
    return re.compile(r"(?<![\w/%])(?:" + "|".join(alternatives) + r")(?![\w/%])")


# Scoring runs the cues on every sentence of every comment, so a regular expression runs
# only where its words are: per cue, single words that are the cue by themselves (a set
# lookup, no search), and words one of which every other match of its pattern contains.
# ``test_cues`` checks on real comments that this finds exactly what the patterns find.
_TOKEN = re.compile(r"[a-z0-9]+")
# Per cue, both kinds of words, space-separated: (the cue by themselves, in every other match).
_CUE_WORDS: dict[str, tuple[str, str]] = {
    "target_you": ("you your youre yours yourself yourselves ya", "u ur"),
    "target_person": (
        "him her he she his hers himself herself",
        "journalist reporter author writer editor columnist presenter mayor councillor minister "
        "judge mp senator guy man woman bloke clown lady",
    ),
    "target_group": (
        "immigrants migrants refugees illegals foreigners muslims moslems islam islamists jews "
        "zionists blacks whites africans arabs asians chinese mexicans latinos hispanics indians "
        "pakistanis pakis poles romanians gypsies roma travellers gays homosexuals lesbians queers "
        "transgenders trannies lgbt lgbtq women females feminists girls men males christians "
        "catholics hindus sikhs atheists retards",
        "asylum people disabled kind lot them",
    ),
    "dehumanising": (
        "vermin parasites cockroach cockroaches rats savages subhuman subhumans infestation "
        "infested infesting invaders apes leech leeches locusts lice maggots mongrels",
        "sub breed breeding human",
    ),
    "harm_should": (
        "",
        "shot hanged hung killed gassed exterminated eradicated wiped lynched burned burnt put "
        "drowned executed castrated sterilised sterilized culled hunted strung stoned shipped die "
        "bullet beating hang raped death kill shoot burn gas exterminate nuke lynch eradicate "
        "string",
    ),
    "threat_phrase": (
        "",
        "visit know watch wait waiting eye shame pity accidents regret pay hunt track coming come "
        "kill hurt destroy beat stab shoot smash strangle end find numbered dead bullet bullets "
        "kids children daughter son wife husband address lives someone",
    ),
    "self_harm_call": (
        "",
        "kys kill neck hero bleach jump die hang slit unalive end off favour favor world",
    ),
    "counter_speech": (
        "",
        "wrong ok okay disgusting unacceptable shameful racist vile dehumanising dehumanizing "
        "despicable sick stop don dont do never quit calling one nobody no not",
    ),
}
_DIRECT = {cue: frozenset(words.split()) for cue, (words, _) in _CUE_WORDS.items() if words}
_ANCHORS = {cue: frozenset(words.split()) for cue, (_, words) in _CUE_WORDS.items()}
_ATTACKS = ("dehumanising", "harm_should", "threat_phrase")


@lru_cache(maxsize=1)
def _hate_code_anchors() -> frozenset[str]:
    return frozenset(_TOKEN.findall(code)[0] for code in hate_codes() if _TOKEN.findall(code))


_NOWHERE = (0, 0)  # a cue found by one of its words where nobody asked where
_SEARCHED = ("target_you", "target_person", "target_group", *_ATTACKS, "self_harm_call")
_CODES = "hate_code"


@lru_cache(maxsize=1)
def _word_masks() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Per word, the bits of the cues it is (direct) or may start (anchor); and each cue's
    bit. One dict lookup per word tells which cues a sentence can have at all."""
    names = [*_SEARCHED, "counter_speech", _CODES]
    bit = {name: 1 << i for i, name in enumerate(names)}
    direct_shift = len(names)
    masks: dict[str, int] = {}
    for name, words in _DIRECT.items():
        for word in words:
            masks[word] = masks.get(word, 0) | (bit[name] << direct_shift)
    anchors = {**_ANCHORS, _CODES: _hate_code_anchors()}
    for name, words in anchors.items():
        for word in words:
            masks[word] = masks.get(word, 0) | bit[name]
    return masks, bit, {name: b << direct_shift for name, b in bit.items()}


def _sentence_cues(sentence: str, where: bool = True) -> dict[str, tuple[int, int]]:
    """Each cue of one normalised sentence, with where its words are in the sentence (with
    ``where`` False, targets found by a word of their own have no place: features need none)."""
    masks, bit, direct_bit = _word_masks()
    mask = 0
    # A set intersection in C first: most words of a sentence are no cue's.
    for token in masks.keys() & _TOKEN.findall(sentence):
        mask |= masks[token]
    found: dict[str, tuple[int, int]] = {}
    if not mask and "((" not in sentence:
        return found
    for name in _SEARCHED:
        if not mask & (bit[name] | direct_bit[name]):
            continue
        if mask & direct_bit[name] and not where:
            found[name] = _NOWHERE
        else:
            match = _PATTERNS[name].search(sentence)
            if match is not None:
                found[name] = match.span()
    code = _hate_code_pattern().search(sentence) if mask & bit[_CODES] else None
    if code is None and "((" in sentence:
        code = _PATTERNS["echo"].search(sentence)
    if code is not None:
        found[_CODES] = code.span()
    harm = found.get("harm_should") or found.get("threat_phrase")
    attack = harm or found.get("dehumanising")
    if not attack:
        return found
    # Counter-speech matters only beside an attack: it says the attack is condemned.
    counter = _PATTERNS["counter_speech"].search(sentence) if mask & bit["counter_speech"] else None
    if counter is not None:
        found["counter_speech"] = counter.span()
        return found
    # At a person, only harm counts: "you ... rats" is an insult the models weigh.
    if harm and "target_you" in found:
        found["you_attacked"] = harm
    if harm and "target_person" in found:
        found["person_attacked"] = harm
    if "target_group" in found and "dehumanising" in found:
        found["group_dehumanised"] = found["dehumanising"]
    if "target_group" in found and "harm_should" in found:
        found["group_harmed"] = found["harm_should"]
    return found


def cue_places(text: str) -> dict[str, list[tuple[int, int]]]:
    """Per cue, where in the normalised text it was found (once per sentence)."""
    places: dict[str, list[tuple[int, int]]] = {}
    for start, end in sentence_bounds(text):
        for name, (a, b) in _sentence_cues(text[start:end]).items():
            places.setdefault(name, []).append((start + a, start + b))
    return places


def find_cues(text: str) -> list[Cue]:
    """The cues of a normalised text, each once (the words of its first match)."""
    places = cue_places(text)
    return [Cue(name, text[slice(*places[name][0])]) for name in ALL_CUES if name in places]


_COLUMN = {name: i for i, name in enumerate(CUE_NAMES)}


def cue_matrix(sentences: Sequence[str]) -> np.ndarray:
    """The cue features of each normalised sentence: one float32 row each."""
    out = np.zeros((len(sentences), len(CUE_NAMES)), dtype=np.float32)
    for i, sentence in enumerate(sentences):
        for name in _sentence_cues(sentence, where=False):
            column = _COLUMN.get(name)
            if column is not None:
                out[i, column] = 1.0
    return out
