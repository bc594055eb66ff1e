// Command evaluator is a test stand-in for NVIDIA's `nemo-evaluator run_eval --run_config
// FILE`: it reads the run config, queries the endpoint for real and writes results.yml in
// NeMo's format. See README.md.
package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed questions.jsonl
var questionsData []byte

// runConfig is the part of the NeMo run config this program reads.
type runConfig struct {
	Config struct {
		Type      string `yaml:"type"`
		OutputDir string `yaml:"output_dir"`
		Params    struct {
			LimitSamples *float64       `yaml:"limit_samples"`
			MaxNewTokens *int           `yaml:"max_new_tokens"`
			Temperature  *float64       `yaml:"temperature"`
			Extra        map[string]any `yaml:"extra"`
		} `yaml:"params"`
	} `yaml:"config"`
	Target struct {
		APIEndpoint struct {
			URL        string `yaml:"url"`
			ModelID    string `yaml:"model_id"`
			Type       string `yaml:"type"`
			APIKeyName string `yaml:"api_key_name"`
		} `yaml:"api_endpoint"`
	} `yaml:"target"`
}

type question struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "evaluator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || args[0] != "run_eval" {
		return fmt.Errorf("usage: nemo-evaluator run_eval --run_config FILE (got %q)", args)
	}
	var path string
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--run_config" && i+1 < len(args):
			path = args[i+1]
			i++
		case strings.HasPrefix(a, "--run_config="):
			path = strings.TrimPrefix(a, "--run_config=")
		}
	}
	if path == "" {
		return errors.New("--run_config FILE is required")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cfg runConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(false)
	if err := dec.Decode(&cfg); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	out := cfg.Config.OutputDir
	if out == "" {
		out = "/results"
	}
	if names, ok := cfg.Config.Params.Extra["echo_env"].([]any); ok {
		if err := echoEnv(out, names); err != nil {
			return err
		}
	}
	mode, _ := cfg.Config.Params.Extra["mode"].(string)
	fmt.Printf("evaluator: task %s, model %s, endpoint %s, mode %q\n", cfg.Config.Type, cfg.Target.APIEndpoint.ModelID, cfg.Target.APIEndpoint.URL, mode)
	// As nemo-evaluator does: SIGTERM leaves the interrupted marker; the run config is
	// rewritten, resolved, into the output directory; the adapter server holds ADAPTER_PORT
	// (3825 without it, where two concurrent evaluators on the host network collide).
	onSIGTERM(out)
	adapter, err := listenAdapter()
	if err != nil {
		return err
	}
	defer adapter.Close()
	if err := os.WriteFile(filepath.Join(out, "run_config.yml"), append([]byte("# resolved by the evaluator\n"), b...), 0o644); err != nil {
		return err
	}
	switch mode {
	case "linger":
		fmt.Println("evaluator: holding the adapter port for 3s (mode linger)")
		time.Sleep(3 * time.Second)
	case "exit1":
		fmt.Fprintln(os.Stderr, "evaluator: failing on purpose (mode exit1)")
		os.Exit(1)
	case "hang":
		fmt.Println("evaluator: hanging on purpose (mode hang)")
		for {
			time.Sleep(time.Hour)
		}
	case "garbled":
		fmt.Println("evaluator: writing a garbled results.yml (mode garbled)")
		return os.WriteFile(filepath.Join(out, "results.yml"), []byte("results: [tasks: {\n  ::: not yaml"), 0o644)
	case "noresults":
		fmt.Println("evaluator: exiting without results (mode noresults)")
		return nil
	}
	scores, err := evaluate(&cfg)
	if err != nil {
		return err
	}
	if mode != "nocount" {
		if err := writeMetrics(out, len(scores)); err != nil {
			return err
		}
	}
	if mode != "nocount" && mode != "nosamples" {
		if err := writeSamples(out, &cfg, scores); err != nil {
			return err
		}
	}
	return writeResults(filepath.Join(out, "results.yml"), &cfg, scores)
}

// onSIGTERM writes .nemo_evaluator_interrupted into the output directory and exits 143 on
// SIGTERM.
func onSIGTERM(out string) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	go func() {
		<-c
		fmt.Println("evaluator: SIGTERM, writing .nemo_evaluator_interrupted")
		_ = os.WriteFile(filepath.Join(out, ".nemo_evaluator_interrupted"), []byte("signal 15\n"), 0o644)
		os.Exit(143)
	}()
}

// listenAdapter binds the adapter server's port, ADAPTER_PORT or else 3825, on localhost
// and fails when it is taken, as nemo-evaluator does when ADAPTER_PORT is set.
func listenAdapter() (net.Listener, error) {
	port := os.Getenv("ADAPTER_PORT")
	if port == "" {
		port = "3825"
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		return nil, fmt.Errorf("adapter server was requested to start on %s, but the port seems to be taken: %w", port, err)
	}
	fmt.Printf("evaluator: adapter server started on localhost:%s\n", port)
	return l, nil
}

// writeMetrics writes eval_factory_metrics.json with the adapter's response_stats.
func writeMetrics(out string, n int) error {
	b, err := json.Marshal(map[string]any{"response_stats": map[string]any{"count": n, "successful_count": n}})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "eval_factory_metrics.json"), b, 0o644)
}

// writeSamples writes one line per sample, as lm-eval's --log_samples does, to
// <out>/<model>/samples_<task>_<timestamp>.jsonl.
func writeSamples(out string, cfg *runConfig, scores []float64) error {
	dir := filepath.Join(out, strings.ReplaceAll(cfg.Target.APIEndpoint.ModelID, "/", "__"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	for i, s := range scores {
		fmt.Fprintf(&buf, "{\"doc_id\": %d, \"exact_match\": %g}\n", i, s)
	}
	name := fmt.Sprintf("samples_%s_%s.jsonl", cfg.Config.Type, time.Now().UTC().Format("2006-01-02T15-04-05.000000"))
	return os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644)
}

// evaluate asks each question and scores the replies 1 or 0.
func evaluate(cfg *runConfig) ([]float64, error) {
	var qs []question
	sc := bufio.NewScanner(bytes.NewReader(questionsData))
	for sc.Scan() {
		var q question
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, err
		}
		qs = append(qs, q)
	}
	n := len(qs)
	if p := cfg.Config.Params.LimitSamples; p != nil {
		if *p >= 1 {
			n = min(n, int(*p))
		} else {
			n = max(1, int(math.Ceil(*p*float64(n))))
		}
	}
	key := ""
	if name := cfg.Target.APIEndpoint.APIKeyName; name != "" {
		key = os.Getenv(name)
		if key == "" {
			return nil, fmt.Errorf("api_key_name %s: the variable is not set in the container", name)
		}
	}
	client := &http.Client{Timeout: 60 * time.Second}
	scores := make([]float64, 0, n)
	for i, q := range qs[:n] {
		reply, err := ask(client, cfg, key, q.Question)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		_, gold, _ := strings.Cut(q.Answer, "#### ")
		s := 0.0
		if lastNumber(reply) == strings.ReplaceAll(strings.TrimSpace(gold), ",", "") {
			s = 1
		}
		scores = append(scores, s)
		fmt.Printf("evaluator: sample %d/%d score %.0f\n", i+1, n, s)
	}
	return scores, nil
}

var numberPattern = regexp.MustCompile(`-?[0-9][0-9,]*(\.[0-9]+)?`)

func lastNumber(s string) string {
	all := numberPattern.FindAllString(s, -1)
	if len(all) == 0 {
		return ""
	}
	return strings.TrimSuffix(strings.ReplaceAll(all[len(all)-1], ",", ""), ".0")
}

// ask sends one request and returns the reply text.
func ask(client *http.Client, cfg *runConfig, key, prompt string) (string, error) {
	ep := cfg.Target.APIEndpoint
	body := map[string]any{"model": ep.ModelID}
	if t := cfg.Config.Params.Temperature; t != nil {
		body["temperature"] = *t
	}
	if m := cfg.Config.Params.MaxNewTokens; m != nil {
		body["max_tokens"] = *m
	}
	if ep.Type == "completions" {
		body["prompt"] = prompt
	} else {
		body["messages"] = []map[string]string{{"role": "user", "content": prompt}}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequest(http.MethodPost, ep.URL, bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s: %s", ep.URL, resp.Status, raw)
	}
	var r struct {
		Choices []struct {
			Text    string `json:"text"`
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Choices) == 0 {
		return "", fmt.Errorf("%s: unexpected reply %s", ep.URL, raw)
	}
	return r.Choices[0].Message.Content + r.Choices[0].Text, nil
}

// writeResults writes results.yml as NeMo does: metrics in file order "score" (scores
// "micro") then "answered", under results.tasks.<type> and results.groups.<type>.
func writeResults(path string, cfg *runConfig, scores []float64) error {
	mean, stderr := meanStderr(scores)
	answered := make([]float64, len(scores))
	for i := range answered {
		answered[i] = 1
	}
	am, ase := meanStderr(answered)
	score := func(v, se float64) *yaml.Node { // no stats.count: neither real harness writes one
		return mapping("value", num(v), "stats", mapping("stderr", num(se)))
	}
	metrics := mapping(
		"score", mapping("scores", mapping("micro", score(mean, stderr))),
		"answered", mapping("scores", mapping("answered", score(am, ase))),
	)
	task := mapping("metrics", metrics)
	ep := cfg.Target.APIEndpoint
	doc := mapping(
		"command", str("nemo-evaluator run_eval (evalplan test image) --url "+ep.URL),
		"git_hash", str(""),
		"target", mapping("api_endpoint", mapping("url", str(ep.URL), "model_id", str(ep.ModelID))),
		"results", mapping(
			"groups", mapping(cfg.Config.Type, task),
			"tasks", mapping(cfg.Config.Type, task),
		),
	)
	b, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func meanStderr(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss/float64(len(xs)-1)) / math.Sqrt(float64(len(xs)))
}

func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func num(f float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: fmt.Sprint(f)}
}

// echoEnv writes seen.json in the output directory: the values of the named environment
// variables (absent ones left out), and whether $HF_HOME could be written (a file
// evalplan-test.txt is left there), so that tests see what the runner passed.
func echoEnv(out string, names []any) error {
	seen := map[string]any{}
	env := map[string]string{}
	for _, n := range names {
		name, _ := n.(string)
		if v, ok := os.LookupEnv(name); ok {
			env[name] = v
		}
	}
	seen["env"] = env
	if home := os.Getenv("HF_HOME"); home != "" {
		err := os.WriteFile(filepath.Join(home, "evalplan-test.txt"), []byte("written by the stand-in evaluator\n"), 0o644)
		seen["hf_home_writable"] = err == nil
	}
	b, err := json.Marshal(seen)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "seen.json"), b, 0o644)
}
