"""Wrong file, not wrong rows: what the file is and what to do, before any CSV parsing.

Each class (compression, encoding, file type) is made with the real tool or codec from a good
generated file, and the message must name the file, what it is and the command that fixes it.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from pathlib import Path

import pytest

from l6pipeline.rossmann import RawDataError
from l6pipeline.rossmann.raw.csv_files import check_raw_file, read_raw_csv


def rejection(path: Path) -> str:
    with pytest.raises(RawDataError) as caught:
        read_raw_csv(path)
    assert "\n" not in str(caught.value)  # one paragraph
    return str(caught.value)


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("train.csv", data)
    return buffer.getvalue()


COMPRESSIONS = [
    ("gzip", gzip.compress, "gzip-compressed", "gunzip -k {p}.gz"),
    ("bzip2", bz2.compress, "bzip2-compressed", "bunzip2 -k {p}.bz2"),
    ("xz", lzma.compress, "xz-compressed", "unxz -k {p}.xz"),
    ("zip", _zip, "a zip archive (or an .xlsx workbook)", "unzip -l {p}"),
]


@pytest.mark.parametrize(
    ("compress", "kind", "command"),
    [case[1:] for case in COMPRESSIONS],
    ids=[case[0] for case in COMPRESSIONS],
)
def test_a_compressed_file_is_named_with_the_command_that_fixes_it(
    raw_csv_dir, monkeypatch, compress, kind, command
):
    monkeypatch.chdir(raw_csv_dir)  # paths are shown relative to the project
    path = raw_csv_dir / "train.csv"
    path.write_bytes(compress(path.read_bytes()))
    message = rejection(path)
    assert message.startswith(f"train.csv is {kind}, but a plain CSV text file (UTF-8) is expected")
    assert command.format(p="train.csv") in message
    assert "point the catalog at a CSV text file" in message
    assert str(raw_csv_dir) not in message


@pytest.mark.parametrize(
    ("codec", "encoding"),
    [
        ("utf-16", "UTF-16"),  # Python writes a byte order mark
        ("utf-32", "UTF-32"),
        ("utf-16-le", "UTF-16LE"),  # no byte order mark
        ("utf-16-be", "UTF-16BE"),
    ],
)
def test_utf16_and_utf32_files_are_named_with_their_encoding(raw_csv_dir, codec, encoding):
    path = raw_csv_dir / "state_names.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode(codec))
    message = rejection(path)
    assert message.startswith(f"state_names.csv is {encoding} text")
    assert f"iconv -f {encoding} -t UTF-8" in message


def test_latin1_bytes_are_located_by_line_and_column(raw_csv_dir):
    path = raw_csv_dir / "state_names.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    row = lines.index("Thueringen,TH")
    lines[row] = "Thüringen,TH"  # typed in a Latin-1 editor
    path.write_bytes("\n".join(lines).encode("latin-1"))
    message = rejection(path)
    assert message.startswith("state_names.csv is not UTF-8 text")
    assert (
        f"line {row + 1}, column 'StateName' holds the byte b'\\xfc' in 'Thüringen,TH'" in message
    )
    assert "Latin-1" in message and "iconv -f WINDOWS-1252 -t UTF-8" in message


def test_utf8_text_with_accents_passes(raw_csv_dir):
    path = raw_csv_dir / "state_names.csv"
    path.write_text(path.read_text().replace("Thueringen", "Thüringen"), encoding="utf-8")
    assert "Thüringen" in set(read_raw_csv(path)["StateName"])


def test_a_directory_where_the_file_should_be(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "data" / "weather.csv"
    folder.mkdir(parents=True)
    (folder / "weather.csv").write_text("file,Date\n")
    message = rejection(folder)
    assert message == (
        "weather.csv: data/weather.csv is a directory, but a CSV file is expected: point the "
        "catalog's filepath at the CSV file itself (data/weather.csv/weather.csv is there)."
    )


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_an_empty_file_says_how_to_get_it_again(tmp_path, content):
    (tmp_path / "store.csv").write_bytes(content)
    message = rejection(tmp_path / "store.csv")
    assert message.startswith("store.csv: the file is empty (")
    assert f"{len(content)} bytes" in message and "copy or download it again" in message


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"PAR1\x15\x04", "a Parquet file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel .xls workbook"),
        (b"\x7fELF\x02\x01\x01\x00\x00", "a binary file (it holds NUL bytes)"),
    ],
)
def test_other_binary_files_are_named(tmp_path, head, kind):
    path = tmp_path / "test.csv"
    path.write_bytes(head + bytes(range(256)) * 4)
    assert rejection(path).startswith(f"test.csv is {kind}, but a plain CSV text file")


def test_a_header_starting_like_bzip2_is_still_text(tmp_path):
    """Only ``BZh`` and a block-size digit mark bzip2: a column may start with ``BZh``."""
    path = tmp_path / "store_states.csv"
    path.write_bytes(b"BZhStore,State\n1,BE\n")
    assert check_raw_file(path) == path.read_bytes()
