"""Format detection by content, folder expansion and a clear refusal of unknown files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from importers import registry
from importers.base import ImportFormatError
from importers.run import plan, run_import

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
REALDATA = ROOT.parent / "shared" / "realdata"


def test_detects_each_format(tmp_path: Path) -> None:
    imp = FIXTURES / "import"
    assert registry.detect(imp / "articles.jsonl") == "jsonl"
    assert registry.detect(imp / "canonical.csv") == "csv"
    assert registry.detect(imp / "canonical.tsv") == "tsv"
    assert registry.detect(imp / "bom.csv") == "csv"
    parquet = tmp_path / "no-suffix"
    pq.write_table(pa.table({"title": ["x"]}), parquet)
    assert registry.detect(parquet) == "parquet"
    gz = tmp_path / "corpus.data"
    gz.write_bytes(gzip.compress((imp / "articles.jsonl").read_bytes()))
    assert registry.detect(gz) == "jsonl"
    assert registry.detect(FIXTURES / "gdelt" / "gkg21_nasty.tsv") == "gdelt-gkg"
    assert registry.detect(FIXTURES / "gdelt" / "gkg10.tsv") == "gdelt-gkg"
    doc = next((FIXTURES / "gdelt" / "doc").rglob("*.csv"))
    assert registry.detect(doc) == "gdelt-doc"


def test_detection_goes_by_content_not_name(tmp_path: Path) -> None:
    src = tmp_path / "really-jsonl.csv"
    src.write_text('{"title": "x", "published": "2020-01-01"}\n')
    assert registry.detect(src) == "jsonl"


@pytest.mark.parametrize("content", [b"", b"just some words\n", b"\x00\x01\x02\xff\xfe"])
def test_undecidable_file_lists_the_formats(tmp_path: Path, content: bytes) -> None:
    src = tmp_path / "mystery.bin"
    src.write_bytes(content)
    with pytest.raises(ImportFormatError) as info:
        registry.detect(src)
    message = str(info.value)
    assert str(src) in message and "--format" in message
    for name in registry.FORMAT_NAMES:
        assert name in message


def test_folder_is_searched_recursively(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jsonl").write_text('{"id": "1", "title": "a", "published": "2020-01-01"}\n')
    (folder / "sub" / "b.jsonl").write_text(
        '{"id": "2", "title": "b", "published": "2020-01-02"}\n'
    )
    (folder / "sub" / "c.csv").write_text("id,title,published\n3,c,2020-01-03\n")
    (folder / "notes.txt").write_text("nothing to import here\n")
    (folder / ".hidden.jsonl").write_text("{broken\n")
    files = plan([folder], "jsonl").files
    assert [p.name for p, _ in files] == ["a.jsonl", "b.jsonl"]
    everything = plan([folder]).files
    assert sorted((p.name, f) for p, f in everything) == [
        ("a.jsonl", "jsonl"), ("b.jsonl", "jsonl"), ("c.csv", "csv")]
    result = run_import([folder], tmp_path / "t.duckdb")
    assert (result.new, len(result.files)) == (3, 3)


def test_folder_without_matching_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hello\n")
    with pytest.raises(ImportFormatError, match="folder holds no parquet files"):
        plan([tmp_path], "parquet")
    with pytest.raises(ImportFormatError, match="no such file or folder"):
        plan([tmp_path / "missing.jsonl"])


@pytest.mark.skipif(not REALDATA.exists(), reason="../shared/realdata is not present")
def test_real_gdelt_files_are_detected() -> None:
    assert registry.detect(REALDATA / "gdelt-gkg" / "gkg.csv") == "gdelt-gkg"
    assert registry.detect(REALDATA / "gdelt-gkg" / "gkg1.csv") == "gdelt-gkg"
    files = plan([REALDATA / "gdelt-doc" / "migration"], "auto").files
    assert files and {f for _, f in files} == {"gdelt-doc"}


def test_zip_of_one_gkg_file_is_gkg(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "20200318104500.gkg.csv.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIXTURES / "gdelt" / "gkg21_nasty.tsv", "20200318104500.gkg.csv")
    assert registry.detect(archive) == "gdelt-gkg"
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("a.jsonl", '{"title": "x", "published": "2020-01-01"}\n')
    with pytest.raises(ImportFormatError, match="cannot tell the format"):
        registry.detect(other)
