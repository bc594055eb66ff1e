# Writes mmlu_sample.parquet, the fixture of TestReadParquetFixture (run with pyarrow 26
# installed, in this directory). The items are made up.
import pyarrow as pa, pyarrow.parquet as pq, datetime, decimal
# An MMLU-shaped file as Hugging Face's datasets writes it (pyarrow), plus other types.
t = pa.table({
    "question": pa.array(["What is 2 + 2?", "Which gas do plants take in?", "Ünïcödé — «quotes» 答案？"], pa.string()),
    "subject": pa.array(["elementary_mathematics", "high_school_biology", None], pa.string()),
    "choices": pa.array([["3", "4", "5", "22"], ["oxygen", "carbon dioxide", "nitrogen", "helium"], []], pa.list_(pa.string())),
    "answer": pa.array([1, 1, None], pa.int64()),
    "score": pa.array([0.5, None, 1e21], pa.float64()),
    "ok": pa.array([True, False, None], pa.bool_()),
    "meta": pa.array([{"id": 7, "tags": ["a"]}, None, {"id": None, "tags": None}],
                     pa.struct([("id", pa.int32()), ("tags", pa.list_(pa.string()))])),
    "when": pa.array([datetime.datetime(2024, 1, 2, 3, 4, 5, 678000), None, datetime.datetime(1970, 1, 1)], pa.timestamp("ms", tz="UTC")),
    "day": pa.array([datetime.date(2024, 2, 29), None, datetime.date(1969, 12, 31)], pa.date32()),
    "price": pa.array([decimal.Decimal("12.34"), decimal.Decimal("-0.05"), None], pa.decimal128(20, 2)),
    "big": pa.array([decimal.Decimal("1234567890123456789012345678.0123456789"), decimal.Decimal("-0.0000000001"), None], pa.decimal128(38, 10)),
    "price32": pa.array([decimal.Decimal("123.45"), decimal.Decimal("-1.50"), None], pa.decimal128(5, 2)),
    "attrs": pa.array([[("k", 1)], None, []], pa.map_(pa.string(), pa.int64())),
    "small": pa.array([1, -2, 3], pa.int8()),
    "f32": pa.array([0.1, 1.5, float("nan")], pa.float32()),
})
pq.write_table(t, "mmlu_sample.parquet", row_group_size=2, compression="snappy", store_decimal_as_integer=True)
