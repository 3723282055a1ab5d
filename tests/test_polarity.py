"""buyerlab.polarity: polarity and buying-role rules, on invented sentences (en, sv, de).

Each case states a general rule of the module docstring; the sentences are made up for the test
and appear in no labelled set.
"""

from pathlib import Path

import pandas as pd
import pytest

from buyerlab.codebook import load_codebook
from buyerlab.coding import code_turns

FIXTURE = Path(__file__).parent / "fixtures" / "coding" / "codebook.yaml"

# a few codes the shared fixture lacks: a lack barrier, a trust barrier named by its positive side
EXTRA = """
name: polarity test codebook
version: "0.1.0"
languages: [en, sv, de]
families:
  - {id: trigger, label: Trigger}
  - {id: stakeholder, label: Stakeholder}
  - {id: motive, label: Motive}
  - {id: barrier, label: Barrier}
  - {id: alternative, label: Alternative}
  - {id: stage, label: Decision stage, ordered: true}
codes:
  - id: lack_resources
    family: barrier
    label: Lack of resources
    description: No time, people or budget.
    patterns:
      en: [budget, capacity]
      sv: [budget*, kapacitet]
      de: [budget, kapazität]
  - id: trust
    family: barrier
    label: Lack of trust
    description: Doubt about the product or vendor.
    patterns:
      en: [rely on it]
      sv: [lita på]
      de: [verlassen]
  - id: in_house
    family: alternative
    label: Build in-house
    description: Build it themselves.
    patterns:
      en: [in-house, build it ourselves, building it ourselves]
      sv: [bygga själva, bygga det själva]
      de: [eigenbau, selbst bauen]
  - id: integration
    family: motive
    label: Integration
    description: Works with existing systems.
    patterns:
      en: [talk to our erp]
      sv: [prata med vårt affärssystem]
      de: [mit unserem erp reden]
buying_roles:
  decider:
    en: [final say]
    sv: [sista ordet]
    de: [letzte wort]
"""


@pytest.fixture(scope="module")
def cb():
    return load_codebook(FIXTURE)


@pytest.fixture(scope="module")
def extra(tmp_path_factory):
    path = tmp_path_factory.mktemp("cb") / "codebook.yaml"
    path.write_text(EXTRA, encoding="utf-8")
    return load_codebook(path)


def code(cb, text, lang="en"):
    turns = pd.DataFrame([{"interview_id": "i1", "turn_index": 0, "role": "respondent", "text": text}])
    return code_turns(turns, {"i1": lang}, cb)


def pol(cb, text, code_id, lang="en"):
    df = code(cb, text, lang)
    hit = df[df["code"] == code_id]
    assert len(hit) == 1, df[["code", "evidence", "polarity"]]
    return hit.iloc[0].polarity


def role(cb, text, code_id, lang="en"):
    df = code(cb, text, lang)
    hit = df[df["code"] == code_id]
    assert len(hit) == 1, df[["code", "evidence", "buying_role"]]
    return hit.iloc[0].buying_role


# ------------------------------------------------------------------ clause boundaries

@pytest.mark.parametrize("lang,text,code_id", [
    ("en", "We finished the migration and then we didn't look back.", "switching_cost"),
    ("sv", "Vi fick en pilot i maj och sen skulle vi bara köra.", "validation"),
    ("de", "Wir hatten eine Pilotphase und dann wollte keiner mehr zurück.", "validation"),
])
def test_a_coordinated_clause_has_its_own_negation_and_mood(cb, lang, text, code_id):
    assert pol(cb, text, code_id, lang) == "present"


@pytest.mark.parametrize("lang,text,code_id", [
    ("en", "After the migration nobody complained.", "switching_cost"),
    ("sv", "Efter migreringen var det ingen som klagade.", "switching_cost"),
    ("de", "Nach der Migration hatten wir keine Probleme.", "switching_cost"),
])
def test_a_fronted_time_phrase_is_presupposed(cb, lang, text, code_id):
    assert pol(cb, text, code_id, lang) == "present"


@pytest.mark.parametrize("lang,text,code_id", [
    ("en", "The pilot showed that we didn't need the extra module.", "validation"),
    ("en", "Our pilot lead said it wasn't needed anymore.", "validation"),
    ("sv", "Piloten visade att vi inte behövde något mer.", "validation"),
    ("en", "We ran a pilot that nobody on the night shift used.", "validation"),  # a relative with its own subject
])
def test_a_negation_behind_a_reporting_verb_or_complementizer_is_another_clauses(cb, lang, text, code_id):
    assert pol(cb, text, code_id, lang) == "present"


def test_inte_sa_att_negates_the_att_clause(cb):
    assert pol(cb, "Det var inte så att vi växte.", "growth", "sv") == "negated"


def test_not_caring_reaches_into_the_whether_clause(cb):
    assert pol(cb, "We didn't care whether it was faster.", "time_efficiency") == "negated"
    assert pol(cb, "They didn't see why the price was so high.", "price") == "present"  # unchanged


def test_a_pseudo_cleft_keeps_the_negation_in_the_what_clause(cb):
    assert pol(cb, "What we hadn't planned for was the migration.", "switching_cost") == "present"


# ------------------------------------------------------------------ topics waved away

@pytest.mark.parametrize("lang,text,code_id", [
    ("en", "Growth? On paper, yes.", "growth"),
    ("de", "Wachstum, naja, das steht in jedem Bericht.", "growth"),
    ("sv", "Tillväxt, nja, det var väl inte grejen.", "growth"),
    ("en", "The price, not so much.", "price"),
    ("sv", "Priset, inte direkt.", "price"),
    ("de", "Der Preis, eher nicht.", "price"),
    ("en", "Another switch, no chance, not this year.", "switching_cost"),
    ("de", "Der Wechsel, der war nicht das Problem.", "switching_cost"),
])
def test_a_topic_named_and_waved_away_is_negated(cb, lang, text, code_id):
    assert pol(cb, text, code_id, lang) == "negated"


def test_a_hedged_yes_or_a_full_clause_is_no_dismissal(cb):
    assert pol(cb, "Wachstum, naja, das war eher Nebensache.", "growth", "de") == "negated"
    assert pol(cb, "Wachstum, naja, schon ein bisschen.", "growth", "de") == "present"
    assert pol(cb, "We switched, no regrets.", "switching_cost") == "present"
    assert pol(cb, "Growth? No.", "growth") == "negated"


# ------------------------------------------------------------------ negative wording that states the code

@pytest.mark.parametrize("lang,text,code_id", [
    ("en", "We simply couldn't keep up with the growth.", "growth"),
    ("sv", "Vi klarade inte av tillväxten.", "growth"),
    ("de", "Mit dem Wachstum konnten wir nicht mehr mithalten.", "growth"),
])
def test_a_negated_ability_states_the_strain(cb, lang, text, code_id):
    assert pol(cb, text, code_id, lang) == "present"


def test_a_negated_perception_is_still_a_denial(cb):
    assert pol(cb, "We couldn't see any growth at all.", "growth") == "negated"
    assert pol(cb, "We simply couldn't keep up with the growth.", "growth") == "present"


@pytest.mark.parametrize("lang,text", [
    ("en", "We just didn't have the budget that year."),
    ("sv", "Vi hade inte budget för det i år."),
    ("de", "Wir hatten kein Budget dafür."),
])
def test_a_lack_is_the_barrier(extra, lang, text):
    assert pol(extra, text, "lack_resources", lang) == "present"


def test_an_issue_about_the_resource_is_a_real_denial(extra):
    assert pol(extra, "We didn't have any problem with the budget.", "lack_resources") == "negated"
    assert pol(extra, "We just didn't have the budget that year.", "lack_resources") == "present"


@pytest.mark.parametrize("lang,text,code_id", [
    ("en", "Nobody was sure the migration would work.", "switching_cost"),
    ("sv", "Vi var inte säkra på migreringen.", "switching_cost"),
    ("de", "Der Wechsel lohnt sich nicht.", "switching_cost"),
])
def test_a_negated_certainty_is_a_doubt_that_states_the_barrier(cb, lang, text, code_id):
    assert pol(cb, text, code_id, lang) == "present"


@pytest.mark.parametrize("lang,text", [
    ("en", "We could never fully rely on it."),
    ("en", "Rely on it completely? No."),
    ("sv", "Vi vågade inte lita på den."),
    ("de", "Darauf verlassen wollte sich am Anfang keiner. Nein, nicht wirklich."),
])
def test_a_barrier_named_by_its_positive_side_is_stated_by_the_negation(extra, lang, text):
    assert pol(extra, text, "trust", lang) == "present"


@pytest.mark.parametrize("lang,text", [
    ("en", "Two vendors dropped out because they couldn't talk to our ERP."),
    ("sv", "Två föll bort för att de inte kunde prata med vårt affärssystem."),
    ("de", "Zwei flogen raus, weil sie nicht mit unserem ERP reden konnten."),
])
def test_a_rejected_option_failing_a_criterion_states_the_criterion(extra, lang, text):
    assert pol(extra, text, "integration", lang) == "present"


def test_a_negation_in_a_past_counterfactual_with_without_states_the_fact(cb):
    assert pol(cb, "We would never have switched without the price increase.", "switching_cost") == "present"
    assert pol(cb, "Ohne den Preisdruck hätten wir nie gewechselt.", "switching_cost", "de") == "present"


@pytest.mark.parametrize("lang,text", [
    ("en", "We didn't like the idea of another switch."),
    ("sv", "Därför ville vi inte byta."),
    ("de", "Deshalb wollten wir nicht wechseln."),
])
def test_an_aversion_is_said_not_denied(cb, lang, text):
    assert pol(cb, text, "switching_cost", lang) == "present"


# ------------------------------------------------------------------ conditions, wishes, modals

@pytest.mark.parametrize("lang,text,code_id", [
    ("en", "If they raise the price again, we will switch.", "switching_cost"),
    ("sv", "Om de höjer avgiften igen så vill vi byta.", "switching_cost"),
    ("sv", "Höjer de avgiften igen så vill vi byta.", "switching_cost"),  # verb-first condition
    ("de", "Wenn die Gebühr wieder steigt, dann wechseln wir.", "switching_cost"),
    ("en", "If they raise the price again, we won't stay for the migration.", "switching_cost"),
])
def test_the_consequent_of_a_condition_is_imagined(cb, lang, text, code_id):
    assert pol(cb, text, code_id, lang) == "hypothetical"


@pytest.mark.parametrize("lang,text,code_id", [
    ("en", "If the pilot runs well, the team saves hours every week.", "validation"),  # zero conditional
    ("en", "If you switch, you lose all your history.", "switching_cost"),  # generic you
    ("de", "Wenn du einmal gewechselt hast, kommst du nicht mehr zurück.", "switching_cost"),
    ("sv", "Om man byter tappar man all historik.", "switching_cost"),
    ("en", "They kept asking if the pilot was finished.", "validation"),  # if = whether
])
def test_a_general_rule_or_an_embedded_question_is_no_condition(cb, lang, text, code_id):
    assert pol(cb, text, code_id, lang) == "present"


@pytest.mark.parametrize("lang,text", [
    ("en", "We were afraid that things would break if we switched mid-year."),
    ("de", "Ich hatte Angst, dass etwas schiefgeht, wenn wir mitten im Jahr wechseln."),
    ("en", "Nobody could tell me what happens to our data if we switch."),
])
def test_a_worry_about_a_condition_is_a_real_worry(cb, lang, text):
    assert pol(cb, text, "switching_cost", lang) == "present"


def test_a_wish_is_hypothetical(cb):
    assert pol(cb, "Hopefully the migration goes smoothly.", "switching_cost") == "hypothetical"
    assert pol(cb, "Hoffentlich klappt der Wechsel.", "switching_cost", "de") == "hypothetical"


@pytest.mark.parametrize("lang,text", [
    ("en", "Building it ourselves would have been cheaper in year one."),
    ("de", "Ein Eigenbau wäre billiger gewesen."),
    ("sv", "Att bygga själva skulle ha varit billigare."),
])
def test_an_option_whose_outcome_is_weighed_was_on_the_table(extra, lang, text):
    assert pol(extra, text, "in_house", lang) == "present"


def test_what_we_would_have_done_stays_hypothetical(extra):
    assert pol(extra, "Building it ourselves would have been cheaper in year one.", "in_house") == "present"
    assert pol(extra, "Without the audit we would have gone in-house.", "in_house") == "hypothetical"


@pytest.mark.parametrize("lang,text,code_id", [
    ("en", "Nothing went live until we'd sat through a pilot.", "validation"),  # 'd = had in a time clause
    ("en", "We agreed the pilot would run for a month.", "validation"),  # reported future
    ("en", "The pilot caught two errors that I honestly think we'd have missed.", "validation"),
    ("sv", "Sen, ärligt talat, hade de en pilot som funkade.", "validation"),  # verb second, not a condition
])
def test_modals_of_another_clause_or_of_the_past_are_not_hypothetical(cb, lang, text, code_id):
    assert pol(cb, text, code_id, lang) == "present"


# ------------------------------------------------------------------ mentions of a party

@pytest.mark.parametrize("lang,text", [
    ("en", "Our CFO, Anna, wasn't involved at all."),
    ("en", "Nobody in finance cared which one we picked."),
    ("de", "Einen CFO haben wir nicht."),
    ("sv", "Någon CFO har vi inte."),
])
def test_a_mention_negated_through_an_apposition_or_a_fronted_object(cb, lang, text):
    assert pol(cb, text, "finance", lang) == "negated"


def test_a_partitive_with_a_predicate_still_names_a_party_that_took_part(cb):
    assert pol(cb, "Nobody in finance needed convincing.", "finance") == "present"
    assert pol(cb, "Nobody in finance cared which one we picked.", "finance") == "negated"


# ------------------------------------------------------------------ buying roles

def test_a_negated_role_cue_in_a_counterfactual_with_without_states_the_role(cb):
    text = "Without the audit finding the CFO would never have approved it."
    assert role(cb, text, "finance") == "approver"
    assert role(cb, "The CFO never approved it.", "finance") is None


def test_a_german_demonstrative_before_a_verb_continues_the_party(cb):
    assert role(cb, "Dann kam unser CFO dazu. Der hatte das letzte Wort.", "finance", "de") == "decider"
    assert role(cb, "Dann kam unser CFO dazu. Der Vorstand hatte das letzte Wort.", "finance", "de") is None


# ------------------------------------------------------------------ the per-doc cue index

# Sentences full of the words the walks stop at: clause boundaries, conditions (Swedish verb-first
# ones too), negations with German prefixes, modals, echo questions and waved-away topics.
INDEX_TEXTS = [
    ("en", "If they doubled the price tomorrow, we'd leave, but honestly the support wasn't great and we "
           "never trusted them. Price? No. The board, not so much. It caught one that I think we'd have waved "
           "through, and then we signed."),
    ("en", "If the price went up, we would look around, we had the budget anyway. Had we known, we'd have "
           "left."),
    ("en", "Without the audit finding the CFO would never have approved it; nobody in finance cared whether "
           "it was cheap. Our MD, Rob, wasn't involved."),
    ("sv", "Håller de priset så stannar jag, men om de höjer det så byter vi. Vi hade inte tid och sen skulle "
           "vi bara köra. Hade det inte varit för IVO hade vi aldrig bytt. Det var inte så att vi hade vuxit."),
    ("sv", "Priset, det brydde vi oss inte om, utan det var supporten. Budget? Nej."),
    # plain sentences (no cue at all) next to ones with cues: the shortcut for plain sentences
    ("en", "Our CFO signed it off in May. The price was fair and the board liked the support. It was not cheap."),
    ("sv", "Styrelsen godkände priset i maj. Sänker de priset så stannar vi. Priset var inte lågt."),
    ("de", "Der Vorstand hat im Mai unterschrieben. Der Preis war fair. Der Support war nicht schnell."),
    ("de", "Wenn die Fachgesellschaft das aufnimmt, dann sieht das anders aus, aber keine Chance ohne Budget. "
           "Einen Beirat haben wir nicht, und wir hätten nie gewechselt. Innovation, naja, das steht überall."),
]


@pytest.mark.parametrize("lang,text", INDEX_TEXTS)
def test_the_cue_index_gives_what_a_walk_over_every_word_gives(lang, text):
    """Walks that jump between indexed cue words decide as walks that visit every word do."""
    from buyerlab.nlp import get_pipeline
    from buyerlab.polarity import CueIndex, nearest_role, polarity_of

    doc = get_pipeline(lang)(text)
    words = [t.lower_ for t in doc]
    starts = [0] + [t.i for t in doc if t.is_sent_start and t.i > 0]
    index = CueIndex(words, lang)
    every = CueIndex(words, lang)
    # every position is a candidate: the rules test each word in full, as before the index existed
    every.clause_stops = every.condition_stops = every.negations = every.hypotheticals = list(range(len(words)))
    every.conditions = list(range(len(words)))  # no shortcut for a sentence without an if-word either
    assert 0 < len(index.clause_stops) < len(words)
    roles = [(0, s, s + 1) for s in range(len(words)) if words[s] in ("cfo", "board", "md", "styrelsen", "beirat")]
    targets = [("role", "approver")]
    checked = 0
    for s in range(len(words)):
        for e in range(s + 1, min(s + 4, len(words)) + 1):
            for family, code in (("barrier", "price"), ("stakeholder", "finance"), ("alternative", "status_quo"),
                                 ("motive", "innovation")):
                got = polarity_of(words, s, e, starts, lang, None, family, code, index)
                assert got == polarity_of(words, s, e, starts, lang, None, family, code, every), (words[s:e], family)
                checked += 1
            assert (nearest_role(words, roles, s, e, starts, targets, lang, index)
                    == nearest_role(words, roles, s, e, starts, targets, lang, every))
    assert checked > 200
