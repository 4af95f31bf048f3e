"""Readers that map the shared public datasets onto our spam, toxicity and attribute labels.

Label mapping (decided here, once, for every model trained from these sources). Each row
belongs to a *source*; the source names below are those of the manifest's metrics.

Spam (1 = spam, 0 = ham)
- ``youtube``: ``youtube_spam/Youtube0*.csv``, ``CLASS`` as published (1 = spam). The only
  source with comment-style link/channel spam. Grouped by video so cross-validation holds a
  video out.
- ``sms``: ``sms_spam/SMSSpamCollection``, ``spam``/``ham`` as published. Teaches
  prize/scam/phone-number spam.
- Extra ham (negatives only): ``jigsaw_ham`` (non-toxic Wikipedia talk comments),
  ``toxicspans_ham`` (the TOXICSPANS news comments most raters called "not toxic", see
  below) and ``stormfront_ham`` (``noHate`` forum sentences). Without them the model learns
  "long, opinionated prose" = not SMS ham = spam, and news comments would look like spam.
  Toxic rows are not used as ham, so the spam score does not learn to ignore abuse-laden
  link spam. Davidson tweets are left out: retweet/@mention/t.co artefacts would teach that
  links are ham.
- Synthetic ham with a reference link (negatives only, weight 0.05 per source):
  ``jigsaw_linked``, ``toxicspans_linked``, ``stormfront_linked``. In YouTube and SMS, the
  only sources with spam, nearly every link is spam and ham has none, so the model learnt
  "a link = spam" and held news comments that cite their source. One clean ham row in four
  (stable hash) is copied with a link to a general news or reference site
  (``REFERENCE_DOMAINS``, a fixed list of major outlets, encyclopaedias and statistics
  offices; no video or link-shortener hosts) whose path is a slug of the comment's own
  words, placed before, after or in parentheses (``_LINK_TEMPLATES``). The copy keeps its
  original's fold and origin, so holding a source out removes it too.

Toxicity (1 = toxic, 0 = not toxic), following the Civil Comments umbrella definition (rude,
disrespectful, hateful, obscene or threatening):
- ``jigsaw``: ``jigsaw_toxic_sample/jigsaw_sample.csv``, toxic if any of the six labels is 1.
- ``davidson``: ``davidson_hate_offensive/labeled_data.csv`` (source weight 0.5): class 0
  (hate) -> toxic; class 1 (offensive) -> toxic only when the tweet contains a profanity or
  insult from the lexicon (LDNOOBW plus a short insult list), with row weight 0.1 of a hate
  tweet, and dropped otherwise: "offensive" is mostly casual profanity in tweets, and
  without a lexical hit its label teaches tweet style, not abuse; class 2 -> not toxic.
  Tweets are HTML-unescaped, "RT" prefixes dropped and @handles replaced by "@user" so
  the model does not learn Twitter artefacts.
- ``toxicspans``: ``toxic_spans_civil_comments`` (comments.csv + annotations.csv +
  spans.csv joined on comment_id / annotation). Every comment there had already been judged
  toxic by Civil Comments raters, so a majority vote alone labels ~70% of these ordinary
  news comments toxic and teaches "news-style prose = toxic". We therefore keep only
  confident labels:
    * toxic when fewer than half of the raters ticked "not toxic" AND either some character
      lies inside the spans of more than half of the raters (the paper's ground-truth span
      is non-empty: the raters agree on *which words* are toxic) or more than half ticked
      "all toxic" (toxic as a whole);
    * not toxic when more than half of the raters ticked "not toxic";
    * dropped otherwise (ties, and "toxic" votes whose spans do not overlap: ~1,750 rows).
  The source also gets half the weight of the others (``SOURCE_WEIGHTS``).
- ``toxicspans_rest`` (negatives only, weight 1.0): each toxic TOXICSPANS comment with every
  character that *any* rater put in a span removed, kept when at least 40 characters and
  half of the text remain. Paired with its original (same CV fold), it tells the model
  that the news prose around the insult is not what makes a comment toxic; it is the only
  source of clean *news-comment* text besides the ~4,800 "not toxic" rows.
- ``stormfront``: ``stormfront_hate_speech/stormfront_combined.csv``: ``hate`` -> toxic,
  ``noHate`` -> not toxic; ``relation`` (needs context) and ``idk/skip`` are dropped.
- Threats and identity attacks (``SEVERE_WEIGHT``, 3x the row weight of other toxic rows of
  their source): Jigsaw rows labelled ``threat`` or ``identity_hate``, and toxic TOXICSPANS
  comments where at least two raters, and at least a third of them, marked a ``Threat`` or
  ``Identity based Attack`` span. Insults and profanity outnumber them about ten to one,
  so unweighted the model learns "toxic = swear words" and lets a polite threat through.
- Extra clean text (negatives only, weight 0.2 each): ``sms_clean`` and ``youtube_clean``:
  every SMS and YouTube comment, ham *and spam*, as not toxic. Spam is unwanted but not
  abusive; without these rows scam text ("contact me on whatsapp to invest") scored as
  toxic because the toxicity model had never seen non-abusive text that was not
  Wikipedia, tweets, forum or news prose.
- ``ldnoobw_profanity/en`` is the profanity lexicon: it decides which Davidson "offensive"
  tweets count (above) and feeds a profanity-count feature of both models (everyday words
  such as "sex" and "nude" left out). Its sha256 is in the manifest like every data file.

Toxicity attributes (1 = has it, 0 = has not; a source that does not label an attribute
gives it no rows), each its own model over the toxicity features (``ATTRIBUTES``):
- ``jigsaw``: its own labels (``insult``, ``threat``, ``obscene``; ``identity_hate`` ->
  ``identity_attack``); ``severe_toxicity`` = ``severe_toxic`` or ``threat`` or
  ``identity_hate``.
- ``toxicspans``: span types ``Insult``, ``Threat``, ``Identity based Attack``,
  ``Profane/Obscene`` -> ``insult``, ``threat``, ``identity_attack``, ``obscene``: positive when
  the comment is toxic (as above) and at least two raters, and at least a third, marked a span
  of that type; negative when it is not toxic or nobody marked one; unlabelled in between.
  ``severe_toxicity``: the same for threat or identity-attack spans together.
- ``davidson``: "hate" (speech aimed at a group) -> ``identity_attack`` and
  ``severe_toxicity``; "offensive" with a LDNOOBW word -> ``obscene`` (insults and threats are
  not labelled there).
- ``stormfront``: "hate" -> ``identity_attack`` and ``severe_toxicity``; "noHate" -> clean of
  every attribute.
- ``sms_clean``, ``youtube_clean``, ``toxicspans_rest``: clean of every attribute.
- ``moderators`` (the site's own decisions, ``ModeratorLabel``): a removal on a ground ->
  the attributes the ground names (threat -> ``threat`` and ``severe_toxicity``, hate ->
  ``identity_attack`` and ``severe_toxicity``, harassment -> ``insult``, obscene -> ``obscene``),
  the others unlabelled; a removal without a ground labels none; a published comment is clean
  of every attribute.
A source's total weight for an attribute is scaled by its positives / 200 below 200
(``ATTRIBUTE_FULL_WEIGHT_POSITIVES``), so that Jigsaw's 8 threats are not half its say; not the
moderators', which is scaled by its rows (``SOURCE_FULL_WEIGHT_ROWS``) instead of twice.

Synthetic rows (``synthetic``, toxicity and attributes, source weight 0.35; ``synthetic_ham``,
spam negatives, 0.1): template sentences written for the project (``classifiers.synthetic``):
threats and dehumanising attacks on groups without swear words, paired with harmless sentences
that share their words (violent idioms, reported threats, counter-speech, harsh criticism of
people in power, groups named in peaceful sentences), and harsh words about things and public
trades ("What a stupid policy.", "Politicians are all liars.") beside the same words aimed at a
reader (toxic, ``insult`` only), as their own source ``synthetic_criticism`` (weight 0.6).
``synthetic_spam`` (spam model only,
source weight 0.5, both classes): the spam of article pages (a compliment and a commercial
link, "visit my blog", messenger-contact investment, recovery and dating scams, pills) beside
news comments with the same words (cited sources, messengers, money, loans, pharmacies).
Never a held-out test set.

Sources added for issue 13 (MANIFEST's mapping unless said otherwise; "clean" = 0 for toxicity
and every attribute, a hard negative from the same communities or a non-hateful twin; labels
not listed are unknown, i.e. the row is not in that attribute's set; ``severe_toxicity`` is
threat or identity attack, as for the sources above):

============== ==================================================================================
source         mapping
============== ==================================================================================
implicit       ``implicit_hate_corpus`` stage 1 (Latent Hatred tweets): explicit_hate and
               implicit_hate -> toxic + identity_attack; threat 1 for the stage-2 type (or extra
               type) ``threatening``, 0 for another stage-2 type (white_grievance, incitement,
               stereotypical, inferiority, irony, other), unknown without one (explicit hate);
               not_hate -> clean. Retweet markers, cut-handle colons and stray quotes removed.
toxigen        ``toxigen_annotated`` (GPT-3 statements about 13 groups): mean human rating > 3
               -> toxic + identity_attack, obscene = ``lewd`` ("contains lewd content");
               <= 2 -> clean (obscene unknown when lewd); in between dropped. Source weight
               0.5 (machine-written).
toxigen_prompts ``toxigen_prompts/toxigen_prompt_sentences.csv`` (DERIVED) plus the
               demonstration sentences, deduplicated case-insensitively: hate -> toxic +
               identity_attack; neutral -> clean. Origin ``toxigen``: held out with the
               annotated statements, which were generated from these seeds. Weight 0.3.
hatemoji       ``hatemoji_build`` train + validation + test: label_gold 1 -> toxic +
               identity_attack, threat = type ``threateninglanguage``; 0 -> clean. An entry
               and its perturbation share a fold. Weight 0.5 (written against a model).
hatexplain     ``hatexplain_processed``: 2 hatespeech -> toxic + identity_attack; 1 offensive
               -> toxic (row weight ``HATEXPLAIN_OFFENSIVE_WEIGHT``) + insult, identity_attack
               0 unless the raters named a target group (then unknown); 0 normal -> clean.
               MAGPIE's ``<user>``/``<number>`` placeholders removed.
offensivelang  ``offensivelang/OffensiveLang.csv`` (ChatGPT statements): Offensive by all three
               workers -> toxic, identity_attack in the race, religion, gender/sexual
               orientation and disability categories, else insult (identity_attack 0);
               threat unknown (veiled threats are labelled Offensive); Not Offensive -> clean;
               2-of-3 Offensive dropped (see ``_offensivelang``). Weight 0.3.
scamspot       ``scamspot_instagram_spam``: spam model only, ``scam`` -> spam/ham, each
               distinct text once (copy-paste campaigns), texts labelled both ways dropped.
============== ==================================================================================

The clean rows of implicit, toxigen (annotated), hatemoji, hatexplain and offensivelang are
also spam negatives (``<source>_ham``, weight 0.5 for the tweets and posts, 0.25 for the
written-to-order sentences), tested for the spam false-positive rate like ``jigsaw_ham``.
Texts published twice with different labels are dropped in every new source.

Weighting (``LabelledSet.sample_weights``): each source gets a total weight
(``SOURCE_WEIGHTS``, default 1); inside a source that has both classes, positives and
negatives get half of it each, balanced again within length groups (word counts), so
neither a source's own class prior nor the longer length of its toxic rows (TOXICSPANS ~2:1 toxic,
Davidson ~5:1, Stormfront ~1:8) can be learnt as "this style or length of text is
toxic/clean".
Identity terms (``IDENTITY_TERMS``): for each term, the not-toxic rows that mention it are
up-weighted, per source and after the class rescaling (at most 25x per row), until they
carry as much weight as the toxic rows that mention it, so mentioning "Muslim", "gay" or
"Korean" is not itself evidence of toxicity.
Finally the two classes are rescaled to equal total weight over all sources (a uniform
prior shift). Probabilities are then Platt-calibrated on out-of-fold predictions under
these weights (see ``classifiers.training``): they read as "probability under a 50/50
prior"; thresholds live in the moderation service.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.labels import ATTRIBUTES
from classifiers.normalise import normalise_text
from classifiers.synthetic import synthetic_rows
from classifiers.synthetic_spam import spam_rows

__all__ = [
    "ATTRIBUTES",
    "IDENTITY_TERMS",
    "SOURCE_WEIGHTS",
    "LabelledSet",
    "SourceFiles",
    "ToxicSpansComment",
    "build_label_sets",
    "build_training_sets",
    "feature_lexicon",
    "file_record",
    "read_lexicon",
    "read_toxic_spans",
]

N_FOLDS = 5

# Span-removed TOXICSPANS comments are kept as clean text only if enough prose remains.
_MIN_REST_CHARS = 40
_MIN_REST_SHARE = 0.5

# Identity terms (after Dixon et al., "Measuring and Mitigating Unintended Bias in Text
# Classification", AIES 2018). Hate-speech sources mention identities mostly in attacks,
# so a model learns "Muslim" or "gay" as toxic. ``LabelledSet.sample_weights`` up-weights
# the non-toxic rows that mention each term until that term is class-balanced.
IDENTITY_TERMS: tuple[str, ...] = (
    "muslim", "muslims", "islam", "islamic", "jew", "jews", "jewish", "christian",
    "christians", "catholic", "catholics", "hindu", "sikh", "buddhist", "atheist",
    "black", "blacks", "white", "whites", "african", "asian", "asians", "chinese",
    "korean", "japanese", "indian", "arab", "arabs", "mexican", "mexicans", "latino",
    "latina", "hispanic", "immigrant", "immigrants", "refugee", "refugees", "gay", "gays",
    "lesbian", "lesbians", "bisexual", "transgender", "trans", "queer", "homosexual",
    "woman", "women", "girl", "girls", "female", "feminist", "deaf", "blind", "disabled",
    # Nationalities and peoples: hate-speech sources name them mostly in attacks too.
    "indigenous", "native", "aboriginal", "roma", "gypsy", "gypsies", "nigerian",
    "nigerians", "somali", "somalis", "pakistani", "pakistanis", "syrian", "syrians",
    "iranian", "israeli", "israelis", "palestinian", "palestinians", "irish", "polish",
    "russian", "russians", "ukrainian", "ukrainians", "turkish", "turks", "romanian",
    "romanians", "french", "german", "germans", "american", "americans", "british",
    "european", "europeans", "africans", "lgbt", "lgbtq", "hindus", "sikhs", "autistic",
    "nonbinary",
)  # fmt: skip
# Each group word that names people as an adjective, followed by "people": balanced as a pair
# (see ``LabelledSet._term_balance``).
GROUP_PEOPLE_TERMS: tuple[str, ...] = tuple(
    f"{term} people"
    for term in IDENTITY_TERMS
    if not term.endswith("s") or term == "trans"  # not "muslims people"
)
_LENGTH_EDGES = (8, 16, 32, 64)  # word-count strata, see LabelledSet.sample_weights
_IDENTITY_CAP = 25.0
# Row weight of a Davidson "offensive" tweet relative to a "hate" one (see the docstring).
DAVIDSON_OFFENSIVE_WEIGHT = 0.1
# Insults and slurs missing from LDNOOBW (which is about sexual terms), used to keep only the
# Davidson "offensive" tweets whose offence is lexical.
INSULT_TERMS: tuple[str, ...] = (
    "idiot", "idiots", "stupid", "moron", "morons", "dumb", "retard", "retarded", "loser",
    "losers", "hoe", "hoes", "bitches", "niggas", "trash", "scum", "ugly", "pathetic",
    "worthless", "hate", "kill", "shit", "fuck", "fucking", "ass", "damn", "crap",
)  # fmt: skip  # at most this factor per row, so a handful of rows cannot dominate

# Total weight of a source relative to the default of 1.0 (see the module docstring).
SOURCE_WEIGHTS: dict[str, float] = {
    "davidson": 0.5,
    "toxicspans": 0.5,
    "toxicspans_rest": 1.0,
    "sms_clean": 0.2,
    "youtube_clean": 0.2,
    "jigsaw_linked": 0.15,
    "toxicspans_linked": 0.15,
    "stormfront_linked": 0.15,
    "synthetic": 0.35,
    "synthetic_ham": 0.1,
    "synthetic_spam": 0.5,
    "synthetic_criticism": 0.6,
    "moderators": 1.0,
    # The sources of issue 13 (see the module docstring). Real posts keep the default 1.0;
    # sentences written to order (ToxiGen's GPT-3 statements and its seed prompts, Hatemoji's
    # adversarial entries, OffensiveLang's ChatGPT statements) weigh less, so that they teach
    # implicit and emoji hate without swamping real comments.
    "implicit": 1.0,
    "hatexplain": 1.0,
    "scamspot": 1.0,
    "toxigen": 0.5,
    "toxigen_prompts": 0.3,
    "hatemoji": 0.5,
    "offensivelang": 0.3,
    # Their clean rows as spam negatives: tweets and short statements, further from news
    # comments than the Wikipedia, news and forum prose of the ham sources above (1.0 each).
    "implicit_ham": 0.5,
    "hatexplain_ham": 0.5,
    "toxigen_ham": 0.25,
    "hatemoji_ham": 0.25,
    "offensivelang_ham": 0.25,
}

# The site's own moderators' decisions (see ModeratorLabel) are the closest data to what the
# site receives, but a handful of them must not swing a model trained on 100,000 rows: their
# source weighs in proportion to its rows until it has this many.
SOURCE_FULL_WEIGHT_ROWS: dict[str, int] = {"moderators": 500}
MODERATOR_SOURCE = "moderators"


@dataclass(frozen=True, slots=True)
class ModeratorLabel:
    """A moderator's decision on one of the site's comments, as a training row: spam or not,
    abusive or not (None where the decision says nothing about it), and for an abusive one the
    toxicity attributes its ground names (a threat: ``("threat", "severe_toxicity")``); the
    attributes it does not name are unknown, not absent."""

    text: str
    spam: bool | None
    toxic: bool | None
    attributes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.attributes) - set(ATTRIBUTES))
        if unknown:  # a ground mapped to a name no model has: it would teach nothing, silently
            raise ValueError(f"no attribute model is called {', '.join(unknown)}")


# Row weight, relative to other toxic rows of the same source, of a toxic row that threatens
# or attacks an identity (TOXICSPANS Threat / Identity based Attack spans, Jigsaw threat /
# identity_hate). Insults and profanity outnumber them ~10:1, so without this the model
# learns "toxic = swear words" and scores a profanity-free threat as clean.
SEVERE_WEIGHT = 3.0
_SEVERE_SPAN_TYPES = frozenset({"Threat", "Identity based Attack"})

# TOXICSPANS span types -> attribute.
_SPAN_ATTRIBUTE = {
    "Insult": "insult",
    "Threat": "threat",
    "Identity based Attack": "identity_attack",
    "Profane/Obscene": "obscene",
}
# A source's total weight for an attribute grows with its positives and is full from this
# many: Jigsaw's 8 threats would otherwise carry half of Jigsaw's weight and be memorised.
ATTRIBUTE_FULL_WEIGHT_POSITIVES = 200

# General news and reference sites, for the synthetic "ham with a reference link" rows (see
# the module docstring). Video and link-shortener hosts are deliberately absent: those are
# what link spam points at.
REFERENCE_DOMAINS: tuple[str, ...] = (
    "www.bbc.co.uk", "www.bbc.com", "www.reuters.com", "apnews.com", "www.theguardian.com",
    "www.nytimes.com", "www.washingtonpost.com", "www.ft.com", "www.economist.com",
    "www.npr.org", "www.cbc.ca", "www.abc.net.au", "www.aljazeera.com", "en.wikipedia.org",
    "www.gov.uk", "www.ons.gov.uk", "www.who.int", "ec.europa.eu", "www.nature.com",
    "www.bloomberg.com", "www.wsj.com", "www.latimes.com", "www.independent.co.uk",
    "www.politico.com", "www.theatlantic.com", "www.snopes.com", "www.factcheck.org",
    "www.congress.gov", "www.oecd.org", "www.imf.org", "www.worldbank.org", "www.cdc.gov",
    "www.census.gov", "www.statista.com", "www.lemonde.fr", "www.spiegel.de",
)  # fmt: skip
# One ham row in this many (chosen by a stable hash) gets a linked copy.
_LINKED_EVERY = 4
_LINK_TEMPLATES = (
    "{text} {url}",
    "{text} Source: {url}",
    "{text} ({url})",
    "{url} {text}",
    "{text} See {url}",
    "{text} More here: {url}",
)


# csv's default field limit (128 KiB) is fine, but long Jigsaw comments contain newlines
# inside quotes, so always open with newline="".
_RT = re.compile(r"^\s*(?:RT\s+)?")
_HANDLE = re.compile(r"@\w+")
_WORD = re.compile(r"[a-z]+")


@dataclass
class LabelledSet:
    """Rows for one model: text, label, pre-normalisation row weight, source and CV fold."""

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    row_weights: list[float] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    folds: list[int] = field(default_factory=list)
    balance_terms: tuple[str, ...] = ()
    length_strata: bool = False
    # When set, a source with fewer positives than this gets a share of its total weight in
    # proportion (see ATTRIBUTE_FULL_WEIGHT_POSITIVES).
    full_weight_positives: int | None = None

    def add(self, text: str, label: int, source: str, fold: int, weight: float = 1.0) -> None:
        text = text.strip()
        if not text:
            return
        self.texts.append(text)
        self.labels.append(label)
        self.row_weights.append(weight)
        self.sources.append(source)
        self.folds.append(fold)

    def __len__(self) -> int:
        return len(self.texts)

    def sample_weights(self) -> np.ndarray:
        """Per-source total weight, class-balanced inside each (source, length) stratum and
        identity term, then per class (mean 1)."""
        w = np.asarray(self.row_weights, dtype=np.float64)
        sources = np.asarray(self.sources)
        labels = np.asarray(self.labels)
        lengths = np.fromiter((len(t.split()) for t in self.texts), dtype=np.int64, count=len(w))
        bucket = np.searchsorted(np.asarray(_LENGTH_EDGES), lengths, side="left")
        if not self.length_strata:
            bucket[:] = 0
        for source in np.unique(sources):
            mask = sources == source
            total = SOURCE_WEIGHTS.get(str(source), 1.0)
            if str(source) in SOURCE_FULL_WEIGHT_ROWS:
                total *= min(1.0, mask.sum() / SOURCE_FULL_WEIGHT_ROWS[str(source)])
            # The moderators' source is weighed by its rows already: discounting a ground's
            # few positives again would leave what moderators named next to no say.
            if self.full_weight_positives and str(source) not in SOURCE_FULL_WEIGHT_ROWS:
                positives = int((labels[mask] == 1).sum())
                if positives:
                    total *= min(1.0, positives / self.full_weight_positives)
            if len(np.unique(labels[mask])) < 2:
                w[mask] *= total / w[mask].sum()
                continue
            for b in np.unique(bucket[mask]):
                stratum = mask & (bucket == b)
                share = total * stratum.sum() / mask.sum()
                present = np.unique(labels[stratum])
                for label in present:
                    part = stratum & (labels == label)
                    w[part] *= share / (len(present) * w[part].sum())
        for label in np.unique(labels):
            mask = labels == label
            w[mask] /= w[mask].sum()
        if self.balance_terms:
            # After the class rescaling, so the balance holds for the weights actually used.
            w *= self._term_balance(w, labels, sources)
            for label in np.unique(labels):
                mask = labels == label
                w[mask] /= w[mask].sum()
        return w * (len(w) / w.sum())

    def _term_balance(self, w: np.ndarray, labels: np.ndarray, sources: np.ndarray) -> np.ndarray:
        """Row factors that give, inside each source and then over all sources, the negatives
        mentioning each term the weight of the positives mentioning it."""
        words = []
        for text in self.texts:
            tokens = _WORD.findall(text.lower())
            # Word pairs too: "<group> people" is how hate-speech sources begin a statement,
            # so the pair tipped towards toxic however balanced the group's word was.
            words.append({*tokens, *(f"{a} {b}" for a, b in pairwise(tokens))})
        factor = np.ones(len(w))
        for term in self.balance_terms:
            has = np.fromiter((term in ws for ws in words), dtype=bool, count=len(words))
            for source in np.unique(sources[has]):
                mask = has & (sources == source)
                pos = w[mask & (labels == 1)].sum()
                neg = w[mask & (labels == 0)].sum()
                if neg > 0 and pos > neg:
                    factor[mask & (labels == 0)] *= pos / neg
            # Then across sources: a source that names a group only in attacks (a hate-speech
            # corpus) still tips the term towards toxic, however balanced each other source
            # is; the benign mentions of every source together are given the attacks' weight.
            balanced = w * factor
            pos = balanced[has & (labels == 1)].sum()
            neg = balanced[has & (labels == 0)].sum()
            if neg > 0 and pos > neg:
                factor[has & (labels == 0)] *= pos / neg
        return np.minimum(factor, _IDENTITY_CAP)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter[str]] = defaultdict(Counter)
        for source, label in zip(self.sources, self.labels, strict=True):
            out[source]["positive" if label else "negative"] += 1
        return {s: {"rows": sum(c.values()), **dict(c)} for s, c in sorted(out.items())}


@dataclass
class SourceFiles:
    """The data files read, relative to the data directory, for the manifest."""

    data_dir: Path
    paths: list[Path] = field(default_factory=list)

    def use(self, relative: str) -> Path:
        path = self.data_dir / relative
        if not path.is_file():
            raise FileNotFoundError(f"training file missing: {path}")
        if path not in self.paths:
            self.paths.append(path)
        return path

    def records(self) -> list[dict[str, Any]]:
        return [file_record(p, self.data_dir) for p in sorted(self.paths)]


def file_record(path: Path, data_dir: Path) -> dict[str, Any]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "path": path.relative_to(data_dir).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": digest,
    }


def _fold(key: str) -> int:
    # Stable across runs and machines (unlike hash()), so CV figures are reproducible.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big") % N_FOLDS


def _read_csv(path: Path, delimiter: str = ",") -> Iterable[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, delimiter=delimiter)


def _stable(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


def _with_reference_link(text: str, key: str) -> str | None:
    """``text`` with a link to a news/reference page, for one ham row in ``_LINKED_EVERY``.

    The page path is a slug of the comment's own words, as article URLs are; the domain,
    scheme and placement come from a stable hash of ``key``.
    """
    h = _stable(key)
    if h % _LINKED_EVERY:
        return None
    h //= _LINKED_EVERY
    domain = REFERENCE_DOMAINS[h % len(REFERENCE_DOMAINS)]
    h //= len(REFERENCE_DOMAINS)
    words = _WORD.findall(text.lower())[: 3 + h % 5]
    h //= 5
    slug = "-".join(words) or "article"
    if domain == "en.wikipedia.org":
        path = "wiki/" + "_".join(w.capitalize() for w in words[:3])
    else:
        path = f"{slug}-{h % 90_000_000 + 10_000_000}" if h % 2 else f"news/{slug}"
    h //= 90_000_000
    url = f"{'https://' if h % 3 else 'http://'}{domain}/{path}"
    h //= 3
    return _LINK_TEMPLATES[h % len(_LINK_TEMPLATES)].format(text=text.strip(), url=url)


Attributes = dict[str, LabelledSet]


def _add_attributes(
    attributes: Attributes,
    text: str,
    labels: dict[str, int | None],
    source: str,
    fold: int,
    weight: float = 1.0,
) -> None:
    """One row in each attribute's set whose label the source gives (None: not labelled)."""
    for name, label in labels.items():
        if label is not None:
            attributes[name].add(text, label, source, fold, weight)


def _all_clean(attributes: Attributes, text: str, source: str, fold: int) -> None:
    _add_attributes(attributes, text, dict.fromkeys(ATTRIBUTES, 0), source, fold)


def _extra_ham_rows(spam: LabelledSet, text: str, source: str, key: str, fold: int) -> None:
    """The synthetic rows derived from one clean ham row (see the module docstring)."""
    if linked := _with_reference_link(text, key):
        spam.add(linked, 0, f"{source}_linked", fold)


def _youtube(
    files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes
) -> None:
    videos = sorted(files.data_dir.glob("youtube_spam/Youtube0*.csv"))
    if not videos:
        raise FileNotFoundError(f"no youtube_spam/Youtube0*.csv under {files.data_dir}")
    for index, video in enumerate(videos):
        path = files.use(video.relative_to(files.data_dir).as_posix())
        # Whole videos are held out together: comments under one video share spammers.
        for row in _read_csv(path):
            spam.add(row["CONTENT"], int(row["CLASS"]), "youtube", index % N_FOLDS)
            toxicity.add(row["CONTENT"], 0, "youtube_clean", index % N_FOLDS)
            _all_clean(attributes, row["CONTENT"], "youtube_clean", index % N_FOLDS)


def _sms(
    files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes
) -> None:
    path = files.use("sms_spam/SMSSpamCollection")
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            label, _, text = line.rstrip("\n").partition("\t")
            if label in ("spam", "ham"):
                spam.add(text, int(label == "spam"), "sms", _fold(f"sms{i}"))
                toxicity.add(text, 0, "sms_clean", _fold(f"sms{i}"))
                _all_clean(attributes, text, "sms_clean", _fold(f"sms{i}"))


def _jigsaw(
    files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes
) -> None:
    path = files.use("jigsaw_toxic_sample/jigsaw_sample.csv")
    labels = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
    for row in _read_csv(path):
        toxic = int(any(row[k] == "1" for k in labels))
        fold = _fold(f"jigsaw{row['id']}")
        severe = row["threat"] == "1" or row["identity_hate"] == "1"
        toxicity.add(row["comment_text"], toxic, "jigsaw", fold, SEVERE_WEIGHT if severe else 1.0)
        flag = {k: int(row[k] == "1") for k in labels}
        _add_attributes(
            attributes,
            row["comment_text"],
            {
                "severe_toxicity": int(severe or flag["severe_toxic"]),
                "insult": flag["insult"],
                "threat": flag["threat"],
                "identity_attack": flag["identity_hate"],
                "obscene": flag["obscene"],
            },
            "jigsaw",
            fold,
        )
        if not toxic:
            spam.add(row["comment_text"], 0, "jigsaw_ham", fold)
            _extra_ham_rows(spam, row["comment_text"], "jigsaw", f"jigsaw{row['id']}", fold)


def read_lexicon(files: SourceFiles) -> tuple[str, ...]:
    """The LDNOOBW English terms, normalised like comment text, sorted and de-duplicated."""
    path = files.use("ldnoobw_profanity/en")
    terms = {normalise_text(line.strip()) for line in path.read_text(encoding="utf-8").splitlines()}
    return tuple(sorted(t for t in terms if t))


# Insults that are insults in any context; with the LDNOOBW terms they make the lexicon
# count feature. LDNOOBW terms that are ordinary vocabulary in news comments are left out.
_FEATURE_INSULTS = ("idiot", "idiots", "stupid", "moron", "morons", "dumb", "retard",
                    "retarded", "loser", "losers", "scum", "pathetic", "worthless", "bitches",
                    "shit", "fuck", "fucking", "crap", "asshole", "bastard", "whore")  # fmt: skip
_NOT_PROFANE = frozenset({"sex", "sexy", "sexuality", "nude", "nudity", "escort", "erotic",
                          "erotism", "twink", "negro"})  # fmt: skip


def feature_lexicon(ldnoobw: tuple[str, ...]) -> tuple[str, ...]:
    """The terms counted by the featurizers' lexicon feature (sorted, de-duplicated)."""
    terms = (set(ldnoobw) - _NOT_PROFANE) | set(_FEATURE_INSULTS)
    return tuple(sorted(terms))


def _davidson(
    files: SourceFiles, toxicity: LabelledSet, attributes: Attributes, lexicon: tuple[str, ...]
) -> None:
    path = files.use("davidson_hate_offensive/labeled_data.csv")
    profane = {t for t in lexicon if " " not in t}
    single = profane | set(INSULT_TERMS)
    for row in _read_csv(path):
        text = _HANDLE.sub("@user", _RT.sub("", html.unescape(row["tweet"]), count=1))
        cls = int(row["class"])
        weight = 1.0
        words = set(_WORD.findall(normalise_text(text)))
        if cls == 1:
            # "Offensive" is mostly casual profanity: weak evidence, and only where the
            # profanity/insult itself is present (otherwise the label would teach tweet style).
            if not single & words:
                continue
            weight = DAVIDSON_OFFENSIVE_WEIGHT
        fold = _fold(f"davidson{row['']}")
        toxicity.add(text, int(cls in (0, 1)), "davidson", fold, weight)
        # Davidson's "hate" is hate aimed at a group: an identity attack, and severe. Its
        # "offensive" tweets with a profanity are obscene; insults and threats are not labelled.
        _add_attributes(
            attributes,
            text,
            {
                "severe_toxicity": int(cls == 0),
                "identity_attack": int(cls == 0),
                "obscene": int(cls == 1 and bool(profane & words)) if cls != 0 else None,
            },
            "davidson",
            fold,
        )


@dataclass(frozen=True, slots=True)
class ToxicSpansComment:
    """One TOXICSPANS comment that raters annotated, and what its raters said about it."""

    comment_id: str
    text: str
    raters: int
    not_toxic: int  # raters who ticked "not toxic"
    all_toxic: int  # raters who ticked "all toxic"
    # The characters inside the spans of more than half of the raters, a rater's overlapping
    # spans counting once: the ground truth of the ACL 2022 paper.
    gold: frozenset[int]
    marked: frozenset[int]  # every character that any rater put in a span
    severe_raters: int  # raters who marked a threat or an identity attack
    # Per attribute a span type names (``_SPAN_ATTRIBUTE``): the raters who marked one.
    attribute_raters: dict[str, int]


def _toxic_spans_marks(
    files: SourceFiles,
) -> tuple[dict[str, set[int]], dict[str, set[int]], dict[str, set[str]]]:
    """spans.csv per annotation: the characters marked, those marked as a threat or identity
    attack, and the attributes its span types name."""
    chars_of: dict[str, set[int]] = defaultdict(set)
    severe_chars_of: dict[str, set[int]] = defaultdict(set)
    typed: dict[str, set[str]] = defaultdict(set)  # annotation -> attributes it marked
    for row in _read_csv(files.use("toxic_spans_civil_comments/spans.csv")):
        span = range(int(row["start"]), int(row["end"]))
        chars_of[row["annotation"]].update(span)
        if row["type"] in _SEVERE_SPAN_TYPES:
            severe_chars_of[row["annotation"]].update(span)
        if span and row["type"] in _SPAN_ATTRIBUTE:
            typed[row["annotation"]].add(_SPAN_ATTRIBUTE[row["type"]])
    return chars_of, severe_chars_of, typed


def read_toxic_spans(files: SourceFiles) -> Iterator[ToxicSpansComment]:
    """The TOXICSPANS comments that have raters, in file order (comments.csv, annotations.csv
    and spans.csv joined on comment_id / annotation)."""
    # Per comment: raters, "not toxic" ticks and "all toxic" ticks; per annotation, its comment.
    raters: dict[str, int] = defaultdict(int)
    not_toxic: dict[str, int] = defaultdict(int)
    all_toxic: dict[str, int] = defaultdict(int)
    comment_of: dict[str, str] = {}
    annotations_of: dict[str, list[str]] = defaultdict(list)
    for row in _read_csv(files.use("toxic_spans_civil_comments/annotations.csv")):
        cid = row["comment_id"]
        comment_of[row["annotation"]] = cid
        annotations_of[cid].append(row["annotation"])
        raters[cid] += 1
        not_toxic[cid] += row["not toxic"] == "True"
        all_toxic[cid] += row["all toxic"] == "True"
    chars_of, severe_chars_of, typed = _toxic_spans_marks(files)
    # Per comment, how many raters' spans cover each character offset.
    coverage: dict[str, Counter[int]] = defaultdict(Counter)
    for annotation, chars in chars_of.items():
        if annotation in comment_of:
            coverage[comment_of[annotation]].update(chars)
    # Raters per comment who marked a threat or identity attack.
    severe_raters: Counter[str] = Counter(
        comment_of[a] for a, chars in severe_chars_of.items() if chars and a in comment_of
    )
    # Raters per (comment, attribute) who marked a span of that type.
    attribute_raters: Counter[tuple[str, str]] = Counter(
        (comment_of[a], name) for a, names in typed.items() if a in comment_of for name in names
    )
    for row in _read_csv(files.use("toxic_spans_civil_comments/comments.csv")):
        cid = row["comment_id"]
        n = raters.get(cid, 0)
        if n == 0:
            continue
        yield ToxicSpansComment(
            comment_id=cid,
            text=row["comment_text"],
            raters=n,
            not_toxic=not_toxic[cid],
            all_toxic=all_toxic[cid],
            gold=frozenset(c for c, votes in coverage[cid].items() if 2 * votes > n),
            marked=frozenset[int]().union(*(chars_of.get(a, ()) for a in annotations_of[cid])),
            severe_raters=severe_raters[cid],
            attribute_raters={
                name: attribute_raters[(cid, name)] for name in _SPAN_ATTRIBUTE.values()
            },
        )


def _toxic_spans(
    files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes
) -> None:
    for comment in read_toxic_spans(files):
        cid, text, n = comment.comment_id, comment.text, comment.raters
        if 2 * comment.not_toxic > n:
            toxic = 0
        elif 2 * comment.not_toxic == n:
            continue
        elif 2 * comment.all_toxic > n or comment.gold:
            toxic = 1
        else:
            continue  # "toxic" votes that do not agree on what is toxic
        fold = _fold(f"civil{cid}")
        # A threat or identity attack when at least two raters, and at least a third, say so.
        severe = toxic and comment.severe_raters >= max(2, n / 3)
        toxicity.add(text, toxic, "toxicspans", fold, SEVERE_WEIGHT if severe else 1.0)
        # An attribute holds when at least two raters, and at least a third, marked a span
        # of its type; a toxic comment where nobody did is a negative; in between, unlabelled.
        voted = {**comment.attribute_raters, "severe_toxicity": comment.severe_raters}
        _add_attributes(
            attributes,
            text,
            {
                name: 0 if not toxic or votes == 0 else 1 if votes >= max(2, n / 3) else None
                for name, votes in voted.items()
            },
            "toxicspans",
            fold,
        )
        if not toxic:
            spam.add(text, 0, "toxicspans_ham", fold)
            _extra_ham_rows(spam, text, "toxicspans", f"civil{cid}", fold)
            continue
        # The same comment with every character any rater marked toxic removed: news
        # prose that the raters found nothing toxic in. Same fold as its original.
        rest = " ".join("".join(ch for i, ch in enumerate(text) if i not in comment.marked).split())
        if len(rest) >= _MIN_REST_CHARS and len(rest) >= len(text) * _MIN_REST_SHARE:
            toxicity.add(rest, 0, "toxicspans_rest", fold)
            _all_clean(attributes, rest, "toxicspans_rest", fold)


def _stormfront(
    files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes
) -> None:
    path = files.use("stormfront_hate_speech/stormfront_combined.csv")
    for row in _read_csv(path):
        if row["label"] not in ("hate", "noHate"):
            continue
        toxic = int(row["label"] == "hate")
        # Sentences of one forum post stay in one fold.
        fold = _fold(f"stormfront{row['file_id'].rsplit('_', 1)[0]}")
        toxicity.add(row["text"], toxic, "stormfront", fold)
        # Stormfront's "hate" is an attack on a group; the other attributes are not labelled
        # on hate rows, and noHate sentences are clean of all of them.
        if toxic:
            _add_attributes(
                attributes,
                row["text"],
                {"severe_toxicity": 1, "identity_attack": 1},
                "stormfront",
                fold,
            )
        else:
            _all_clean(attributes, row["text"], "stormfront", fold)
        if not toxic:
            spam.add(row["text"], 0, "stormfront_ham", fold)
            _extra_ham_rows(spam, row["text"], "stormfront", row["file_id"], fold)


# --- the sources of issue 13 (mapping in the module docstring) -----------------------------


def _agreed(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Each distinct text once (first seen) with its label; texts published with two
    different labels are dropped rather than guessed."""
    out: dict[str, Any] = {}
    conflicting: set[str] = set()
    for text, label in pairs:
        text = " ".join(text.split())
        if not text or text in conflicting:
            continue
        if text in out and out[text] != label:
            del out[text]
            conflicting.add(text)
        elif text not in out:
            out[text] = label
    return out


def _severe(labels: dict[str, int | None]) -> int | None:
    """``severe_toxicity`` as the project defines it (threat or identity attack): 1 when
    either is 1, 0 when both are 0, unknown otherwise."""
    parts = (labels.get("threat"), labels.get("identity_attack"))
    if 1 in parts:
        return 1
    return 0 if parts == (0, 0) else None


def _toxic_attributes(**known: int | None) -> dict[str, int | None]:
    """The attributes of a toxic row: those given, the rest unknown, severity derived."""
    labels: dict[str, int | None] = {name: known.get(name) for name in ATTRIBUTES}
    labels["severe_toxicity"] = _severe(labels)
    return labels


def _clean_row(
    spam: LabelledSet | None,
    toxicity: LabelledSet,
    attributes: Attributes,
    text: str,
    source: str,
    fold: int,
) -> None:
    """A hard negative: not toxic, clean of every attribute, and ham (``<source>_ham``)."""
    toxicity.add(text, 0, source, fold)
    _all_clean(attributes, text, source, fold)
    if spam is not None:
        spam.add(text, 0, f"{source}_ham", fold)


def _toxic_row(
    toxicity: LabelledSet,
    attributes: Attributes,
    text: str,
    source: str,
    fold: int,
    labels: dict[str, int | None],
    weight: float = 1.0,
) -> None:
    toxicity.add(text, 1, source, fold, weight)
    _add_attributes(attributes, text, labels, source, fold)


# Retweet markers, the colons left where handles were cut out, and the stray double quotes of
# the Latent Hatred TSV files (`"  " : jewish harvard professor ... via #wr " " "`).
_TWEET_MARKS = re.compile(r'"|(?<!\S)rt(?:\s*:)?(?!\S)|(?<!\S):(?!\S)')
_IMPLICIT_THREAT = "threatening"


def _implicit(
    files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes
) -> None:
    """Latent Hatred (ElSherief et al. 2021): stage-1 classes, stage-2 implicit hate types."""
    stage1 = files.use("implicit_hate_corpus/implicit_hate_v1_stg1_posts.tsv")
    stage2 = files.use("implicit_hate_corpus/implicit_hate_v1_stg2_posts.tsv")
    types: dict[str, set[str]] = defaultdict(set)
    for row in _read_csv(stage2, delimiter="\t"):
        types[_implicit_text(row["post"])] |= {row["implicit_class"], row["extra_implicit_class"]}
    # 96 stage-2 posts differ slightly from every stage-1 post (a variant of the same tweet);
    # they are not added again. Stage-2 types only apply to stage-1 implicit_hate posts.
    posts = _agreed((_implicit_text(r["post"]), r["class"]) for r in _read_csv(stage1, "\t"))
    for text, cls in posts.items():
        fold = _fold(f"implicit{text}")
        if cls == "not_hate":
            # Posts from the same white-nationalist accounts and their audiences that are not
            # hateful: hard negatives.
            _clean_row(spam, toxicity, attributes, text, "implicit", fold)
            continue
        threat: int | None = None
        if cls == "implicit_hate" and types.get(text, set()) - {""}:
            threat = int(_IMPLICIT_THREAT in types[text])
        # Both classes are hate aimed at a group: identity attacks; explicit hate has no
        # stage-2 type, so whether it threatens is unknown.
        labels = _toxic_attributes(identity_attack=1, threat=threat)
        _toxic_row(toxicity, attributes, text, "implicit", fold, labels)


def _implicit_text(post: str) -> str:
    return " ".join(_TWEET_MARKS.sub(" ", post).split())


# ToxiGen's mean human toxicity rating (1-5): above this toxic, at or below the other clean,
# in between dropped (raters split).
TOXIGEN_TOXIC_ABOVE = 3.0
TOXIGEN_CLEAN_AT_MOST = 2.0
_TOXIGEN_LEWD = "contains lewd content"
_TOXIGEN_NOT_LEWD = "doesn't contain lewd content"


def _toxigen_key(text: str) -> str:
    # ToxiGen statements, prompt sentences and demonstrations share sentences: the same
    # sentence gets the same fold whichever file it comes from.
    return "toxigen" + " ".join(text.lower().split())


def _toxigen(
    files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes
) -> None:
    """ToxiGen's human-annotated statements (GPT-3 text about 13 groups, three raters)."""
    for name in ("exp_dataset.jsonl", "unexp_dataset.jsonl"):
        with files.use(f"toxigen_annotated/{name}").open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                text, score = " ".join(row["text"].split()), float(row["toxicity_human"])
                fold = _fold(_toxigen_key(text))
                if score <= TOXIGEN_CLEAN_AT_MOST:
                    if row["lewd"] == _TOXIGEN_NOT_LEWD:
                        _clean_row(spam, toxicity, attributes, text, "toxigen", fold)
                    else:
                        # Benign but sexual ("18 million women are sex slaves"): clean of
                        # everything but obscene, which is left unknown.
                        labels = dict.fromkeys(ATTRIBUTES, 0) | {"obscene": None}
                        toxicity.add(text, 0, "toxigen", fold)
                        _add_attributes(attributes, text, labels, "toxigen", fold)
                        spam.add(text, 0, "toxigen_ham", fold)
                elif score > TOXIGEN_TOXIC_ABOVE:
                    # A toxic statement about one of the 13 groups is an identity attack.
                    # "lewd" marks sexual content; only in a toxic statement does it count as
                    # obscene (MANIFEST maps lewd -> obscene; a benign sentence about sexual
                    # violence statistics is lewd too, and news sites publish those).
                    lewd = {_TOXIGEN_LEWD: 1, _TOXIGEN_NOT_LEWD: 0}.get(row["lewd"])
                    labels = _toxic_attributes(identity_attack=1, obscene=lewd)
                    _toxic_row(toxicity, attributes, text, "toxigen", fold, labels)


def _toxigen_prompts(files: SourceFiles, toxicity: LabelledSet, attributes: Attributes) -> None:
    """ToxiGen's seed statements, written by people: the DERIVED one-row-per-sentence file
    plus the demonstration sentences not in it (deduplicated; a sentence given as both hate
    and neutral is dropped). Same origin as ``toxigen``, so both are held out together."""
    pairs = [
        (row["sentence"], row["label"])
        for row in _read_csv(files.use("toxigen_prompts/toxigen_prompt_sentences.csv"))
    ]
    for path in sorted(files.data_dir.glob("toxigen_prompts/demonstrations/*/*.txt")):
        label = "hate" if path.name.startswith("hate_") else "neutral"
        used = files.use(path.relative_to(files.data_dir).as_posix())
        pairs += [(line, label) for line in used.read_text(encoding="utf-8").splitlines()]
    # Deduplicate case-insensitively (the demonstrations are capitalised, the prompts not).
    first: dict[str, str] = {}
    for text, _ in pairs:
        first.setdefault(_toxigen_key(text), " ".join(text.split()))
    for key, label in _agreed((_toxigen_key(t), label) for t, label in pairs).items():
        text, fold = first[key], _fold(key)
        if label == "neutral":
            # Benign statements that name the group: negatives against identity-term bias.
            _clean_row(None, toxicity, attributes, text, "toxigen_prompts", fold)
        else:
            labels = _toxic_attributes(identity_attack=1)
            _toxic_row(toxicity, attributes, text, "toxigen_prompts", fold, labels)


_HATEMOJI_THREAT = "threateninglanguage"


def _hatemoji(
    files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes
) -> None:
    """HatemojiBuild: adversarial emoji hate, each entry paired with a minimal perturbation.
    An entry and its perturbation share a fold (the published splits separate some pairs)."""
    rows = [
        row
        for split in ("train", "validation", "test")
        for row in _read_csv(files.use(f"hatemoji_build/{split}.csv"))
    ]
    # Each text's group: its pair, merged with other pairs where a text repeats.
    group: dict[str, str] = {}

    def root(text: str) -> str:
        while group.setdefault(text, text) != text:
            text = group[text]
        return text

    for row in rows:
        a, b = root(" ".join(row["text"].split())), root(" ".join(row["matched_text"].split()))
        group[max(a, b)] = min(a, b)
    kept = _agreed((r["text"], (r["label_gold"], r["type"])) for r in rows)
    for text, (gold, kind) in kept.items():
        fold = _fold(f"hatemoji{root(text)}")
        if gold == "0":
            # Mostly the non-hateful twin of a hateful entry (negated, counter-speech, target
            # swapped for an object): hard negatives.
            _clean_row(spam, toxicity, attributes, text, "hatemoji", fold)
            continue
        # All HatemojiBuild hate targets a protected group: an identity attack, and a threat
        # when its type is threatening language.
        labels = _toxic_attributes(identity_attack=1, threat=int(kind == _HATEMOJI_THREAT))
        _toxic_row(toxicity, attributes, text, "hatemoji", fold, labels)


# Row weight of a HateXplain "offensive" post relative to a "hatespeech" one: that of an
# insult against a threat or identity attack elsewhere (``SEVERE_WEIGHT``). Its offensive
# posts are insults and slurs at people, more deliberate than Davidson's casual profanity
# (``DAVIDSON_OFFENSIVE_WEIGHT``), but still Gab and Twitter swearing.
HATEXPLAIN_OFFENSIVE_WEIGHT = 1 / SEVERE_WEIGHT
_HATEXPLAIN_TARGETS = ("label_gender", "label_religion", "label_race", "label_economic",
                       "label_minority")  # fmt: skip
# MAGPIE's placeholders (<user>, <number>, <censored>, <url>, ...): dropped, so neither model
# learns them as a style of this source.
_PLACEHOLDER = re.compile(r"<[a-z]+>")


def _hatexplain(
    files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes
) -> None:
    """HateXplain (MAGPIE's processing): 0 normal, 1 offensive, 2 hatespeech."""
    path = files.use("hatexplain_processed/preprocessed.csv")
    rows = list(_read_csv(path))
    targeted = {
        " ".join(_PLACEHOLDER.sub(" ", r["text"]).split()): any(
            r[k] == "1" for k in _HATEXPLAIN_TARGETS
        )
        for r in rows
    }
    kept = _agreed((_PLACEHOLDER.sub(" ", r["text"]), r["label"]) for r in rows)
    for text, label in kept.items():
        fold = _fold(f"hatexplain{text}")
        if label == "0":
            _clean_row(spam, toxicity, attributes, text, "hatexplain", fold)
        elif label == "2":
            labels = _toxic_attributes(identity_attack=1)
            _toxic_row(toxicity, attributes, text, "hatexplain", fold, labels)
        else:
            # Offensive: an insult. Not hate speech, but when the raters also named a target
            # group it may still attack it in our sense, so identity attack is unknown there.
            attack = None if targeted[text] else 0
            labels = _toxic_attributes(insult=1, identity_attack=attack)
            weight = HATEXPLAIN_OFFENSIVE_WEIGHT
            _toxic_row(toxicity, attributes, text, "hatexplain", fold, labels, weight)


_OFFENSIVELANG_IDENTITY = frozenset({"Race/Ethnicity", "Religious Belief",
                                     "Gender/Sexual Orientation", "Disability"})  # fmt: skip


def _offensivelang(
    files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes
) -> None:
    """OffensiveLang: ChatGPT statements about 38 groups, three crowd workers each.

    Toxic only when all three workers said Offensive; "Not Offensive" (the majority) is clean;
    the 3,452 statements that two of three called Offensive are dropped. They are mostly
    advice and criticism a news site publishes ("Farming is not a sustainable career; you
    should look for something more future-proof.", "Your disability likely makes you more
    sensitive to accessibility concerns."), and MANIFEST's majority mapping would teach the
    models that polite criticism is abuse.
    """
    path = files.use("offensivelang/OffensiveLang.csv")
    for row in _read_csv(path):
        text = " ".join(row["Text"].split())
        fold = _fold(f"offensivelang{text}")
        votes = sum(row[f"Annotator{i}"] == "Offensive" for i in (1, 2, 3))
        if row["Final Annotation"] == "Not Offensive":
            _clean_row(spam, toxicity, attributes, text, "offensivelang", fold)
        elif votes == 3:
            # Veiled threats are labelled Offensive, never threat: threat stays unknown.
            # Race, religion, gender and disability: an identity attack (insult unknown);
            # occupation, body and diet: an insult, not an identity attack.
            if row["Category"] in _OFFENSIVELANG_IDENTITY:
                labels = _toxic_attributes(identity_attack=1)
            else:
                labels = _toxic_attributes(insult=1, identity_attack=0)
            _toxic_row(toxicity, attributes, text, "offensivelang", fold, labels)


def _scamspot(files: SourceFiles, spam: LabelledSet) -> None:
    """ScamSpot Instagram comments, scam -> spam. Copy-paste campaigns repeat texts: each
    distinct text once; the 9 texts labelled both ways are dropped."""
    path = files.use("scamspot_instagram_spam/comments-rated-plus-reported.csv")
    for text, label in _agreed((row["msg"], int(row["scam"])) for row in _read_csv(path)).items():
        spam.add(text, label, "scamspot", _fold(f"scamspot{text}"))


def _synthetic(spam: LabelledSet, toxicity: LabelledSet, attributes: Attributes) -> None:
    """The template rows of ``classifiers.synthetic`` (threats, identity attacks and their
    harmless minimal pairs); never a held-out test set."""
    for row in synthetic_rows():
        fold = _fold(f"synthetic{row.text}")
        source = "synthetic_criticism" if row.criticism else "synthetic"
        if row.kind == "clean":
            toxicity.add(row.text, 0, source, fold)
            _all_clean(attributes, row.text, source, fold)
            spam.add(row.text, 0, "synthetic_ham", fold)
            continue
        toxicity.add(row.text, 1, source, fold)
        if row.kind == "insult":
            # A reader called an idiot: insulted, nothing more severe (no profanity either).
            labels: dict[str, int | None] = {name: int(name == "insult") for name in ATTRIBUTES}
        else:
            labels = {
                "severe_toxicity": 1,
                "threat": int(row.threat),
                "identity_attack": int(row.kind == "identity_attack"),
                "obscene": 0,
                "insult": None,
            }
        _add_attributes(attributes, row.text, labels, source, fold)
    for row in spam_rows():
        spam.add(row.text, int(row.kind == "spam"), "synthetic_spam", _fold(f"spam{row.text}"))


def _moderators(
    labels: Sequence[ModeratorLabel],
    spam: LabelledSet,
    toxicity: LabelledSet,
    attributes: Attributes,
) -> None:
    """The site's moderators' labels: a spam decision teaches the spam model, an abuse
    decision the toxicity model and the attribute models its ground names (a threat: threat
    and severe toxicity; the others learn nothing from it); a comment they published is clean
    for every attribute."""
    for label in labels:
        fold = _fold(f"moderators{label.text}")
        if label.spam is not None:
            spam.add(label.text, int(label.spam), MODERATOR_SOURCE, fold)
        if label.toxic is not None:
            toxicity.add(label.text, int(label.toxic), MODERATOR_SOURCE, fold)
            if not label.toxic:
                _all_clean(attributes, label.text, MODERATOR_SOURCE, fold)
            elif label.attributes:
                named: dict[str, int | None] = dict.fromkeys(label.attributes, 1)
                _add_attributes(attributes, label.text, named, MODERATOR_SOURCE, fold)


def build_label_sets(
    data_dir: Path, feedback: Sequence[ModeratorLabel] = ()
) -> tuple[dict[str, LabelledSet], SourceFiles]:
    """Read every source under ``data_dir`` (plus the moderators' ``feedback``); return the
    rows of each model (``spam``, ``toxicity`` and each of ``ATTRIBUTES``) and the files read."""
    files = SourceFiles(Path(data_dir))
    spam, toxicity = (
        LabelledSet(),
        LabelledSet(balance_terms=IDENTITY_TERMS + GROUP_PEOPLE_TERMS, length_strata=True),
    )
    attributes: Attributes = {
        name: LabelledSet(
            balance_terms=IDENTITY_TERMS + GROUP_PEOPLE_TERMS,
            length_strata=True,
            full_weight_positives=ATTRIBUTE_FULL_WEIGHT_POSITIVES,
        )
        for name in ATTRIBUTES
    }
    _youtube(files, spam, toxicity, attributes)
    _sms(files, spam, toxicity, attributes)
    _jigsaw(files, spam, toxicity, attributes)
    _davidson(files, toxicity, attributes, read_lexicon(files))
    _toxic_spans(files, spam, toxicity, attributes)
    _stormfront(files, spam, toxicity, attributes)
    _implicit(files, spam, toxicity, attributes)
    _toxigen(files, spam, toxicity, attributes)
    _toxigen_prompts(files, toxicity, attributes)
    _hatemoji(files, spam, toxicity, attributes)
    _hatexplain(files, spam, toxicity, attributes)
    _offensivelang(files, spam, toxicity, attributes)
    _scamspot(files, spam)
    _synthetic(spam, toxicity, attributes)
    _moderators(feedback, spam, toxicity, attributes)
    return {"spam": spam, "toxicity": toxicity, **attributes}, files


def build_training_sets(data_dir: Path) -> tuple[LabelledSet, LabelledSet, SourceFiles]:
    """The spam and toxicity rows only (see ``build_label_sets``)."""
    sets, files = build_label_sets(data_dir)
    return sets["spam"], sets["toxicity"], files
