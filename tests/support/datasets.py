"""A tiny dataset tree in the layout of /work/shared/datasets, for training and evaluating in
seconds."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from pathlib import Path

_SPAM = [
    "check out my channel and subscribe please!!",
    "visit http://free-money.example.com for cash prizes",
    "WIN a free iphone now, text WIN to 80088",
    "cheap pills online www.pharma-deal.example.net buy now",
    "follow me on my page for free gift cards http://gift.example.org",
    "URGENT! you have won a 1000 prize call 09061701461 claim",
]
_HAM = [
    "this song always makes me smile",
    "the council should publish the budget figures before the vote",
    "i disagree with the article but the reporting was fair",
    "ok see you at dinner later",
    "great performance, the chorus is beautiful",
    "the minister's plan for schools needs more detail on funding",
]
_TOXIC = [
    "you are a stupid idiot",
    "shut up you worthless moron",
    "what a pathetic loser you are",
    "go to hell you disgusting pig",
    "you dumb bitch nobody cares",
    "this idiot writer is a total moron",
]
CLEAN = [
    "thanks for the thoughtful reply",
    "the article makes a reasonable point about taxes",
    "i think the policy will cost more than expected",
    "good question, i had not considered that",
    "the bridge repairs were finished on time",
    "please add a source for the claim in paragraph two",
]


def _write_csv(
    path: Path, header: list[str], rows: list[list[object]], delimiter: str = ","
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def write_fixture_datasets(root: Path, per_class: int = 18) -> Path:
    """Write a few dozen rows per source in the layout of /work/shared/datasets."""
    rng = random.Random(0)

    def pick(pool: list[str], i: int) -> str:
        return f"{pool[i % len(pool)]} {rng.choice(['', 'really', 'today', 'again'])}".strip()

    videos = ["Youtube01-Psy", "Youtube02-KatyPerry", "Youtube03-LMFAO", "Youtube04-Eminem"]
    for v, video in enumerate(videos):
        rows: list[list[object]] = []
        for i in range(per_class // 2):
            rows.append([f"s{v}{i}", "someone", "2014-01-01", pick(_SPAM, i + v), 1])
            rows.append([f"h{v}{i}", "someone", "2014-01-01", pick(_HAM, i + v), 0])
        _write_csv(root / "youtube_spam" / f"{video}.csv",
                   ["COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS"], rows)  # fmt: skip
    sms = root / "sms_spam" / "SMSSpamCollection"
    sms.parent.mkdir(parents=True)
    sms.write_text(
        "".join(f"spam\t{pick(_SPAM, i)}\nham\t{pick(_HAM, i)}\n" for i in range(per_class)),
        encoding="utf-8",
    )
    _write_csv(
        root / "jigsaw_toxic_sample" / "jigsaw_sample.csv",
        ["id", "comment_text", "toxic", "severe_toxic", "obscene", "threat", "insult",
         "identity_hate"],
        [[f"j{i}", pick(_TOXIC if i % 2 else CLEAN, i), i % 2, 0, 0, 0, i % 2, 0]
         for i in range(2 * per_class)],
    )  # fmt: skip
    _write_csv(
        root / "davidson_hate_offensive" / "labeled_data.csv",
        ["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"],
        [[i, 3, 0, 0, 3, i % 3, "RT @someone: " + pick(CLEAN if i % 3 == 2 else _TOXIC, i)]
         for i in range(3 * per_class)],
    )  # fmt: skip
    comments, annotations, spans = [], [], []
    for i in range(2 * per_class):
        toxic = i % 2 == 0
        text = pick(_TOXIC if toxic else CLEAN, i)
        comments.append([1000 + i, text])
        for r in range(3):
            annotations.append([3 * i + r, 1000 + i, r, "USA", False, (not toxic) and r < 2])
            if toxic and r < 2:  # two of three raters mark the last word
                spans.append([3 * i + r, "Insult", text.rindex(" ") + 1, len(text)])
    _write_csv(root / "toxic_spans_civil_comments" / "comments.csv",
               ["comment_id", "comment_text"], comments)  # fmt: skip
    _write_csv(root / "toxic_spans_civil_comments" / "annotations.csv",
               ["annotation", "comment_id", "worker", "country", "all toxic", "not toxic"],
               annotations)  # fmt: skip
    _write_csv(root / "toxic_spans_civil_comments" / "spans.csv",
               ["annotation", "type", "start", "end"], spans)  # fmt: skip
    _write_csv(
        root / "stormfront_hate_speech" / "stormfront_combined.csv",
        ["file_id", "user_id", "subforum_id", "num_contexts", "label", "text",
         "in_sampled_train", "in_sampled_test"],
        [[f"{i}_1", 1, 1, 0, ["hate", "noHate", "relation"][i % 3],
          pick(_TOXIC if i % 3 == 0 else CLEAN, i), False, False]
         for i in range(3 * per_class)],
    )  # fmt: skip
    lexicon = root / "ldnoobw_profanity" / "en"
    lexicon.parent.mkdir(parents=True)
    lexicon.write_text("bitch\nshit\nfuck\nball gag\nsex\n", encoding="utf-8")
    _write_issue13_sources(root, per_class, pick)
    return root


def _write_issue13_sources(root: Path, n: int, pick: Callable[[list[str], int], str]) -> None:
    """The seven sources of issue 13, a few rows each, in their published layouts."""
    implicit = root / "implicit_hate_corpus"
    classes = ["not_hate", "implicit_hate", "explicit_hate"]
    posts = [[f"rt : {pick(CLEAN if i % 3 == 0 else _TOXIC, i)} #tag", classes[i % 3]]
             for i in range(3 * n)]  # fmt: skip
    _write_csv(implicit / "implicit_hate_v1_stg1_posts.tsv", ["post", "class"], posts, "\t")
    _write_csv(implicit / "implicit_hate_v1_stg2_posts.tsv",
               ["post", "implicit_class", "extra_implicit_class"],
               [[p, "threatening" if i % 2 else "irony", ""]
                for i, (p, c) in enumerate(posts) if c == "implicit_hate"], "\t")  # fmt: skip
    toxigen = root / "toxigen_annotated"
    toxigen.mkdir(parents=True)
    for part, name in enumerate(("exp_dataset.jsonl", "unexp_dataset.jsonl")):
        lines = [json.dumps({"text": pick(_TOXIC if i % 2 else CLEAN, i) + f" group{part}",
                             "toxicity_human": 4.5 if i % 2 else 1.0,
                             "lewd": "doesn't contain lewd content"})
                 for i in range(n)]  # fmt: skip
        (toxigen / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_csv(root / "toxigen_prompts" / "toxigen_prompt_sentences.csv",
               ["sentence", "label", "group", "n_prompt_lines"],
               [[pick(_TOXIC if i % 2 else CLEAN, i) + " people", ["neutral", "hate"][i % 2],
                 "asian", 1] for i in range(n)])  # fmt: skip
    rows = []
    for i in range(n):  # pairs: a hateful entry and its non-hateful perturbation
        hate, clean = f"{pick(_TOXIC, i)} 🐀", f"{pick(CLEAN, i)} 🌻"
        rows.append([2 * i, hate, "derogation", "['bla']", 5, "5a", "original", "train", 1,
                     clean, 2 * i + 1])  # fmt: skip
        rows.append([2 * i + 1, clean, "none", "['none']", 5, "5b", "perturbation", "train", 0,
                     hate, 2 * i])  # fmt: skip
    header = ["entry_id", "text", "type", "target", "round.base", "round.set", "set", "split",
              "label_gold", "matched_text", "matched_id"]  # fmt: skip
    for split in ("train", "validation", "test"):
        _write_csv(root / "hatemoji_build" / f"{split}.csv", header,
                   rows if split == "train" else [])  # fmt: skip
    _write_csv(root / "hatexplain_processed" / "preprocessed.csv",
               ["text", "rationale_pos", "label", "label_gender", "label_religion",
                "label_race", "label_economic", "label_minority"],
               [["<user> " + pick(CLEAN if i % 3 == 0 else _TOXIC, i), "", i % 3, 0, 0,
                 int(i % 3 == 2), 0, 0] for i in range(3 * n)])  # fmt: skip
    votes = [["Not Offensive"] * 3, ["Offensive"] * 3]
    _write_csv(root / "offensivelang" / "OffensiveLang.csv",
               ["Text", "Category", "Target Group", "Final Annotation", "OpenAI_Annotation",
                "Annotator1", "Annotator2", "Annotator3"],
               [[pick(_TOXIC if i % 2 else CLEAN, i), ["Occupation", "Disability"][i % 4 // 2],
                 "Actor", votes[i % 2][0], votes[i % 2][0], *votes[i % 2]]
                for i in range(2 * n)])  # fmt: skip
    _write_csv(root / "scamspot_instagram_spam" / "comments-rated-plus-reported.csv",
               ["number", "scam", "msg_length", "msg"],
               [[i, i % 2, 10, pick(_SPAM if i % 2 else _HAM, i)]
                for i in range(2 * n)])  # fmt: skip
