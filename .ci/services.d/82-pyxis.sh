# NVIDIA Pyxis (the Slurm SPANK plugin behind `srun --container-image=...`) on enroot, on the
# one-node cluster of 80-slurm.sh, so the Slurm executor's pyxis path runs for real. Sourced by
# .ci/services.sh after 80-slurm.sh and 70-nemo-images.sh (export_env, apt_install, free_port).
#   EVALPLAN_TEST_PYXIS=1   set only once a container job ran end to end (see pyxis_verify)
#
# Sources are vendored (CI downloads none): third_party/enroot and third_party/pyxis, see
# third_party/README.md. They are built once per machine under
# ${EVALPLAN_PYXIS_CACHE:-/var/cache/evalplan}/pyxis-<key>/, where <key> hashes both source
# trees, the build recipe (pyxis_build, without its comments) and the installed Slurm version
# (pyxis must be built against the spank.h of the Slurm it runs in; a build takes seconds),
# then installed into /usr/local (enroot in /usr/local/bin, where slurmstepd's PATH finds it;
# the plugin in /usr/local/lib/slurm).
# enroot is built with glibc (FORCE_GLIBC=1) instead of its musl submodule, Debian's kernel
# headers and Debian's makeself 2.4.5 (the version enroot pins).
#
# Test-machine enroot settings (/usr/local/etc/enroot/enroot.conf.d/50-evalplan-test.conf):
# HTTP to the local plain-HTTP registry; its cache and data under /var/cache/evalplan/enroot;
# lz4 squashfs (mksquashfs with enroot's default lzo takes ~40 s for the 1.5 GB NeMo image on
# 2 cores, lz4 ~2 s); no login shell, because Debian's /etc/profile (the NeMo stand-in images
# are Debian-based) resets PATH and so hides the image's /opt/nemo/bin.
# Slurm loads the plugin through /etc/slurm/plugstack.conf.d/pyxis.conf; slurmd is restarted
# only when that file changes (its content carries <key>).
#
# Verification: one `srun --container-image=REGISTRY#IMAGE@sha256:DIGEST` job of the NeMo
# simple-evals image (EVALPLAN_TEST_NEMO_SIMPLE_EVALS_IMAGE) that finds nemo-evaluator, writes
# into a --container-mounts directory and reaches a loopback TCP server on the host. It takes
# 20-40 s (import, squashfs, create), so its success is remembered per key, plugstack and
# image digest; a warm run only checks that srun knows --container-image (under a second).
# With CI=true a failure fails this step; off CI it is printed and EVALPLAN_TEST_PYXIS is not
# set (the pyxis tests then skip). EVALPLAN_SKIP_PYXIS=1 skips it off CI.
# Logs: .ci/artifacts/pyxis-build.log, .ci/artifacts/pyxis-verify.log.

pyxis_root=${EVALPLAN_PYXIS_CACHE:-/var/cache/evalplan}
pyxis_plugstack=/etc/slurm/plugstack.conf.d/pyxis.conf

# pyxis_build builds both trees into $1 (a fresh directory) and installs them into $1/root.
pyxis_build() {
  local dir=$1 log=.ci/artifacts/pyxis-build.log
  rm -rf "$dir" && mkdir -p "$dir/build" || return 1
  cp -a third_party/enroot third_party/pyxis "$dir/build/" || return 1
  # Each step is chained with &&: set -e does not act in a function called from `if`.
  (
    cd "$dir/build/enroot" &&
    # The three submodules are absent: mark makeself and the kernel headers as built
    # (Debian's linux-libc-dev and makeself stand in); FORCE_GLIBC=1 skips musl.
    touch deps/makeself/.stamp deps/linux-headers/.stamp &&
    mkdir -p deps/dist/linux/include &&
    install -D -m 755 /usr/bin/makeself deps/dist/makeself/bin/enroot-makeself &&
    # glibc 2.36 lacks strlcpy/strlcat (musl has them): declare them, take them from libbsd.
    printf '#include <stddef.h>\nsize_t strlcpy(char *, const char *, size_t);\nsize_t strlcat(char *, const char *, size_t);\n' \
      > "$dir/build/strlcpy.h" &&
    CPPFLAGS="-include $dir/build/strlcpy.h" make -j"$(nproc)" FORCE_GLIBC=1 \
      LDLIBS='-l:libbsd.a -l:libbsd.so' prefix=/usr/local DESTDIR="$dir/root" install &&
    # As enroot's `make dist`: the installed script and config name the final paths.
    sed -i "s;$dir/root;;" "$dir/root/usr/local/bin/enroot" "$dir/root/usr/local/etc/enroot/enroot.conf" &&
    cd "$dir/build/pyxis" &&
    make -j"$(nproc)" prefix=/usr/local DESTDIR="$dir/root" install &&
    # pyxis.conf names the plugin by $(libdir), already the final path.
    grep -qx 'required /usr/local/lib/slurm/spank_pyxis.so' "$dir/root/usr/local/share/pyxis/pyxis.conf"
  ) > "$log" 2>&1 || { echo "building enroot/pyxis failed; see $log" >&2; return 1; }
  touch "$dir/.evalplan-complete"
}

# pyxis_restart_slurmd restarts slurmd (running jobs keep their slurmstepd) and waits for
# the node to take jobs again.
pyxis_restart_slurmd() {
  local p i st
  if [ -s /run/slurmd.pid ] && p=$(cat /run/slurmd.pid) && kill -0 "$p" 2>/dev/null; then
    kill "$p"
    for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  fi
  /usr/sbin/slurmd -N "${SLURM_NODE:-localhost}" || return 1
  for i in $(seq 300); do
    st=$(sinfo -h -o '%T' 2>/dev/null | head -1)
    case "$st" in idle|mixed|allocated|completing) return 0 ;; esac
    sleep 0.2
  done
  echo "slurmd did not come back (node state: ${st:-none})" >&2
  return 1
}

# pyxis_verify runs one container job of the NeMo simple-evals image through srun.
pyxis_verify() {
  local img=$1 dir=$2 log=.ci/artifacts/pyxis-verify.log ref port srv rc token
  # docker's REGISTRY/REPO@sha256:D as an enroot URI: REGISTRY#REPO@sha256:D.
  ref="${img%%/*}#${img#*/}"
  mkdir -p "$dir/mnt" && rm -f "$dir/mnt/"* || return 1
  token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  port=$(free_port)
  # A one-shot loopback TCP server on the host that answers with the token.
  python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(600)
c, _ = s.accept(); c.sendall(sys.argv[2].encode() + b"\n"); c.close()' "$port" "$token" &
  srv=$!
  echo "pyxis: srun --container-image=$ref (20-40 s: import, squashfs, create)"
  timeout 600 srun -N1 -n1 -t 10 -J evalplan-pyxis-check \
    --container-image="$ref" --container-mounts="$dir/mnt:$dir/mnt" --no-container-mount-home \
    sh -c 'command -v nemo-evaluator && nemo-evaluator --help >/dev/null &&
      echo written-inside > "$1/written" &&
      python3 -c "import socket,sys; print(socket.create_connection((\"127.0.0.1\", int(sys.argv[1])), 10).makefile().readline().strip())" "$2" > "$1/tcp"' \
    sh "$dir/mnt" "$port" > "$log" 2>&1
  rc=$?
  kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
  if [ "$rc" != 0 ] || [ "$(cat "$dir/mnt/written" 2>/dev/null)" != written-inside ] ||
     [ "$(cat "$dir/mnt/tcp" 2>/dev/null)" != "$token" ]; then
    echo "the pyxis check job failed (srun exit $rc); its output ($log):" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
}

pyxis_setup() {
  [ "${EVALPLAN_TEST_SLURM:-}" = 1 ] || { echo "no Slurm cluster (80-slurm.sh)" >&2; return 1; }
  [ -n "${EVALPLAN_TEST_NEMO_SIMPLE_EVALS_IMAGE:-}" ] ||
    { echo "no NeMo simple-evals image to check with (70-nemo-images.sh)" >&2; return 1; }
  apt_install libslurm-dev libbsd-dev makeself squashfs-tools parallel pigz zstd jq curl gawk \
    bsdextrautils passwd || { echo "could not install enroot's and pyxis's packages" >&2; return 1; }

  local slurm_ver key dir
  slurm_ver=$(dpkg-query -W -f '${Version}' libslurm-dev) || return 1
  [ "$slurm_ver" = "$(dpkg-query -W -f '${Version}' slurmd)" ] ||
    { echo "libslurm-dev $slurm_ver does not match slurmd $(dpkg-query -W -f '${Version}' slurmd)" >&2; return 1; }
  key=$( {
    (cd third_party && find enroot pyxis -type f | LC_ALL=C sort | xargs sha256sum)
    declare -f pyxis_build
    echo "slurm $slurm_ver"
  } | sha256sum | cut -c1-16)
  dir=$pyxis_root/pyxis-$key
  mkdir -p "$pyxis_root" .ci/artifacts || return 1
  # One installer per machine: other checkouts may run this at the same time.
  exec 7>"$pyxis_root/pyxis.lock"
  flock 7

  if [ ! -f "$dir/.evalplan-complete" ]; then
    echo "building enroot and pyxis into $dir (key $key)"
    pyxis_build "$dir" || return 1
  fi
  if [ "$(cat /usr/local/share/pyxis/.evalplan-key 2>/dev/null)" != "$key" ]; then
    echo "installing enroot and pyxis ($key) into /usr/local"
    # --remove-destination: running slurmstepds map the old plugin, running enroots read the
    # old script; they keep their inodes instead of seeing the files change under them.
    cp -a --remove-destination "$dir/root/usr/local/." /usr/local/ && echo "$key" > /usr/local/share/pyxis/.evalplan-key || return 1
  fi

  local conf=/usr/local/etc/enroot/enroot.conf.d/50-evalplan-test.conf new
  new=$(cat <<'CONF'
# Written by evalplan's .ci/services.d/82-pyxis.sh for the test machine.
ENROOT_ALLOW_HTTP          yes
ENROOT_RUNTIME_PATH        /run/enroot/user-$(id -u)
ENROOT_CACHE_PATH          /var/cache/evalplan/enroot/cache/group-$(id -g)
ENROOT_DATA_PATH           /var/cache/evalplan/enroot/data/user-$(id -u)
ENROOT_TEMP_PATH           /var/cache/evalplan/enroot/tmp
ENROOT_SQUASH_OPTIONS      -comp lz4 -noD -exit-on-error
ENROOT_LOGIN_SHELL         no
CONF
)
  [ "$(cat "$conf" 2>/dev/null)" = "$new" ] || printf '%s\n' "$new" > "$conf" || return 1
  mkdir -p /var/cache/evalplan/enroot/tmp || return 1
  command -v enroot >/dev/null && enroot version >/dev/null ||
    { echo "enroot is not on PATH ($PATH) after the install" >&2; return 1; }

  # Slurm's plugstack: Debian's /etc/slurm/plugstack.conf includes plugstack.conf.d/*.conf.
  if ! grep -qs '^include /etc/slurm/plugstack.conf.d/\*' /etc/slurm/plugstack.conf; then
    echo 'include /etc/slurm/plugstack.conf.d/*.conf' >> /etc/slurm/plugstack.conf || return 1
  fi
  new="# evalplan 82-pyxis.sh, pyxis-$key
required /usr/local/lib/slurm/spank_pyxis.so"
  if [ "$(cat "$pyxis_plugstack" 2>/dev/null)" != "$new" ]; then
    echo "writing $pyxis_plugstack and restarting slurmd"
    mkdir -p "$(dirname "$pyxis_plugstack")" && printf '%s\n' "$new" > "$pyxis_plugstack" || return 1
    pyxis_restart_slurmd || return 1
  fi
  srun --help 2>&1 | grep -q -- '--container-image' ||
    { echo "srun does not know --container-image: the plugin did not load" >&2; return 1; }

  # The end-to-end check, once per key, plugstack and image.
  local stamp
  stamp=$dir/verified-$(printf '%s\n%s\n' "$EVALPLAN_TEST_NEMO_SIMPLE_EVALS_IMAGE" "$new" | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    pyxis_verify "$EVALPLAN_TEST_NEMO_SIMPLE_EVALS_IMAGE" "$dir/check" || return 1
    touch "$stamp"
  fi
  echo "pyxis $(cat third_party/pyxis/Makefile | sed -n 's/^PYXIS_VER ?= //p') on enroot $(enroot version): ready"
}

if [ "${EVALPLAN_SKIP_PYXIS:-}" = 1 ] && [ "${CI:-}" != true ]; then
  echo "skipping pyxis (EVALPLAN_SKIP_PYXIS=1): its tests will skip"
elif pyxis_setup; then
  export_env EVALPLAN_TEST_PYXIS 1
elif [ "${CI:-}" = true ]; then
  echo "pyxis is not available (see above)" >&2
  return 1
else
  echo "pyxis is not available (see above): its tests will skip"
fi
