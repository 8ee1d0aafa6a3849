# Shell helpers shared by test/demo and test/benchmark-cluster: simulated nodes running the
# real pydio-agentd, driven through agentctl. Source after setting: root, simnode, agentd,
# agentctl, run_dir. Nothing here passes a document through a shell: specs are files.

declare -A agent_pids=()

# in_node NODE ARGV... : run inside a node (network + mount namespace).
in_node() { local node=$1; shift; "$simnode" exec "$run_dir" "$node" -- "$@"; }

# create_node NODE INDEX : a simulated node at 198.18.0.INDEX with the agent configured. Its /usr
# and package database are the host's: the agent must not install packages there (./setup did).
create_node() {
  local node=$1 index=$2
  "$simnode" create "$run_dir" "$node" "$index"
  cat >"$run_dir/$node-agent.json" <<JSON
{"nodeName": "$node", "address": "198.18.0.$index", "healthListen": "198.18.0.$index:8480",
 "services": "direct", "installPackages": false}
JSON
  in_node "$node" mkdir -p /etc/pydio-agent
  in_node "$node" cp "$run_dir/$node-agent.json" /etc/pydio-agent/agent.json
}

# start_agent NODE : starts pydio-agentd in the node and waits until agentctl answers.
start_agent() {
  local node=$1
  setsid "$simnode" exec "$run_dir" "$node" -- "$agentd" --config /etc/pydio-agent/agent.json \
    >>"$run_dir/$node-agent.log" 2>&1 </dev/null &
  agent_pids[$node]=$!
  disown "$!"  # its end is ours to report, not the shell's ("Killed" when a benchmark kills it)
  for _ in $(seq 150); do in_node "$node" "$agentctl" status --local >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "pydio-agentd in $node did not answer (log: $run_dir/$node-agent.log)" >&2
  return 1
}

# stop_agents : SIGTERM every agent started here, by PID.
stop_agents() {
  local node pid
  for node in "${!agent_pids[@]}"; do
    pid=${agent_pids[$node]}
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
}

# health_code NODE INDEX : the HTTP status of GET /health of that node ("000" if none).
health_code() {
  in_node "$1" curl -s -o /dev/null -w '%{http_code}' -m 3 "http://198.18.0.$2:8480/health" || true
}

# wait_healthy NODE INDEX SECONDS : 0 once /health answers 200, 1 after SECONDS.
wait_healthy() {
  local node=$1 index=$2 limit=$3 start
  start=$(date +%s)
  while [ $(( $(date +%s) - start )) -lt "$limit" ]; do
    [ "$(health_code "$node" "$index")" = 200 ] && return 0
    sleep 0.2
  done
  return 1
}

# join_token NODE : a new join token (24 h), made by `agentctl token create` on that storage
# node; the token is printed only by that command and stored nowhere.
join_token() {
  in_node "$1" "$agentctl" token create --description "test/lib join_token" |
    sed -n 's/^  \([a-z0-9]\{6\}\.[a-z0-9]\{16\}\)$/\1/p'
}

# ca_cert_hash NODE : sha256:<hex> of the cluster CA's public key (agentctl join --ca-cert-hash),
# computed from the node's CA certificate as kubeadm documents it.
ca_cert_hash() {
  local hex
  hex=$(in_node "$1" openssl x509 -pubkey -noout -in /etc/pydio-agent/pki/ca.crt |
    openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)
  echo "sha256:$hex"
}

# now_ms : milliseconds since the epoch.
now_ms() { date +%s%3N; }
