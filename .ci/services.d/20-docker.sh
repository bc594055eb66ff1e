# Docker Engine for the container provider's tests: Debian's docker.io, dockerd started in the
# background when no daemon answers. Sourced by .ci/services.sh (export_env, apt_install, wait_for).
# The daemon listens on its default socket; its log goes to .ci/artifacts/dockerd.log.
apt_install docker.io
docker_sock=/var/run/docker.sock
docker_ok() { docker -H "unix://$docker_sock" info >/dev/null 2>&1; }
if ! docker_ok; then
  [ "$(id -u)" = 0 ] || { echo "dockerd must be started as root (or start Docker yourself)" >&2; return 1; }
  docker_pid=.ci/run-services/dockerd.pid
  if [ -f "$docker_pid" ] && kill -0 "$(cat "$docker_pid")" 2>/dev/null; then
    wait_for docker_ok || { echo "dockerd (pid $(cat "$docker_pid")) does not answer; see .ci/artifacts/dockerd.log" >&2; return 1; }
  else
    # overlay2 first; vfs works where overlay mounts are not allowed (nested sandboxes).
    for driver in overlay2 vfs; do
      nohup dockerd --host "unix://$docker_sock" --pidfile "$PWD/$docker_pid" --storage-driver "$driver" \
        >> .ci/artifacts/dockerd.log 2>&1 &
      docker_started=$!
      if wait_for docker_ok; then echo "dockerd started (storage driver $driver)"; break; fi
      kill "$docker_started" 2>/dev/null || true
      wait "$docker_started" 2>/dev/null || true
      echo "dockerd did not start with storage driver $driver; see .ci/artifacts/dockerd.log" >&2
    done
    docker_ok || return 1
  fi
fi
export_env EVALPLAN_TEST_DOCKER_HOST "unix://$docker_sock"
