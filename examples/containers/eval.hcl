# Container tasks: benchmarks of the catalog that run in NeMo Evaluator images on Docker.
#
# For each run, apply pulls the task's image once (by digest; concurrent runs of one image
# share the pull), writes run_config.yml into the run directory, runs the container with the
# run directory mounted at /results, streams its output to container.log, reports
# "container running 1m5s, CPU 12.5%, memory 45.2 MB" lines while it runs, and reads
# results.yml into results.json and the state. The endpoint's API key reaches the container
# only as the environment variable EVALPLAN_API_KEY. A failed pull, a non-zero exit, a
# timeout or a missing results.yml fails that run alone, with the container's last log lines.
#
# Needs a Docker daemon (DOCKER_HOST, else the default socket). nvcr.io images need
# NGC_API_KEY; other registries use ~/.docker/config.json (or $DOCKER_CONFIG/config.json).
#
#   evalplan plan -refresh=false   # offline: each run pinned to its image digest
#   evalplan containers            # images needed: present or missing, size, runs
#   evalplan apply -auto-approve

variable "url" {
  type    = string
  default = "http://127.0.0.1:8000/v1"
}

evalplan {
  # Pull catalog images from a mirror: nvcr.io/nvidia/eval-factory/X becomes
  # registry.example.com/eval-factory/X, at the same digest. Remove it to pull from nvcr.io.
  image_mirror = "registry.example.com/eval-factory"
}

endpoint "candidate" {
  url     = var.url
  model   = "my-org/candidate-7b"
  api_key = env("CANDIDATE_API_KEY") # passed to containers as EVALPLAN_API_KEY, never in files
}

suite "containers" {
  endpoints  = [endpoint.candidate]
  benchmarks = ["simple_evals.mmlu_pro", "lm-evaluation-harness.ifeval"]

  params {
    limit_samples = 50   # written to run_config.yml as config.params.limit_samples
    parallelism   = 8    # operational: config.params.parallelism
    timeout       = "2h" # operational: the whole container run (not the pull)
  }

  # Pin another build of a task's image, by digest. It replaces the catalog image (and the
  # mirror) for this benchmark, and is part of the run's identity.
  benchmark "lm-evaluation-harness.ifeval" {
    image = "registry.example.com/eval-factory/lm-evaluation-harness@sha256:9593456f94a43ff7b7300b5dc24747dedf6e271c000cba9db66d118ce7392d1e"
    params {
      extra = { num_fewshot = 0 } # passed to the container as config.params.extra
    }
  }
}

output "scores" {
  value = suite.containers.scores
}
