package rundir

// Files of a run directory.
const (
	// JournalFile is the per-sample journal: one JSON [Record] per line.
	JournalFile = "samples.jsonl"
	// ResultsFile is the run's result, a [result.Result] as indented JSON.
	ResultsFile = "results.json"
	// RunConfigFile is what a native run was: benchmark, endpoint, parameters, identity,
	// dataset digest and sample selection.
	RunConfigFile = "run_config.json"
	// ContainerConfigFile is the run configuration a container harness is started with.
	ContainerConfigFile = "run_config.yml"
	// ContainerResultsFile is the results a container harness writes.
	ContainerResultsFile = "results.yml"
	// ContainerLogFile is a container's standard output and error.
	ContainerLogFile = "container.log"
	// RequestsFile is the request journal of a harness that reached the model through
	// evalplan's local endpoint: one JSON proxy.Entry per request (path, request body,
	// reply text, usage, latency, cache hit, error), appended by every attempt.
	RequestsFile = "requests.jsonl"
	// JudgeRequestsFile is the request journal of a harness's judge, in RequestsFile's format.
	JudgeRequestsFile = "judge_requests.jsonl"
	// EventsFile records what happened to the run besides its samples: one JSON [Event]
	// per line, such as the endpoint's concurrency lowered under GPU memory pressure.
	EventsFile = "events.jsonl"
)
