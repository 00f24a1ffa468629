"""Benchmark a strata no-op deploy (and ``--check``) against bare Terraform on the same stack.

    python tools/bench/bench_deploy.py [--rounds 5] [--keep] [--profile-check]
        [--strata-env ANSIBLE_PIPELINING=1] [--strata-arg=-e --strata-arg=name=value]
    make bench-deploy [BENCH_DEPLOY_ARGS="--rounds 3"]

It starts an emulator of its own on a free port in 4900-4950 (state under a temporary
directory), deploys ``inventories/local`` once into a temporary work root, then for each
round alternates (the order flips every round, so a slow spell of the machine does not
fall on one side only):

* no-op: ``ansible-playbook playbooks/deploy.yml`` (must recap ``changed=0``, else the
  benchmark fails) against bare Terraform;
* check: ``ansible-playbook playbooks/deploy.yml --check`` against bare Terraform.

"Bare Terraform" is what a user runs by hand, layer after layer (bootstrap, stateful,
stateless): ``terraform init`` + ``terraform plan -detailed-exitcode`` in a fresh copy of
strata's working copies (same backend.tf, tfvars, modules; without ``.terraform``, so init
is a real init) with the same CLI configuration (``.strata/terraform/cli.tfrc``: provider
mirror and plugin cache) and the emulator's credentials. Its figure is the three layers'
sum; each plan must exit 0 (no changes).

It prints per figure the median and range of both sides and the ratio of medians, then
one profiled strata run (``ansible.posix.profile_tasks``): the top tasks by time and the
time per kind of task. The emulator is stopped at the end, on failure too.
Not part of the test suite: exit 0 when it ran, non-zero on any error.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
PORTS = range(4900, 4951)
LAYERS = ("bootstrap", "stateful", "stateless")
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
# profile_tasks: "<task name> ------------ 12.34s" (the role prefix "role : " included).
PROFILE_LINE = re.compile(r"^(.*?)\s-{3,}\s+([\d.]+)s\s*$")
# The per-layer summary line of strata.deploy.terraform_apply, e.g. "stateful: apply 0 to add, ... (4.2 s)".
LAYER_LINE = re.compile(r"\b(bootstrap|stateful|stateless): (\w+) \d+ to add.*?\(([\d.]+) s\)")


class BenchError(Exception):
    pass


def free_port():
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise BenchError("no free port in 4900-4950")


def load():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="strata-bench-deploy-"))
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.work_root = self.tmp / "work"
        self.stack_dir = self.work_root / "strata-local"  # <work_root>/<project_name>-<env>
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.runs = 0
        env = dict(os.environ)
        env.update(
            PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
            PYTHONPATH=f"{REPO / 'tools' / 'dev'}" + (f":{env['PYTHONPATH']}" if env.get("PYTHONPATH") else ""),
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            AWS_ENDPOINT_URL=self.endpoint,
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
        )
        env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
        self.env = env
        # What the bare runs get: what preflight gives Terraform (strata_environment plus
        # the inventory's aws_extra_environment), nothing of Ansible's.
        self.tf_env = {k: v for k, v in os.environ.items()
                       if not k.startswith(("AWS_", "TF_", "ANSIBLE_"))}
        self.tf_env.update(
            AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=self.endpoint, AWS_EC2_METADATA_DISABLED="true",
            TF_CLI_CONFIG_FILE=str(REPO / ".strata" / "terraform" / "cli.tfrc"),
            TF_IN_AUTOMATION="1", TF_INPUT="0",
        )

    # --- emulator -------------------------------------------------------------------------

    def emulator(self, action):
        cmd = [str(VENV_BIN / "python"), "-m", "strata_emulator", "--endpoint", self.endpoint,
               "--state-dir", str(self.tmp / "emulator"), action]
        proc = subprocess.run(cmd, env=self.env, cwd=REPO, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BenchError(f"emulator {action} failed: {proc.stderr.strip() or proc.stdout.strip()}")

    # --- strata ---------------------------------------------------------------------------

    def strata(self, label, check=False, profile=False):
        self.runs += 1
        cmd = [str(VENV_BIN / "ansible-playbook"), "playbooks/deploy.yml", "-i", "inventories/local",
               "-e", f"strata_work_root={self.work_root}", "-e", f"backup_root={self.tmp / 'backups'}"]
        if check:
            cmd.append("--check")
        if label != "initial":
            cmd += self.args.strata_arg
        env = dict(self.env)
        if label != "initial":
            env.update(self.args.strata_env)
        if profile:
            env.update(ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
                       PROFILE_TASKS_TASK_OUTPUT_LIMIT="all", PROFILE_TASKS_SORT_ORDER="descending")
        log = self.logs / f"{self.runs:02d}-strata-{label}.log"
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seconds = time.perf_counter() - started
        log.write_text(proc.stdout)
        recap = RECAP.findall(proc.stdout)
        if proc.returncode != 0 or not recap:
            raise BenchError(f"strata {label} failed (exit {proc.returncode}); log {log}:\n"
                             + "\n".join(proc.stdout.splitlines()[-40:]))
        changed = sum(int(r[2]) for r in recap)
        layers = {m[0]: float(m[2]) for m in LAYER_LINE.findall(proc.stdout)}
        return seconds, changed, layers, proc.stdout

    # --- bare Terraform -------------------------------------------------------------------

    def bare(self, label):
        """init + plan -detailed-exitcode per layer in a fresh copy without .terraform."""
        self.runs += 1
        copy = self.tmp / f"bare-{self.runs:02d}"
        shutil.copytree(self.stack_dir, copy,
                        ignore=shutil.ignore_patterns(".terraform", "strata.tfplan", "*.strata-tmp"))
        terraform = shutil.which("terraform", path=self.tf_env.get("PATH")) or "terraform"
        parts = {}
        log_lines = []
        total = 0.0
        for layer in LAYERS:
            for step, argv in (("init", ["init", "-input=false", "-no-color"]),
                               ("plan", ["plan", "-input=false", "-no-color", "-detailed-exitcode"])):
                started = time.perf_counter()
                proc = subprocess.run([terraform] + argv, cwd=copy / layer, env=self.tf_env,
                                      capture_output=True, text=True)
                seconds = time.perf_counter() - started
                total += seconds
                parts[f"{layer} {step}"] = seconds
                log_lines += [f"== {layer} terraform {' '.join(argv)}: exit {proc.returncode}, {seconds:.2f} s",
                              proc.stdout, proc.stderr]
                if proc.returncode != 0:
                    log = self.logs / f"{self.runs:02d}-bare-{label}.log"
                    log.write_text("\n".join(log_lines))
                    what = "has changes (exit 2): the stack is not a no-op" if proc.returncode == 2 else "failed"
                    raise BenchError(f"bare terraform {step} of {layer} {what}; log {log}:\n"
                                     + (proc.stderr.strip() or proc.stdout.strip())[-3000:])
        (self.logs / f"{self.runs:02d}-bare-{label}.log").write_text("\n".join(log_lines))
        shutil.rmtree(copy, ignore_errors=True)
        return total, parts

    # --- the run --------------------------------------------------------------------------

    def run(self):
        args = self.args
        print(f"strata bench-deploy: {args.rounds} rounds, emulator {self.endpoint}, tmp {self.tmp}", flush=True)
        print(f"machine: {os.cpu_count()} CPUs, load average {load()} at start", flush=True)
        if args.strata_env or args.strata_arg:
            print(f"strata runs with {args.strata_env} {args.strata_arg}", flush=True)
        self.emulator("start")
        started = time.perf_counter()
        seconds, changed, _, _ = self.strata("initial")
        print(f"initial deploy: {seconds:.1f} s (changed={changed})", flush=True)
        for layer in LAYERS:
            if not (self.stack_dir / layer / "backend.tf").exists():
                raise BenchError(f"no working copy {self.stack_dir / layer} after the initial deploy")

        figures = {"no-op deploy": {"strata": [], "bare": []}, "deploy --check": {"strata": [], "bare": []}}
        inside = defaultdict(list)   # terraform_apply's own seconds per layer, no-op deploy
        bare_parts = defaultdict(list)
        check_changed = []
        for n in range(args.rounds):
            for figure, check in (("no-op deploy", False), ("deploy --check", True)):
                order = ("strata", "bare") if n % 2 == 0 else ("bare", "strata")
                for side in order:
                    if side == "strata":
                        seconds, changed, layers, _ = self.strata(figure.replace(" ", "-"), check=check)
                        if not check and changed != 0:
                            raise BenchError(f"no-op deploy reported changed={changed} in round {n + 1} "
                                             f"(log {self.logs}): strata is not idempotent here")
                        if check:
                            check_changed.append(changed)
                        else:
                            for layer, s in layers.items():
                                inside[layer].append(s)
                    else:
                        seconds, parts = self.bare(figure.replace(" ", "-"))
                        for key, s in parts.items():
                            bare_parts[key].append(s)
                    figures[figure][side].append(seconds)
                    print(f"  round {n + 1} {figure:15s} {side:6s} {seconds:6.1f} s   (load {load()})", flush=True)

        profiles = [("no-op deploy", False)] + ([("deploy --check", True)] if args.profile_check else [])
        profiled = []
        for figure, check in profiles:
            seconds, changed, _, out = self.strata("profile-" + figure.replace(" ", "-"), check=check, profile=True)
            if not check and changed != 0:
                raise BenchError(f"profiled no-op deploy reported changed={changed}")
            profiled.append((figure, seconds, out))
        elapsed = time.perf_counter() - started
        self.report(figures, inside, bare_parts, check_changed, profiled, elapsed)

    def report(self, figures, inside, bare_parts, check_changed, profiled, elapsed):
        def fmt(values):
            return f"{statistics.median(values):6.1f} ({min(values):.1f}-{max(values):.1f})"

        print()
        print(f"load average at end: {load()} on {os.cpu_count()} CPUs; whole benchmark {elapsed:.0f} s")
        print()
        print("| figure | strata s, median (range) | bare terraform s, median (range) | ratio of medians |")
        print("|---|---|---|---|")
        for figure, sides in figures.items():
            ratio = statistics.median(sides["strata"]) / statistics.median(sides["bare"])
            print(f"| {figure} | {fmt(sides['strata'])} | {fmt(sides['bare'])} | {ratio:.2f}x |")
        if check_changed and any(check_changed):
            print(f"\nnote: deploy --check recapped changed={check_changed} on a no-op stack")
        print()
        print("bare terraform per step (s, median):  "
              + ", ".join(f"{key} {statistics.median(v):.1f}" for key, v in bare_parts.items()))
        if inside:
            print("strata terraform_apply per layer, no-op (s, median, its own clock):  "
                  + ", ".join(f"{layer} {statistics.median(v):.1f}" for layer, v in inside.items())
                  + f"; sum {sum(statistics.median(v) for v in inside.values()):.1f}")
        for figure, seconds, out in profiled:
            tasks = []
            for line in out.splitlines():
                m = PROFILE_LINE.match(line)
                if m and not line.startswith(("PLAY", "TASK", "=")):
                    tasks.append((m.group(1).strip(), float(m.group(2))))
            total = sum(s for _, s in tasks)
            print()
            print(f"profiled strata {figure}: {seconds:.1f} s wall, {len(tasks)} tasks, {total:.1f} s in tasks "
                  f"(profile_tasks; the rest is start-up, parsing, includes)")
            print(f"top {self.args.top} tasks:")
            for name, s in sorted(tasks, key=lambda t: -t[1])[:self.args.top]:
                print(f"  {s:6.2f} s  {name}")
            kinds = defaultdict(lambda: [0, 0.0])
            for name, s in tasks:
                kind = self.kind(name)
                kinds[kind][0] += 1
                kinds[kind][1] += s
            print("by kind of task:")
            for kind, (count, s) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
                print(f"  {s:6.2f} s  {count:3d} x  {kind}")
        print(f"\nlogs: {self.logs}" if self.args.keep else "")

    @staticmethod
    def kind(name):
        """Group a task's name: Terraform runs, argument-spec checks, the rest by role."""
        task = name.split(" : ", 1)[-1]
        if "Validating arguments against arg spec" in task:
            return "argument-spec validation (include_role/roles:)"
        if task.startswith(("Run Terraform", "Read the state", "Migrate the state")):
            return "Terraform (strata.deploy.terraform_apply, _info, _plan_file, _migrate)"
        if "Check Terraform and write its CLI configuration" in task:
            return "preflight: terraform_toolchain"
        if "Ask STS" in task:
            return "preflight: STS caller identity"
        role = name.split(" : ", 1)[0] if " : " in name else "(playbook)"
        return f"other tasks of {role}"

    def close(self):
        try:
            self.emulator("stop")
        except BenchError as exc:
            print(f"warning: {exc}", file=sys.stderr)
        if self.args.keep:
            print(f"kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds per figure (default 5)")
    parser.add_argument("--top", type=int, default=15, help="how many of the profiled tasks to list (default 15)")
    parser.add_argument("--profile-check", action="store_true", help="also profile one --check run")
    parser.add_argument("--strata-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the timed strata runs, to measure a lever "
                             "(e.g. ANSIBLE_PIPELINING=1); repeatable")
    parser.add_argument("--strata-arg", action="append", default=[], metavar="ARG",
                        help="extra ansible-playbook argument for the timed strata runs (--strata-arg=-e --strata-arg=x=y); repeatable")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and its logs")
    args = parser.parse_args(argv)
    try:
        args.strata_env = dict(item.split("=", 1) for item in args.strata_env)
    except ValueError:
        parser.error("--strata-env takes NAME=VALUE")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return execute(Bench, args, "bench-deploy")


def execute(bench_class, args, name):
    """Run a bench of ``bench_class`` (a Bench) to its end, the emulator stopped whatever
    happens; the exit status: 0 when it ran, 1 on its failure (its files kept), 2 without make
    setup, 130 when interrupted."""
    if not (VENV_BIN / "ansible-playbook").exists():
        print(f"no {VENV_BIN / 'ansible-playbook'}: run make setup", file=sys.stderr)
        return 2
    bench = bench_class(args)
    try:
        bench.run()
    except BenchError as exc:
        print(f"{name} FAILED: {exc}", file=sys.stderr)
        bench.args.keep = True
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
