"""The clause reader's mechanisms: negation scope, doubt and conditions, asides, Finnish case numbers,
typos and compounds, sentences as commands and questions, and saying when it is unsure (and why)."""

from __future__ import annotations

import time

import pytest

from parsers import parse_reply
from parsers.intent import read_intent
from parsers.words import Lexicon


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [
        ("Nothing could stop me, see you there.", "yes"),
        ("Ingenting kan hindra mig från att komma.", "yes"),
        ("Mikään ei estä minua tulemasta!", "yes"),
        ("Det skulle jag inte missa för allt i världen.", "yes"),
        ("en mä tätä jätä väliin", "yes"),
        ("Jag kommer inte.", "no"),
        ("I'm not coming this time.", "no"),
        ("En pääse tällä kertaa.", "no"),
        ("Ingen av oss på galleriet kan komma den här gången.", "no"),
    ],
)
def test_a_negation_reaches_only_the_nearest_cue_of_its_clause(text: str, rsvp: str) -> None:
    assert read_intent(text).rsvp == rsvp


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [
        ("Coming. Not vegetarian, no allergies, I eat anything.", "yes"),
        ("Min kollega kan inte komma, men jag kommer.", "yes"),
        ("Kollegani ei pääse, mutta minä tulen.", "yes"),
        ("Jag kommer, men kan inte stanna på maten efteråt.", "yes"),
        ("I'll be there, might be a bit late though.", "yes"),
        ("Tulen, mutta myöhästyn noin puoli tuntia.", "yes"),
        ("Not sure what to wear to these things but I'm coming!", "yes"),
        ("tuun, ehkä otan portfolion mukaan jos joku haluu kattoo", "yes"),
    ],
)
def test_a_negation_or_doubt_about_something_else_leaves_the_answer_yes(text: str, rsvp: str) -> None:
    assert read_intent(text).rsvp == rsvp


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [
        ("If the ferry from Vaasa runs on time, I'll be there.", "maybe"),
        ("Jag kommer om färjan går enligt tidtabell.", "maybe"),
        ("Jos juna kulkee ajallaan, tulen. Muuten en ehdi.", "maybe"),
        ("I'll try but no promises.", "maybe"),
        ("Riippuu siitä, saanko lapsenvahdin.", "maybe"),
        ("I'll come with my partner, if that's alright.", "yes"),
        ("joo tuun, mulle kasvisruokaa jos on", "yes"),
    ],
)
def test_a_condition_on_attending_makes_maybe_and_a_polite_one_does_not(text: str, rsvp: str) -> None:
    assert read_intent(text).rsvp == rsvp


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [
        ("Forget what I wrote yesterday - I can come after all!", "yes"),
        ("Glöm vad jag skrev i går, jag kan komma ändå!", "yes"),
        ("Sorry, I know I said yes, but something came up and I can't make it after all.", "no"),
        ("Aiemmin vastasin että en pääse, mutta tilanne muuttui: tulen sittenkin.", "yes"),
    ],
)
def test_a_changed_answer_replaces_the_earlier_one(text: str, rsvp: str) -> None:
    assert read_intent(text).rsvp == rsvp


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [
        ("I'm on tour with the company in Tampere that week, so I'll have to sit this one out.", "no"),
        ("Ligger hemma med feber, tror inte det blir bättre till torsdag.", "no"),
        ("ja sku gärna komma men ja e på jobbresa i Uleåborg", "no"),
        ("Olen sairauslomalla koko joulukuun.", "no"),
    ],
)
def test_a_decline_needs_no_no_word(text: str, rsvp: str) -> None:
    assert read_intent(text).rsvp == rsvp


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [("yep, comming", "yes"), ("kommmer gärna", "yes"), ("Jag kommr", "yes"), ("tuuun 👍", "yes"), ("tuleen", "yes")],
)
def test_typos_and_stretched_words_are_read(text: str, rsvp: str) -> None:
    assert read_intent(text).rsvp == rsvp


@pytest.mark.parametrize(
    ("text", "guests"),
    [
        ("Kyllä, tulen kahden kollegan kanssa.", 2),
        ("tuun ja otan kolmen harjoittelijan kanssa, sopiiks?", 3),
        ("Tulemme neljän hengen ryhmänä.", 3),
        ("tuun parin kollegan kanssa eli meit on kolme", 2),
        ("Jag kommer och min sambo följer med.", 1),
        ("I'm coming with my partner Alex, who's also a lighting designer.", 1),
        ("Min kollega Sara kan inte komma men jag kommer.", 0),
        ("Vi blir tre från Kulturhuset, jag och två till.", 2),
        ("Which entrance should we use after 17.00?", 0),
    ],
)
def test_guests_are_counted_from_words_relations_and_case_forms(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Yes, I'll come. I'm coeliac, so nothing with gluten please.", "coeliac"),
        ("tuun, mut mä en syö sianlihaa", "sianliha"),
        ("Ja! Min kollega som följer med är vegan.", "vegan"),
        ("Hej! Jag kommer. Jag följer en lågFODMAP-diet.", "fodmap"),
    ],
)
def test_dietary_needs_are_read_in_any_phrasing(text: str, term: str) -> None:
    found = read_intent(text).dietary
    assert found is not None and term in found.casefold()


@pytest.mark.parametrize(
    "text",
    ["Coming. Not vegetarian, no allergies, I eat anything :)", "Tulen. Ei erityisruokavaliota.", "Kommer. Äter allt."],
)
def test_no_special_diet_is_no_diet(text: str) -> None:
    assert read_intent(text).dietary is None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Please take me off the mailing list.", "leave"),
        ("Stryk gärna min adress från era listor.", "leave"),
        ("Poistakaa tämä osoite, kiitos.", "leave"),
        ("I'd like to be on the list for future meetings.", "join"),
        ("Lägg gärna till mig på sändlistan.", "join"),
        ("lisätkää mut kans sille listalle, kiitos!", "join"),
        ("Stryk mig dock inte från listan, jag vill gärna komma nästa gång!", None),
    ],
)
def test_join_and_leave_are_read_from_sentences(text: str, command: str | None) -> None:
    assert read_intent(text).command == command


@pytest.mark.parametrize(
    ("text", "question", "rsvp"),
    [
        ("Is there parking nearby?", True, None),
        ("tuun! onks siel narikkaa?", True, "yes"),
        ("tuun ja otan kolmen harjoittelijan kanssa, sopiiks?", False, "yes"),
        ("Kunde vi prata om den gemensamma bokningskalendern?", False, None),
    ],
)
def test_questions_to_the_coordinator_are_told_from_topics_and_courtesy(
    text: str, question: bool, rsvp: str | None
) -> None:
    read = read_intent(text)
    assert (read.question, read.rsvp) == (question, rsvp)


def test_topics_are_read_from_headers_and_questions() -> None:
    read = read_intent("Coming!\n\nSuggested topics:\n- ticketing system\n- volunteer training")
    assert read.topics == ("ticketing system", "volunteer training")
    assert read.rsvp == "yes"
    assert read_intent("Kunde vi prata om stipendieansökningar?").topics == ("stipendieansökningar",)


@pytest.mark.parametrize(
    "text",
    [
        "Ja! Jag kan inte komma.",  # the answer word and the verb disagree
        "Kanske, jag har möjligtvis ett annat möte samma kväll, men jag kommer.",
        "Hmm, torsdag alltså.",  # answer-like, nothing to read
    ],
)
def test_an_unsure_reading_is_asked_about(text: str) -> None:
    assert "rsvp" in read_intent(text).unsure


def test_why_names_the_members_words_for_each_field() -> None:
    read = read_intent("Ja, jag kommer och tar med min kollega Oskar. Han är vegetarian.")
    assert read.why["rsvp"] == "jag kommer och tar med min kollega Oskar"
    assert "min kollega Oskar" in read.why["guests"]
    assert "vegetarian" in read.why["dietary"]


def test_unsure_why_and_question_reach_the_json_contract() -> None:
    raw = (
        b"From: Anna <anna@example.com>\r\nTo: natverk@example.org\r\nSubject: Re: Inbjudan\r\n"
        b"Message-ID: <q1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Is there parking nearby?\r\n"
    )
    data = parse_reply(raw).to_json_dict()
    assert data["question"] is True
    assert data["unsure"] == []
    assert data["why"] == {"question": "Is there parking nearby?"}


def test_only_the_first_200_lines_are_read() -> None:
    text = "\n".join(["Hej."] * 250 + ["Jag kommer inte."])
    assert read_intent(text).rsvp is None


def test_hostile_text_is_read_in_bounded_time() -> None:
    words = " ".join(f"ord{i}x kommmmmmer inte men om ja nej" for i in range(3000))
    start = time.perf_counter()
    read_intent(words + "\n" + "a" * 50_000)
    assert time.perf_counter() - start < 2.0


def test_hostile_punctuation_and_colons_are_read_in_bounded_time() -> None:
    line = "Kommer. " * 1500 + " " * 4000 + "ärende" + " " * 4000 + ": x" + ". " * 1000
    start = time.perf_counter()
    read_intent(line + "\n" + "a:b." * 3000)
    assert time.perf_counter() - start < 2.0


def test_cue_phrases_match_prefixes_suffixes_stems_and_clause_ends() -> None:
    lex = Lexicon("sv", [("person", "kolleg*"), ("away", "*resa"), ("attend", "komma~"), ("yes", "jag är med $")])
    assert [c.label for _s, _e, c in lex.find(["kollegorna", "jobbresa"])] == ["person", "away"]
    assert [c.label for _s, _e, c in lex.find(["kommer"])] == ["attend"]
    assert lex.find(["jag", "är", "med", "i", "kören"]) == []
    assert lex.normal("kommmer") == "kommer" or lex.normal("kommmer") == "kommmer"


@pytest.mark.parametrize(
    ("text", "lang", "command"),
    [
        ("Hi, please ottakaa mut pois listalta, I've moved abroad and I work in London now.", "en", "leave"),
        ("Hej hej! Jag vill liittyä listalle, tack.", "sv", "join"),
        ("Hej! Jag har flyttat till Tammerfors och jobbar inte längre med teater. Poistakaa minut listalta.", "sv",
         "leave"),
    ],
)
def test_join_or_leave_written_in_another_of_the_networks_languages_is_read(
    text: str, lang: str, command: str
) -> None:
    reply = read_intent(text)
    assert (reply.language, reply.command) == (lang, command)


@pytest.mark.parametrize(
    "text",
    [
        "I'll be there. My colleague Lars, who's coming with me, is allergic to nuts.",
        "Jag kommer! Jag har en fråga: min kollega som följer med använder rullstol.",
    ],
)
def test_a_companion_named_before_a_clause_saying_they_come_along_counts(text: str) -> None:
    reply = read_intent(text)
    assert (reply.rsvp, reply.guests) == ("yes", 1)


@pytest.mark.parametrize(
    "text",
    [
        "Jag kommer. Jag funderar på om jag ska ta med min kollega.",
        "I'm coming, and if my flatmate is free I'll bring her.",
    ],
)
def test_a_companion_only_wondered_about_is_asked_about_not_counted(text: str) -> None:
    reply = read_intent(text)
    assert reply.rsvp == "yes" and "guests" in reply.unsure


@pytest.mark.parametrize(
    "text",
    ["I'm in Tampere that week, sorry.", "Sorry, kan inte komma, I'm in London for work that week."],
)
def test_being_in_a_named_place_is_not_the_agreement_im_in(text: str) -> None:
    assert read_intent(text).rsvp == "no"


@pytest.mark.parametrize(
    ("text", "guests"),
    [
        ("Yes, Tobias and I will come.", 1),
        ("Joo, mä ja Jussi tullaan.", 1),
        ("Ja, jag och Kenneth kommer.", 1),
        ("Count me and Tobias in.", 1),
        ("Coming, and so will my colleague Marcus.", 1),
        ("Tulemme kaksin.", 1),
        ("I might need to travel to Kuopio and I might miss it. If all is well, I'll come.", 0),
        ("Samma kväll har vi öppning på Galleri Forum och jag måste vara där.", 0),
    ],
)
def test_a_companion_named_in_a_pair_counts_and_a_place_does_not(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


@pytest.mark.parametrize("text", ["Count me out this time.", "Sitter fast i Göteborg den dagen.", "I'm out!"])
def test_counting_oneself_out_or_being_stuck_elsewhere_is_a_no(text: str) -> None:
    assert read_intent(text).rsvp == "no"


@pytest.mark.parametrize(
    ("text", "guests"),
    [
        ("I'm coming. I'm bringing two people: my collaborator Henrik, who's visiting, and our intern Aino.", 2),
        ("Jag kommer. Min kollega Jenni följer med, hon har just börjat som dramaturg hos oss.", 1),
        ("Jag tror att jag kommer, men min sambo och jag väntar på besked om en visning.", 0),
        ("Yes, coming - me and my two colleagues from the education department.", 2),
    ],
)
def test_people_are_counted_once_however_they_are_described(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


def test_a_group_asking_to_join_the_list_is_not_a_party_coming() -> None:
    reply = read_intent("Vi är en ny teatergrupp och vill gå med i nätverket. Vi är fyra personer.")
    assert (reply.command, reply.rsvp, reply.guests) == ("join", None, 0)


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("I'll be there. I'd like to propose two things for the agenda: first, a shared policy on photography, "
         "and second, a joint recruitment day.", ("a shared policy on photography", "a joint recruitment day")),
        ("Kommer. Jag vill ta upp dels hyrorna för ateljéer, dels bristen på repetitionslokaler.",
         ("hyrorna för ateljéer", "bristen på repetitionslokaler")),
        ("Tulen. Haluaisin ottaa esille ensinnäkin vuokrat ja toiseksi apurahat.", ("vuokrat", "apurahat")),
        ("Could we discuss the first meeting of the year and the second round of grants?",
         ("the first meeting of the year and the second round of grants",)),
    ],
)
def test_a_sentence_naming_several_topics_in_order_gives_each_its_own_item(
    text: str, topics: tuple[str, ...]
) -> None:
    assert read_intent(text).topics == topics


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("Coming. Could we talk a bit about the rents?", ("the rents",)),
        ("Coming. It would be good to talk about rents.", ("rents",)),
        ("Kommer. Kunde vi prata lite om hyrorna?", ("hyrorna",)),
        ("Tulen. Haluaisin nostaa esiin vuokrat.", ("vuokrat",)),
        ("Tuun. Vois jutella vuokrista.", ("vuokrista",)),
        ("Kan inte komma, men har ett ärende:\nHur får vi fler publiker från förorterna?\n"
         "Det vore bra om någon kunde ta upp det.", ("Hur får vi fler publiker från förorterna",)),
    ],
)
def test_a_topic_is_read_from_everyday_phrasings_and_once_when_referred_back_to(
    text: str, topics: tuple[str, ...]
) -> None:
    assert read_intent(text).topics == topics


@pytest.mark.parametrize(
    "text", ["Coming! I can't eat shrimp.", "Kommer, men jag tål inte räkor.", "Tulen. En syö katkarapuja."]
)
def test_shellfish_in_any_of_the_languages_is_a_dietary_need(text: str) -> None:
    assert read_intent(text).dietary


@pytest.mark.parametrize(
    ("text", "rsvp", "guests"),
    [
        ("Have to bow out this time.", "no", 0),
        ("Tulen mielelläni, mutta lapset on kipeinä.", "no", 0),
        ("Mä oon siellä.", "yes", 0),
        ("Tulen kahden harjoittelijan kera.", "yes", 2),
        ("Coming with my other half.", "yes", 1),
    ],
)
def test_spoken_and_everyday_words_for_coming_declining_and_company(text: str, rsvp: str, guests: int) -> None:
    reply = read_intent(text)
    assert (reply.rsvp, reply.guests) == (rsvp, guests)


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [
        ("I'll be there, mut mun kollega ei pääse.", "yes"),
        ("Tulen, mutta mun kollega ei pääse.", "yes"),
        ("En pääse, mun kollega tulee.", "no"),
    ],
)
def test_my_colleague_not_coming_is_not_my_answer(text: str, rsvp: str) -> None:
    reply = read_intent(text)
    assert (reply.rsvp, "rsvp" in reply.unsure) == (rsvp, False)


@pytest.mark.parametrize(
    "text",
    ["Tulen, mutta jään pois illalliselta.", "I'll come but I'll skip the dinner afterwards.",
     "Kommer, men hoppar över middagen."],
)
def test_skipping_the_dinner_is_not_skipping_the_meeting(text: str) -> None:
    assert read_intent(text).rsvp == "yes"


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Haluun pois tältä listalta.", "leave"),
        ("Älkää enää lähettäkö mulle näitä.", "leave"),
        ("Lopetan jäsenyyteni verkostossa.", "leave"),
        ("Lisätkää minut jakeluun.", "join"),
        ("Ottakaa mut mukaan listalle.", "join"),
    ],
)
def test_spoken_finnish_join_and_leave_are_read(text: str, command: str) -> None:
    reply = read_intent(text)
    assert (reply.command, reply.rsvp) == (command, None)


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Tulen! Eikö olekin hienoa?", False),
        ("Kommer! Visst blir det kul?", False),
        ("Tuun. Eiks siellä oo hissiä?", True),
        ("Kommer. Visst finns det parkering i närheten av huset?", True),
    ],
)
def test_a_rhetorical_question_needs_no_answer_from_a_person(text: str, question: bool) -> None:
    assert read_intent(text).question is question
