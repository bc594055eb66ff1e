package container

import "errors"

// Errors that callers can test with errors.Is. Each is wrapped with what happened and what to do.
var (
	// ErrDaemonUnavailable means Docker is not installed or its daemon does not answer.
	ErrDaemonUnavailable = errors.New("docker daemon unavailable")
	// ErrImageNotFound means the registry has no such repository, tag or digest.
	ErrImageNotFound = errors.New("image not found")
	// ErrUnauthorized means the registry refused the credentials (or wanted some).
	ErrUnauthorized = errors.New("registry authentication failed")
	// ErrDigestMismatch means a tag resolves to another digest than the one pinned.
	ErrDigestMismatch = errors.New("image digest mismatch")
	// ErrExecutableNotFound means the container's entrypoint does not exist in the image.
	ErrExecutableNotFound = errors.New("executable file not found")
)
