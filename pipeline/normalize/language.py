"""Language of the body text (not of the page chrome or the URL)."""

from __future__ import annotations

from array import array

from py3langid.langid import LanguageIdentifier

from pipeline.normalize import langmodel

# The languages these sources publish in, plus neighbours a short text could be mistaken for.
LANGUAGES = ["en", "fr", "es", "ru", "de", "it", "pt", "nl", "zh", "ja", "ar"]
_identifier: LanguageIdentifier | None = None


def _model() -> LanguageIdentifier:
    global _identifier
    if _identifier is None:
        _identifier = langmodel.load(LANGUAGES)  # unpacked once, then from a cache file
        # The model for all 97 languages stays referenced for a later set_languages(), which we
        # never call: dropping it frees most of its memory in every process that detects a language.
        _identifier._full_model = None
        # The tokenizer's row offsets and outputs, one per state (104,583), as Python lists of
        # ints cost two memory reads per byte of text each (pointer, then int object): as
        # arrays, one. The same values, faster when the model is out of cache (which it is
        # between pages) and smaller (docs/performance.md).
        _identifier._rowbase = array("I", _identifier._rowbase)
        _identifier.tk_output = array("i", _identifier.tk_output)
    return _identifier


def detect(text: str, fallback: str | None = None) -> str | None:
    """ISO 639-1 code of the text's language; `fallback` when the text is too short to tell."""
    sample = " ".join(text[:1500].split())[:600]  # enough to tell; the cost grows with length
    if len(sample) < 40:
        return fallback
    language, probability = _model().classify(sample)
    return language if probability >= 0.5 else fallback
