"""The language model restricted to our languages, kept uncompressed in a per-user cache.

py3langid ships its model LZMA-compressed: unpacking it takes a good part of a second
(docs/performance.md), which every process that detects a language paid again (`stdnews extract` on
one page, each normalization worker). The first load restricts the model to our languages and writes
the arrays it then uses (the tokenizer's table most of it) as an uncompressed .npz in
$XDG_CACHE_HOME/stdnews (default ~/.cache/stdnews), named after the packaged model's size and time
and the languages, so that a new py3langid or another language list writes a new file. Later loads
read that file. Without a writable cache folder the model is unpacked every time, as before.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from array import array
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

FORMAT = 1  # bump when the cached arrays change


def cache_file(languages: list[str]) -> Path:
    model = MODEL_DIR / MODEL_FILE
    stat = model.stat()
    key = f"{FORMAT} {model} {stat.st_size} {stat.st_mtime_ns} {' '.join(languages)}"
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stdnews"
    return folder / f"langid-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz"


def load(languages: list[str]) -> LanguageIdentifier:
    """py3langid's identifier (probabilities normalized) restricted to `languages`."""
    path = cache_file(languages)
    try:
        return from_cache(path)
    except (OSError, ValueError, KeyError):  # not written yet, or unreadable: unpack the model
        pass
    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(languages)
    save(identifier, path)
    return identifier


def from_cache(path: Path) -> LanguageIdentifier:
    with np.load(path, allow_pickle=False) as data:
        return LanguageIdentifier(
            data["ptc"],
            data["pc"],
            data["classes"].tolist(),
            _read_array(data, "nextmove"),
            data["out_feat"].tolist(),
            norm_probs=True,
            tk_row=_read_array(data, "nextmove_row"),
        )


def save(identifier: LanguageIdentifier, path: Path) -> None:
    """Best effort, written whole or not at all (several processes may load at once)."""
    arrays = {
        "ptc": np.asarray(identifier.nb_ptc),
        "pc": np.asarray(identifier.nb_pc),
        "classes": np.array(identifier.nb_classes),
        "nextmove": _unsigned(identifier.tk_nextmove),
        "nextmove_row": _unsigned(identifier.tk_row),
        "out_feat": np.asarray(identifier.tk_output, dtype=np.int32),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


# The tokenizer's tables are stdlib arrays of unsigned ints (as py3langid builds them).
TYPECODES = {2: "H", 4: "I", 8: "L"}


def _unsigned(values: array) -> np.ndarray:
    return np.frombuffer(values, dtype=f"u{values.itemsize}")


# Read a megabyte at a time: the tokenizer's table read whole, then copied into its
# array, took a process that loads the model to three times its size for a moment.
CHUNK = 2**20


def _read_array(data, name: str) -> array:
    """A member of the .npz as a stdlib array of unsigned ints, read in chunks."""
    with data.zip.open(f"{name}.npy") as member:
        version = np.lib.format.read_magic(member)
        read_header = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }[version]
        _, _, dtype = read_header(member)
        out = array(TYPECODES[dtype.itemsize])
        while chunk := member.read(CHUNK):
            out.frombytes(chunk)
    return out
