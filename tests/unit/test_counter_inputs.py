"""playbooks/counter.yml refuses bad input before any AWS call, naming the variable, the value
and what was expected. Run for real against an endpoint where nothing listens (a run that got as
far as AWS would fail differently). The counter on a real deployment: molecule day2 (counter.yml)."""
from __future__ import annotations

import pytest
from playbook_run import run_playbook


@pytest.mark.parametrize(
    ("inventory", "extra_vars", "expected"),
    [
        ("local", ["counter_action=add"], "value of counter_action must be one of: read, set, reset, got: add"),
        ("local", ["counter_action=set", "counter_value=ten"], "counter_value is 'ten': expected a whole number, 0 or more"),
        ("local", ["counter_action=set"], "counter_action is set: expected -e counter_value=<a whole number, 0 or more>"),
        # An unanswered survey question ('') is not a value: set still needs one.
        ("local", ["counter_action=set", "counter_value="], "counter_action is set: expected -e counter_value=<a whole number, 0 or more>"),
        ("local", ["counter_action=reset", "counter_value=3"],
         "counter_value is 3 but counter_action is reset: expected counter_value only with -e counter_action=set"),
        ("prod", ["counter_action=reset", "confirm_counter=dev"],
         "prod is a protected environment (prod): to reset its counter, confirm with -e confirm_counter=prod (got dev)"),
    ],
)
def test_bad_input_is_refused_before_any_aws_call(inventory, extra_vars, expected):
    result = run_playbook("counter.yml", *[arg for value in extra_vars for arg in ("-e", value)], inventory=inventory)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert expected in output, output[-3000:]
    assert "Ask STS who we are" not in result.stdout, "an AWS call was attempted"


def test_an_unanswered_counter_value_is_not_given():
    """A survey's '' for counter_value with the default read passes the checks and goes as far as AWS."""
    result = run_playbook("counter.yml", "-e", "counter_value=")
    assert "Ask STS who we are" in result.stdout, (result.stdout + result.stderr)[-3000:]
