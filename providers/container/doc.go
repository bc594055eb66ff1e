// Package container is evalplan's container provider: a thin layer over the Docker Engine API
// (github.com/docker/docker/client, with API version negotiation so that Debian 12's API 1.41
// daemon works) that resolves images to digests, pulls them once each with registry auth and
// progress, verifies the pinned digest, runs containers with their logs streamed and their
// status (CPU, memory, elapsed) reported, and always removes what it started.
//
// Registry auth: nvcr.io uses user "$oauthtoken" with NGC_API_KEY as the password; other
// registries use the "auths" entries of $DOCKER_CONFIG/config.json (default
// ~/.docker/config.json).
//
// It imports only plan/display from evalplan: the container runner
// (providers/benchmark/container) and the `evalplan containers` command build on it.
package container
