"""Themes: deterministic topics, zero-shot attachment to codes, study outputs, suggested codes."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
import yaml

from buyerlab.errors import BuyerlabError
from buyerlab.themes import (
    FILLER,
    KeywordAnalyzer,
    ThemesError,
    default_n_topics,
    filler_words,
    find_themes,
    label_keywords,
    language_centred,
    stop_words,
    suggest_codes,
    suggestions_yaml,
    topics_per_class,
)

PRICE = ["The price was far too high for our budget", "It was too expensive, the price did not fit our budget",
         "The licence price was more than the budget allowed", "Honestly the price was too expensive for a team our size",
         "Our budget could not cover a price that expensive", "Finance said the price was too expensive for this budget year"]
SECURITY = ["The security team reviewed data protection and encryption",
            "Our security people asked where the data is stored and encrypted",
            "Data protection and security review took weeks", "The CISO wanted a security audit of the data handling",
            "Security and data privacy were checked by our security officer",
            "Encryption of customer data was a security requirement"]
OTHER = {
    "football": ["Our office football team plays every Thursday evening",
                 "The football match on Saturday was cancelled because of rain",
                 "We watched the football final together in the canteen",
                 "Half of the team supports a different football club"],
    "weather": ["The weather in the north was cold and windy all winter",
                "Snow and ice made the winter weather hard for the drivers",
                "The summer weather was warm and sunny for weeks",
                "Rainy weather delayed the construction of the new warehouse"],
    "food": ["The canteen serves pasta and salad for lunch on Mondays",
             "We order pizza for lunch when the whole team works late",
             "Lunch at the canteen is cheap and the coffee is good",
             "The coffee machine in the kitchen broke again last week"],
    "travel": ["I travel by train to the head office twice a month", "The train journey to the head office takes three hours",
               "Our sales people travel by car to visit customers", "Travel to the trade fair in Hamburg was by plane"],
}
FILL = ["to be fair", "at the time", "as I remember it", "in the end", "back then", "for us", "I would say", "looking back"]
ZEROSHOT = {
    "price": ["Price: the product is too expensive or its price does not fit the budget", "It was too expensive for us"],
    "security_privacy": ["Security and privacy: concerns about data protection, encryption and where data is stored",
                         "Our security team had to review it"],
}


def make_texts(seed: int = 0, n_code: int = 24, n_other: int = 40) -> tuple[list[str], list[str]]:
    """Hand-made segments: two themes a codebook covers, four it does not, with filler phrases varied."""
    rng = random.Random(seed)
    texts, truth = [], []
    for name, base in [("price", PRICE), ("security", SECURITY)] + [(k, v) for k, v in OTHER.items()]:
        for i in range(n_code if name in ("price", "security") else n_other):
            s, f = base[i % len(base)], rng.choice(FILL)
            texts.append(f"{f.capitalize()}, {s[0].lower() + s[1:]}." if rng.random() < 0.5 else f"{s}, {f}.")
            truth.append(name)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [truth[i] for i in order]


@pytest.fixture(scope="module")
def fitted():
    texts, truth = make_texts()
    return texts, truth, find_themes(texts, truth, zeroshot=ZEROSHOT)


def test_same_texts_same_topics():
    texts, truth = make_texts(seed=3, n_code=12, n_other=25)
    a = find_themes(texts, zeroshot=ZEROSHOT, seed=7)
    b = find_themes(texts, zeroshot=ZEROSHOT, seed=7)
    assert a.topics == b.topics
    assert a.topic_info["keywords"].tolist() == b.topic_info["keywords"].tolist()
    np.testing.assert_array_equal(a.probabilities, b.probabilities)


def test_zeroshot_attaches_paraphrases_to_their_code(fitted):
    texts, truth, result = fitted
    mapped = result.mapped_codes
    price = [m for m, t in zip(mapped, truth) if t == "price"]
    security = [m for m, t in zip(mapped, truth) if t == "security"]
    assert price.count("price") >= len(price) // 2
    assert security.count("security_privacy") >= len(security) // 2
    # Nothing about football, weather, lunch or travel is attached to a code.
    assert all(m is None for m, t in zip(mapped, truth) if t not in ("price", "security"))
    attached = ~np.isnan(result.code_similarity)
    assert (result.code_similarity[attached] <= 1).all() and (result.code_similarity[attached] > 0).all()
    info = result.topic_info.set_index("topic")
    assert set(info["mapped_code"].dropna()) == {"price", "security_privacy"}


def test_uncovered_themes_form_their_own_topics(fitted):
    from sklearn.metrics import normalized_mutual_info_score

    texts, truth, result = fitted
    other = [i for i, t in enumerate(truth) if t in OTHER]
    nmi = normalized_mutual_info_score([truth[i] for i in other], [result.topics[i] for i in other])
    assert nmi > 0.5
    # A topic label is made of its keywords, and its quotes are its own members.
    topics = np.asarray(result.topics)
    for row in result.topic_info.itertuples():
        assert row.label and row.keywords and row.size == int((topics == row.topic).sum())
        members = {texts[i] for i in np.flatnonzero(topics == row.topic)}
        assert set(row.representative_quotes) <= members
    assert ((result.probabilities >= 0) & (result.probabilities <= 1)).all()


def test_keywords_skip_stop_words_and_filler(fitted):
    words = {w for kws in fitted[2].topic_info["keywords"] for kw in kws for w in kw.split()}
    assert not words & {"the", "was", "and", "our", "for", "yeah", "honestly"}


def test_topics_per_class_shares():
    table = topics_per_class([0, 0, 1, 1, 1, -1], ["a", "a", "a", "b", "b", None], ids=["i1", "i2", "i2", "i3", "i3", "i4"])
    assert table.groupby("class")["share"].sum().round(9).eq(1).all()
    row = table[(table["class"] == "a") & (table["topic"] == 0)].iloc[0]
    assert row["count"] == 2 and row["n_interviews"] == 2 and row["share"] == pytest.approx(2 / 3)
    assert "(none)" in set(table["class"])


def test_too_few_texts_is_a_user_error():
    with pytest.raises(BuyerlabError, match="at least 10"):
        find_themes(["one", "two"])
    with pytest.raises(ThemesError):
        find_themes(["text"] * 12, classes=["a"])


# ----------------------------------------------------------------------------- readability

# Segments a study's own interviews are full of: greetings, hedges, filler, in three languages.
SMALL_TALK = ["Yeah, well, honestly I think that's true, you know, it was a good thing, thanks.",
              "You're welcome, good luck with the research, it was nice to talk to you.",
              "Ja, faktiskt, jag tyckte liksom att det var bra, ärligt talat, tack så mycket.",
              "Ähm, ja, also, das ist halt irgendwie passiert, danke, bitte gerne, viel Erfolg.",
              "Okay, so basically we just decided, I mean, we got it and that was it, really."]


def test_filler_words_never_appear_in_keywords_or_labels():
    texts, _ = make_texts(seed=5, n_code=12, n_other=20)
    rng = random.Random(5)
    texts = texts + [rng.choice(SMALL_TALK) for _ in range(40)]
    result = find_themes(texts, zeroshot=ZEROSHOT)
    filler = {w for lang in FILLER for w in filler_words(lang)}
    for row in result.topic_info.itertuples():
        words = {w for kw in row.keywords for w in kw.split()}
        assert not words & filler, (row.label, words & filler)
        assert not set(row.label.lower().replace(",", " ").split()) & filler
    assert {"yeah", "welcome", "luck", "faktiskt", "tyckte", "ähm", "passiert", "true"} <= filler


def test_filler_lists_are_small_lowercase_whole_tokens():
    for lang in FILLER:
        words = filler_words(lang)
        assert 50 < len(words) < 400, lang
        assert all(w == w.lower() and KeywordAnalyzer(set())(w) == [w] for w in words), lang
    assert set(filler_words("sv")) <= set(stop_words())
    # Words that name a theme stay out of every list.
    assert not {"price", "budget", "security", "pris", "säkerhet", "preis", "sicherheit", "support"} & set(stop_words())


def test_keyword_pairs_are_adjacent_words_only():
    analyzer = KeywordAnalyzer(stop_words())
    grams = analyzer("Jag tyckte, ärligt talat, att tryckluften läckte. Compressed air leaked, meters failed.")
    assert "compressed air" in grams and "tryckluften läckte" in grams and "air leaked" in grams
    assert "tyckte" not in grams and not any(g.startswith("tyckte ") for g in grams)
    assert "läckte compressed" not in grams and "leaked meters" not in grams  # not across a full stop or comma
    assert "jag tryckluften" not in grams


def test_label_skips_repeated_words():
    assert label_keywords(["sub meters", "meters", "hourly", "sub", "tenants", "reports"]) == [
        "sub meters", "hourly", "tenants", "reports"]
    assert label_keywords(["manager", "managers", "geschäftsführung", "geschäftsführer", "energy", "energikonsult"]) == [
        "manager", "geschäftsführung", "energy", "energikonsult"]


@pytest.mark.parametrize("n, low, high", [(100, 3, 5), (300, 6, 8), (1100, 12, 15), (3000, 20, 24), (50_000, 40, 40)])
def test_default_topic_count_suits_small_studies(n, low, high):
    assert low <= default_n_topics(n) <= high


def test_default_fit_makes_few_topics_for_a_study_sized_corpus():
    texts, _ = make_texts(seed=2, n_code=60, n_other=200)  # 920 segments
    result = find_themes(texts, zeroshot=ZEROSHOT)
    assert len(set(result.topics)) <= 20


# Two subjects, each told in English and in Swedish: clustering must follow the subject, not the language.
BILINGUAL = {
    ("heating", "en"): ["The heating in the building ran all night and the boiler wasted energy",
                        "Our boiler and the radiators were heating empty offices at the weekend",
                        "We found the heating system running at full power during the night",
                        "The boiler temperature was too high and the heating bill grew every month"],
    ("heating", "sv"): ["Värmen i byggnaden gick hela natten och pannan slösade energi",
                        "Pannan och elementen värmde tomma kontor på helgen",
                        "Vi såg att värmesystemet gick för fullt under natten",
                        "Temperaturen i pannan var för hög och värmeräkningen växte varje månad"],
    ("contract", "en"): ["The supplier contract had a notice period of twelve months",
                         "Our lawyers read the contract terms and the cancellation clause",
                         "The contract was signed for three years with a fixed licence fee",
                         "We could not leave the old contract before the notice period ended"],
    ("contract", "sv"): ["Avtalet med leverantören hade en uppsägningstid på tolv månader",
                         "Våra jurister läste avtalsvillkoren och uppsägningsklausulen",
                         "Avtalet skrevs på tre år med en fast licensavgift",
                         "Vi kunde inte lämna det gamla avtalet innan uppsägningstiden var slut"],
}


def _bilingual(seed: int = 0):
    rng = random.Random(seed)
    texts, subjects, langs = [], [], []
    for (subject, lang), base in BILINGUAL.items():
        fill = FILL if lang == "en" else ["ärligt talat", "på den tiden", "i slutändan", "för oss", "skulle jag säga"]
        for i in range(20):
            texts.append(f"{base[i % len(base)]}, {rng.choice(fill)}.")
            subjects.append(subject)
            langs.append(lang)
    return texts, subjects, langs


def test_topics_mix_languages_when_two_languages_talk_about_the_same_subjects():
    texts, subjects, langs = _bilingual()
    result = find_themes(texts, languages=langs, n_topics=2)
    topics = np.asarray(result.topics)
    for t in set(result.topics):
        members = topics == t
        share_en = np.mean([langs[i] == "en" for i in np.flatnonzero(members)])
        assert 0.2 <= share_en <= 0.8, f"topic {t} is one language ({share_en:.0%} English)"
    from sklearn.metrics import normalized_mutual_info_score

    assert normalized_mutual_info_score(subjects, result.topics) > normalized_mutual_info_score(langs, result.topics)


def test_quotes_of_a_bilingual_topic_show_each_language():
    texts, _, langs = _bilingual()
    result = find_themes(texts, languages=langs, n_topics=2)
    lang_of = dict(zip(texts, langs))
    for row in result.topic_info.itertuples():
        assert {lang_of[q] for q in row.representative_quotes} == {"en", "sv"}


def test_without_language_balance_the_same_set_splits_by_language():
    texts, _, langs = _bilingual()
    result = find_themes(texts, languages=langs, n_topics=2, balance_languages="none")
    from sklearn.metrics import normalized_mutual_info_score

    # What the balance is for: character n-grams alone separate the languages first.
    assert normalized_mutual_info_score(langs, result.topics) > 0.5


def test_language_centring_removes_each_language_mean():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 6)).astype(np.float32)
    x[:15] += 5
    langs = ["en"] * 15 + ["sv"] * 15
    out = language_centred(x, langs)
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    assert abs(out[:15].mean(axis=0) @ out[15:].mean(axis=0)) < 0.5
    # One language, or languages with fewer than five texts: nothing to balance.
    np.testing.assert_array_equal(language_centred(x, ["en"] * 30), x)


def test_quotes_are_whole_segments_that_say_something(fitted):
    texts = fitted[0]
    short = "Well, no. That's the thing."
    texts2 = texts + [short] * 6
    res = find_themes(texts2, zeroshot=ZEROSHOT)
    for row in res.topic_info.itertuples():
        assert short not in row.representative_quotes or len(row.representative_quotes) < 3
        for q in row.representative_quotes:
            assert q in texts2


def test_suggestions_skip_small_and_incoherent_topics(fitted):
    info = fitted[2].topic_info.copy()
    result = fitted[2]
    uncovered = info[(info["topic"] != -1) & info["mapped_code"].isna()]
    assert len(uncovered) >= 2
    small, vague = int(uncovered["topic"].iloc[0]), int(uncovered["topic"].iloc[1])
    info.loc[info["topic"] == small, "size"] = 2
    info.loc[info["topic"] == vague, "coherence"] = 0.01
    from types import SimpleNamespace

    from buyerlab.codebook import validate

    stand_in = SimpleNamespace(topic_info=info, texts=result.texts, languages=None, settings={})
    suggested = {s["topic"] for s in suggest_codes(stand_in, validate(CODEBOOK, "test"))}
    assert small not in suggested and vague not in suggested
    assert suggested == set(uncovered["topic"]) - {small, vague}
    # Ids are readable: new_ and the first keywords, without a repeated word.
    for s in suggest_codes(stand_in, validate(CODEBOOK, "test")):
        parts = s["id"].removeprefix("new_").split("_")
        assert s["id"].startswith("new_") and len(parts) == len(set(parts))


# ----------------------------------------------------------------------------- codebook and study

CODEBOOK = {
    "name": "test codebook", "version": "1.0.0", "languages": ["en", "sv", "de"],
    "families": [{"id": "barrier", "label": "Barrier"}, {"id": "motive", "label": "Motive"}],
    "codes": [
        {"id": "price", "family": "barrier", "label": "Price",
         "description": "The product is too expensive or its price does not fit the budget.",
         "examples": {"en": ["It was too expensive for us"]}, "patterns": {"en": ["price", "expensive"]}},
        {"id": "security_privacy", "family": "barrier", "label": "Security and privacy",
         "description": "Concerns about data protection, encryption and where data is stored.",
         "examples": {"en": ["Our security team had to review it"]}, "patterns": {"en": ["security"]}},
        {"id": "ease_of_use", "family": "motive", "label": "Ease of use",
         "description": "The product is simple to learn and use.", "examples": {"en": ["It is easy to use"]},
         "patterns": {"en": ["easy"]}},
    ],
}


def test_suggestions_are_valid_codebook_codes(fitted, tmp_path):
    codebook_mod = pytest.importorskip("buyerlab.codebook")
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(CODEBOOK), encoding="utf-8")
    codebook = codebook_mod.load_codebook(path)
    suggestions = suggest_codes(fitted[2], codebook)
    info = fitted[2].topic_info
    uncovered = info[(info["topic"] != -1) & info["mapped_code"].isna()]
    assert 0 < len(suggestions) <= len(uncovered)
    assert {s["topic"] for s in suggestions} <= set(uncovered["topic"])
    assert not {s["id"] for s in suggestions} & {c.id for c in codebook.codes}
    for s in suggestions:
        assert s["examples"] and s["patterns"] and s["label"] and s["description"]
    text = suggestions_yaml(suggestions, codebook)
    extension = yaml.safe_load(text)
    assert extension["extends"] == "default"
    # The same codes validate on top of this codebook, as they would on top of the default.
    merged = dict(CODEBOOK, families=CODEBOOK["families"] + extension.get("families", []),
                  codes=CODEBOOK["codes"] + extension["codes"])
    book = codebook_mod.validate(merged, "merged")
    assert {s["id"] for s in suggestions} <= {c.id for c in book.codes}


def test_suggestions_load_as_an_extension_of_the_default(fitted, tmp_path):
    codebook_mod = pytest.importorskip("buyerlab.codebook")
    try:
        default = codebook_mod.load_codebook()
    except BuyerlabError:
        pytest.skip("the default codebook is not there yet")
    suggestions = suggest_codes(fitted[2], default)
    path = tmp_path / "suggested.yaml"
    path.write_text(suggestions_yaml(suggestions, default), encoding="utf-8")
    book = codebook_mod.load_codebook(path)
    assert {s["id"] for s in suggestions} <= {c.id for c in book.codes}
    assert len(book.codes) == len(default.codes) + len(suggestions)


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    pytest.importorskip("buyerlab.codebook")
    from buyerlab.corpus import Corpus

    root = tmp_path_factory.mktemp("themes") / "study"
    (root / "transcripts").mkdir(parents=True)
    (root / "codebook.yaml").write_text(yaml.safe_dump(CODEBOOK), encoding="utf-8")
    (root / "study.toml").write_text('name = "themes test"\ncodebook = "codebook.yaml"\n', encoding="utf-8")
    texts, _ = make_texts(seed=1, n_code=20, n_other=30)
    interviews, turns = [], []
    n_interviews = 8
    for k in range(n_interviews):
        iid = f"I{k:02d}"
        mine = texts[k::n_interviews]
        rows = []
        for j, text in enumerate(mine):
            rows.append((iid, 2 * j, "Interviewer", "interviewer", "Could you tell me more about the price and budget?"))
            rows.append((iid, 2 * j + 1, "Anna", "respondent", text))
        turns += rows
        interviews.append({"interview_id": iid, "source_file": f"transcripts/{iid}.txt", "source_format": "text",
                           "language": "en", "language_source": "metadata", "n_turns": len(rows),
                           "n_words": sum(len(r[4].split()) for r in rows), "n_speakers": 2,
                           "interviewers": "Interviewer", "role_method": "config", "role_evidence": "",
                           "segment": "retail" if k % 2 else "industry", "country": ["UK", "SE", "DE"][k % 3]})
    t = pd.DataFrame(turns, columns=["interview_id", "turn_index", "speaker", "role", "text"])
    t["start"] = np.nan
    t["end"] = np.nan
    t["n_words"] = t["text"].str.split().str.len()
    t["source_line"] = pd.array([None] * len(t), dtype="Int64")
    Corpus(pd.DataFrame(interviews), t).write(root / "output")
    return root


def test_topics_command_writes_every_output(study_dir):
    from buyerlab.cli import main

    assert main(["topics", str(study_dir)]) == 0
    out = study_dir / "output"
    topics = pd.read_parquet(out / "topics.parquet")
    assert {"topic", "label", "keywords", "size", "mapped_code", "mapped_family", "representative_quotes"} <= set(topics.columns)
    assert set(topics["mapped_family"].dropna()) <= {"barrier", "motive"}
    assert "price" in set(topics["mapped_code"].dropna())
    seg = pd.read_parquet(out / "segment_topics.parquet")
    assert list(seg.columns) == ["interview_id", "turn_index", "segment_index", "topic", "probability"]
    assert (seg["turn_index"] % 2 == 1).all()  # respondent turns only
    assert seg["topic"].isin(topics["topic"]).all()
    codes = pd.read_parquet(out / "topic_codes.parquet")
    assert list(codes.columns) == ["interview_id", "turn_index", "family", "code", "char_start", "char_end", "evidence",
                                   "polarity", "source", "confidence", "coder", "buying_role"]
    assert len(codes) > 0 and set(codes["source"]) == {"topic"} and set(codes["coder"]) == {"auto"}
    assert codes["confidence"].between(0, 1).all()
    turns = pd.read_parquet(out / "turns.parquet").set_index(["interview_id", "turn_index"])["text"]
    for row in codes.itertuples():
        assert turns[(row.interview_id, row.turn_index)][row.char_start:row.char_end] == row.evidence
    per_class = pd.read_parquet(out / "topics_per_class.parquet")
    assert set(per_class["by"]) == {"segment", "country"}
    assert per_class.groupby(["by", "class"])["share"].sum().round(9).eq(1).all()
    model_dir = out / "topic_model"
    assert (model_dir / "topics.json").is_file() and (model_dir / "ctfidf.safetensors").is_file()
    assert not list(model_dir.glob("*.pkl")) and not list(model_dir.glob("*.pickle"))


def test_suggest_codes_command_writes_yaml(study_dir):
    from buyerlab.cli import main

    assert main(["suggest-codes", str(study_dir)]) == 0
    doc = yaml.safe_load((study_dir / "output" / "suggested_codes.yaml").read_text(encoding="utf-8"))
    assert doc["extends"] == "default" and doc["codes"]
    assert all(c["id"].startswith("new_") for c in doc["codes"])


def test_missing_embedding_model_is_one_line_error(study_dir, capsys):
    from buyerlab.cli import main

    assert main(["topics", str(study_dir), "--embedding", "no-such-model-here"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("buyerlab: error:") and "\n" not in err and "no-such-model-here" in err
