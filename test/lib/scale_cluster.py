#!/usr/bin/env python3
"""Scale and file-count benchmarks on simulated nodes; driven by test/benchmark-cluster.

  --nodes N[,N...]  for each N a fresh cluster of N nodes (layout()), joined in parallel;
                    prints one row per N (bootstrap, status, propagation, leader CPU/RSS,
                    memory of every node process)
  --files COUNT     the 4-node layout; cost of a reconcile pass with an empty pydio-data, then
                    after COUNT small files were written into it through a FUSE mount

Numbers only, no asserts. Every process is started with an argv (no shell), every signal goes
to a PID this script started, and the run is torn down (agents by PID, then `simnode destroy`)
whatever happens, including Ctrl-C and SIGTERM. Agent logs are kept in a directory that is
printed when a run fails.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SUBNET = "198.18.0"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
# Direct connections only: an http_proxy in the environment must not see the test network.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))
IN_FORCE = re.compile(r"desired state generation (\d+) in force")


def say(text):
    print(text, flush=True)


class BenchError(Exception):
    pass


# ----------------------------------------------------------------------------- layout

def layout(total):
    """[(name, index, roles)] for `total` nodes: a quarter storage-only (at least 2, an even
    number: replica-2 sets), one db, the rest compute: the layout issue 7 proposes (the leader,
    a storage node, has no compute role). n1 (198.18.0.1) is where init runs."""
    if total < 4:
        raise BenchError("--nodes needs at least 4 (2 storage, 1 compute, 1 db)")
    storage = max(2, total // 4)
    storage -= storage % 2
    compute = total - storage - 1
    nodes = [("n%d" % i, i, ["storage"]) for i in range(1, storage + 1)]
    nodes.append(("db", storage + 1, ["db"]))
    nodes += [("c%d" % i, storage + 1 + i, ["compute"]) for i in range(1, compute + 1)]
    return nodes


def describe_layout(nodes):
    storage = sum("storage" in roles for _, _, roles in nodes)
    compute = sum(roles == ["compute"] for _, _, roles in nodes)
    return "%d storage (%d replica-2 sets), %d compute, 1 db" % (storage, storage // 2, compute)


def cluster_spec(nodes, devices):
    """The tutorial spec (test/data/tutorial-spec.json.in) for any number of nodes."""
    db = next(index for _, index, roles in nodes if "db" in roles)
    listed = []
    for name, index, roles in nodes:
        node = {"name": name, "address": "%s.%d" % (SUBNET, index), "roles": roles}
        if "storage" in roles:
            node["bricks"] = [
                {"name": "data", "device": devices[name], "mountpoint": "/srv/pydio", "filesystem": "xfs"},
                {"name": "config", "directory": "/srv/pydio/config-brick"}]
        listed.append(node)

    def volume(name, brick):
        return {"name": name, "replica": 2, "brick": brick, "mountpoint": "/mnt/" + name,
                "options": {"network.ping-timeout": "5"}}
    return {
        "apiVersion": "pydio-agent/v1", "generation": 1, "cluster": {"name": "scale"},
        "nodes": listed,
        "volumes": [volume("pydio-data", "data"), volume("pydio-config", "config")],
        "web": {"docroot": "/var/www/pydio", "alias": "/pydio", "healthFile": "check.txt",
                "user": "www-data", "group": "www-data",
                "publicUrl": "http://files.example.test/pydio"},
        "database": {"host": "%s.%d" % (SUBNET, db), "name": "pydio", "user": "pydio",
                     "allowedHosts": [SUBNET + ".%"]},
    }


# ----------------------------------------------------------------------------- /proc

def proc_stat(pid):
    """(utime+stime, cutime+cstime) in ticks, or None when the process is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def proc_memory(pid):
    """(comm, cmdline, rss kB, pss kB) or None when the process is gone."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            comm = f.read().strip()
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        rss = pss = 0
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss = int(line.split()[1])
        except OSError:
            pss = rss
    except OSError:
        return None
    return comm, cmdline, rss, pss


def component(comm, cmdline):
    if comm == "pydio-agentd":
        return "agents"
    if comm == "glusterfs":
        return "gluster-shd" if "glustershd" in cmdline else "fuse-clients"
    if comm in ("glusterd", "glusterfsd", "apache2"):
        return comm
    if comm in ("mariadbd", "mysqld"):
        return "mariadb"
    return "other"


# ----------------------------------------------------------------------------- the cluster

class Cluster:
    """Simulated nodes with the real agent; close() removes everything, pass or fail."""

    def __init__(self, args, nodes, disk_mb):
        self.args = args
        self.nodes = nodes  # [(name, index, roles)]
        self.disk_mb = disk_mb
        self.run_dir = tempfile.mkdtemp(prefix="pydio-sim-", dir="/tmp")
        self.agents = {}    # name -> Popen of the agent (its PID is the agent's: nsenter execs)
        self.log_threads = []
        self.failed = False
        os.environ["SIMNODE_OWNER_PID"] = str(os.getpid())
        # Permanent neighbour entries: 32 nodes in a full mesh overflow the kernel's one ARP
        # table shared by every namespace (test/harness/simnode).
        os.environ["SIMNODE_STATIC_NEIGH"] = "1"

    def address(self, name):
        return "%s.%d" % (SUBNET, dict((n, i) for n, i, _ in self.nodes)[name])

    def names(self, role=None):
        return [n for n, _, roles in self.nodes if role is None or role in roles]

    def simnode(self, *argv, timeout=120, check=True):
        result = subprocess.run([self.args.simnode, *argv], capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise BenchError("simnode %s: exit %d: %s" % (" ".join(argv[:3]), result.returncode,
                                                          result.stderr.strip()[-500:]))
        return result

    def run(self, node, *argv, timeout=120, check=True):
        return self.simnode("exec", self.run_dir, node, "--", *argv, timeout=timeout, check=check)

    def agentctl(self, node, *argv, timeout=120, check=True):
        return self.run(node, self.args.agentctl, *argv, timeout=timeout, check=check)

    def log_path(self, name):
        return os.path.join(self.run_dir, name + "-agent.log")

    # --- bring-up

    def create(self):
        """Nodes (first alone: it creates the bridge), disks, agent configs, agents started."""
        first, rest = self.nodes[0], self.nodes[1:]
        self.simnode("create", self.run_dir, first[0], str(first[1]))
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            for f in [pool.submit(self.simnode, "create", self.run_dir, n, str(i)) for n, i, _ in rest]:
                f.result()
        self.devices = {}
        for name in self.names("storage"):
            out = self.simnode("loopdev", self.run_dir, name, str(self.disk_mb)).stdout.strip()
            self.devices[name] = out
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            for f in [pool.submit(self.configure_agent, n, i) for n, i, _ in self.nodes]:
                f.result()
        for name, _, _ in self.nodes:
            self.start_agent(name)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for f in [pool.submit(self.wait_agent, n) for n in self.names()]:
                f.result()

    def configure_agent(self, name, index):
        path = os.path.join(self.run_dir, name + "-agent.json")
        with open(path, "w") as f:
            json.dump({"nodeName": name, "address": "%s.%d" % (SUBNET, index),
                       "healthListen": "%s.%d:8480" % (SUBNET, index), "services": "direct"}, f)
        self.run(name, "mkdir", "-p", "/etc/pydio-agent")
        self.run(name, "cp", path, "/etc/pydio-agent/agent.json")

    def start_agent(self, name):
        # The agent logs without timestamps (journald adds them); each line gets the wall clock
        # of its arrival here, so propagation is read from the logs instead of polling 32 nodes.
        proc = subprocess.Popen(
            [self.args.simnode, "exec", self.run_dir, name, "--", self.args.agentd,
             "--config", "/etc/pydio-agent/agent.json"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.agents[name] = proc
        thread = threading.Thread(target=stamp_lines, args=(proc.stdout, self.log_path(name)),
                                  daemon=True)
        thread.start()
        self.log_threads.append(thread)

    def wait_agent(self, name):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.agents[name].poll() is not None:
                raise BenchError("pydio-agentd in %s exited (log: %s)" % (name, self.log_path(name)))
            if self.agentctl(name, "status", "--local", check=False, timeout=20).returncode == 0:
                return
            time.sleep(0.2)
        raise BenchError("pydio-agentd in %s did not answer within 60 s" % name)

    # --- observation

    def health(self, name, timeout=2):
        try:
            with HTTP.open("http://%s:8480/health" % self.address(name), timeout=timeout) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except (OSError, ValueError):
            return 0

    def local_status(self, name):
        r = self.agentctl(name, "status", "--local", "-o", "json", check=False, timeout=30)
        try:
            return json.loads(r.stdout) if r.returncode == 0 else None
        except ValueError:
            return None

    def leader(self):
        for name in self.names("storage"):
            s = self.local_status(name)
            if s and s.get("leader", {}).get("isLeader"):
                return name
        return None

    def node_pids(self):
        """{node: [pid...]} of every process in each node (holder excluded)."""
        out = {}
        for name in self.names():
            r = self.simnode("pids", self.run_dir, name, check=False)
            out[name] = [int(p) for p in r.stdout.split()]
        return out

    def in_force_times(self, generation):
        """{node: wall time its log said `generation` is in force} for the nodes that did."""
        found = {}
        for name in self.names():
            try:
                with open(self.log_path(name)) as f:
                    for line in f:
                        stamp, _, text = line.partition(" ")
                        m = IN_FORCE.search(text)
                        if m and int(m.group(1)) == generation:
                            found[name] = float(stamp)
                            break
            except OSError:
                pass
        return found

    # --- teardown

    def close(self):
        """Agents by PID (SIGTERM, SIGKILL after 10 s), then `simnode destroy` of the run."""
        for proc in self.agents.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for proc in self.agents.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for thread in self.log_threads:
            thread.join(timeout=5)
        kept = None
        if self.failed or self.args.keep_logs:
            kept = tempfile.mkdtemp(prefix="pydio-scale-logs-", dir="/tmp")
            for f in os.listdir(self.run_dir):
                if f.endswith("-agent.log"):
                    shutil.copy(os.path.join(self.run_dir, f), kept)
        destroyed = subprocess.run([self.args.simnode, "destroy", self.run_dir], timeout=900,
                                   stdin=subprocess.DEVNULL)
        if destroyed.returncode == 0:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        else:
            say("simnode destroy %s failed; state left in place" % self.run_dir)
        if kept:
            say("agent logs kept in %s" % kept)


def stamp_lines(stream, path):
    with open(path, "a") as out:
        for raw in stream:
            out.write("%.3f %s" % (time.time(), raw.decode(errors="replace")))
            out.flush()


# ----------------------------------------------------------------------------- measurements

def timed(fn, *args, **kwargs):
    start = time.monotonic()
    result = fn(*args, **kwargs)
    return time.monotonic() - start, result


def bootstrap(cluster, deadline_s):
    """init on n1, every other node's `agentctl join` at once, until every /health is 200.
    Returns a dict of seconds since init started."""
    spec_path = os.path.join(cluster.run_dir, "cluster.json")
    with open(spec_path, "w") as f:
        json.dump(cluster_spec(cluster.nodes, cluster.devices), f, indent=1)
    first = cluster.nodes[0][0]
    t0 = time.time()
    init = cluster.agentctl(first, "init", "--spec", spec_path)
    token = re.search(r"--token (\S+)", init.stdout)
    pin = re.search(r"--ca-cert-hash (\S+)", init.stdout)
    if not token or not pin:
        raise BenchError("agentctl init printed no token or CA hash: " + init.stdout)
    t_init = time.time() - t0
    joins = {n: subprocess.Popen(
        [cluster.args.simnode, "exec", cluster.run_dir, n, "--", cluster.args.agentctl, "join",
         cluster.address(first), "--token", token.group(1), "--ca-cert-hash", pin.group(1)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for n in cluster.names() if n != first}
    failed = []
    for name, proc in joins.items():
        out, _ = proc.communicate(timeout=300)
        if proc.returncode != 0:
            failed.append("%s: %s" % (name, out.decode(errors="replace").strip()))
    t_joined = time.time() - t0
    if failed:
        raise BenchError("agentctl join failed on %d nodes:\n  %s" % (len(failed), "\n  ".join(failed)))
    first_healthy = {}
    while True:
        now = time.time()
        codes = {n: cluster.health(n) for n in cluster.names()}
        for n, code in codes.items():
            if code == 200 and n not in first_healthy:
                first_healthy[n] = now - t0
        if all(code == 200 for code in codes.values()):
            break
        if now - t0 > deadline_s:
            cluster.failed = True
            bad = ", ".join("%s=%s" % (n, c) for n, c in codes.items() if c != 200)
            raise BenchError("not all healthy after %d s: %s" % (deadline_s, bad))
        time.sleep(0.5)
    all_healthy = time.time() - t0
    ordered = sorted(first_healthy.values())
    return {"t0": t0, "init": t_init, "joined": t_joined, "allHealthy": all_healthy,
            "firstHealthy": ordered[0], "medianHealthy": statistics.median(ordered)}


def leader_breakdown(cluster, leader, t0):
    """Where the bootstrap went on the leader: when it won the lease (from its log) and the
    summed gluster actions it ran (pool probes, volume create/set/start, from its events)."""
    won = None
    with open(cluster.log_path(leader)) as f:
        for line in f:
            if "this node now leads" in line:
                won = float(line.split(" ", 1)[0]) - t0
                break
    r = cluster.agentctl(leader, "events", "-n", "1000", "-o", "json", check=False)
    gluster_ms = 0
    count = 0
    try:
        for e in json.loads(r.stdout):
            if e.get("outcome") == "ok" and (e["resource"] == "gluster-pool" or e["resource"].startswith("volume/")):
                gluster_ms += e.get("durationMs", 0)
                count += 1
    except (ValueError, KeyError, TypeError):
        pass
    return {"leaderWon": won, "glusterActionsS": gluster_ms / 1000.0, "glusterActions": count}


def status_times(cluster, node, runs):
    """Median wall seconds of `agentctl status` (cluster table) and of `status --local` on node,
    both through `simnode exec` (the difference is the cluster fan-out)."""
    full, local = [], []
    for _ in range(runs):
        seconds, r = timed(cluster.agentctl, node, "status", check=False, timeout=120)
        full.append(seconds if r.returncode == 0 else float("nan"))
        seconds, r = timed(cluster.agentctl, node, "status", "--local", check=False, timeout=60)
        local.append(seconds)
    table = cluster.agentctl(node, "status", check=False).stdout
    return statistics.median(full), statistics.median(local), table


GLUSTER_STATUS_COMMANDS = [  # what the cluster table runs on a storage node, one after another
    ["pool", "list"],
    ["volume", "info", "pydio-data"], ["volume", "status", "pydio-data"],
    ["volume", "heal", "pydio-data", "info", "summary"],
    ["volume", "info", "pydio-config"], ["volume", "status", "pydio-config"],
    ["volume", "heal", "pydio-config", "info", "summary"],
]


def gluster_status_times(cluster, node):
    """Wall seconds of each gluster command of the cluster table, run in `node` the way the
    agent runs them, minus the cost of entering the node (`simnode exec true`)."""
    entry = statistics.median(timed(cluster.run, node, "true")[0] for _ in range(3))
    out = []
    for args in GLUSTER_STATUS_COMMANDS:
        seconds, _ = timed(cluster.run, node, "gluster", "--mode=script", "--xml", *args, check=False)
        out.append((" ".join(args), max(0.0, seconds - entry)))
    return out


def propagation(cluster, leader, runs):
    """`agentctl apply` of an edit of the document in force on the leader (it keeps the generation
    it is based on) until every node's log says the next generation is in force.
    Returns [(seconds to the last node, seconds to the median node)] per run."""
    samples = []
    for run in range(runs):
        doc = json.loads(cluster.run(leader, "cat", "/var/lib/pydio-agent/desired-state.json").stdout)
        next_generation = doc["generation"] + 1
        level = "WARNING" if run % 2 == 0 else "INFO"
        for volume in doc["volumes"]:
            if volume["name"] == "pydio-data":
                volume.setdefault("options", {})["diagnostics.client-log-level"] = level
        path = os.path.join(cluster.run_dir, "change-%d.json" % run)
        with open(path, "w") as f:
            json.dump(doc, f)
        t0 = time.time()
        cluster.agentctl(leader, "apply", "--spec", path)
        deadline = t0 + 60
        while True:
            seen = cluster.in_force_times(next_generation)
            if len(seen) == len(cluster.nodes) or time.time() > deadline:
                break
            time.sleep(0.1)
        if len(seen) < len(cluster.nodes):
            missing = sorted(set(cluster.names()) - set(seen))
            raise BenchError("generation %d not in force after 60 s on %s (or the agent no longer "
                             "logs 'desired state generation N in force')" % (next_generation, ", ".join(missing)))
        delays = sorted(t - t0 for t in seen.values())
        samples.append((delays[-1], statistics.median(delays)))
        time.sleep(3)
    return samples


def idle_cost(cluster, leader, seconds):
    """Over an idle window: the leader agent's CPU (own, and of the commands it ran), the
    processes it started, and the CPU of every process of every node by component."""
    pids = cluster.node_pids()
    leader_pid = cluster.agents[leader].pid
    before = {p: proc_stat(p) for ps in pids.values() for p in ps}
    started0 = (cluster.local_status(leader) or {}).get("processesStarted", 0)
    time.sleep(seconds)
    started1 = (cluster.local_status(leader) or {}).get("processesStarted", 0)
    after = {p: proc_stat(p) for p in before}
    by_component = {}
    for p, b in before.items():
        a = after[p]
        mem = proc_memory(p)
        if a is None or b is None or mem is None:
            continue
        key = component(mem[0], mem[1])
        by_component[key] = by_component.get(key, 0) + (a[0] - b[0]) + (a[1] - b[1])
    pct = {k: 100.0 * v / CLK_TCK / seconds for k, v in by_component.items()}
    lb, la = before[leader_pid], after[leader_pid]
    return {
        "leaderCpuPct": 100.0 * (la[0] - lb[0]) / CLK_TCK / seconds,
        "leaderChildrenCpuPct": 100.0 * (la[1] - lb[1]) / CLK_TCK / seconds,
        "leaderProcessesPerMin": (started1 - started0) * 60.0 / seconds,
        "clusterCpuPct": pct,
    }


def memory(cluster, leader):
    rss_by, pss_by = {}, {}
    for ps in cluster.node_pids().values():
        for p in ps:
            mem = proc_memory(p)
            if mem is None:
                continue
            key = component(mem[0], mem[1])
            rss_by[key] = rss_by.get(key, 0) + mem[2]
            pss_by[key] = pss_by.get(key, 0) + mem[3]
    leader_mem = proc_memory(cluster.agents[leader].pid)
    return {"leaderRssKb": leader_mem[2] if leader_mem else 0, "rssKb": rss_by, "pssKb": pss_by}


# ----------------------------------------------------------------------------- modes

def scale_run(args, total):
    nodes = layout(total)
    say("\n== %d nodes: %s" % (total, describe_layout(nodes)))
    cluster = Cluster(args, nodes, disk_mb=400)
    try:
        seconds, _ = timed(cluster.create)
        say("   %d nodes created and agents answering in %.1f s (not part of the figures)" % (total, seconds))
        boot = bootstrap(cluster, args.deadline)
        say("   bootstrap: init %.1f s, all joins returned %.1f s, first healthy %.1f s, "
            "median %.1f s, all healthy %.1f s" % (boot["init"], boot["joined"], boot["firstHealthy"],
                                                   boot["medianHealthy"], boot["allHealthy"]))
        leader = cluster.leader()
        if leader is None:
            raise BenchError("no storage node reports holding the lease")
        crit = leader_breakdown(cluster, leader, boot["t0"])
        say("   leader %s: won the lease at %s s; its %d gluster actions took %.1f s in all"
            % (leader, "%.1f" % crit["leaderWon"] if crit["leaderWon"] is not None else "?",
               crit["glusterActions"], crit["glusterActionsS"]))
        compute = cluster.names("compute")[-1]
        st_leader, st_leader_local, table = status_times(cluster, leader, args.status_runs)
        st_compute, st_compute_local, _ = status_times(cluster, compute, args.status_runs)
        say("   agentctl status (cluster table), median of %d: on %s %.0f ms (--local %.0f ms), "
            "on %s %.0f ms (--local %.0f ms)" % (args.status_runs, leader, st_leader * 1000,
                                                st_leader_local * 1000, compute, st_compute * 1000,
                                                st_compute_local * 1000))
        gluster = gluster_status_times(cluster, leader)
        say("   its gluster commands one by one: %s; sum %.0f ms" % (
            ", ".join("%s %.0f ms" % (c, t * 1000) for c, t in gluster), sum(t for _, t in gluster) * 1000))
        listed = sum(1 for n in cluster.names()
                     if re.search(r"^\s*%s\s+%s\s" % (re.escape(n), re.escape(cluster.address(n))), table, re.M))
        say("   the cluster table lists %d of %d nodes" % (listed, total))
        prop = propagation(cluster, leader, args.propagation_runs)
        say("   propagation (last node / median node): " +
            ", ".join("%.0f/%.0f ms" % (a * 1000, m * 1000) for a, m in prop))
        time.sleep(10)  # let the changes' passes finish before the idle window
        idle = idle_cost(cluster, leader, args.idle_seconds)
        mem = memory(cluster, leader)
        say("   idle %d s: leader agent %.2f %% of a core (+%.2f %% in commands it ran, %.1f processes/min); "
            "all node processes: %s" % (args.idle_seconds, idle["leaderCpuPct"], idle["leaderChildrenCpuPct"],
                                        idle["leaderProcessesPerMin"], fmt_parts(idle["clusterCpuPct"], "%")))
        say("   memory: leader agent RSS %.1f MiB; all node processes RSS %.0f MiB (PSS %.0f MiB): %s"
            % (mem["leaderRssKb"] / 1024, sum(mem["rssKb"].values()) / 1024,
               sum(mem["pssKb"].values()) / 1024,
               fmt_parts({k: v / 1024 for k, v in mem["rssKb"].items()}, " MiB")))
        return {"nodes": total, "layout": describe_layout(nodes), "bootstrap": boot, "leader": leader,
                "critical": crit, "statusLeaderS": st_leader, "statusLeaderLocalS": st_leader_local,
                "statusComputeS": st_compute, "statusComputeLocalS": st_compute_local,
                "glusterStatusCommands": gluster,
                "tableListed": listed, "propagation": prop, "idle": idle, "memory": mem,
                "loadavg": open("/proc/loadavg").read().split()[:3]}
    except BaseException:
        cluster.failed = True
        raise
    finally:
        cluster.close()


def fmt_parts(parts, unit):
    return ", ".join("%s %.1f%s" % (k, v, unit) for k, v in sorted(parts.items(), key=lambda kv: -kv[1]))


def pass_cost(cluster, leader, runs, window):
    """Cost of a reconcile pass on the leader: `agentctl plan` (observe + plan of every
    resource, what a pass does before it acts) median wall time; and the CPU every node
    process spent in `window` seconds after `agentctl reconcile`, minus an idle window."""
    plans = [timed(cluster.agentctl, leader, "plan", timeout=120)[0] for _ in range(runs)]
    pids = [p for ps in cluster.node_pids().values() for p in ps]
    leader_pid = cluster.agents[leader].pid

    def cpu_over(seconds, action=None):
        before = {p: proc_stat(p) for p in pids}
        if action:
            action()
        time.sleep(seconds)
        total = agent = 0
        for p, b in before.items():
            a = proc_stat(p)
            if a is None or b is None:
                continue
            used = (a[0] - b[0]) + (a[1] - b[1])
            total += used
            if p == leader_pid:
                agent += used
        return total * 1000.0 / CLK_TCK, agent * 1000.0 / CLK_TCK
    idle_all, idle_agent = cpu_over(window)
    started0 = (cluster.local_status(leader) or {}).get("processesStarted", 0)
    pass_all, pass_agent = cpu_over(window, lambda: cluster.agentctl(leader, "reconcile"))
    started1 = (cluster.local_status(leader) or {}).get("processesStarted", 0)
    return {"planMedianMs": statistics.median(plans) * 1000, "planRunsMs": [p * 1000 for p in plans],
            "passCpuMs": pass_all - idle_all, "passAgentCpuMs": pass_agent - idle_agent,
            "processesStarted": started1 - started0}


WRITE_FILES = r'''
set -eu
count=$1 writers=$2 dir=$3
mkdir -p "$dir"
per=$(( (count + writers - 1) / writers ))
for w in $(seq 0 $((writers - 1))); do
  (
    start=$((w * per)); end=$((start + per)); [ $end -le $count ] || end=$count
    d=""
    for ((i = start; i < end; i++)); do
      if [ $((i % 1000)) -eq 0 ] || [ -z "$d" ]; then d=$dir/d$((i / 1000)); mkdir -p "$d"; fi
      printf 'file %d\n' $i >"$d/f$i"
    done
  ) &
done
wait
'''


def files_run(args):
    nodes = layout(4)
    say("\n== %d files on pydio-data: %s; data disks %d MB" % (args.files, describe_layout(nodes), args.disk_mb))
    cluster = Cluster(args, nodes, disk_mb=args.disk_mb)
    try:
        cluster.create()
        boot = bootstrap(cluster, args.deadline)
        say("   all healthy %.1f s after init" % boot["allHealthy"])
        leader = cluster.leader()
        if leader is None:
            raise BenchError("no storage node reports holding the lease")
        time.sleep(10)
        empty = pass_cost(cluster, leader, args.status_runs, args.pass_window)
        say("   empty pydio-data: %s" % json.dumps(empty))
        writer = cluster.names("compute")[-1]
        seconds, _ = timed(cluster.run, writer, "bash", "-c", WRITE_FILES, "write-files",
                           str(args.files), "8", "/mnt/pydio-data/common/bench-files", timeout=7200)
        say("   wrote %d files through %s's FUSE mount in %.0f s (%.0f files/s)"
            % (args.files, writer, seconds, args.files / seconds))
        time.sleep(15)
        full = pass_cost(cluster, leader, args.status_runs, args.pass_window)
        say("   with %d files: %s" % (args.files, json.dumps(full)))
        return {"files": args.files, "leader": leader, "writeS": seconds, "empty": empty, "full": full}
    except BaseException:
        cluster.failed = True
        raise
    finally:
        cluster.close()


# ----------------------------------------------------------------------------- output

def print_scale_table(rows):
    say("\n| nodes | layout | bootstrap → all healthy | `agentctl status` on leader / compute | "
        "propagation to every node (median of runs) | leader CPU idle | leader RSS | all node processes RSS (PSS) |")
    say("|---|---|---|---|---|---|---|---|")
    for r in rows:
        prop = statistics.median(a for a, _ in r["propagation"])
        say("| %d | %s | %.1f s | %.0f / %.0f ms | %.0f ms | %.2f %% | %.1f MiB | %.0f MiB (%.0f MiB) |" % (
            r["nodes"], r["layout"], r["bootstrap"]["allHealthy"], r["statusLeaderS"] * 1000,
            r["statusComputeS"] * 1000, prop * 1000, r["idle"]["leaderCpuPct"],
            r["memory"]["leaderRssKb"] / 1024, sum(r["memory"]["rssKb"].values()) / 1024,
            sum(r["memory"]["pssKb"].values()) / 1024))


def print_files_table(r):
    say("\n| pydio-data | `agentctl plan` on the leader (median) | CPU of a pass, all node processes | of which the leader agent | processes started |")
    say("|---|---|---|---|---|")
    for label, m in (("empty", r["empty"]), ("%d files" % r["files"], r["full"])):
        say("| %s | %.0f ms | %.0f ms | %.0f ms | %d |" % (label, m["planMedianMs"], m["passCpuMs"],
                                                         m["passAgentCpuMs"], m["processesStarted"]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nodes", help="comma-separated cluster sizes, e.g. 4,8,16,32")
    p.add_argument("--files", type=int, help="files to write into pydio-data")
    p.add_argument("--simnode", required=True)
    p.add_argument("--agentd", required=True)
    p.add_argument("--agentctl", required=True)
    p.add_argument("--idle-seconds", type=int, default=60)
    p.add_argument("--status-runs", type=int, default=5)
    p.add_argument("--propagation-runs", type=int, default=3)
    p.add_argument("--deadline", type=int, default=900, help="seconds to wait for all healthy")
    p.add_argument("--disk-mb", type=int, default=3000, help="data disk size in --files mode")
    p.add_argument("--pass-window", type=int, default=5)
    p.add_argument("--results", help="also append each result as a JSON line to this file")
    p.add_argument("--keep-logs", action="store_true")
    args = p.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the finally blocks tear the run down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    say("%d cores, load average %s, %s MiB available" % (
        os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]),
        next(int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemAvailable"))))
    rows = []
    try:
        if args.files:
            rows.append(files_run(args))
            if args.results:
                with open(args.results, "a") as f:
                    f.write(json.dumps(rows[-1]) + "\n")
        else:
            for total in [int(n) for n in args.nodes.split(",")]:
                rows.append(scale_run(args, total))
                if args.results:
                    with open(args.results, "a") as f:
                        f.write(json.dumps(rows[-1]) + "\n")
    except (BenchError, KeyboardInterrupt, SystemExit) as e:
        say("benchmark-cluster: %s" % (e if isinstance(e, BenchError) else "interrupted"))
        if rows and not args.files:
            say("results of the sizes that completed:")
            print_scale_table(rows)
        return 1
    if args.files:
        print_files_table(rows[0])
    else:
        print_scale_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
