"""The cue words polarity and buying roles read, per language (en, sv, de).

Each :class:`Cues` lists the words of one language that play a part in :mod:`buyerlab.polarity`:
negations, conditions and modals, clause boundaries, subjects, reporting verbs and the phrases
that wave a topic away. Why each list exists, and the rules that read them, are in the
docstring of :mod:`buyerlab.polarity`; a language without an entry here gets no polarity
(every match is ``present``). To add a language, add an entry with the same fields, add its
words to the few word sets :mod:`buyerlab.polarity` keeps for all languages at once (wishes,
copulas, wh-words, counterfactual modals, "without", answers "no"; each is commented there) and
test it with invented sentences as tests/test_polarity.py does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

PUNCT_BOUNDARIES = frozenset({",", ";", ":", "—", "–", "--", "(", ")", "?", "!", "."})  # end a clause
STRONG_PUNCT = frozenset({";", ":", "—", "–", "--", "(", ")"})  # end a condition's reach (a comma does not)


@dataclass(frozen=True)
class Cues:
    """The cue words of one language (see the module docstring of buyerlab.polarity for what each does)."""

    negation: frozenset[str]
    negation_prefixes: tuple[str, ...]
    not_negation_next: dict[str, frozenset[str]]  # cue -> next words that make it no negation
    paired: frozenset[str]  # neither/nor: one negation, not two
    contrast_after_negation: frozenset[str]  # "inte X utan Y": utan separates, does not negate
    boundaries: frozenset[str]
    hypothetical: frozenset[str]
    hypothetical_prefixes: tuple[str, ...]
    hypothetical_clause_initial: frozenset[str]  # only at the start of a clause ("om" = if/about)
    hypothetical_before_have: frozenset[str]  # "could have", "might have"
    inverted_conditional: frozenset[str]  # "hade vi ..." = "if we had ..."
    pronouns: frozenset[str]
    inverts: bool = False  # "hade vi ..." / "had we ..." starts a conditional
    # modal cues ("would", "skulle", "hätte") that are future-in-the-past after a reporting word
    modal: frozenset[str] = frozenset()
    reported: frozenset[str] = frozenset()
    concessive: frozenset[str] = frozenset()  # "even" of "even if": a concession, not a condition
    conditions: frozenset[str] = frozenset()  # "if"-type words (not modals)
    preference: frozenset[str] = frozenset()  # "'d rather": a stated preference, not a wish
    past_participles: frozenset[str] = frozenset()  # irregular; "'d" + participle = "had"
    # stakeholder / competitor mentions: a negation after the mention negates the mention only
    # when it is about taking part ("wasn't involved"); else it is the mention's own predicate
    involvement_prefixes: tuple[str, ...] = ()
    partitive: frozenset[str] = frozenset()  # "nobody on the team": the negation is the predicate's
    object_pronouns: frozenset[str] = frozenset()
    # "not X but Y" for options: X was weighed and turned down, i.e. on the table
    contrast: frozenset[str] = frozenset()
    # --- clause structure (codebook 1.4.0 polarity pass)
    subjects: frozenset[str] = frozenset()  # subject pronouns: "and we ...", "that they ..." open a clause
    coordinators: frozenset[str] = frozenset()  # "and"/"och"/"und": a clause boundary before a new subject
    then_words: frozenset[str] = frozenset()  # "and then", "och sen", "und dann"; "så"/"dann" after a condition
    # words after the match that open another clause with its own subject or content: a negation
    # behind them is that clause's ("the sweep said it wouldn't pass", "så mycket tid att priset inte ...")
    complementizers: frozenset[str] = frozenset()
    relatives: frozenset[str] = frozenset()  # "that"/"which": own clause unless the match is its subject
    reporting: frozenset[str] = frozenset()
    # a fronted time adverbial ("After the outage ...", "Nach dem Vorfall ...") is presupposed
    temporal_preps: frozenset[str] = frozenset()
    # a topic named and waved away ("Innovation, naja, ...", "Sustainability? On paper, yes")
    dismissals: frozenset[tuple[str, ...]] = frozenset()  # interjections: "naja", "nja"
    nominal: frozenset[tuple[str, ...]] = frozenset()  # "on paper", "in theory": in name only
    affirmations: frozenset[str] = frozenset()  # "naja, schon": a hedged yes, not a dismissal
    replies: frozenset[tuple[str, ...]] = frozenset()  # "X, no chance", "X, inte direkt": a topic turned down
    resumptive: frozenset[str] = frozenset()  # "X, that was never ...", "X, det brydde vi oss inte om"
    # negative wording that states the problem: "we couldn't keep up", "de kunde inte prata med"
    ability: frozenset[str] = frozenset()
    perception: frozenset[str] = frozenset()  # "couldn't see/complain": a denial, not a lack
    possession: frozenset[str] = frozenset()  # "didn't have the budget": the lack is the barrier
    issue_words: frozenset[str] = frozenset()  # "had no problem with the price": a real denial
    stance: tuple[str, ...] = ()  # "rely", "trust": a barrier named by its positive side
    certainty: frozenset[str] = frozenset()  # "nobody was sure it could", "lohnt sich nicht": a doubt
    worry: tuple[str, ...] = ()  # "afraid that ... if we switch": the worry is real
    # "if I'm honest", "om jag ska vara ärlig": a remark about speaking, not a condition
    speech_conditions: frozenset[str] = frozenset()
    generic_subjects: frozenset[str] = frozenset()  # "if you ...", "om man ...": a general rule
    future: frozenset[str] = frozenset()  # English consequent markers of an imagined event
    # Swedish verb-first conditions ("Håller de priset så stannar jag"): the word that answers
    # them, what may precede their verb, and words that open a clause but are no verb
    verb_first_then: str = ""
    verb_first_after: frozenset[str] = frozenset()
    not_verbs: frozenset[str] = frozenset()
    # buying roles: a next sentence opening with one of these goes on about the party just named
    # ("They had a veto"), or with a demonstrative before a finite verb ("Der hat gesagt ...")
    continuing_subjects: frozenset[str] = frozenset()
    demonstrative_subjects: frozenset[str] = frozenset()
    finite_aux: frozenset[str] = frozenset()

    # Most words can neither end a walk from a match to its clause or sentence edge nor change
    # what it finds; these sets name the ones that can, and a CueIndex holds their positions in a
    # doc, so a walk visits only them (the full tests run there).
    @cached_property
    def clause_stops(self) -> frozenset[str]:
        """Words at which :func:`buyerlab.polarity._clause` can end a clause: each of its tests needs one."""
        return frozenset(PUNCT_BOUNDARIES | self.boundaries | self.contrast_after_negation | self.coordinators
                         | (self.inverted_conditional if self.inverts else frozenset()))

    @cached_property
    def condition_stops(self) -> frozenset[str]:
        """Words at which :func:`buyerlab.polarity._condition_governs` acts, besides a Swedish verb-first condition."""
        return frozenset(STRONG_PUNCT | self.boundaries | self.then_words | {","} | self.conditions
                         | (self.inverted_conditional if self.inverts else frozenset()))


CUES: dict[str, Cues] = {
    "en": Cues(
        negation=frozenset({"not", "n't", "never", "no", "neither", "nor", "without", "hardly", "nothing",
                            "nobody", "none", "barely", "cannot", "nowhere"}),
        negation_prefixes=(),
        not_negation_next={
            "not": frozenset({"only", "just", "merely", "least"}),
            "n't": frozenset({"only", "just", "merely"}),
            "no": frozenset({"doubt", "question", "wonder", "matter"}),
            "without": frozenset({"doubt", "question"}),
        },
        paired=frozenset({"neither", "nor"}),
        contrast_after_negation=frozenset(),
        boundaries=frozenset({"but", "however", "although", "though", "because", "whereas", "while", "so",
                              "unless", "whether"}),
        hypothetical=frozenset({"if", "would", "might", "unless", "suppose", "supposing", "imagine",
                                "hypothetically", "'d", "hopefully", "ideally", "wish", "wished"}),
        hypothetical_prefixes=(),
        hypothetical_clause_initial=frozenset(),
        hypothetical_before_have=frozenset({"could", "should", "must"}),
        inverted_conditional=frozenset({"had", "were"}),
        pronouns=frozenset({"we", "i", "they", "you", "he", "she", "it"}),
        inverts=True,
        modal=frozenset({"would", "'d", "might"}),
        reported=frozenset({"that", "how", "whether", "what", "where", "when", "said", "says", "thought",
                            "knew", "know", "worried", "feared", "afraid", "wanted", "told", "promised",
                            "expected", "hoped", "assumed", "sure", "wondered", "concerned", "who", "which",
                            "agreed", "decided", "convinced", "certain", "doubted", "doubt", "believed", "believe",
                            "think", "asked", "insisted", "demanded", "guaranteed", "ensured", "until"}),
        concessive=frozenset({"even"}),
        conditions=frozenset({"if", "unless", "suppose", "supposing", "imagine", "hypothetically"}),
        preference=frozenset({"rather", "prefer", "sooner"}),
        past_participles=frozenset({"been", "had", "got", "gotten", "gone", "done", "seen", "made", "set", "spent",
                                    "heard", "known", "taken", "given", "found", "put", "left", "come", "run",
                                    "bought", "brought", "thought", "told", "said", "built", "sent", "felt",
                                    "kept", "lost", "met", "paid", "won", "begun", "become", "chosen",
                                    "written", "spoken", "shown", "grown", "read", "hit", "cut", "let",
                                    "sat", "stood", "held", "sold", "dealt", "meant", "stuck", "taught", "caught",
                                    "fought", "sought", "understood", "drawn", "driven", "eaten",
                                    "fallen", "flown", "forgotten", "hidden", "ridden", "risen", "shut",
                                    "slept", "swung", "torn", "worn", "thrown", "woken", "used"}),
        involvement_prefixes=("involv", "ask", "consult", "includ", "part", "say", "inform", "invit", "told", "care",
                              "interest", "bother",
                              "option", "table", "consider"),
        partitive=frozenset({"nobody", "none", "no", "nothing"}),
        object_pronouns=frozenset({"her", "him", "them", "us", "me", "it", "you"}),
        contrast=frozenset({"but", "instead", "rather"}),
        subjects=frozenset({"we", "i", "they", "you", "he", "she", "it", "nobody", "everyone", "everybody"}),
        coordinators=frozenset({"and", "or"}),
        then_words=frozenset({"then"}),
        complementizers=frozenset(),
        relatives=frozenset({"that", "which", "who"}),
        reporting=frozenset({"said", "says", "say", "told", "tells", "thought", "think", "thinks", "felt", "feels",
                             "claimed", "claims", "warned", "explained", "mentioned", "admitted", "insisted",
                             "reckoned", "promised", "argued"}),
        temporal_preps=frozenset({"after", "since", "before", "during", "following"}),
        dismissals=frozenset({("meh",)}),
        nominal=frozenset({("on", "paper"), ("in", "theory"), ("officially",), ("supposedly",), ("nominally",)}),
        affirmations=frozenset({"yes", "yeah", "definitely", "absolutely", "sure"}),
        replies=frozenset({("no", "chance"), ("no", "way"), ("not", "really"), ("not", "so", "much"),
                           ("not", "at", "all"), ("not", "seriously"), ("never",), ("hardly",), ("not", "much")}),
        resumptive=frozenset({"that", "it", "this", "those", "they"}),
        ability=frozenset({"ca", "can", "could", "cannot", "able", "manage", "managed"}),
        perception=frozenset({"see", "find", "think", "imagine", "say", "tell", "complain", "remember",
                              "believe", "recall"}),
        possession=frozenset({"have", "had", "has", "having", "got", "there"}),
        issue_words=frozenset({"issue", "issues", "problem", "problems", "concern", "concerns", "objection",
                               "objections", "worry", "worries", "question", "questions", "discussion",
                               "complaints", "topic", "factor", "argument"}),
        stance=("rely", "trust", "believ", "convinc", "confiden", "depend"),
        certainty=frozenset({"sure", "convinced", "certain", "confident", "worth"}),
        worry=("afraid", "worr", "fear", "scare", "nervous", "concern", "anxious", "dread"),
        speech_conditions=frozenset({"honest", "remember", "recall", "anything", "ask", "like", "mean",
                                     "memory", "serves", "say", "will", "may"}),
        generic_subjects=frozenset({"you", "one"}),
        future=frozenset({"will", "'ll", "wo", "gonna", "going", "could", "can", "ca", "might", "should",
                          "must", "'d", "would", "have", "need"}),
        continuing_subjects=frozenset({"he", "she", "they"}),
    ),
    "sv": Cues(
        negation=frozenset({"inte", "icke", "ej", "aldrig", "ingen", "inget", "inga", "ingenting", "varken",
                            "eller", "utan", "knappast", "knappt", "ingenstans", "ingalunda"}),
        negation_prefixes=(),
        not_negation_next={
            "inte": frozenset({"bara", "minst", "enbart", "endast"}),
            "utan": frozenset({"tvekan", "tvivel"}),
            "ingen": frozenset({"tvekan", "fråga"}),
        },
        paired=frozenset({"varken", "eller"}),
        contrast_after_negation=frozenset({"utan"}),
        boundaries=frozenset({"men", "fast", "eftersom", "därför", "medan", "trots", "dock", "så", "för"}),
        hypothetical=frozenset({"skulle", "ifall", "vore", "kanske", "förhoppningsvis", "önskar", "önskade"}),
        hypothetical_prefixes=(),
        hypothetical_clause_initial=frozenset({"om"}),
        hypothetical_before_have=frozenset({"kunde"}),
        inverted_conditional=frozenset({"hade", "var"}),
        pronouns=frozenset({"vi", "jag", "de", "ni", "man", "han", "hon", "det", "dom"}),
        inverts=True,
        modal=frozenset({"skulle", "vore"}),
        reported=frozenset({"att", "trodde", "tänkte", "sa", "sade", "var", "hur", "vad", "när", "ville",
                            "föreslog", "meddelade", "lovade", "visste", "rädd", "rädda", "orolig", "oroliga",
                            "som", "undrade", "räknade", "övertygad", "övertygade", "säker", "säkra", "tror",
                            "bestämde", "krävde", "förrän", "tills"}),
        concessive=frozenset({"även", "också"}),
        conditions=frozenset({"om", "ifall"}),
        preference=frozenset({"hellre"}),
        involvement_prefixes=("inblandad", "involverad", "tillfrågad", "delaktig", "med", "frågad", "aktuell", "bry",
                              "intresse",
                              "alternativ", "säga", "informerad"),
        partitive=frozenset({"ingen", "inget", "inga", "ingenting"}),
        object_pronouns=frozenset({"henne", "honom", "dem", "dom", "oss", "mig", "det", "er"}),
        contrast=frozenset({"utan", "men", "istället", "hellre"}),
        subjects=frozenset({"vi", "jag", "de", "dom", "ni", "man", "han", "hon", "det", "den", "ingen", "alla"}),
        coordinators=frozenset({"och"}),  # not "eller": the second half of "varken ... eller"
        then_words=frozenset({"sen", "sedan", "då", "så"}),
        complementizers=frozenset({"att"}),
        relatives=frozenset({"som"}),
        reporting=frozenset({"sa", "sade", "säger", "sagt", "tyckte", "tycker", "trodde", "tror", "menade",
                             "berättade", "varnade", "förklarade", "lovade", "erkände"}),
        temporal_preps=frozenset({"efter", "sedan", "innan", "före", "under"}),
        dismissals=frozenset({("nja",), ("äsch",)}),  # not "tja": a neutral "well"
        nominal=frozenset({("på", "papperet"), ("i", "teorin"), ("officiellt",)}),
        affirmations=frozenset({"ja", "jo", "jodå", "absolut", "visst", "definitivt"}),
        replies=frozenset({("inte", "direkt"), ("inte", "alls"), ("inte", "särskilt"), ("aldrig",), ("knappast",),
                           ("absolut", "inte"), ("inte", "en", "chans"), ("inte", "riktigt"), ("inte", "så", "mycket")}),
        resumptive=frozenset({"det", "den", "de", "dom", "dem", "detta"}),
        ability=frozenset({"kan", "kunde", "kunnat", "klarar", "klarade", "klarat", "hann", "hinner", "hunnit",
                           "orkar", "orkade", "lyckades", "gick", "går"}),
        perception=frozenset({"se", "hitta", "tänka", "klaga", "säga", "minnas", "tro", "påstå"}),
        possession=frozenset({"har", "hade", "haft", "fanns", "finns", "fick", "få"}),
        issue_words=frozenset({"problem", "problemet", "problemen", "fråga", "frågan", "frågor", "diskussion",
                               "diskussioner", "oro", "invändning", "invändningar", "betänkligheter", "farhågor",
                               "tema", "faktor", "sak"}),
        stance=("lita", "litar", "litade", "förtro", "övertyg", "tro"),
        certainty=frozenset({"säker", "säkra", "övertygad", "övertygade", "värt", "lönt", "lönade", "lönar"}),
        worry=("rädd", "orolig", "oro", "ängsl", "nervös", "farhåg", "bävade", "fruktade"),
        speech_conditions=frozenset({"ärlig", "ärligt", "minns", "frågar", "säga", "vill", "mig"}),
        generic_subjects=frozenset({"du", "man", "ni"}),
        verb_first_then="så",
        verb_first_after=frozenset({",", "men", "och"}),
        not_verbs=frozenset({"ja", "jo", "nej", "nä", "och", "men", "så", "då", "sen", "sedan", "nu", "här", "där",
                             "alltså", "kanske", "nog", "ju", "bara", "också", "inte", "att", "om", "för", "som",
                             "när", "eftersom", "medan", "tyvärr", "faktiskt", "egentligen", "ärligt", "visst"}),
        continuing_subjects=frozenset({"han", "hon", "de", "dom"}),
        finite_aux=frozenset({"har", "hade", "är", "var", "ville", "sa", "sade", "måste", "kan", "kunde", "skulle",
                              "ska"}),
    ),
    "de": Cues(
        negation=frozenset({"nicht", "nie", "niemals", "weder", "noch", "ohne", "nichts", "kaum", "niemand",
                            "nirgends", "nirgendwo", "keineswegs", "keinesfalls", "nix"}),
        negation_prefixes=("kein",),
        not_negation_next={
            "nicht": frozenset({"nur", "zuletzt", "allein"}),
            "ohne": frozenset({"zweifel", "frage"}),
            "kein": frozenset({"zweifel", "wunder", "frage"}),
            "keine": frozenset({"frage", "zweifel"}),
        },
        paired=frozenset({"weder", "noch"}),
        contrast_after_negation=frozenset({"sondern"}),
        boundaries=frozenset({"aber", "sondern", "obwohl", "weil", "denn", "doch", "während", "jedoch",
                              "dass", "deshalb", "deswegen"}),
        hypothetical=frozenset({"wenn", "falls", "sofern", "vielleicht", "wenn's", "wenns", "hoffentlich",
                                "idealerweise", "wünschte", "wünsche", "wünschen"}),
        hypothetical_prefixes=("hätt", "wär", "würd", "könnt"),
        hypothetical_clause_initial=frozenset(),
        hypothetical_before_have=frozenset(),
        inverted_conditional=frozenset(),
        pronouns=frozenset(),
        modal=frozenset(),  # the Konjunktiv prefixes below are modal too (see _is_modal)
        reported=frozenset({"dass", "ob", "wie", "was", "wo", "wann", "gesagt", "meinte", "dachte", "gedacht",
                            "gewusst", "wusste", "befürchtet", "sorge", "angst", "versprochen", "wollte",
                            "wollten", "sagte", "hieß", "überzeugt", "sicher", "glaubte", "geglaubt",
                            "vereinbart", "entschieden", "verlangt", "bis"}),
        concessive=frozenset({"auch", "selbst"}),
        conditions=frozenset({"wenn", "falls", "sofern", "wenn's", "wenns"}),
        preference=frozenset({"lieber"}),
        involvement_prefixes=("beteiligt", "gefragt", "eingebunden", "einbezogen", "dabei", "mitrede", "mitgerede",
                              "interess", "kümmer", "gekümmert",
                              "option", "frage", "infrage", "informiert"),
        partitive=frozenset({"niemand", "keiner", "keine", "keines", "nichts"}),
        object_pronouns=frozenset({"sie", "ihn", "ihm", "ihr", "uns", "mich", "mir", "es", "ihnen"}),
        contrast=frozenset({"sondern", "aber", "stattdessen", "lieber"}),
        subjects=frozenset({"wir", "ich", "sie", "er", "es", "man", "keiner", "niemand", "alle"}),
        coordinators=frozenset({"und"}),
        then_words=frozenset({"dann", "da"}),
        complementizers=frozenset({"dass", "ob"}),
        relatives=frozenset(),  # German relatives follow a comma, a clause boundary already
        reporting=frozenset({"sagte", "sagten", "gesagt", "sagt", "meinte", "meinten", "meint", "dachte",
                             "dachten", "fand", "fanden", "findet", "erklärte", "warnte", "versprach", "behauptete",
                             "glaubte", "glaubten"}),
        temporal_preps=frozenset({"nach", "seit", "während"}),  # not "vor": "Angst vor dem Preis"
        dismissals=frozenset({("naja",), ("na", "ja"), ("ach", "was")}),  # not "tja": a neutral "well"
        nominal=frozenset({("auf", "dem", "papier"), ("theoretisch",), ("offiziell",)}),
        affirmations=frozenset({"schon", "ja", "doch", "absolut", "durchaus", "definitiv"}),
        replies=frozenset({("eher", "nicht"), ("nicht", "wirklich"), ("gar", "nicht"), ("auf", "keinen", "fall"),
                           ("keine", "chance"), ("nie",), ("kaum",), ("nicht", "so", "sehr"), ("überhaupt", "nicht")}),
        resumptive=frozenset({"das", "der", "die", "dem", "den", "es", "dies"}),
        ability=frozenset({"kann", "kannst", "können", "konnte", "konnten", "könnte", "könnten", "schaffte",
                           "schafften", "schaffen", "ging", "geht", "gekonnt"}),
        perception=frozenset({"sehen", "finden", "sagen", "klagen", "beklagen", "vorstellen", "erinnern",
                              "behaupten"}),
        possession=frozenset({"haben", "hatten", "hatte", "hat", "habe", "gab", "gibt", "gehabt", "bekommen"}),
        issue_words=frozenset({"problem", "probleme", "thema", "frage", "fragen", "diskussion", "bedenken",
                               "sorge", "sorgen", "einwand", "einwände", "faktor", "punkt"}),
        stance=("vertrau", "verlass", "überzeug", "glaub"),
        certainty=frozenset({"sicher", "überzeugt", "wert", "lohnt", "lohnte", "gelohnt"}),
        worry=("angst", "sorge", "befürcht", "bedenken", "fürcht", "ängstlich", "nervös"),
        speech_conditions=frozenset({"ehrlich", "erinnere", "will", "mich", "fragen", "fragt"}),
        generic_subjects=frozenset({"du", "man", "ihr"}),
        continuing_subjects=frozenset({"er", "sie"}),  # not "der"/"die": mostly articles at a sentence start
        demonstrative_subjects=frozenset({"der", "die"}),
        finite_aux=frozenset({"hat", "hatte", "hatten", "haben", "ist", "war", "waren", "wollte", "wollten", "meinte",
                              "sagte", "muss", "musste", "mussten", "kann", "konnte", "konnten", "hätte", "hätten",
                              "wäre", "würde", "wird", "will", "soll", "sollte", "darf", "durfte"}),
    ),
}
