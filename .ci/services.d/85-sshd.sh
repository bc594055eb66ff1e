# An OpenSSH sshd on 127.0.0.1 for the Slurm executor's ssh path (providers/slurm,
# cmd/evalplan/testdata/slurm-ssh): the tests submit jobs to the one-node cluster of
# 80-slurm.sh through it, as to a login node. Sourced by .ci/services.sh (export_env,
# apt_install, free_port, wait_for).
#
# Its own configuration, host key, client key, authorized_keys and known_hosts live in
# /var/cache/evalplan/sshd; the system's sshd (its /etc/ssh/sshd_config and port 22) is
# never touched or started. Idempotent: a second run reuses a live server.
sshd_dir=/var/cache/evalplan/sshd
mkdir -p "$sshd_dir"
chmod 700 "$sshd_dir"

if [ ! -x /usr/sbin/sshd ]; then
  # Installing openssh-server starts the system's sshd through invoke-rc.d unless
  # policy-rc.d says no (exit 101): say no for the install when nothing says it already.
  sshd_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    sshd_policy=1
  fi
  if ! apt_install openssh-server; then
    [ -n "$sshd_policy" ] && rm -f /usr/sbin/policy-rc.d
    echo "could not install openssh-server" >&2
    return 1
  fi
  [ -n "$sshd_policy" ] && rm -f /usr/sbin/policy-rc.d
fi

[ -f "$sshd_dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C evalplan-test-host -f "$sshd_dir/host_ed25519"
[ -f "$sshd_dir/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C evalplan-test-client -f "$sshd_dir/client_ed25519"
cp "$sshd_dir/client_ed25519.pub" "$sshd_dir/authorized_keys"
# sshd's privilege separation directory (Debian's build expects it here).
mkdir -p /run/sshd
chmod 755 /run/sshd

sshd_port=""
if [ -f "$sshd_dir/sshd.pid" ] && [ -f "$sshd_dir/port" ] \
  && kill -0 "$(cat "$sshd_dir/sshd.pid")" 2>/dev/null \
  && ssh-keyscan -T 5 -p "$(cat "$sshd_dir/port")" 127.0.0.1 2>/dev/null | grep ssh-ed25519 >/dev/null; then
  sshd_port=$(cat "$sshd_dir/port")
  echo "reusing sshd on 127.0.0.1:$sshd_port"
else
  # A server of ours that no longer answers is stopped (by its pid file) before a new one.
  if [ -f "$sshd_dir/sshd.pid" ] && kill -0 "$(cat "$sshd_dir/sshd.pid")" 2>/dev/null; then
    kill "$(cat "$sshd_dir/sshd.pid")" || true
  fi
  sshd_port=$(free_port)
  cat > "$sshd_dir/sshd_config" <<CONF
Port $sshd_port
ListenAddress 127.0.0.1
HostKey $sshd_dir/host_ed25519
PidFile $sshd_dir/sshd.pid
AuthorizedKeysFile $sshd_dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
MaxSessions 20
MaxStartups 50:30:100
LogLevel INFO
CONF
  /usr/sbin/sshd -t -f "$sshd_dir/sshd_config"
  /usr/sbin/sshd -f "$sshd_dir/sshd_config" -E "$sshd_dir/sshd.log"
  echo "$sshd_port" > "$sshd_dir/port"
  if ! wait_for sh -c "ssh-keyscan -T 2 -p $sshd_port 127.0.0.1 2>/dev/null | grep ssh-ed25519 >/dev/null"; then
    echo "sshd did not answer on 127.0.0.1:$sshd_port; its log:" >&2
    tail -n 30 "$sshd_dir/sshd.log" >&2
    return 1
  fi
fi
printf '[127.0.0.1]:%s %s\n' "$sshd_port" "$(cut -d' ' -f1,2 "$sshd_dir/host_ed25519.pub")" > "$sshd_dir/known_hosts"

export_env EVALPLAN_TEST_SSH_HOST 127.0.0.1
export_env EVALPLAN_TEST_SSH_PORT "$sshd_port"
export_env EVALPLAN_TEST_SSH_USER "$(id -un)"
export_env EVALPLAN_TEST_SSH_KEY "$sshd_dir/client_ed25519"
export_env EVALPLAN_TEST_SSH_KNOWN_HOSTS "$sshd_dir/known_hosts"
