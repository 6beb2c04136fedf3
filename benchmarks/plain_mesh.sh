#!/usr/bin/env bash
# A reference only (issue 17): the plain script that playbooks/mesh.yml is measured against.
# It builds the same switch-mode tinc mesh on fresh boxes over ssh: apt install, configuration,
# keys made on each box, host-file exchange, start. No checks, no idempotence, no trust rules.
#
#   benchmarks/plain_mesh.sh NET BOXES_FILE SSH_ARGS...
# BOXES_FILE: one box a line, "NAME ADDRESS OVERLAY_IP PREFIX". SSH_ARGS: options and user@ prefix
# are taken as given, e.g. -i KEY -o UserKnownHostsFile=F -o StrictHostKeyChecking=yes -l root.
set -euo pipefail
net=$1 boxes=$2
shift 2
ssh_args=("$@")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t lines <"$boxes"

on() { ssh "${ssh_args[@]}" "$1" "${@:2}"; }
pids=()
waitall() { # wait for every job started since the last call; fail when one failed
  for pid in "${pids[@]}"; do wait "$pid"; done
  pids=()
}

# 1. On every box at once: package, configuration, key pair (the same key size as the role).
for line in "${lines[@]}"; do
  read -r name address ip prefix <<<"$line"
  connect=""
  for other in "${lines[@]}"; do
    read -r oname _ <<<"$other"
    [ "$oname" = "$name" ] || connect+="ConnectTo = $oname"$'\n'
  done
  on "$address" bash -s <<EOF &
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q tinc >/dev/null
mkdir -p /etc/tinc/$net/hosts
printf 'Name = %s\nMode = switch\nAddressFamily = ipv4\n%s' '$name' '$connect' >/etc/tinc/$net/tinc.conf
printf '#!/bin/sh\nip addr add $ip/$prefix dev \$INTERFACE\nip link set \$INTERFACE up\n' >/etc/tinc/$net/tinc-up
chmod 755 /etc/tinc/$net/tinc-up
printf 'Address = %s\nPort = 655\n' '$address' >/etc/tinc/$net/hosts/$name
tincd -n $net -K4096 </dev/null >/dev/null 2>&1
EOF
  pids+=($!)
done
waitall

# 2. Every box's host file to every box.
for line in "${lines[@]}"; do
  read -r name address _ <<<"$line"
  on "$address" cat "/etc/tinc/$net/hosts/$name" >"$work/$name" &
  pids+=($!)
done
waitall
for line in "${lines[@]}"; do
  read -r _ address _ <<<"$line"
  tar -C "$work" -cf - . | on "$address" tar -C "/etc/tinc/$net/hosts" -xf - &
  pids+=($!)
done
waitall

# 3. Start.
for line in "${lines[@]}"; do
  read -r _ address _ <<<"$line"
  on "$address" systemctl enable --now -q "tinc@$net" &
  pids+=($!)
done
waitall
