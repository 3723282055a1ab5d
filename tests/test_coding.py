"""buyerlab.coding: spans, compounds, polarity, buying roles, caching, the spaCy component."""

from pathlib import Path

import pandas as pd
import pytest

from buyerlab import coding, matching
from buyerlab.codebook import load_codebook
from buyerlab.coding import CODE_COLUMNS, code_study, code_turns
from buyerlab.corpus import Corpus
from buyerlab.study import Study

FIXTURE = Path(__file__).parent / "fixtures" / "coding" / "codebook.yaml"


@pytest.fixture(scope="module")
def cb():
    return load_codebook(FIXTURE)


def turns_of(*texts, lang="en", iid="i1", role="respondent"):
    rows = [dict(interview_id=iid, turn_index=k, role=role, text=t) for k, t in enumerate(texts)]
    return pd.DataFrame(rows), {iid: lang}


def code(cb, text, lang="en"):
    turns, langs = turns_of(text, lang=lang)
    return code_turns(turns, langs, cb)


def row(df, code_id):
    hit = df[df["code"] == code_id]
    assert len(hit) == 1, df[["code", "evidence", "polarity"]]
    return hit.iloc[0]


def test_schema_columns_and_exact_offsets_en(cb):
    text = "Well, our CFO had the final say on it."
    df = code(cb, text)
    assert list(df.columns) == list(CODE_COLUMNS)
    r = row(df, "finance")
    assert (r.char_start, r.char_end, r.evidence) == (10, 13, "CFO")
    assert text[r.char_start:r.char_end] == r.evidence
    assert (r.family, r.polarity, r.source, r.coder) == ("stakeholder", "present", "rule", "auto")
    assert r.buying_role == "decider"


def test_rows_follow_interview_order_then_turn_then_place_across_languages(cb):
    """Interviews in their order in the turns table (not by language or id), turns and spans in order."""
    turns = pd.DataFrame([
        dict(interview_id="z-sv", turn_index=3, role="respondent", text="Det var inköpschefen som ringde."),
        dict(interview_id="a-en", turn_index=2, role="respondent", text="Then the competitor came. Our CFO had the say."),
        dict(interview_id="z-sv", turn_index=1, role="respondent", text="Inköpschefen ville ha tre anbud."),
        dict(interview_id="a-en", turn_index=0, role="interviewer", text="Did the CFO decide?"),
        dict(interview_id="a-en", turn_index=1, role="respondent", text="Our CFO had the final say on it."),
        dict(interview_id="m-sv", turn_index=0, role="respondent", text="Det var inköpschefen som ringde."),
    ])
    df = code_turns(turns, {"z-sv": "sv", "a-en": "en", "m-sv": "sv"}, cb)
    places = list(zip(df["interview_id"], df["turn_index"], df["char_start"], df["char_end"]))
    rank = {"z-sv": 0, "a-en": 1, "m-sv": 2}  # the Swedish interviews are coded together, reported apart
    assert list(dict.fromkeys(df["interview_id"])) == ["z-sv", "a-en", "m-sv"]
    assert places == sorted(places, key=lambda p: (rank[p[0]], p[1], p[2], p[3]))
    assert {("z-sv", 1), ("z-sv", 3), ("a-en", 1), ("a-en", 2)} <= set(zip(df["interview_id"], df["turn_index"]))
    assert ("a-en", 0) not in set(zip(df["interview_id"], df["turn_index"]))  # interviewer turns are not coded
    texts = {(r.interview_id, r.turn_index): r.text for r in turns.itertuples()}
    assert all(texts[(r.interview_id, r.turn_index)][r.char_start:r.char_end] == r.evidence for r in df.itertuples())
    assert df.dtypes.to_dict() == code_turns(turns.head(0), {}, cb).dtypes.to_dict()


def test_offsets_are_in_the_turn_not_the_sentence(cb):
    text = "Fine. Really fine. Then the competitor came."
    r = row(code(cb, text), "competitor")
    assert (r.char_start, r.char_end) == (text.index("competitor"), text.index("competitor") + 10)


@pytest.mark.parametrize("lang,text,code_id,evidence", [
    ("sv", "Det var inköpschefen som ringde.", "procurement", "inköpschefen"),
    ("sv", "Sen kom säkerhetsgranskningen, den tog tid.", "validation", "säkerhetsgranskningen"),
    ("de", "Die Einkaufsabteilung wollte drei Angebote.", "procurement", "Einkaufsabteilung"),
])
def test_compounds_through_wildcards_and_lemmas(cb, lang, text, code_id, evidence):
    r = row(code(cb, text, lang), code_id)
    assert r.evidence == evidence
    assert r.char_start == text.index(evidence)
    assert r.confidence == pytest.approx(matching.CONF_WILDCARD)


def test_negation_en_price_never_the_issue(cb):
    assert row(code(cb, "Price was never the issue for us."), "price").polarity == "negated"
    assert row(code(cb, "The price wasn't a problem."), "price").polarity == "negated"
    assert row(code(cb, "The price was the issue."), "price").polarity == "present"


def test_not_only_and_no_doubt_are_not_negations(cb):
    assert row(code(cb, "Not only the price mattered."), "price").polarity == "present"
    assert row(code(cb, "No doubt the price was decisive."), "price").polarity == "present"
    assert row(code(cb, "Nicht nur der Preis war wichtig.", "de"), "price").polarity == "present"
    assert row(code(cb, "Inte bara priset var viktigt.", "sv"), "price").polarity == "present"


def test_double_negation_is_present(cb):
    assert row(code(cb, "It was not without a migration."), "switching_cost").polarity == "present"


def test_neither_nor_negates_both(cb):
    df = code(cb, "Neither the price nor the competitor was a factor.")
    assert row(df, "price").polarity == "negated"
    assert row(df, "competitor").polarity == "negated"


def test_negation_does_not_cross_a_clause(cb):
    df = code(cb, "We did not like it, but the price was fine.")
    assert row(df, "price").polarity == "present"


def test_swedish_contrast_utan_negates_only_the_first_part(cb):
    df = code(cb, "Det var inte priset utan konkurrenten.", "sv")
    assert row(df, "price").polarity == "negated"
    assert row(df, "competitor").polarity == "present"


def test_vi_hade_inte_tid_is_a_present_lack_of_resources(cb):
    df = code(cb, "Vi hade inte tid.", "sv")
    r = row(df, "lack_resources")
    assert (r.polarity, r.evidence) == ("present", "inte tid")
    assert not ((df["code"] == "time_efficiency") & (df["polarity"] == "present")).any()


def test_german_negated_switch(cb):
    r = row(code(cb, "Wir haben nicht gewechselt.", "de"), "switching_cost")
    assert (r.polarity, r.evidence) == ("negated", "gewechselt")


@pytest.mark.parametrize("lang,text,code_id", [
    ("en", "If the price had been lower, we would have switched.", "price"),
    ("en", "We would switch next year.", "switching_cost"),
    ("sv", "Om priset hade varit lägre hade vi bytt.", "price"),
    ("sv", "Hade vi haft en konkurrent hade det varit annorlunda.", "competitor"),
    ("de", "Wenn der Preis niedriger wäre, hätten wir gewechselt.", "price"),
    ("de", "Wir hätten gewechselt.", "switching_cost"),
])
def test_hypothetical(cb, lang, text, code_id):
    assert row(code(cb, text, lang), code_id).polarity == "hypothetical"


def test_swedish_counterfactual_main_clause(cb):
    assert row(code(cb, "Då hade vi nog bytt.", "sv"), "switching_cost").polarity == "hypothetical"
    # an unpunctuated "Hade det inte ..." condition: its "inte" does not negate the main clause
    df = code(cb, "Hade det inte varit för priset hade vi bytt.", "sv")
    assert row(df, "switching_cost").polarity == "hypothetical"


def test_german_clause_final_nicht_negates(cb):
    r = row(code(cb, "Den Preis hatten wir damals ehrlich gesagt gar nicht.", "de"), "price")
    assert r.polarity == "negated"


def test_echo_question_answered_no_is_negated(cb):
    assert row(code(cb, "The price? No, not really."), "price").polarity == "negated"
    assert row(code(cb, "The price? Yes, very much."), "price").polarity == "present"


def test_swedish_om_meaning_about_is_not_conditional(cb):
    assert row(code(cb, "Vi pratade om priset.", "sv"), "price").polarity == "present"


def test_interviewer_and_other_turns_are_never_coded(cb):
    turns = pd.DataFrame([
        dict(interview_id="i1", turn_index=0, role="interviewer", text="What about the price?"),
        dict(interview_id="i1", turn_index=1, role="respondent", text="The price was high."),
        dict(interview_id="i1", turn_index=2, role="other", text="The price, yes."),
    ])
    df = code_turns(turns, {"i1": "en"}, cb)
    assert df["turn_index"].tolist() == [1]


def test_overlapping_matches_of_one_code_collapse(cb):
    df = code(cb, "The finance team asked.")
    r = row(df, "finance")
    assert (r.evidence, r.confidence) == ("finance team", pytest.approx(matching.CONF_PHRASE))


def test_gap_and_expert_patterns(cb):
    df = code(cb, "The cost was way too high, and single sign-on was a must.")
    assert row(df, "price").evidence == "cost was way too high"
    assert row(df, "expert_rule").evidence == "single sign-on"


def test_buying_roles_from_same_sentence_only(cb):
    df = code(cb, "Procurement could veto it. The CFO wrote an email.")
    assert row(df, "procurement").buying_role == "gatekeeper"
    assert row(df, "finance").buying_role is None
    df = code(cb, "Ekonomichefen godkände köpet.", "sv")
    assert row(df, "finance").buying_role == "approver"
    non_stakeholder = df[df["family"] != "stakeholder"]
    assert non_stakeholder["buying_role"].isna().all()


def test_unknown_language_is_skipped_with_a_warning(cb):
    turns = pd.DataFrame([
        dict(interview_id="n1", turn_index=0, role="respondent", text="De prijs was te hoog."),
        dict(interview_id="e1", turn_index=0, role="respondent", text="The price was high."),
    ])
    with pytest.warns(UserWarning, match="no language 'nl'"):
        df = code_turns(turns, {"n1": "nl", "e1": "en"}, cb)
    assert df["interview_id"].tolist() == ["e1"]
    assert df.attrs["skipped"] == {"nl": ["n1"]}


def test_parallel_equals_serial(cb, monkeypatch):
    texts = ["The price was high.", "Vi hade inte tid.", "Our CFO decided."] * 30
    turns = pd.DataFrame([dict(interview_id=f"i{k % 3}", turn_index=k, role="respondent", text=t)
                          for k, t in enumerate(texts)])
    langs = {"i0": "en", "i1": "en", "i2": "en"}
    serial = code_turns(turns, langs, cb)
    monkeypatch.setattr(coding, "PARALLEL_MIN_TURNS", 10)
    monkeypatch.setattr(coding, "CHUNK_TURNS", 20)
    parallel = code_turns(turns, langs, cb, n_process=2)
    pd.testing.assert_frame_equal(serial, parallel)


def test_coder_is_a_registered_spacy_component():
    import spacy

    assert "buyerlab_coder" in spacy.registry.factories
    fresh = spacy.blank("en")  # get_pipeline's pipelines are cached and shared: build a fresh one
    fresh.add_pipe("sentencizer")
    fresh.add_pipe("buyerlab_lemmatizer")
    fresh.add_pipe("buyerlab_coder", config={"codebook": str(FIXTURE)})
    assert fresh.pipe_names == ["sentencizer", "buyerlab_lemmatizer", "buyerlab_coder"]
    doc = fresh("Our CFO had the final say.")
    assert [(c["code"], c["buying_role"]) for c in doc._.buyerlab_codes] == [("finance", "decider")]


def test_parallel_equals_serial_across_languages(cb, monkeypatch):
    # one pool codes the chunks of every language; results must land on the right turns
    texts = [("en", "The price was high. Our CFO decided."), ("sv", "Vi hade inte tid. Inköpschefen ringde."),
             ("de", "Die Einkaufsabteilung wollte drei Angebote."), ("en", "No time at all, and single sign-on.")]
    turns = pd.DataFrame([dict(interview_id=f"i{k % 7}", turn_index=k, role="respondent", text=texts[k % 4][1])
                          for k in range(140)])
    langs = {f"i{k}": texts[k % 4][0] for k in range(7)}
    serial = code_turns(turns, langs, cb)
    monkeypatch.setattr(coding, "PARALLEL_MIN_TURNS", 10)
    monkeypatch.setattr(coding, "CHUNK_TURNS", 15)
    parallel = code_turns(turns, langs, cb, n_process=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert set(serial["interview_id"]) == set(langs)


TOKEN_PATH_TEXTS = {
    "en": ["Well, our CFO had the final say on it... IT could veto it!? Then: the cost was way too high.",
           "The finance team asked. \"No time,\" she said. We don't have a CISO; single sign-on was a must.",
           "Mark in IT could veto it, and it was fine.", "", "?!", "Price. Price? PRICE!",
           # sentence starts matter: roles, gaps and negation stay inside their sentence
           "Procurement could veto it. The CFO wrote an email.", "The cost rose!? \"Honestly.\" (It was) too high.",
           "We had no CFO... The finance team decided. No. Time was short."],
    "sv": ["Det var inköpschefen som ringde. Vi hade inte tid... Ekonomichefen godkände köpet!",
           "Inköp kunde stoppa det. Ekonomichefen skrev ett mejl.",
           "Sen kom säkerhetsgranskningen, den tog tid. IT-avdelningen sa nej."],
    "de": ["Die Einkaufsabteilung wollte drei Angebote. Keine Zeit! Der Preis war zu teuer.",
           "Die IT-Abteilung hatte nicht genug Zeit; der CISO war dagegen."],
}


@pytest.mark.parametrize("book", [FIXTURE, None], ids=["fixture", "default"])
@pytest.mark.parametrize("lang", sorted(TOKEN_PATH_TEXTS))
def test_coding_from_tokens_equals_the_full_pipeline(book, lang):
    # code_turns skips the sentencizer and lemmatizer (their results come from per-form caches);
    # the codes must be those of the full pipeline, expert patterns included
    nlp, rules = coding.rules_for(load_codebook(book), lang)
    assert rules.forms_suffice(nlp)
    for text in TOKEN_PATH_TEXTS[lang]:
        assert rules.find_in_tokens(nlp.make_doc(text)) == rules.find(nlp(text)), text
        doc = nlp(text)
        orths = doc.to_array("ORTH").tolist()
        assert rules._starts(nlp.make_doc(text), orths, True) == [s.start for s in doc.sents] or not len(doc)


def test_one_word_expert_patterns_match_as_spacys_matcher(tmp_path):
    # [{ORTH: ...}] / [{LOWER: ...}] are looked up per form, not run through the Matcher
    import spacy

    from buyerlab.nlp import get_pipeline

    book = tmp_path / "codebook.yaml"
    book.write_text(FIXTURE.read_text(encoding="utf-8").replace(
        'en: [[{LOWER: "single"}, {LOWER: "sign"}, {LOWER: "-"}, {LOWER: "on"}]]',
        'en: [[{ORTH: "IT"}], [{TEXT: "SSO"}], [{LOWER: "it"}]]'), encoding="utf-8")
    codebook = load_codebook(book)
    rules = matching.Rules(codebook, "en", get_pipeline("en"))
    assert rules._word_experts is not None
    plain = spacy.blank("en")  # no lemmatizer of ours: the Matcher itself runs
    plain.add_pipe("sentencizer")
    reference = matching.Rules(codebook, "en", plain)
    assert reference._by_orth is None
    text = "IT said it, It agreed, SSO and sso, it's ITs."
    doc = get_pipeline("en").make_doc(text)
    keys = doc.to_array("ORTH").tolist()
    found = rules._expert_matches(doc, keys, True)
    expected = reference._expert_matches(plain(text), [], False)
    assert sorted(found) == sorted(expected)
    assert [text[doc[s].idx:doc[e - 1].idx + len(doc[e - 1])] for _, s, e, *_ in found] == ["IT", "it", "It", "SSO", "it"]


def test_component_pipeline_still_sets_lemmas_and_sentences(cb):
    code_turns(*turns_of("The costs rose. We waited."), cb)  # the coding path skips these components
    doc = coding.rules_for(cb, "en")[0]("The costs rose. We waited.")  # the pipeline code_turns used
    assert [t.lemma_ for t in doc][:2] == ["the", "cost"]
    assert [s.text for s in doc.sents] == ["The costs rose.", "We waited."]
    fresh = spacy_pipeline_with_coder()
    doc = fresh("The costs were too high. Our CFO decided.")
    assert doc[1].lemma_ == "cost" and len(list(doc.sents)) == 2
    assert [c["code"] for c in doc._.buyerlab_codes] == ["price", "finance"]  # "cost ... too high" via the lemma


def spacy_pipeline_with_coder():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("buyerlab_sentencizer")
    nlp.add_pipe("buyerlab_lemmatizer")
    nlp.add_pipe("buyerlab_coder", config={"codebook": str(FIXTURE)})
    return nlp


def test_coding_leaves_garbage_collection_as_it_was(cb):
    import gc

    code_turns(*turns_of("The price was high."), cb)
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        code_turns(*turns_of("The price was high."), cb)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


# ----------------------------------------------------------------------------- study cache

def _corpus(texts: dict[str, list[str]], lang="en") -> Corpus:
    interviews = pd.DataFrame([dict(interview_id=i, source_file=f"{i}.txt", source_format="text", language=lang,
                                    language_source="metadata", n_turns=len(t), n_words=0, n_speakers=2,
                                    interviewers="Ann", role_method="label", role_evidence="")
                               for i, t in texts.items()])
    rows = []
    for iid, ts in texts.items():
        for k, t in enumerate(ts):
            rows.append(dict(interview_id=iid, turn_index=k, speaker="Bo", role="respondent", start=None, end=None,
                             text=t, n_words=len(t.split()), source_line=None))
    return Corpus(interviews, pd.DataFrame(rows))


def test_code_study_caches_per_interview(tmp_path):
    study_dir = tmp_path / "s"
    study_dir.mkdir()
    book = study_dir / "codebook.yaml"
    book.write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    (study_dir / "study.toml").write_text('codebook = "codebook.yaml"\n', encoding="utf-8")
    study = Study(study_dir)
    texts = {"a": ["The price was high."], "b": ["Our CFO decided."], "c": ["No time at all."]}

    first = code_study(study, progress=False, corpus=_corpus(texts))
    assert sorted(first.attrs["recomputed"]) == ["a", "b", "c"]
    assert (study.output_dir / "codes.parquet").exists()
    on_disk = pd.read_parquet(study.output_dir / "codes.parquet")
    assert on_disk["code"].tolist() == ["price", "finance", "lack_resources"]

    again = code_study(study, progress=False, corpus=_corpus(texts))
    assert again.attrs["recomputed"] == [] and again.attrs["cache_hits"] == 3
    pd.testing.assert_frame_equal(first, again)

    texts["d"] = ["A competitor called."]
    texts["a"] = ["The price was very high."]
    third = code_study(study, progress=False, corpus=_corpus(texts))
    assert sorted(third.attrs["recomputed"]) == ["a", "d"]
    assert third["code"].tolist() == ["price", "finance", "lack_resources", "competitor"]

    book.write_text(book.read_text(encoding="utf-8").replace('version: "0.1.0"', 'version: "0.1.1"'),
                    encoding="utf-8")
    study = Study(study_dir)
    fourth = code_study(study, progress=False, corpus=_corpus(texts))
    assert sorted(fourth.attrs["recomputed"]) == ["a", "b", "c", "d"]
    # stale cache files are pruned: one file per live interview
    assert len(list((study.output_dir / ".cache" / "coding").glob("*.parquet"))) == 4


def test_default_codebook_case_exact_expert_pattern_for_it():
    df = code_turns(*turns_of("Mark in IT could veto it, and it was fine."), load_codebook())
    it = df[df["code"] == "it"]
    assert it["evidence"].tolist() == ["IT"]
    assert it["buying_role"].tolist() == ["approver"]


# ---------------------------------------------------------------- polarity rules (codebook 1.2.0)

@pytest.mark.parametrize("text,polarity", [
    ("Our CFO wouldn't sign that contract.", "present"),  # negates what the party did: it took part
    ("Nobody in finance needed convincing.", "present"),  # partitive: the negation is the predicate's
    ("The CFO could have blocked it.", "present"),  # a modal after the mention
    ("We don't have a CFO.", "negated"),  # the cue governs the mention
    ("The CFO wasn't involved at all.", "negated"),  # a negated taking part
    ("If we had a CFO, it would be different.", "hypothetical"),  # a condition before the mention
    ("Without the CFO we would have waited another year.", "present"),  # counterfactual "without"
])
def test_stakeholder_mention_polarity(cb, text, polarity):
    assert row(code(cb, text), "finance").polarity == polarity


def test_swedish_and_german_stakeholder_mentions(cb):
    assert row(code(cb, "Ekonomichefen ville inte skriva på.", "sv"), "finance").polarity == "present"
    assert row(code(cb, "Vi har ingen ekonomichef.", "sv"), "finance").polarity == "negated"
    assert row(code(cb, "Der CFO war nicht beteiligt.", "de"), "finance").polarity == "negated"


@pytest.mark.parametrize("text,polarity", [
    ("She'd already switched her own team.", "present"),  # 'd + participle = had
    ("We'd rather switch now than later.", "present"),  # a stated preference
    ("We'd have switched anyway.", "hypothetical"),  # would have = counterfactual
])
def test_contracted_would_or_had(cb, text, polarity):
    assert row(code(cb, text), "switching_cost").polarity == polarity


def test_reported_future_in_the_past_is_not_hypothetical(cb):
    assert row(code(cb, "They told us that the price would go up."), "price").polarity == "present"
    assert row(code(cb, "Han sa att priset skulle höjas.", "sv"), "price").polarity == "present"
    # reported or not, "would have" stays a counterfactual
    assert row(code(cb, "He said the price would have been lower."), "price").polarity == "hypothetical"


def test_even_if_is_a_concession(cb):
    assert row(code(cb, "Even if the price was high, we bought it."), "price").polarity == "present"
    assert row(code(cb, "If the price was high, we would not buy it."), "price").polarity == "hypothetical"


def test_negated_counterfactual_condition_states_the_fact(cb):
    assert row(code(cb, "If the price hadn't been so low, we would never have done it."), "price").polarity == "present"
    df = code(cb, "Hade det inte varit för priset hade vi bytt.", "sv")
    assert row(df, "price").polarity == "present"


def test_without_after_the_match_does_not_negate_it(cb):
    assert row(code(cb, "The migration went through without any drama."), "switching_cost").polarity == "present"
    assert row(code(cb, "We did it without a migration."), "switching_cost").polarity == "negated"


def test_not_wanting_states_the_aversion(cb):
    assert row(code(cb, "We didn't want to switch again."), "switching_cost").polarity == "present"
    assert row(code(cb, "Vi ville inte byta igen.", "sv"), "switching_cost").polarity == "present"
    assert row(code(cb, "We didn't switch again."), "switching_cost").polarity == "negated"


def test_negation_does_not_reach_into_a_why_clause(cb):
    assert row(code(cb, "They didn't see why the price was so high."), "price").polarity == "present"


def test_rejected_option_with_contrast_is_on_the_table(cb):
    # "not X but Y": X was weighed and turned down (alternative present); a plain "not X" stays negated
    assert row(code(cb, "We did not pick the other vendor but stayed."), "competitor").polarity == "present"
    assert row(code(cb, "We never looked at any other vendor."), "competitor").polarity == "negated"
    assert row(code(cb, "The competitor could not answer our questions."), "competitor").polarity == "present"


# ---------------------------------------------------------------- buying-role rules (codebook 1.2.0)

def test_negated_role_cue_states_no_role(cb):
    assert row(code(cb, "The CFO had a veto."), "finance").buying_role == "gatekeeper"
    assert row(code(cb, "The CFO had no veto."), "finance").buying_role is None


def test_role_cue_in_a_following_pronoun_sentence(cb):
    assert row(code(cb, "Then there was our CFO. She had the final say."), "finance").buying_role == "decider"
    assert row(code(cb, "Then there was our CFO. The board had the final say."), "finance").buying_role is None


def test_new_leader_named_as_stakeholder_is_the_initiator():
    df = code(load_codebook(), "Then our new COO arrived and wanted one system for everything.")
    r = df[(df["family"] == "stakeholder") & (df["polarity"] == "present")]
    assert len(r) >= 1 and set(r["buying_role"]) == {"initiator"}, df[["code", "evidence", "buying_role"]]
    assert "new_leadership" in set(df["code"])


@pytest.mark.parametrize("lang", ["en", "sv", "de"])
def test_pattern_words_split_as_the_tokenizer_splits_them(lang):
    """The compile-time shortcut (letters only, no special case: one piece) agrees with the tokenizer."""
    from buyerlab.codebook import parse_pattern
    from buyerlab.nlp import get_pipeline

    nlp = get_pipeline(lang)
    split = matching._Splitter(nlp)
    default = load_codebook()
    patterns = [p for c in default.codes for p in c.patterns.get(lang, [])]
    patterns += [p for cues in default.buying_roles.values() for p in cues.get(lang, [])]
    words = {t.values[0] for p in patterns if isinstance(p, str) for t in parse_pattern(p)
             if t.kind not in ("gap", "any-of")}
    words |= {"cannot", "it-avdelning", "z.B.", "don't", "IT", "säkerhets-"}  # special cases and punctuation
    assert len(words) > 3000
    assert sum(len(split(w)) > 1 for w in words) > 0
    assert all(split(w) == [t.text for t in nlp.tokenizer(w)] for w in words)
