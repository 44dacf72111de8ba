from service.answer.question import analyse, resolve_follow_up


def test_speaker_and_topic_of_a_what_did_x_say_question() -> None:
    question = analyse("What did Witkoff say about Putin?")
    assert question.kind == "quote"
    assert question.speaker is not None and question.speaker.surface == "Witkoff"
    assert question.topic_terms == ("putin",)


def test_kinds() -> None:
    assert analyse("How many troops will Ukraine have?").kind == "count"
    assert analyse("When was Trump sworn in?").kind == "when"
    assert analyse("Where did Trump meet Putin?").kind == "where"
    assert analyse("Which German chancellor spoke?").kind == "who"
    assert analyse("Did Trump rule out peacekeepers?").kind == "yesno"
    # "What did the minister…" asks what was said, not which minister.
    assert analyse("What did the finance minister say in response to the vote?").kind == "quote"
    assert analyse("What did the minister announce at the summit?").kind == "quote"
    assert analyse("What other officials attended?").kind == "who"


def test_entities_group_names_and_skip_question_words() -> None:
    question = analyse("Did Steve Witkoff meet Vladimir Putin in Alaska?")
    assert [e.surface for e in question.entities] == ["Steve Witkoff", "Vladimir Putin", "Alaska"]
    assert [e.head for e in question.entities] == ["witkoff", "putin", "alaska"]


def test_follow_up_pronoun_resolves_to_the_earlier_speaker() -> None:
    history = [("user", "What did Witkoff say about Putin?"), ("assistant", "He said ...")]
    assert resolve_follow_up("And what did he say about NATO?", history) == (
        "what did Witkoff say about NATO?"
    )
    assert resolve_follow_up("What about Rubio?", history) == "What did Rubio say about Putin?"


def test_standalone_questions_are_left_alone() -> None:
    history = [("user", "What did Witkoff say about Putin?")]
    assert resolve_follow_up("Who is Mark Rutte?", history) == "Who is Mark Rutte?"
    assert resolve_follow_up("What did he say?", []) == "What did he say?"
