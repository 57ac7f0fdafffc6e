"""The Spark engine on local[2] gives exactly the local engine's records on the development set.

Needs Java: skipped without it, except where SPINEFX_REQUIRE_SPARK=1 (CI), where a missing
Java fails the test. One Spark job for the whole module, to keep it short.
"""

import os
import shutil
from pathlib import Path

import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest

from spinefx.cli import run

DEV = Path(__file__).resolve().parent.parent / "data" / "casefind_dev.jsonl"
TEXT = ["--text-column", "findings", "--text-column", "impression", "--patient-column", "patient"]


@pytest.fixture(scope="module")
def spark_conf(tmp_path_factory):
    if shutil.which("java") is None:
        if os.environ.get("SPINEFX_REQUIRE_SPARK") == "1":
            pytest.fail("SPINEFX_REQUIRE_SPARK=1 but no java on PATH: install default-jre-headless")
        pytest.skip("no Java: the Spark engine cannot run here")
    base = tmp_path_factory.mktemp("spark")
    return base, {
        "spark.local.dir": str(base / "local"),
        "spark.sql.warehouse.dir": str(base / "warehouse"),
        "spark.default.parallelism": "2",
    }


def test_spark_on_local_2_equals_the_local_engine(spark_conf, tmp_path, monkeypatch):
    from spinefx.casefind.reports import open_reports
    from spinefx.casefind.spark import run_spark

    base, conf = spark_conf
    monkeypatch.chdir(base)  # anything Spark leaves in the working folder stays under tmp
    src = tmp_path / "dev.parquet"
    pq.write_table(pj.read_json(DEV), src)
    local_out = tmp_path / "local.parquet"
    assert run(["casefind", str(src), "--out", str(local_out), *TEXT, "--quiet"]) == 0
    spark_out = tmp_path / "spark.parquet"
    source = open_reports(src, "id", ["findings", "impression"], "patient")
    assert (
        run_spark(source, spark_out, master="local[2]", conf=conf) == pq.read_metadata(src).num_rows
    )
    local = sorted(pq.read_table(local_out).to_pylist(), key=lambda r: r["id"])
    spark = sorted(pq.read_table(spark_out).to_pylist(), key=lambda r: r["id"])
    assert len(spark) == len(local) > 0
    assert spark == local
    assert not list(tmp_path.glob(".*.tmp"))  # the temp folder was renamed, nothing left


def test_spark_wants_a_parquet_out(tmp_path, capsys):
    src = tmp_path / "r.jsonl"
    src.write_text('{"id": "1", "text": "No fracture."}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(["casefind", str(src), "--out", str(out), "--engine", "spark"]) == 2
    assert "error: --out" in capsys.readouterr().err
