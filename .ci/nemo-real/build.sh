#!/usr/bin/env bash
# Builds local stand-ins for nvcr.io/nvidia/eval-factory/{simple-evals,lm-evaluation-harness}
# that hold NVIDIA's REAL evaluator packages (requirements.txt), with an offline dataset cache
# baked in, and saves them to WORKDIR/images.tar. Run as root; about 8 minutes, 1.5 GB.
#
# usage: build.sh WORKDIR DATA TAG
#   WORKDIR  scratch folder (the rootfs, the build context, the log of each step)
#   DATA     shared/data/benchmarks (mmlu/{test,dev}/*.csv, gsm8k_test.jsonl)
#   TAG      tag of the images: evalplan-nemo/{simple-evals,lm-evaluation-harness}:TAG
# Uses DOCKER_HOST when set. Lines starting "nemo-images:" report progress.
#
# Steps: debootstrap Debian bookworm (Python 3.11: the pins need Python <= 3.13) -> chroot:
# venv /opt/nemo with requirements.txt, then make_hfcache.py builds the dataset cache ->
# docker import -> one image per harness (Dockerfile: the other harness uninstalled, as in
# NVIDIA's images; the cache in /opt/hfcache; HF_HUB_OFFLINE=1) -> docker save.
# Adapted from shared/nemo-real/build_images.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$1; data=$(cd "$2" && pwd); tag=$3
mkdir -p "$work"; work=$(cd "$work" && pwd)
rootfs=$work/rootfs
say() { echo "nemo-images: $*"; }

unmount_all() { umount "$rootfs/proc" 2>/dev/null || true; umount "$rootfs/dev" 2>/dev/null || true; }
trap unmount_all EXIT

if [ ! -x "$rootfs/opt/nemo/bin/nemo-evaluator" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
  if [ ! -x "$rootfs/usr/bin/python3" ]; then
    say "debootstrap bookworm into $rootfs"
    unmount_all; rm -rf "$rootfs"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates bookworm "$rootfs"
  fi
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  # PyPI may be reached through an egress proxy whose CA is only in the host's bundle.
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/tmp/hostca.crt"
  cp "$here/requirements.txt" "$rootfs/tmp/requirements.txt"
  cat > "$rootfs/tmp/install.sh" <<'EOS'
set -e
export PIP_CERT=/tmp/hostca.crt PIP_DEFAULT_TIMEOUT=180 PIP_DISABLE_PIP_VERSION_CHECK=1 HOME=/root
python3 -m venv /opt/nemo
/opt/nemo/bin/pip install -q --upgrade pip wheel
/opt/nemo/bin/pip install -q -r /tmp/requirements.txt
/opt/nemo/bin/pip freeze > /opt/nemo/freeze.txt
rm -rf /root/.cache/pip
EOS
  say "pip install $(grep -v '^#' "$here/requirements.txt" | tr '\n' ' ')into /opt/nemo (chroot)"
  mount --bind /dev "$rootfs/dev"; mount -t proc proc "$rootfs/proc"
  # A clean environment: the host's REQUESTS_CA_BUNDLE etc. point at files the chroot lacks.
  env -i PATH=/usr/sbin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 chroot "$rootfs" /bin/bash /tmp/install.sh
  unmount_all
  rm -f "$rootfs/tmp/hostca.crt" "$rootfs/tmp/install.sh" "$rootfs/tmp/requirements.txt"
  : > "$rootfs/etc/resolv.conf"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
fi

say "building the offline dataset cache (make_hfcache.py, chroot)"
rm -rf "$rootfs/tmp/data" "$rootfs/tmp/fx"
mkdir -p "$rootfs/tmp/data"
cp -r "$data/mmlu" "$data/gsm8k_test.jsonl" "$rootfs/tmp/data/"
cp "$here/make_hfcache.py" "$rootfs/tmp/make_hfcache.py"
env -i PATH=/opt/nemo/bin:/usr/sbin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
  chroot "$rootfs" /opt/nemo/bin/python /tmp/make_hfcache.py /tmp/data /tmp/fx
ctx=$work/imgctx; rm -rf "$ctx"; mkdir -p "$ctx"
mv "$rootfs/tmp/fx/hfcache" "$ctx/hfcache"; cp "$here/Dockerfile" "$ctx/"
rm -rf "$rootfs/tmp/fx" "$rootfs/tmp/data" "$rootfs/tmp/make_hfcache.py" "$rootfs/root/.cache"

base=evalplan-nemo/base:$tag
say "docker import $base"
tar -C "$rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
  docker import -c 'ENV PATH=/opt/nemo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' -m "bookworm + /opt/nemo ($(grep -v '^#' "$here/requirements.txt" | tr '\n' ' '))" - "$base"

images=()
for pair in simple-evals:nvidia-lm-eval lm-evaluation-harness:nvidia-simple-evals; do
  name=${pair%%:*}; remove=${pair#*:}
  say "docker build evalplan-nemo/$name:$tag (without $remove)"
  docker build -q --network none --build-arg BASE="$base" --build-arg REMOVE="$remove" \
    -t "evalplan-nemo/$name:$tag" "$ctx"
  images+=("evalplan-nemo/$name:$tag")
done
say "docker save ${images[*]} -> $work/images.tar"
docker save -o "$work/images.tar.tmp" "${images[@]}"
mv "$work/images.tar.tmp" "$work/images.tar"
say "built"
