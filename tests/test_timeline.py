"""The timeline across summaries: merging events and quotes, keeping unrelated ones apart, reading folders, CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from summarize import Summarizer, build_timeline, load_documents, timeline_markdown
from summarize.cli import main
from summarize.errors import ArticleError
from summarize.views.linking import name_key
from summarize.views.markdown import date_heading
from summarize.views.timeline import FORMAT, SkippedFile

from .conftest import FIXTURES, ROOT

# -- building documents -------------------------------------------------------------------------------------


def event(description: str, date: str | None = None, *, type: str = "attack", actors: list[str] | None = None,
          targets: list[str] | None = None, status: str = "reported", evidence: str | None = None,
          span: tuple[int, int] | None = None) -> dict[str, Any]:
    precision = {4: "year", 7: "month", 10: "day"}.get(len(date or ""))
    return {"description": description, "event_type": type, "actors": actors or [], "targets": targets or [],
            "when": {"text": date, "date": date, "precision": precision} if date else None, "where": None,
            "status": status, "evidence": evidence or description,
            "evidence_span": {"start": span[0], "end": span[1], "match": "exact"} if span else None}


def quote(text: str, speaker: str, *, kind: str = "direct", span: tuple[int, int] = (0, 1)) -> dict[str, Any]:
    return {"text": text, "speaker": speaker, "speaker_role": None, "kind": kind, "cue": "said",
            "span": {"start": span[0], "end": span[1], "match": "exact"}}


def entity(name: str, type: str = "person", *aliases: str) -> dict[str, Any]:
    return {"name": name, "type": type, "aliases": list(aliases)}


def document(article_id: str, *, events: list | None = None, quotes: list | None = None,
             entities: list | None = None, published: str | None = "2024-07-18", text: str = "") -> dict[str, Any]:
    return {"format": 1,
            "article": {"id": article_id, "title": f"Title of {article_id}", "published": published,
                        "source_path": f"{article_id}.txt", "encoding": "utf-8", "content_hash": article_id,
                        "text": text},
            "summary": {"title": None, "published": published, "summary": "", "key_points": [],
                        "events": events or [], "quotes": quotes or [], "entities": entities or []},
            "run": {}}


def sources_of(entry: dict) -> list[str]:
    return [s["article"] for s in entry["sources"]]


# The drone strike that killed Soleimani, as three outlets give it: at three precisions, three spellings.
STRIKE_A = document("a", published="2020-01-03", entities=[
    entity("Qassem Soleimani", "person", "Gen. Qassem Soleimani", "Soleimani"),
    entity("United States", "country", "U.S.")],
    events=[event("A U.S. drone strike near Baghdad airport killed Iranian general Qassem Soleimani.", "2020-01-03",
                  actors=["United States"], targets=["Gen. Qassem Soleimani"]),
            event("Iran fired missiles at U.S. bases in Iraq.", "2020-01-08", type="military_action", actors=["Iran"])])
STRIKE_B = document("b", published="2024-07-17", entities=[
    entity("Qasem Soleimani", "person", "Soleimani", "Major General Qasem Soleimani"),
    entity("United States", "country", "Washington")],
    events=[event("The United States killed Major General Qasem Soleimani in a drone strike in Baghdad.", "2020-01",
                  actors=["Washington"], targets=["Soleimani"])])
STRIKE_C = document("c", published="2024-07-18", entities=[entity("Qassim Soleimani", "person", "Soleimani"),
                                                          entity("Trump", "person")],
                    events=[event("Soleimani was killed in a drone strike ordered by Trump.", "2020",
                                  actors=["Trump"], targets=["Qassim Soleimani"])])


# -- events -------------------------------------------------------------------------------------------------

def test_one_event_in_three_articles_at_three_precisions_is_one_entry_with_three_sources() -> None:
    timeline = build_timeline([STRIKE_A, STRIKE_B, STRIKE_C])
    strike = [e for e in timeline["events"] if "drone strike" in e["description"]]
    assert len(strike) == 1
    entry = strike[0]
    assert sources_of(entry) == ["a", "b", "c"]  # the most precise source first: it gives the description
    assert (entry["date"], entry["precision"]) == ("2020-01-03", "day")
    assert entry["description"] == STRIKE_A["summary"]["events"][0]["description"]
    assert [s["precision"] for s in entry["sources"]] == ["day", "month", "year"]
    assert entry["targets"] == ["Qassem Soleimani"]  # three spellings, one entity group
    assert "Qassem Soleimani" in entry["why"] and "3 articles" in entry["why"]
    assert [s["evidence"] for s in entry["sources"]] == [d["summary"]["events"][0]["evidence"]
                                                         for d in (STRIKE_A, STRIKE_B, STRIKE_C)]
    # the other event of article a stays its own entry, after the strike
    missiles = next(e for e in timeline["events"] if "missiles" in e["description"])
    assert sources_of(missiles) == ["a"] and missiles["why"] == "reported by one article"
    assert timeline["events"].index(missiles) > timeline["events"].index(entry)


def test_a_story_told_by_many_articles_sums_up_its_matches_and_a_small_one_lists_them() -> None:
    def told(article_id: str, similar: str) -> dict[str, Any]:
        return document(article_id, entities=[entity("Iran", "country")], events=[
            event(f"Iran seized an oil tanker in the Strait of Hormuz {similar}.", "2024-04-13", actors=["Iran"])])

    many = build_timeline([told(f"n{i:02d}", "today" if i % 2 else "at dawn") for i in range(40)])
    assert len(many["events"]) == 1 and len(many["events"][0]["sources"]) == 40
    why = many["events"][0]["why"]
    assert "40 articles" in why and "over 780 pairs" in why  # every member against every other: 40 x 39 / 2
    low, high = why.split("description similarity ")[1].split(" over")[0].split(" to ")
    assert float(low) < float(high) == 1.0  # the two wordings differ; identical ones are 1.00

    few = build_timeline([told("f1", "today"), told("f2", "today"), told("f3", "at dawn")])
    pairs = few["events"][0]["why"].split("description similarity ")[1]
    assert pairs.count(" / ") == 3 and "f1 / f2 1.00" in pairs  # three pairs, each named


def test_only_entries_of_a_compatible_date_are_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    from summarize.views import timeline as module

    assert module._compatible_dates((2024, 3, 1)) == [(2024,), (2024, 3), (2024, 3, 1), (2024, 2, 29), (2024, 3, 2)]
    assert (2025, 1, 1) in module._compatible_dates((2024, 12, 31))
    assert module._compatible_dates((2023, 2))[:2] == [(2023,), (2023, 2)] and len(module._compatible_dates((2023, 2))) == 30
    assert len(module._compatible_dates((2024,))) == 1 + 12 + 366
    calls = []
    original = module._compare
    monkeypatch.setattr(module, "_compare", lambda a, b: calls.append(1) or original(a, b))
    rng = random.Random(3)
    days = [f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(300)]
    docs = [document(f"d{i:03d}", entities=[entity("Iran", "country")],
                     events=[event(f"Iran and the item {i} story on {day}.", day, actors=["Iran"])])
            for i, day in enumerate(days)]
    timeline = build_timeline(docs)
    assert sum(len(e["sources"]) for e in timeline["events"]) == 300
    # One participant in every event of one year: looking at the year alone made 19,221 comparisons here.
    assert len(calls) < 2_000


def test_same_day_but_unrelated_events_stay_apart() -> None:
    docs = [document("x", entities=[entity("Iran", "country")], events=[
                event("Iran seized an oil tanker in the Strait of Hormuz.", "2024-04-13", actors=["Iran"])]),
            document("y", entities=[entity("Iran", "country")], events=[
                event("Iran launched drones and missiles against Israel.", "2024-04-13", actors=["Iran"],
                      targets=["Israel"])]),
            document("z", entities=[entity("Joe Biden", "person")], events=[
                event("Joe Biden spoke with Benjamin Netanyahu by phone.", "2024-04-13", type="diplomacy",
                      actors=["Joe Biden"])])]
    timeline = build_timeline(docs)
    assert sorted(sources_of(e)[0] for e in timeline["events"]) == ["x", "y", "z"]
    assert all(len(e["sources"]) == 1 for e in timeline["events"])


def test_two_days_apart_is_never_the_same_event_but_one_day_apart_can_be() -> None:
    def strike(doc_id: str, day: str) -> dict:
        return document(doc_id, entities=[entity("Qassem Soleimani", "person", "Soleimani")], events=[
            event("A U.S. drone strike at Baghdad airport killed Qassem Soleimani.", day, targets=["Soleimani"])])

    adjacent = build_timeline([strike("us", "2020-01-02"), strike("iraq", "2020-01-03")])
    assert len(adjacent["events"]) == 1
    assert "one day apart" in adjacent["events"][0]["why"]
    assert adjacent["events"][0]["date"] == "2020-01-02"  # a tie between the two dates: the earlier one
    apart = build_timeline([strike("us", "2020-01-02"), strike("iraq", "2020-01-04")])
    assert len(apart["events"]) == 2
    assert [e["date"] for e in apart["events"]] == ["2020-01-02", "2020-01-04"]


# A~B and B~C, but A and C are unrelated: B mentions both the missile attack and the downed airliner.
CHAIN_ENTITIES = [entity("Iran", "country"), entity("Ain al-Asad", "location"),
                  entity("Islamic Revolutionary Guard Corps", "organization", "IRGC"),
                  entity("Flight PS752", "other", "PS752")]
CHAIN_A = document("chain-a", entities=CHAIN_ENTITIES, events=[event(
    "Iran fired ballistic missiles at the Ain al-Asad air base in Iraq.", "2020-01-08", type="military_action",
    actors=["Iran"], targets=["Ain al-Asad"])])
CHAIN_B = document("chain-b", entities=CHAIN_ENTITIES, events=[event(
    "Iran fired ballistic missiles at Ain al-Asad air base hours before the IRGC shot down Flight PS752 near Tehran.",
    "2020-01-08", type="military_action", actors=["Iran", "IRGC"], targets=["Ain al-Asad", "PS752"])])
CHAIN_C = document("chain-c", entities=CHAIN_ENTITIES, events=[event(
    "The IRGC shot down Flight PS752 near Tehran, killing 176 people.", "2020-01-08", type="military_action",
    actors=["IRGC"], targets=["Flight PS752"])])


def test_merging_does_not_chain_unrelated_events_through_a_third() -> None:
    assert len(build_timeline([CHAIN_A, CHAIN_B])["events"]) == 1  # A ~ B
    assert len(build_timeline([CHAIN_B, CHAIN_C])["events"]) == 1  # B ~ C
    assert len(build_timeline([CHAIN_A, CHAIN_C])["events"]) == 2  # A and C unrelated
    timeline = build_timeline([CHAIN_A, CHAIN_B, CHAIN_C])
    for entry in timeline["events"]:
        assert not {"chain-a", "chain-c"} <= set(sources_of(entry)), entry["why"]
    assert sorted(len(e["sources"]) for e in timeline["events"]) == [1, 2]


def test_undated_events_are_kept_apart_and_merge_only_when_nearly_identical() -> None:
    def doc(doc_id: str, *events: dict) -> dict:
        return document(doc_id, entities=[entity("John Bolton", "person", "Bolton"), entity("Iran", "country")],
                        events=list(events))

    same = "Iran plotted to assassinate former national security adviser John Bolton."
    timeline = build_timeline([
        doc("p", event(same, type="plot", actors=["Iran"], targets=["John Bolton"]),
            event("Iran attacked Bolton's home.", "2022-08", actors=["Iran"], targets=["Bolton"])),
        doc("q", event("Iran plotted to assassinate John Bolton, the former national security adviser.", type="plot",
                       actors=["Iran"], targets=["Bolton"]),
            event("Esper cited an earlier plot against Bolton that was foiled.", type="plot", targets=["Bolton"]))])
    assert [e["date"] for e in timeline["events"]] == ["2022-08"]
    undated = timeline["undated"]
    assert all(e["date"] is None and e["precision"] is None for e in undated)
    assert sorted(len(e["sources"]) for e in undated) == [1, 2]
    merged = next(e for e in undated if len(e["sources"]) == 2)
    assert merged["description"] == same and "undated" in merged["why"]


def test_events_sharing_a_merged_quotation_are_one_statement() -> None:
    text_x = 'The mission denied the plot, calling it "unsubstantiated and malicious" in a statement.'
    text_y = "Iran's mission to the United Nations called the accusations unsubstantiated and malicious."
    mission_x = "Permanent Mission of the Islamic Republic of Iran to the United Nations"
    mission_y = "Iran's mission to the United Nations"
    docs = [
        document("x", text=text_x, entities=[entity(mission_x, "organization")],
                 events=[event("The Permanent Mission denied the assassination plot allegations.", type="statement",
                               actors=[mission_x], evidence=text_x, span=(0, len(text_x)))],
                 quotes=[quote("unsubstantiated and malicious", mission_x, span=(36, 65))]),
        document("y", text=text_y, entities=[entity(mission_y, "organization")],
                 events=[event("Iran's UN mission rejected the accusations.", type="statement", actors=[mission_y],
                               evidence=text_y, span=(0, len(text_y)))],
                 quotes=[quote("unsubstantiated and malicious.", mission_y,
                               span=(text_y.index("unsub"), len(text_y)))]),
    ]
    timeline = build_timeline(docs)
    assert len(timeline["undated"]) == 1
    assert 'same words quoted: "unsubstantiated and malicious"' in timeline["undated"][0]["why"]
    assert len(timeline["speakers"]) == 1
    speaker = timeline["speakers"][0]
    assert speaker["speaker"] == mission_x and speaker["names"] == sorted([mission_x, mission_y])
    assert "credited with the same words" in speaker["why"]


def test_the_same_words_quoted_from_two_speakers_are_cited_once() -> None:
    text = 'The ministry said the talks were "constructive and frank" on Tuesday.'
    start = text.index("constructive")

    def told(article_id: str, speaker: str) -> dict[str, Any]:
        return document(article_id, text=text, entities=[entity(speaker, "organization")],
                        events=[event("The ministry described the talks as constructive.", type="statement",
                                      actors=[speaker], evidence=text, span=(0, len(text)))],
                        quotes=[quote("constructive and frank", speaker, span=(start, start + 22))])

    timeline = build_timeline([told("a1", "Foreign Ministry"), told("a2", "Foreign Ministry"),
                               told("b1", "Defence Ministry"), told("b2", "Defence Ministry")])
    assert len(timeline["speakers"]) == 2  # two speakers: two quotes with the same words
    assert len(timeline["undated"]) == 1
    assert timeline["undated"][0]["why"].count('"constructive and frank"') == 1  # not once per speaker


# -- who said what ------------------------------------------------------------------------------------------

def test_speakers_are_unified_through_aliases_and_titles() -> None:
    docs = [document("d1", entities=[entity("Donald Trump", "person", "Trump")],
                     quotes=[quote("We will respond with force.", "Trump")]),
            document("d2", entities=[entity("Donald Trump", "person")],
                     quotes=[quote("Iran will never have a nuclear weapon.", "President Donald Trump")]),
            document("d3", entities=[entity("Trump", "person")], quotes=[quote("A great deal is possible.", "Trump")]),
            document("d4", entities=[entity("Mark Esper", "person")],
                     quotes=[quote("To me, it's personal as well.", "Esper")])]
    speakers = {s["speaker"]: s for s in build_timeline(docs)["speakers"]}
    assert set(speakers) == {"Donald Trump", "Mark Esper"}
    trump = speakers["Donald Trump"]
    assert trump["names"] == ["President Donald Trump", "Trump"]  # as written by the articles
    assert [q["sources"][0]["article"] for q in trump["quotes"]] == ["d1", "d2", "d3"]
    assert speakers["Mark Esper"]["names"] == ["Esper"]
    assert name_key("Gen. Qassem Soleimani") == name_key("Qassem Soleimani") == "qassem soleimani"
    assert name_key("former President-elect Donald Trump") == "donald trump"


def test_identical_and_contained_quotes_merge_with_all_their_sources() -> None:
    mission = entity("Iran's mission to the United Nations", "organization", "the mission")
    docs = [document("u1", entities=[mission], quotes=[
                quote("Iran has chosen the legal path to bring him to justice.", "the mission"),
                quote("Trump is a criminal who must be prosecuted and punished in a court of law", "the mission")]),
            document("u2", entities=[mission], quotes=[
                quote("“Iran has chosen the legal path to bring him to JUSTICE”",
                      "Iran’s mission to the United Nations"),
                quote("criminal", "Iran’s mission to the United Nations"),
                quote("We will not negotiate under pressure.", "Iran’s mission to the United Nations")])]
    timeline = build_timeline(docs)
    assert len(timeline["speakers"]) == 1
    quotes = timeline["speakers"][0]["quotes"]
    by_text = {q["text"]: q for q in quotes}
    assert len(quotes) == 3
    legal = by_text["Iran has chosen the legal path to bring him to justice."]
    assert [s["article"] for s in legal["sources"]] == ["u1", "u2"] and "identical text in 2 articles" in legal["why"]
    criminal = by_text["Trump is a criminal who must be prosecuted and punished in a court of law"]
    assert [s["text"] for s in criminal["sources"]] == [criminal["text"], "criminal"]
    assert "contained" in criminal["why"]
    assert len(by_text["We will not negotiate under pressure."]["sources"]) == 1
    assert [q["id"] for q in quotes] == [f"q-{n:04d}" for n in range(1, 4)]


def test_a_short_word_contained_in_two_unrelated_quotes_joins_only_one() -> None:
    docs = [document("v1", quotes=[quote("the strike was a criminal act of war", "Iranian officials")]),
            document("v2", quotes=[quote("sanctions are a criminal policy against our people", "Iranian officials")]),
            document("v3", quotes=[quote("criminal", "Iranian officials")])]
    quotes = build_timeline(docs)["speakers"][0]["quotes"]
    assert sorted(len(q["sources"]) for q in quotes) == [1, 2]


# -- order, folders, Markdown, command line ----------------------------------------------------------------

def test_output_does_not_depend_on_the_order_of_documents() -> None:
    docs = [STRIKE_A, STRIKE_B, STRIKE_C, CHAIN_A, CHAIN_B, CHAIN_C]
    expected = json.dumps(build_timeline(docs), sort_keys=True)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = docs[:]
        rng.shuffle(shuffled)
        assert json.dumps(build_timeline(shuffled), sort_keys=True) == expected


def test_markdown_shows_precision_in_headings_coarse_before_fine_then_undated_then_speakers() -> None:
    docs = [STRIKE_B, document("m", entities=[entity("Iran", "country")], events=[
        event("Iran vowed revenge.", "2020", type="threat", actors=["Iran"]),
        event("Iran mourned.", None, type="other", actors=["Iran"])], quotes=[quote("Revenge will come.", "Iran")])]
    md = timeline_markdown(build_timeline(docs))
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings == ["# Timeline", "## 2020", "## January 2020", "## Undated", "# Who said what", "## Iran"]
    assert "  > Iran vowed revenge." in md.replace("    > ", "  > ")
    assert (date_heading("2020-01-03", "day"), date_heading("2020-01", "month"), date_heading("2020", "year"),
            date_heading(None, None)) == ("2020-01-03", "January 2020", "2020", "Undated")


def write_docs(folder: Path, *docs: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (folder / f"{doc['article']['id']}.json").write_text(json.dumps(doc), encoding="utf-8")


def test_a_corrupt_file_is_reported_and_the_others_are_still_read(tmp_path: Path) -> None:
    write_docs(tmp_path, STRIKE_A, STRIKE_B)
    write_docs(tmp_path / "world", STRIKE_C)
    (tmp_path / "broken.json").write_text('{"format": 1, "article": {"id": "bro', encoding="utf-8")
    (tmp_path / "bad-summary.json").write_text(json.dumps({**STRIKE_A, "summary": {"events": "oops"}}))
    (tmp_path / "prices.json").write_text('{"gpt-4o-mini": [0.15, 0.6]}', encoding="utf-8")
    (tmp_path / "ledger.jsonl").write_text('{"article": "a", "status": "done"}\n', encoding="utf-8")
    skipped: list[SkippedFile] = []
    docs = list(load_documents(tmp_path, on_skip=skipped.append))
    assert [d["article"]["id"] for d in docs] == ["a", "b", "c"]
    assert {(s.path.name, s.corrupt) for s in skipped} == {("broken.json", True), ("bad-summary.json", True),
                                                          ("prices.json", False)}
    assert "cannot be read as JSON" in next(s.reason for s in skipped if s.path.name == "broken.json")
    with pytest.warns(UserWarning) as caught:  # without on_skip: one warning a file
        assert len(list(load_documents(tmp_path))) == 3
    assert sorted(Path(str(w.message).split(": ")[0]).name for w in caught) == ["bad-summary.json", "broken.json",
                                                                                "prices.json"]
    with pytest.raises(ArticleError, match="summarize run"):
        list(load_documents(tmp_path / "missing"))


def test_cli_writes_json_that_parses_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    write_docs(out, STRIKE_A, STRIKE_B, STRIKE_C)
    assert main(["timeline", str(out), "--json", str(tmp_path / "t.json"), "--markdown", str(tmp_path / "t.md")]) == 0
    assert "3 articles" in capsys.readouterr().out
    data = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert data["format"] == FORMAT and [a["id"] for a in data["articles"]] == ["a", "b", "c"]
    assert data == json.loads(json.dumps(build_timeline(load_documents(out))))
    assert (tmp_path / "t.md").read_text(encoding="utf-8") == timeline_markdown(data)
    # the timeline written into the folder itself is not read back as a summary
    assert main(["timeline", str(out), "--json", str(out / "timeline.json")]) == 0
    capsys.readouterr()
    assert main(["timeline", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("# Timeline") and "## 2020-01-03" in captured.out and captured.err == ""
    (out / "zz.json").write_text("not json", encoding="utf-8")
    assert main(["timeline", str(out), "--markdown", str(tmp_path / "t2.md")]) == 1
    assert "zz.json" in capsys.readouterr().err and (tmp_path / "t2.md").exists()
    assert main(["timeline", str(tmp_path / "nowhere")]) == 2
    (tmp_path / "empty").mkdir()
    (tmp_path / "t.json").rename(tmp_path / "empty" / "t.json")
    assert main(["timeline", str(tmp_path / "empty")]) == 2  # no summaries at all: t.json is a timeline
    assert "no summaries" in capsys.readouterr().err


# -- the seed articles, replayed ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_timeline(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("seed-summaries")
    report = Summarizer(fixtures=FIXTURES, mode="replay").summarize_folder(ROOT / "seeds", out)
    assert report.ok and report.total == 5
    docs = list(load_documents(out))
    timeline = build_timeline(docs)
    assert json.dumps(build_timeline(docs[::-1])) == json.dumps(timeline)
    return timeline


def test_seeds_the_soleimani_strike_is_one_entry_citing_three_articles(seed_timeline: dict) -> None:
    strikes = [e for e in seed_timeline["events"]
               if e["event_type"] == "attack" and any("Soleimani" in t for t in e["targets"])]
    assert len(strikes) == 1
    assert len(strikes[0]["sources"]) == 3 and strikes[0]["date"].startswith("2020")
    # the shooting in Butler, also an attack on the same person's side of the story, stays alone
    butler = next(e for e in seed_timeline["events"] if e["date"] == "2024-07-13")
    assert len(butler["sources"]) == 1


def test_seeds_the_un_mission_quotes_are_merged_across_outlets(seed_timeline: dict) -> None:
    mission = next(s for s in seed_timeline["speakers"] if "United Nations" in s["speaker"])
    assert len(mission["names"]) == 2  # "Permanent Mission of ..." and "Iran’s mission to the United Nations"
    repeated = [q for q in mission["quotes"] if len({s["article"] for s in q["sources"]}) == 2]
    assert {q["text"].rstrip(".") for q in repeated} >= {"unsubstantiated and malicious",
                                                         "Iran has chosen the legal path to bring him to justice"}
