package schema

// NativeHarness is the harness name of evalplan's own tasks ("native.gsm8k").
const NativeHarness = "native"

// nativeTasks returns evalplan's built-in native tasks, freshly allocated. Their datasets are
// described in docs/catalog.md; numbers in Defaults are float64, as for decoded catalog tasks.
func nativeTasks() []*Task {
	return []*Task{
		{
			Name:          "native.arc_challenge",
			Harness:       NativeHarness,
			Task:          "arc_challenge",
			EndpointTypes: []string{"chat", "completions"},
			Category:      "language-models",
			Defaults:      map[string]any{"temperature": 0.0, "max_new_tokens": 1024.0},
			Description: "ARC-Challenge (AI2 Reasoning Challenge, challenge set, 1,172 test questions): " +
				"grade-school science multiple choice, asked with the simple-evals MMLU prompt and scored " +
				"by \"Answer: X\" extraction with letters from each item's choices; primary metric accuracy.",
			Native: &Native{
				// A byte-identical copy of ARC-Challenge-Test.jsonl from AllenAI's ARC-V1-Feb2018
				// release, pinned by commit; the release itself is a zip, not a single file.
				Source:  "https://raw.githubusercontent.com/RazvanDu/TemporalRNNs/799e65e48c0cc2bdf2780a13bbb4830f46139581/ARC-Challenge/ARC-Challenge-Test.jsonl",
				SHA256:  "9fa8ffb3e3a1f88cb302d53dd95aae81e39209ad9bcf974376b319d8fd35717c",
				Format:  "jsonl",
				Scorer:  "arc/2",
				Origin:  "https://ai2-public-datasets.s3.amazonaws.com/arc/ARC-V1-Feb2018.zip (ARC-Challenge/ARC-Challenge-Test.jsonl)",
				License: "CC-BY-SA-4.0",
			},
		},
		{
			Name:          "native.gsm8k",
			Harness:       NativeHarness,
			Task:          "gsm8k",
			EndpointTypes: []string{"chat", "completions"},
			Category:      "math",
			Defaults:      map[string]any{"temperature": 0.0, "max_new_tokens": 1024.0},
			Description: "GSM8K (1,319 grade-school math word problems, test split), scored with " +
				"lm-evaluation-harness's strict-match and flexible-extract filters, exactly as NeMo's " +
				"lm-evaluation-harness.gsm8k (nvidia-lm-eval 26.3); primary metric flexible_extract.",
			Native: &Native{
				Source:  "https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/test.jsonl",
				SHA256:  "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
				Format:  "jsonl",
				Scorer:  "gsm8k/1",
				License: "MIT",
				// lm-eval's gsm8k task: its strict-match and flexible-extract filters and
				// exact_match, not its 5-shot completions prompt.
				Mirrors:        "lm-evaluation-harness.gsm8k",
				MirrorsPackage: "nvidia-lm-eval 26.3",
			},
		},
		{
			Name:          "native.math500",
			Harness:       NativeHarness,
			Task:          "math500",
			EndpointTypes: []string{"chat", "completions"},
			Category:      "math",
			Defaults:      map[string]any{"temperature": 0.0, "max_new_tokens": 2048.0},
			Description: "MATH-500 (the 500-problem MATH test subset of OpenAI's PRM800K), scored by " +
				"final-answer extraction and equivalence; primary metric accuracy.",
			Native: &Native{
				// openai/prm800k stores the file in Git LFS: the media URL serves its content
				// (LFS oid = the SHA256 below) at a pinned commit.
				Source:  "https://media.githubusercontent.com/media/openai/prm800k/7ecc794703b2877f63226f2477a49b34f9b25163/prm800k/math_splits/test.jsonl",
				SHA256:  "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132",
				Format:  "jsonl",
				Scorer:  "math500/1",
				Origin:  "https://github.com/openai/prm800k/blob/7ecc794703b2877f63226f2477a49b34f9b25163/prm800k/math_splits/test.jsonl",
				License: "MIT",
			},
		},
		{
			Name:          "native.mmlu",
			Harness:       NativeHarness,
			Task:          "mmlu",
			EndpointTypes: []string{"chat", "completions"},
			Category:      "language-models",
			Defaults:      map[string]any{"temperature": 0.0, "max_new_tokens": 1024.0},
			Description: "MMLU (Massive Multitask Language Understanding, 57 subjects, 14,042 test " +
				"questions), asked with the simple-evals MMLU prompt and scored by \"Answer: X\" " +
				"extraction exactly as NeMo's simple_evals.mmlu (nvidia-simple-evals 26.3); primary metric " +
				"accuracy, with per-subject subscores.",
			Native: &Native{
				// The single-file Parquet conversion of the test split (question, subject,
				// choices, answer index). Its sha256 is not pinned here: without one the
				// fetched bytes' hash is the identity and plan warns (DESIGN §2 dataset).
				Source:  "hf://cais/mmlu/all/test-00000-of-00001.parquet@main",
				Format:  "parquet",
				Scorer:  "mmlu/2",
				Origin:  "https://people.eecs.berkeley.edu/~hendrycks/data.tar (data/test/*_test.csv)",
				License: "MIT",
				// The same prompt, extraction and score as simple_evals.mmlu.
				Mirrors:        "simple_evals.mmlu",
				MirrorsPackage: "nvidia-simple-evals 26.3",
			},
		},
	}
}

// UserTask is the catalog entry of a task block NAME, the benchmark "task.NAME": a native
// task for chat and completions endpoints.
func UserTask(name string) *Task {
	return &Task{
		Name: "task." + name, Harness: NativeHarness, Task: name,
		EndpointTypes: []string{"chat", "completions"}, Category: "custom",
	}
}
