"""The pure bounds of palermo.core.limits: zip directory checks, row and cell guard, documents."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.core.limits import (
    MB,
    ImportLimits,
    LimitExceeded,
    RowGuard,
    check_size,
    check_structure,
    check_zip,
)


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_size():
    check_size(10, ImportLimits(max_bytes=10))
    with pytest.raises(LimitExceeded) as exc:
        check_size(11, ImportLimits(max_bytes=10))
    assert exc.value.code == "file_too_large"


def test_zip_total_unpacked_size_counts_every_member():
    data = _zip({f"m{i}.xml": b"x" * 600_000 for i in range(4)}, zipfile.ZIP_STORED)
    check_zip(data, ImportLimits(max_unpacked_bytes=3 * MB))
    with pytest.raises(LimitExceeded) as exc:
        check_zip(data, ImportLimits(max_unpacked_bytes=2 * MB))
    assert exc.value.code == "unpacked_too_large"


def test_zip_ratio_of_one_member_and_the_floor_for_small_ones():
    bomb = _zip({"sheet.xml": b"<r/>" * (1 * MB)})  # 4 MB of one tag: compresses > 500:1
    with pytest.raises(LimitExceeded) as exc:
        check_zip(bomb, ImportLimits(max_ratio=100))
    assert exc.value.code == "member_ratio"
    small = _zip({"styles.xml": b"<r/>" * 10_000})  # 40 KB, same ratio, harmless
    check_zip(small, ImportLimits(max_ratio=100))


def test_zip_member_count_and_non_zips():
    with pytest.raises(LimitExceeded) as exc:
        check_zip(_zip({f"{i}": b"" for i in range(11)}), ImportLimits(max_members=10))
    assert exc.value.code == "too_many_members"
    with pytest.raises(LimitExceeded) as exc:
        check_zip(b"PK but not really", ImportLimits())
    assert exc.value.code == "not_a_zip"


def test_zip_check_leaves_a_file_object_where_it_was():
    fh = io.BytesIO(_zip({"a": b"1"}))
    fh.seek(0)
    check_zip(fh)
    assert fh.tell() == 0


def test_declared_sizes_bound_what_zipfile_returns():
    """Why the directory check is enough: a member whose header claims less than it holds is cut
    at the declared size and then fails its CRC, in Python's zipfile."""
    data = bytearray(_zip({"a.xml": b"A" * 10_000}, zipfile.ZIP_STORED))
    z = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = z.infolist()[0]
    # patch the declared size (central directory and local header) down to 100 bytes
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    data[22:26] = (100).to_bytes(4, "little")
    lied = zipfile.ZipFile(io.BytesIO(bytes(data)))
    assert lied.infolist()[0].file_size == 100 < info.file_size
    with pytest.raises(zipfile.BadZipFile), lied.open("a.xml") as fh:
        assert len(fh.read()) <= 100


def test_row_guard_counts_rows_and_measures_cells():
    guard = RowGuard(ImportLimits(max_rows=3, max_cell_chars=5, max_columns=3))
    guard.row(2, ["abc", None, 12345678])  # numbers are not text cells
    with pytest.raises(LimitExceeded) as exc:
        guard.row(3, ["abcdef"], ["prs_FirstName"])
    assert exc.value.code == "cell_too_long" and exc.value.params["column"] == "prs_FirstName"
    assert "abcdef" not in exc.value.message()  # never the content
    guard.row(4, ["ok"])
    with pytest.raises(LimitExceeded) as exc:
        guard.row(5, ["ok"])
    assert exc.value.code == "too_many_rows"
    with pytest.raises(LimitExceeded) as exc:
        RowGuard(ImportLimits(max_columns=3)).row(1, [None] * 4)
    assert exc.value.code == "too_many_columns"


def test_structure_stops_an_alias_bomb_early():
    level: list = ["x"] * 10
    for _ in range(9):  # 10**10 values if expanded
        level = [level] * 10
    with pytest.raises(LimitExceeded) as exc:
        check_structure({"a": level}, ImportLimits(max_rows=500))
    assert exc.value.code == "too_many_values"


@given(
    st.recursive(
        st.text(max_size=5) | st.integers(),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
        max_leaves=30,
    )
)
def test_small_documents_pass(document):
    check_structure(document, ImportLimits(max_rows=10_000, max_cell_chars=10))
