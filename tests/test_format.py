"""The display helpers of edgelab.tables: units in headers, three significant figures, full text."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.record import Recorder
from edgelab.tables import (
    FormattedTable,
    column_scale,
    fmt_bytes,
    fmt_number,
    fmt_seconds,
    fmt_share,
    fmt_si,
    format_table,
    infer_unit,
)

_PREFIX = {"f": 1e-15, "p": 1e-12, "n": 1e-9, "µ": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3,
           "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}


def _parse_si(text: str, unit: str) -> float:
    m = re.fullmatch(rf"(-?[\d,]+(?:\.\d+)?) ([fpnµmkMGTPE]?){re.escape(unit)}", text)
    assert m, text
    return float(m.group(1).replace(",", "")) * _PREFIX[m.group(2)]


def _digits(text: str) -> int:
    """Significant digits of a printed mantissa."""
    d = text.split(" ")[0].replace(",", "").replace("-", "").replace(".", "").lstrip("0")
    return len(d)


def test_scalar_examples():
    assert fmt_bytes(618_348) == "618 kB"
    assert fmt_bytes(154_587) == "155 kB"
    assert fmt_bytes(6.183480e9) == "6.18 GB"
    assert fmt_bytes(999.6) == "1.00 kB"  # rounding carries into the next prefix
    assert fmt_bytes(12) == "12 B"
    assert fmt_seconds(13634.103633) == "3.79 h"
    assert fmt_seconds(0.0123) == "12.3 ms"
    assert fmt_seconds(119) == "119 s"
    assert fmt_seconds(120) == "2.00 min"
    assert fmt_seconds(3e-7) == "300 ns"
    assert fmt_si(0.0123, "J") == "12.3 mJ"
    assert fmt_si(724e6, "MACs") == "724 MMACs"
    assert fmt_share(0.0123) == "1.23 %"
    assert fmt_share(1.0) == "100 %"
    assert fmt_number(12345.6) == "12,300"
    assert fmt_number(0.000123456) == "0.000123"
    assert fmt_number(1.0) == "1.00"
    assert fmt_number(float("nan")) == "–"
    assert fmt_number(float("inf")) == "∞"
    assert fmt_seconds(None) == "–"


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=1e-14, max_value=1e20, allow_nan=False, allow_infinity=False),
       st.sampled_from([-1.0, 1.0]))
def test_fmt_si_is_three_figures_and_close(x, sign):
    v = sign * x
    text = fmt_bytes(v)
    assert "e" not in text.split(" ")[0]
    back = _parse_si(text, "B")
    assert math.isclose(back, v, rel_tol=5e-3), (v, text)
    assert _digits(text) <= 3 or float(text.split(" ")[0].replace(",", "")) == int(abs(v))


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=1e-12, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_fmt_seconds_round_trip(x):
    text = fmt_seconds(x)
    num, unit = text.split(" ")
    size = {"min": 60.0, "h": 3600.0, "d": 86400.0}.get(unit)
    value = float(num.replace(",", "")) * (size if size else _PREFIX[unit[:-1]])
    assert math.isclose(value, x, rel_tol=5e-3), (x, text)
    assert "e" not in num


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_fmt_number_never_scientific(x):
    text = fmt_number(x)
    assert "e" not in text and "E" not in text
    if x != 0:
        assert math.isclose(float(text.replace(",", "")), x, rel_tol=5e-3, abs_tol=1e-300)


def test_bad_arguments():
    with pytest.raises(ValueError, match="sig must be an integer"):
        fmt_number(1.0, sig=0)
    with pytest.raises(ValueError, match="value must be a real number"):
        fmt_si("12")
    with pytest.raises(ValueError, match="units: no column"):
        format_table(pd.DataFrame({"a": [1]}), units={"b": "s"})
    with pytest.raises(ValueError, match="text_columns: no column"):
        format_table(pd.DataFrame({"a": [1]}), text_columns=["b"])
    with pytest.raises(ValueError, match="df must be a pandas DataFrame"):
        format_table([1, 2])


def test_infer_unit():
    assert infer_unit("latency_s") == ("latency", "s", 1.0)
    assert infer_unit("mem_gb") == ("mem", "B", 1e9)
    assert infer_unit("uplink_bytes") == ("uplink", "B", 1.0)
    assert infer_unit("local_share") == ("local", "share", 1.0)
    assert infer_unit("macs") == ("macs", "MACs", 1.0)
    assert infer_unit("bandwidth_mbps") == ("bandwidth", "bit/s", 1e6)
    assert infer_unit("split") is None
    assert column_scale([0.001, 0.002, 0.5], "s") == ("ms", 1e-3)
    assert column_scale([3e9, 6e9], "B") == ("GB", 1e9)
    assert column_scale([0.2], "share") == ("%", 0.01)
    assert column_scale([5.0], "x") == ("x", 1.0)


def test_format_table_headers_and_cells():
    claim = "Edge intelligence " * 6  # longer than pandas' 50-character cut
    df = pd.DataFrame({
        "level": ["CI", "L1"], "split": [3, 22], "infer_latency_s": [0.0123, 1.5],
        "uplink_bytes": [6.183480e9, 154_587], "mem_gb": [3.2e-4, 8.0],
        "local_share": [0.012, 0.5], "claim": [claim, "short"], "speedup": [1.234, 12.5]})
    t = format_table(df, units={"speedup": "x"})
    assert isinstance(t, FormattedTable)
    assert list(t.frame.columns) == ["level", "split", "infer latency (ms)", "uplink (GB)",
                                     "mem (GB)", "local (%)", "claim", "speedup (x)"]
    assert t.frame["split"].tolist() == ["3", "22"]  # integers without a unit stay exact
    assert t.frame["infer latency (ms)"].tolist() == ["12.3", "1,500"]
    assert t.frame["uplink (GB)"].tolist() == ["6.18", "0.000155"]
    assert t.frame["local (%)"].tolist() == ["1.20", "50.0"]
    assert t.frame["speedup (x)"].tolist() == ["1.23", "12.5"]
    text = str(t)
    assert claim in text and "e+" not in text and "..." not in text
    html = t._repr_html_()
    assert claim.strip() in html and "uplink (GB)" in html
    assert t.raw is df  # the numbers are kept
    # deterministic: the same frame gives the same text and HTML
    again = format_table(df, units={"speedup": "x"})
    assert str(again) == text and again.to_html() == html


def test_format_table_options():
    df = pd.DataFrame({"t": [1e-6, 2e-6], "n": [1_234_567, 2], "f": [np.nan, 2.5e7]},
                      index=pd.Index(["a", "b"], name="row"))
    t = format_table(df, units={"t": "s"}, labels={"n": "count"})
    assert list(t.frame.columns) == ["t (µs)", "count", "f"]
    assert t.frame["count"].tolist() == ["1,234,567", "2"]
    assert t.frame["f"].tolist() == ["–", "25.0 M"]
    assert t.index and "row" in str(t)
    gb = format_table(pd.DataFrame({"ram": [0.5, 4.0]}), units={"ram": ("B", 1e9)})
    assert gb.frame.columns[0] == "ram (GB)"
    none = format_table(pd.DataFrame({"latency_s": [0.5]}), infer=False)
    assert none.frame.columns[0] == "latency_s" and none.frame.iloc[0, 0] == "0.500"
    series = format_table(pd.Series([1.0, 2.0], name="energy_j"))
    assert series.frame.columns[0] == "energy (J)"


def test_recorder_writes_raw_numbers(tmp_path):
    df = pd.DataFrame({"latency_s": [0.0123456789], "uplink_bytes": [618_348]})
    rec = Recorder("99_format", out_dir=tmp_path)
    path = rec.table("t", format_table(df))  # a formatted table records its raw numbers
    text = path.read_text()
    assert text.splitlines()[0] == "latency_s,uplink_bytes"
    assert "618348" in text and "0.0123456789" in text


def test_catalog_unit_conventions():
    from edgelab.tables import infer_unit

    assert infer_unit("mem_bw_gbps") == ("mem_bw", "B/s", 1e9)  # GB/s, as data/CATALOG.md says
    assert infer_unit("uplink_mbps") == ("uplink", "bit/s", 1e6)
    assert infer_unit("peak_int8_gops") == ("peak_int8", "OP/s", 1e9)
