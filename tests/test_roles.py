from buyerlab.readers.base import RawTurn
from buyerlab.roles import decide_roles


def turns(*pairs):
    return [RawTurn(text=t, speaker=s) for s, t in pairs]


INTERVIEW = turns(
    ("Emma", "Thanks for joining. How did the project start?"),
    ("Sarah", "Well, our energy bills doubled in 2022 and the CFO asked what we were doing about it. "
              "So I started looking at options with the facilities team, quite a long list really."),
    ("Emma", "Who else was involved?"),
    ("Sarah", "Procurement, and IT had to sign off on the security side. That took months."),
    ("Emma", "And what made you choose in the end?"),
    ("Sarah", "Mostly that it plugged into our BMS without a big integration project."),
)


def test_behaviour_picks_the_questioner_and_reports_evidence():
    d = decide_roles(INTERVIEW)
    assert d.roles == {"Emma": "interviewer", "Sarah": "respondent"}
    assert d.method == "detected"
    assert "Emma: 3/3 turns are questions" in d.evidence
    assert "speaks first" in d.evidence


def test_names_from_the_analyst_win_over_behaviour():
    d = decide_roles(INTERVIEW, interviewer_names=["sarah"])
    assert d.roles == {"Emma": "respondent", "Sarah": "interviewer"}
    assert d.method == "config"


def test_role_labels_are_read_in_three_languages():
    for label in ("Interviewer", "Moderatorin", "Intervjuare", "Q", "Interviewer 2"):
        d = decide_roles(turns((label, "Berätta?"), ("Anna", "Ja, alltså vi började med Excel.")))
        assert d.roles[label] == "interviewer", label
        assert d.roles["Anna"] == "respondent"
        assert d.method == "label"


def test_other_speakers_and_single_speaker():
    d = decide_roles(turns(("Unknown", "[crosstalk]"), ("Anna", "Vi valde dem.")))
    assert d.roles == {"Unknown": "other", "Anna": "respondent"}
    assert d.method == "single_speaker" and d.warnings


def test_unlabelled_turns_are_decided_one_by_one():
    d = decide_roles([RawTurn("Wie hat das angefangen?"), RawTurn("Also, zuerst kam das Energieaudit."),
                      RawTurn("Und dann?"), RawTurn("Dann haben wir drei Anbieter angeschaut.")])
    assert d.per_turn == ["interviewer", "respondent", "interviewer", "respondent"]
    assert d.method == "question_heuristic"


def test_uncertain_detection_is_flagged():
    d = decide_roles(turns(("A1", "We started in May."), ("B1", "Yes, in May.")))
    assert d.warnings and "uncertain" in d.warnings[0]


def test_unlabelled_alternation_places_statements_the_question_marks_miss():
    texts = ["Wie hat das angefangen?", "Mit dem Energieaudit.", "Und dann?", "Dann drei Anbieter.",
             "Wer hat entschieden?", "Die Geschäftsführung.", "Was war wichtig?", "Der Preis, ehrlich gesagt.",
             "Vielen Dank für das Gespräch.", "Gerne, jederzeit."]
    d = decide_roles([RawTurn(t) for t in texts])
    assert d.per_turn == ["interviewer", "respondent"] * 5
    assert "alternat" in d.evidence
