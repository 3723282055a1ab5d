"""Respondent turns -> segments: sentence groups about one thing, for theme finding."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import pandas as pd

SEGMENT_COLUMNS = ["interview_id", "turn_index", "segment_index", "char_start", "char_end", "text", "language"]

# Fewer words than this and a sentence rarely carries a theme on its own ("Yes.", "Right, so.").
MIN_WORDS = 8


@lru_cache(maxsize=None)
def _sentencizer(lang: str):
    """A blank spaCy pipeline with the rule-based sentencizer; no model download."""
    import spacy

    try:
        nlp = spacy.blank(lang)
    except (ImportError, KeyError, ValueError):
        # spaCy has no tokenizer rules for this code: English punctuation rules still split sentences.
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def _word_count(text: str) -> int:
    return len(text.split())


def sentence_spans(text: str, lang: str = "en") -> list[tuple[int, int]]:
    """(char_start, char_end) of each sentence in ``text``, whitespace trimmed."""
    if not text or not text.strip():
        return []
    doc = _sentencizer(lang or "en")(text)
    spans = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def group_sentences(text: str, spans: list[tuple[int, int]], min_words: int = MIN_WORDS) -> list[tuple[int, int]]:
    """Merge short sentences into a neighbour so every group has at least ``min_words`` words."""
    groups: list[list[int]] = []
    current: list[int] | None = None
    for start, end in spans:
        if current is None:
            current = [start, end]
        else:
            current[1] = end
        if _word_count(text[current[0] : current[1]]) >= min_words:
            groups.append(current)
            current = None
    if current is not None:
        # A short tail belongs to what came before it ("... that was the problem. Yes.").
        if groups:
            groups[-1][1] = current[1]
        else:
            groups.append(current)
    return [(s, e) for s, e in groups]


def segment_turns(
    turns: pd.DataFrame, languages: Mapping[str, str], min_words: int = MIN_WORDS
) -> pd.DataFrame:
    """Split respondent turns into segments (sentence groups) with offsets into each turn's text."""
    rows = []
    if len(turns):
        respondent = turns[turns["role"] == "respondent"]
        for interview_id, turn_index, text in zip(
            respondent["interview_id"], respondent["turn_index"], respondent["text"]
        ):
            if not isinstance(text, str):
                continue
            lang = languages.get(interview_id)
            lang = lang if isinstance(lang, str) and lang else "en"  # NaN from a metadata column counts as unknown
            spans = group_sentences(text, sentence_spans(text, lang), min_words)
            for i, (start, end) in enumerate(spans):
                rows.append((str(interview_id), int(turn_index), i, start, end, text[start:end], lang))
    frame = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    return frame.astype(
        {"interview_id": str, "turn_index": "int64", "segment_index": "int64", "char_start": "int64",
         "char_end": "int64"}
    )
