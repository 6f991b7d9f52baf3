# Sourced by the podman suites (container.sh, deb_systemd.sh): a containers.conf that works in
# this VM — runc (crun refuses its cgroup setup), cgroupfs, and the host's hard open-file limit
# (the VM cannot raise hard limits).
podman_conf() {
  cat >"$1/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
  export CONTAINERS_CONF="$1/containers.conf"
}
