"""tools/dev/kill_sweep.py, the parts that need no emulator: the points drawn from a seed, the
release commands read from Ansible's real output in both result formats, the deploy's recap,
the data comparison, and a kill at a point reaching the whole process tree.
The sweep itself runs for real in `make kill-sweep` and in molecule's killsweep scenario."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import kill_sweep
from kill_sweep import Point, changed_tasks, choose_points, compare, normalise_item, recap_changed, run_command
from kill_sweep import task_starts, unlock_commands

ROOT = Path(__file__).resolve().parents[2]

TIMELINE = [(1.0, "preflight : Check"), (2.0, "terraform_layer : Run Terraform | stateful: destroy"),
            (40.0, "report : Write"), (41.0, "terraform_layer : Run Terraform | stateless: destroy"),
            (50.0, "report : Write"), (51.0, "Summary | Per layer")]


# -- the timeline and the points ------------------------------------------------------------

def test_task_starts_reads_every_banner_with_its_time_and_nothing_else():
    lines = [(0.5, "PLAY [Preflight | Validate inputs and tools] *****\n"),
             (1.0, "TASK [preflight : Check the inventory's variables [1/2]] ****************\n"),
             (1.1, "ok: [local]\n"),
             (2.0, "TASK [terraform_layer : Run Terraform | stateful: apply] ***\n"),
             (2.5, "RUNNING HANDLER [site : Invalidate] ****\n"),
             (3.0, "TASK [Summary | Per layer]\n")]
    assert task_starts(lines) == [(1.0, "preflight : Check the inventory's variables [1/2]"),
                                  (2.0, "terraform_layer : Run Terraform | stateful: apply"),
                                  (3.0, "Summary | Per layer")]


def test_the_same_seed_gives_the_same_points_and_another_seed_others():
    first = choose_points("teardown", TIMELINE, 60.0, 5, seed=7)
    assert first == choose_points("teardown", TIMELINE, 60.0, 5, seed=7)
    assert [p.at for p in first] != [p.at for p in choose_points("teardown", TIMELINE, 60.0, 5, seed=8)]
    # Each playbook draws from its own stream: adding one does not move another's points.
    assert [p.at for p in first] != [p.at for p in choose_points("deploy", TIMELINE, 60.0, 5, seed=7)]


@pytest.mark.parametrize("seed", [0, 1, 7, 12345])
def test_one_point_in_each_equal_span_of_the_run_as_the_task_running_then(seed):
    count, end = 6, 60.0
    points = choose_points("teardown", TIMELINE, end, count, seed)
    span = (end - TIMELINE[0][0]) / count
    starts = [start for start, _ in TIMELINE]
    assert [p.index for p in points] == list(range(1, count + 1))
    for number, point in enumerate(points):
        low = TIMELINE[0][0] + number * span
        assert low <= point.at <= low + span + 0.05, (point, low)
        running = max(i for i, start in enumerate(starts) if start <= point.at + 0.05)
        assert (point.ordinal, point.task) == (running + 1, TIMELINE[running][1])
        assert point.delay == pytest.approx(point.at - starts[running], abs=0.11)


def test_a_task_name_seen_again_is_named_with_its_occurrence():
    # The span from 45 s to 51 s lies in the second "report : Write".
    points = choose_points("teardown", TIMELINE, 60.0, 118, seed=3)
    second = [p for p in points if 50.0 <= p.at < 51.0]
    assert second and all((p.task, p.occurrence, p.ordinal) == ("report : Write", 2, 5) for p in second)
    assert "(#2)" in second[0].label()
    first = [p for p in points if 40.0 <= p.at < 41.0]
    assert first and all(p.occurrence == 1 for p in first)


def test_bad_calibrations_and_counts_are_refused():
    with pytest.raises(ValueError, match="started no task"):
        choose_points("restore", [], 10.0, 2, 1)
    with pytest.raises(ValueError, match="at least 1"):
        choose_points("restore", TIMELINE, 60.0, 0, 1)
    with pytest.raises(ValueError, match="ended"):
        choose_points("restore", TIMELINE, 0.5, 2, 1)


# -- the release commands, from Ansible's own output ----------------------------------------

INVENTORY = "/var/lib/strata-sweeps/a-rather-long-directory-name-so-that-lines-wrap/inventory"
IDS = ("da3ab4d5-bb38-2e42-cfee-5786b2850ea9", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
PRINTED = [f"ansible-playbook playbooks/unlock.yml -i {INVENTORY} -e layer=stateful -e confirm_unlock={IDS[0]}",
           f"ansible-playbook playbooks/unlock.yml -i {INVENTORY} -e layer=bootstrap -e confirm_unlock={IDS[1]}",
           f"ansible-playbook playbooks/unlock.yml -i {INVENTORY} -e confirm_unlock={IDS[0]},{IDS[1]}"]


def _ansible_failure(tmp_path: Path, result_format: str, msg) -> str:
    """What ansible-playbook prints for a failed task with this message, in this result format."""
    playbook = tmp_path / "fail.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Unlock | Show the locks and how to release them
              ansible.builtin.fail:
                msg: "{{ lines }}"
        """))
    (tmp_path / "vars.yml").write_text(__import__("json").dumps({"lines": msg}))
    env = dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT=result_format, ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(playbook),
                             "-e", f"@{tmp_path / 'vars.yml'}"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize("result_format", ["yaml", "json"])
def test_the_release_commands_are_read_from_ansibles_output(tmp_path, result_format):
    msg = ["Locks are held in local; nothing was changed:",
           f"stateful lock {IDS[0]}: OperationTypeApply by root@vm, created 2026-11-23T16:45:31Z (16s ago), held in the"
           " lock table and the .tflock object",
           f"Release it with: {PRINTED[0]}",
           f"bootstrap lock {IDS[1]}: OperationTypeApply by root@vm. Release it with: {PRINTED[1]}",
           f"Or release them all at once: {PRINTED[2]}",
           "A live run holds its lock while it works: make sure no deploy is going on before releasing one."]
    output = _ansible_failure(tmp_path, result_format, msg)
    assert unlock_commands(output) == PRINTED
    # The task's result alone (ansible-core 2.19 also repeats the message in an [ERROR] line).
    result = output[output.index("fatal: [localhost]"):]
    if result_format == "yaml":
        # The yaml format folds the long command over two lines: a line-by-line search finds nothing.
        assert not any(PRINTED[0] in line for line in result.splitlines()), result
    assert unlock_commands(result) == PRINTED


@pytest.mark.parametrize("result_format", ["yaml", "json"])
def test_a_command_inside_a_sentence_is_read_without_its_punctuation(tmp_path, result_format):
    msg = (f"The stateful state of local is locked by {IDS[0]} (OperationTypeApply by root@vm, 3 min ago); waited 0 s."
           f" If its run died, release it with: {PRINTED[0]}. Then run this command again.")
    output = _ansible_failure(tmp_path, result_format, msg)
    assert unlock_commands(output) == [PRINTED[0]]
    assert unlock_commands(output[output.index("fatal: [localhost]"):]) == [PRINTED[0]]


def test_each_locks_command_in_even_rounds_the_all_at_once_command_in_odd_ones():
    choose = kill_sweep.Environment.choose
    assert choose(2, PRINTED) == PRINTED[:2]
    assert choose(1, PRINTED) == PRINTED[2:]
    assert choose(1, PRINTED[:1]) == PRINTED[:1], "one lock: its own command is all there is"
    assert choose(0, PRINTED[2:]) == PRINTED[2:]


def test_an_output_without_a_release_command_gives_none():
    output = ("TASK [Unlock | No lock] ***\nok: [local] =>\n    msg: No lock is held on any layer of local:"
              " nothing to release.\n\nPLAY RECAP ***\nlocal : ok=3 changed=0 unreachable=0 failed=0\n")
    assert unlock_commands(output) == []
    # The usage line of the README (a placeholder, not an ID) is no command.
    assert unlock_commands("ansible-playbook playbooks/unlock.yml -i inventories/local -e layer=stateful"
                           " -e confirm_unlock=<lock ID>") == []


def test_the_recap_and_the_changed_tasks_of_a_deploy():
    output = textwrap.dedent("""\
        TASK [site : Upload config.js] ***
        changed: [local]

        TASK [report : Write] ***
        ok: [local]

        PLAY RECAP *********************************************************************
        local                      : ok=72   changed=1    unreachable=0    failed=0    skipped=43   rescued=0    ignored=0
        other                      : ok=70   changed=2    unreachable=0    failed=0    skipped=43   rescued=0    ignored=0
        """)
    assert recap_changed(output) == 3
    assert changed_tasks(output) == ["site : Upload config.js"]
    assert recap_changed("TASK [x] ***\nfatal: [local]: FAILED! => {}\n") is None


# -- the data comparison --------------------------------------------------------------------

ITEM = {"stat": {"S": "every-type"}, "b": {"B": b"\x00\xff"}, "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["2", "1"]},
        "bs": {"BS": [b"\xff", b"\x00"]}, "m": {"M": {"l": {"L": [{"N": "1"}, {"NULL": True}, {"SS": ["y", "x"]}]}}},
        "yes": {"BOOL": True}}
OBJECT = {"size": 3, "sha256": "ab", "content_type": "text/plain", "metadata": {"owner": "user"},
          "cache_control": None, "content_encoding": None, "content_disposition": None, "content_language": None}


def _snapshot(item=ITEM, objects=None):
    return {"items": {'{"stat": {"S": "every-type"}}': normalise_item(item)},
            "objects": objects if objects is not None else {"site/user/a.txt": dict(OBJECT)}}


def test_equal_data_compare_equal_whatever_the_order_of_sets():
    reordered = dict(ITEM, ss={"SS": ["a", "b"]}, ns={"NS": ["1", "2"]}, bs={"BS": [b"\x00", b"\xff"]},
                     m={"M": {"l": {"L": [{"N": "1"}, {"NULL": True}, {"SS": ["x", "y"]}]}}})
    assert compare(_snapshot(), _snapshot(reordered)) == []


def test_a_changed_type_a_lost_attribute_and_a_missing_item_are_named():
    changed = {k: v for k, v in ITEM.items() if k != "yes"}
    changed["b"] = {"S": "AP8="}
    differences = compare(_snapshot(), _snapshot(changed))
    assert 'item {"stat": {"S": "every-type"}}: attribute b was {"B": "AP8="}, is {"S": "AP8="}' in differences
    assert 'item {"stat": {"S": "every-type"}}: attribute yes was {"BOOL": true}, is null' in differences
    assert compare(_snapshot(), {"items": {}, "objects": _snapshot()["objects"]}) == \
        ['item {"stat": {"S": "every-type"}} is missing']


def test_objects_missing_added_or_with_other_bytes_or_metadata_are_named():
    before = _snapshot(objects={"site/user/a.txt": dict(OBJECT), "site/config.js": dict(OBJECT)})
    after = _snapshot(objects={"site/config.js": dict(OBJECT, sha256="cd", size=9),
                               "site/stray": dict(OBJECT)})
    assert compare(before, after) == ["object site/user/a.txt is missing", "object site/stray was not there before",
                                      "object site/config.js: size was 3, is 9",
                                      "object site/config.js: sha256 was 'ab', is 'cd'"]
    # The deploy's own file carries the current API URL: its bytes are not compared, its metadata is.
    after["objects"]["site/config.js"]["metadata"] = {}
    assert compare(before, after, frozenset({"site/config.js"}))[2:] == \
        ["object site/config.js: metadata was {'owner': 'user'}, is {}"]


# -- a kill at a point ----------------------------------------------------------------------

def _fake_playbook(tmp_path: Path, tag: str) -> Path:
    """Prints task banners like ansible-playbook; during task b a process of its own session runs."""
    script = tmp_path / "fake-playbook.sh"
    script.write_text(textwrap.dedent(f"""\
        #!/bin/bash
        echo 'TASK [a] ***'; sleep 0.3
        echo 'TASK [b] ***'; setsid sleep {tag} & sleep 3
        echo 'TASK [a] ***'; sleep 0.3
        echo 'TASK [c] ***'; sleep 0.3
        echo 'PLAY RECAP ***'
        """))
    script.chmod(0o755)
    return script


def _sleepers(tag: str) -> list[str]:
    return subprocess.run(["pgrep", "-f", f"sleep {tag}"], capture_output=True, text=True).stdout.split()


def _point(task, occurrence, delay):
    return Point(playbook="deploy", index=1, task=task, occurrence=occurrence, ordinal=0, delay=delay, at=0.0)


def test_a_kill_at_a_point_reaches_the_whole_tree_in_that_task(tmp_path):
    tag = f"{os.getpid() % 1000 + 4000}.25"
    run = run_command([str(_fake_playbook(tmp_path, tag))], label="fake", log=tmp_path / "log", env=dict(os.environ),
                      cwd=tmp_path, point=_point("b", 1, 0.5))
    time.sleep(0.2)
    assert run.kill is not None and run.kill.task == "b", run
    assert 0.7 <= run.kill.elapsed < 2.5, run.kill
    assert "sleep" in run.kill.processes and run.rc == -9
    assert _sleepers(tag) == []
    assert [name for _, name in task_starts(run.lines)] == ["a", "b"]
    assert "TASK [b] ***" in (tmp_path / "log").read_text()


def test_a_delay_longer_than_the_task_kills_as_the_next_task_starts(tmp_path):
    run = run_command([str(_fake_playbook(tmp_path, "4999.5"))], label="fake", log=tmp_path / "log",
                      env=dict(os.environ), cwd=tmp_path, point=_point("a", 2, 30.0))
    assert run.kill is not None and run.kill.task == "c", run.kill
    assert run.seconds < 10


def test_a_point_the_run_never_reaches_kills_nothing(tmp_path):
    run = run_command([str(_fake_playbook(tmp_path, "4998.5"))], label="fake", log=tmp_path / "log",
                      env=dict(os.environ), cwd=tmp_path, point=_point("a", 3, 0.0))
    assert run.kill is None and run.rc == 0
    assert kill_sweep.recap_changed(run.output) is None


# -- environments waiting for the calibration's points ---------------------------------------

def _sweep(tmp_path, kill=("teardown", "restore")):
    args = __import__("argparse").Namespace(points=3, parallel=2)
    return kill_sweep.Sweep(args, seed=5, kill=list(kill), work=tmp_path)


def test_a_round_waits_for_its_playbooks_points_and_no_longer(tmp_path):
    sweep = _sweep(tmp_path)
    assert sweep.point("teardown", 0) is None, "the calibration round kills nothing"
    assert sweep.point("deploy", 2) is None, "a playbook not in --kill runs whole"
    got = {}
    waiter = __import__("threading").Thread(target=lambda: got.update(point=sweep.point("teardown", 2)))
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive(), "the round must wait until the teardown's calibration published its points"
    sweep.publish("teardown", TIMELINE, 60.0)
    waiter.join(5)
    assert got["point"] == choose_points("teardown", TIMELINE, 60.0, 3, 5)[1]
    assert [sweep.next_round() for _ in range(4)] == [1, 2, 3, None]


def test_a_failed_calibration_stops_the_rounds_that_wait_for_it(tmp_path):
    sweep = _sweep(tmp_path)
    sweep.calibration_failed.set()
    with pytest.raises(kill_sweep.Abort, match="calibration round did not finish"):
        sweep.point("restore", 1)
