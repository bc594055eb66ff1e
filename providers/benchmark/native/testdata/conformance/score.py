#!/usr/bin/env python3
"""Scores corpus.jsonl with NVIDIA's own packaged code, for TestConformanceWithNeMo.

usage: PYTHON score.py corpus.jsonl > scores.jsonl
  PYTHON is a venv's python with nvidia-simple-evals==26.3 and nvidia-lm-eval==26.3
  (.ci/services.d/65-nemo-venv.sh makes one). Nothing is downloaded and no model is called.

Writes one JSON line per corpus line, in order:
  mmlu:  {"extracted": str|null, "score": float}
  gsm8k: {"strict_match": {"extracted", "score"}, "flexible_extract": {"extracted", "score"}}

mmlu runs simple_evals.evals.mmlu_eval.MMLUEval.__call__ itself, as NeMo's simple_evals.mmlu
does: a stub sampler returns the corpus response for each prompt, and the extracted answer and
score are read back from the per-sample HTML the eval renders (the same report compare.py in
shared/nemo-real reads). Only the dataset loading of MMLUEval.__init__ is skipped: the rows
are the corpus's.

gsm8k runs lm-eval's gsm8k task configuration from the installed package (tasks/gsm8k/gsm8k.yaml):
its filter_list through lm_eval.filters.build_filter_ensemble on lm_eval Instances, then its
metric_list's exact_match (lm_eval.api.registry.get_metric) with the yaml's arguments, called
as ConfigurableTask.process_results calls it for generate_until.
"""
import asyncio
import contextlib
import html
import json
import os
import re
import sys
import tempfile

MARK = "[[conformance-sample-{}]]"


def score_mmlu(samples):
    from simple_evals.evals.mmlu_eval import MMLUEval
    from simple_evals.simple_evals_types import Eval, SamplerBase

    class Scripted(SamplerBase):
        def __init__(self, responses):
            self.responses = responses

        def _pack_message(self, content, role):
            return {"role": role, "content": content}

        async def __call__(self, messages, seed=None):
            i = int(re.search(r"\[\[conformance-sample-(\d+)\]\]", messages[-1]["content"]).group(1))
            return self.responses[i]

    ev = MMLUEval.__new__(MMLUEval)
    Eval.__init__(ev)  # default SeedGenerator, no custom_eval_config
    ev.examples = [
        {"Question": MARK.format(i), "A": "a", "B": "b", "C": "c", "D": "d",
         "Answer": s["target"], "Subject": "abstract_algebra"}
        for i, s in enumerate(samples)
    ]
    ev.n_repeats, ev.num_threads, ev.first_n, ev.language = 1, 8, None, "en"
    with tempfile.TemporaryDirectory() as cache:
        ev.cache_dir = cache
        res = asyncio.run(ev(Scripted([s["response"] for s in samples])))
    out = [None] * len(samples)
    for h in res.htmls:
        i = int(re.search(r"\[\[conformance-sample-(\d+)\]\]", h).group(1))
        x = html.unescape(re.search(r"<p>Extracted Answer: (.*?)</p>", h, re.S).group(1))
        score = float(re.search(r"<p>Score: (.*?)</p>", h).group(1))
        out[i] = {"extracted": None if x == "None" else x, "score": score}
    assert all(o is not None for o in out), "a sample has no HTML report"
    return out


def score_gsm8k(samples):
    import yaml
    import lm_eval
    from lm_eval.api.instance import Instance
    from lm_eval.api.registry import get_metric
    from lm_eval.filters import build_filter_ensemble

    path = os.path.join(os.path.dirname(lm_eval.__file__), "tasks", "gsm8k", "gsm8k.yaml")
    with open(path, encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    (metric_cfg,) = cfg["metric_list"]
    assert metric_cfg["metric"] == "exact_match"
    kwargs = {k: v for k, v in metric_cfg.items() if k not in ("metric", "aggregation", "higher_is_better")}
    metric = get_metric("exact_match")
    docs = [{"question": "", "answer": s["target"]} for s in samples]
    insts = [Instance(request_type="generate_until", doc=d, arguments=("", {}), idx=0, metadata=("gsm8k", i, 1))
             for i, d in enumerate(docs)]
    for inst, s in zip(insts, samples):
        inst.resps = [s["response"]]
    names = {"strict-match": "strict_match", "flexible-extract": "flexible_extract"}
    out = [{} for _ in samples]
    for fc in cfg["filter_list"]:
        components = [[c["function"], {k: v for k, v in c.items() if k != "function"}] for c in fc["filter"]]
        build_filter_ensemble(fc["name"], components).apply(insts)
        for i, inst in enumerate(insts):
            result = inst.filtered_resps[fc["name"]]
            gold = inst.doc["answer"]  # doc_to_target: "{{answer}}"
            score = metric(references=[gold], predictions=[result], **kwargs)["exact_match"]
            out[i][names[fc["name"]]] = {"extracted": result, "score": float(score)}
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        corpus = [json.loads(line) for line in f if line.strip()]
    by_task = {}
    for i, s in enumerate(corpus):
        by_task.setdefault(s["task"], []).append(i)
    scorers = {"mmlu": score_mmlu, "gsm8k": score_gsm8k}
    out = [None] * len(corpus)
    # The harnesses print progress to stdout; only the scores go there.
    with contextlib.redirect_stdout(sys.stderr):
        for task, idx in by_task.items():
            for i, r in zip(idx, scorers[task]([corpus[i] for i in idx])):
                out[i] = r
    for r in out:
        sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
