package schema

// Task is one benchmark of the catalog: a NeMo Evaluator container task or a native task.
type Task struct {
	// Name is the qualified name "harness.task", e.g. "simple_evals.mmlu_pro" or "native.gsm8k".
	Name          string         `json:"name"`
	Harness       string         `json:"harness"`
	Task          string         `json:"task"`
	Container     string         `json:"container,omitempty"`
	Image         string         `json:"image,omitempty"`
	Tag           string         `json:"tag,omitempty"`
	Digest        string         `json:"digest,omitempty"`
	EndpointTypes []string       `json:"endpoint_types"`
	Capabilities  []string       `json:"capabilities,omitempty"`
	Category      string         `json:"category"`
	Defaults      map[string]any `json:"defaults,omitempty"`
	Description   string         `json:"description,omitempty"`
	// Native is set for evalplan's own tasks.
	Native *Native `json:"native,omitempty"`
}

// Native describes a native task's canonical dataset and scorer.
type Native struct {
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
	Format string `json:"format"`
	// Scorer is the scorer version, part of every run's identity ("gsm8k/1").
	Scorer string `json:"scorer"`
}
