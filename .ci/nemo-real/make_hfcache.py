#!/usr/bin/env python3
"""Build the offline Hugging Face datasets cache baked into the NeMo stand-in images.

usage: make_hfcache.py DATA OUTDIR      (runs inside the image's rootfs: needs pandas, datasets)

DATA is shared/data/benchmarks (mmlu/{test,dev}/*.csv, gsm8k_test.jsonl). Writes
OUTDIR/hfsrc/ (local parquet copies of the hub repos the harnesses load) and OUTDIR/hfcache/
(a pre-populated `datasets` cache holding cais___mmlu/, hails___mmlu_no_train/ and gsm8k/).
With HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_DATASETS_CACHE=hfcache the harnesses' own
calls -- load_dataset("cais/mmlu", subject, split="test") in simple-evals 26.3,
load_dataset("gsm8k", "main") and hails/mmlu_no_train in lm-eval 26.3 -- fall back to "the
latest cached version", so their code runs unchanged.

Adapted from shared/nemo-real/make_fixtures.py (the scripted responses are left out). The
GSM8K train split is not available here: 8 SYNTHETIC problems stand in for it; lm-eval uses
them only as 5-shot examples, which change the prompt, never the scoring.
"""
import csv
import glob
import json
import os
import shutil
import sys

import pandas as pd
from datasets import load_dataset

data, out = sys.argv[1], sys.argv[2]
subjects = sorted(os.path.basename(p)[: -len("_test.csv")] for p in glob.glob(f"{data}/mmlu/test/*_test.csv"))
assert len(subjects) == 57, len(subjects)
hf = os.path.join(out, "hfsrc")


def read_csv(path, subject):
    with open(path, newline="", encoding="utf-8") as f:
        return [{"question": q, "subject": subject, "choices": [a, b, c, d], "answer": "ABCD".index(ans.strip())}
                for q, a, b, c, d, ans in csv.reader(f)]


def write_repo(repo, splits, note):
    """Writes hfsrc/<repo>/<subject>/<split>-00000-of-00001.parquet and a dataset card."""
    card = ["---", "configs:"]
    for s in subjects:
        d = os.path.join(hf, repo, s)
        os.makedirs(d, exist_ok=True)
        card += [f"- config_name: {s}", "  data_files:"]
        for split in splits:
            rows = read_csv(f"{data}/mmlu/{split}/{s}_{split}.csv", s)
            pd.DataFrame(rows).to_parquet(os.path.join(d, f"{split}-00000-of-00001.parquet"), index=False)
            card += [f"  - split: {split}", f"    path: {s}/{split}-00000-of-00001.parquet"]
    card.append("---")
    with open(os.path.join(hf, repo, "README.md"), "w") as f:
        f.write("\n".join(card) + f"\n{note}\n")


write_repo("cais/mmlu", ["test"], "Local copy of cais/mmlu (test split) built from the hendrycks CSVs (MIT).")
write_repo("hails/mmlu_no_train", ["test", "dev"], "Local copy of hails/mmlu_no_train (test, dev) from the hendrycks CSVs (MIT).")

gsm = [json.loads(line) for line in open(f"{data}/gsm8k_test.jsonl", encoding="utf-8")]
train = [{"question": f"Synthetic training problem {k}: what is {k} plus {k + 3}?",
          "answer": f"{k} + {k + 3} = <<{k}+{k + 3}={2 * k + 3}>>{2 * k + 3}\n#### {2 * k + 3}"} for k in range(1, 9)]
d = os.path.join(hf, "gsm8k", "main")
os.makedirs(d, exist_ok=True)
pd.DataFrame(gsm).to_parquet(os.path.join(d, "test-00000-of-00001.parquet"), index=False)
pd.DataFrame(train).to_parquet(os.path.join(d, "train-00000-of-00001.parquet"), index=False)
with open(os.path.join(hf, "gsm8k", "README.md"), "w") as f:
    f.write("---\nconfigs:\n- config_name: main\n  data_files:\n  - split: train\n    path: main/train-00000-of-00001.parquet\n"
            "  - split: test\n    path: main/test-00000-of-00001.parquet\n---\n"
            "Local copy of gsm8k main: real test split (MIT), SYNTHETIC train split.\n")

# The cache folder is named after the local folder (mmlu, mmlu_no_train); the harnesses look
# for the hub name (cais___mmlu, hails___mmlu_no_train), hence the renames.
cache = os.path.join(out, "hfcache")
shutil.rmtree(cache, ignore_errors=True)
load_dataset(os.path.join(hf, "gsm8k"), "main", cache_dir=cache)
for s in subjects:
    load_dataset(os.path.join(hf, "cais", "mmlu"), s, cache_dir=cache)
os.rename(os.path.join(cache, "mmlu"), os.path.join(cache, "cais___mmlu"))
for s in subjects:
    load_dataset(os.path.join(hf, "hails", "mmlu_no_train"), s, cache_dir=cache)
os.rename(os.path.join(cache, "mmlu_no_train"), os.path.join(cache, "hails___mmlu_no_train"))
for p in glob.glob(os.path.join(cache, "**", "*.lock"), recursive=True):
    os.remove(p)
print(f"hfcache: {len(subjects)} MMLU subjects, {len(gsm)} GSM8K test rows")
