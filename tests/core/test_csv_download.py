"""The CSV downloads' one writer: a header, then a line per row read only when asked for."""

from core.web.csv_download import csv_download, csv_stream


def test_lines_come_one_row_at_a_time_with_none_as_an_empty_cell():
    read: list[int] = []

    def rows():
        for n in range(3):
            read.append(n)
            yield (n, None, "a,b")

    lines = csv_stream(["n", "empty", "text"], rows())
    assert next(lines) == "n,empty,text\r\n" and read == []
    assert next(lines) == '0,,"a,b"\r\n' and read == [0]
    assert list(lines) == ['1,,"a,b"\r\n', '2,,"a,b"\r\n']


def test_the_download_is_an_attachment_named_as_asked():
    response = csv_download(csv_stream(["a"], [[1]]), "totals.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="totals.csv"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"a\r\n1\r\n"


def test_text_a_spreadsheet_would_read_as_a_formula_gets_a_quote_in_front():
    cells = ["=1+1", "+33 1", "-2", "@SUM(A1)", "\tx", "\rx", "a=b", "", None, -2, 1.5]
    lines = list(csv_stream(["cell"] * len(cells), [cells]))
    assert lines[1] == "'=1+1,'+33 1,'-2,'@SUM(A1),'\tx,\"'\rx\",a=b,,,-2,1.5\r\n"
