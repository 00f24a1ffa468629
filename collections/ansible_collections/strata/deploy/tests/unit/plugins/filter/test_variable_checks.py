# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.variable_refusals: each rule refuses what it should, names it, and passes the rest."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.strata.deploy.plugins.filter.variable_checks import FilterModule, variable_refusals

NOTHING = " Nothing was changed."


def refusals(check, given, options=None):
    return variable_refusals([check], given, options)


def test_a_rule_that_holds_says_nothing_and_one_that_fails_names_variable_value_and_expectation():
    check = {"name": "backup_s3_concurrency", "min": 1, "expected": "at least 1 transfer at a time"}
    assert refusals(check, {"backup_s3_concurrency": 8}) == []
    assert refusals(check, {"backup_s3_concurrency": "0"}) == [
        "backup_s3_concurrency is '0': expected at least 1 transfer at a time." + NOTHING]


def test_a_variable_not_given_is_not_checked():
    check = {"name": "backup_s3_concurrency", "min": 1, "expected": "at least 1"}
    assert refusals(check, {"something_else": 0}, {"backup_s3_concurrency": {"default": 0}}) == []


@pytest.mark.parametrize(("fmt", "good", "bad"), [
    ("bucket_name", ["abc", "my.site-01", "a" * 63], ["ab", "a" * 64, "My_Bucket", "a..b", "-ab", "ab-", "192.168.1.10",
                                                      "abc\n"]),
    ("project_name", ["abc", "strata", "a" * 30], ["ab", "a" * 31, "My_Site", "xn--site", "sthree-x", "site-"]),
    ("env", ["dev", "prod", "qa-2"], ["d", "Prod", "dev_1", "1dev", "dev-", "a" * 17]),
    ("email", ["ops@example.com"], ["ops-at-example.com", "a b@c.d", "ops@example"]),
    ("boolean", ["true", "No", "ON", "0"], ["maybe", "", "2"]),
])
def test_formats(fmt, good, bad):
    check = {"name": "x", "format": fmt, "expected": "a " + fmt}
    for value in good:
        assert refusals(check, {"x": value}) == [], value
    for value in bad:
        assert refusals(check, {"x": value}) == [f"x is '{value}': expected a {fmt}." + NOTHING], value


def test_pattern_matches_the_whole_value():
    check = {"name": "state_version", "pattern": "[A-Za-z0-9._+/=-]{1,1024}", "expected": "a version ID"}
    assert refusals(check, {"state_version": "6ac1cc86.x"}) == []
    assert refusals(check, {"state_version": "v 1"}) != []
    assert refusals(check, {"state_version": "v1\n"}) != []


def test_empty_is_accepted_only_where_the_rule_says_so():
    check = {"name": "x", "format": "env", "expected": "an environment"}
    assert refusals(check, {"x": ""}) == ["x is '': expected an environment." + NOTHING]
    assert refusals(check, {"x": None}) == ["x is '': expected an environment." + NOTHING]
    check["empty"] = True
    for empty in ("", None, [], 0, False):
        assert refusals(check, {"x": empty}) == []
    assert refusals(check, {"x": " "}) != []


def test_one_of_compares_numbers_as_numbers_and_lists_the_choices():
    check = {"name": "days", "one_of": [1, 3, 14], "expected": "one of {one_of}"}
    assert refusals(check, {"days": "14"}) == [] and refusals(check, {"days": 14}) == []
    assert refusals(check, {"days": "-5"}) == ["days is '-5': expected one of 1, 3, 14." + NOTHING]
    assert refusals(check, {"days": "soon"}) != []
    words = {"name": "layer", "one_of": ["bootstrap", "stateful"], "expected": "one of {one_of}"}
    assert refusals(words, {"layer": "stateful"}) == [] and refusals(words, {"layer": "network"}) != []


def test_numbers_whole_numbers_and_bounds():
    whole = {"name": "d", "whole_number": True, "min": 1, "expected": "a whole number, at least 1"}
    assert refusals(whole, {"d": "30"}) == [] and refusals(whole, {"d": 30}) == []
    for bad in ("-1", "1.5", "0", "", "x", "٣"):
        assert refusals(whole, {"d": bad}) != [], bad
    bounded = {"name": "p", "above": 0, "max": 1000, "expected": "above 0, at most 1000"}
    assert refusals(bounded, {"p": "80"}) == [] and refusals(bounded, {"p": 1000}) == []
    for bad in ("0", "1500", "inf", "nan", "1e3", True):
        assert refusals(bounded, {"p": bad}) != [], bad
    assert refusals({"name": "c", "min": -1, "expected": "-1 or more"}, {"c": -1}) == []


def test_a_rule_that_reads_another_variable_runs_when_either_is_given_and_reads_defaults():
    check = {"name": "expiration", "whole_number": True, "min": 1, "more_than": "lock",
             "expected": "more than lock ({lock}) days"}
    options = {"expiration": {"default": 365, "type": "int"}, "lock": {"default": 0, "type": "int"}}
    # Only the other variable is given: the rule still runs, on this one's default.
    assert refusals(check, {"lock": "400"}, options) == ["expiration is '365': expected more than lock (400) days." + NOTHING]
    assert refusals(check, {"lock": "30", "expiration": "7"}, options) == [
        "expiration is '7': expected more than lock (30) days." + NOTHING]
    assert refusals(check, {"lock": "30"}, options) == []
    assert refusals(check, {"unrelated": 1}, options) == []


def test_requires_applies_when_the_value_is_true():
    check = {"name": "remove_lock_table", "requires": {"strata_state_lock_mode": "lockfile"},
             "message": "remove_lock_table is true but strata_state_lock_mode is '{strata_state_lock_mode}'"}
    options = {"remove_lock_table": {"default": False, "type": "bool"}, "strata_state_lock_mode": {"default": "both"}}
    assert refusals(check, {"remove_lock_table": "true"}, options) == [
        "remove_lock_table is true but strata_state_lock_mode is 'both'." + NOTHING]
    assert refusals(check, {"remove_lock_table": "true", "strata_state_lock_mode": "lockfile"}, options) == []
    assert refusals(check, {"remove_lock_table": False, "strata_state_lock_mode": "both"}, options) == []


def test_needs_any_reads_each_variable_by_its_type():
    check = {"name": "awx_job_id", "empty": True, "needs_any": ["backup_root", "backup_vault"],
             "message": "backup_root is '{backup_root}' in job {value}: expected storage that outlives it"}
    options = {"backup_root": {"default": ""}, "backup_vault": {"default": False, "type": "bool"}}
    refused = ["backup_root is '' in job 42: expected storage that outlives it." + NOTHING]
    assert refusals(check, {"awx_job_id": 42}, options) == refused
    assert refusals(check, {"awx_job_id": 42, "backup_vault": "false"}, options) == refused
    assert refusals(check, {"awx_job_id": 42, "backup_vault": "yes"}, options) == []
    assert refusals(check, {"awx_job_id": 42, "backup_root": "/mnt/backups"}, options) == []
    # Not a job: nothing to say, whatever else is given.
    assert refusals(check, {"backup_root": ""}, options) == []
    assert refusals(check, {"awx_job_id": ""}, options) == []


def test_each_item_of_a_list_or_a_comma_separated_string():
    check = {"name": "allow_replace", "empty": True, "each": True, "pattern": '[][A-Za-z0-9_."-]+',
             "expected": "resource addresses"}
    assert refusals(check, {"allow_replace": "aws_dynamodb_table.visits, module.b.aws_s3_bucket.this,"}) == []
    assert refusals(check, {"allow_replace": ["aws_dynamodb_table.visits", 'a["k"]']}) == []
    assert refusals(check, {"allow_replace": "aws_s3_bucket.site;rm"}) == [
        "allow_replace is 'aws_s3_bucket.site;rm': expected resource addresses." + NOTHING]


def test_keys_names_the_bad_keys_never_the_values():
    check = {"name": "env_vars", "empty": True, "keys": "[A-Z][A-Z0-9_]*",
             "message": "env_vars has keys {bad_keys}: expected environment variable names"}
    assert refusals(check, {"env_vars": {"AWS_PROFILE": "x"}}) == []
    refused = refusals(check, {"env_vars": {"AWS_SECRET_ACCESS_KEY": "s3cr3t", "bad": "hunter2"}})
    assert refused == ["env_vars has keys ['bad']: expected environment variable names." + NOTHING]
    assert refusals(check, {"env_vars": "hunter2"}) == [
        "env_vars has keys ['(not a mapping)']: expected environment variable names." + NOTHING]


def test_every_refusal_is_returned_once_in_order():
    checks = [{"name": "a", "min": 1, "expected": "at least 1"}, {"name": "b", "min": 1, "expected": "at least 1"},
              {"name": "a", "min": 1, "expected": "at least 1"}]
    assert variable_refusals(checks, {"a": 0, "b": 0}) == [
        "a is '0': expected at least 1." + NOTHING, "b is '0': expected at least 1." + NOTHING]


def test_unknown_placeholders_and_braces_in_values_stay_as_written():
    check = {"name": "x", "format": "env", "expected": "an environment like {nothing_by_that_name}"}
    assert refusals(check, {"x": "{x}"}) == ["x is '{x}': expected an environment like {nothing_by_that_name}." + NOTHING]


@pytest.mark.parametrize(("check", "error"), [
    ({"name": "x", "min": 1}, "needs either expected or message"),
    ({"name": "x", "min": 1, "expected": "a", "message": "b"}, "needs either expected or message"),
    ({"name": "x", "minimum": 1, "expected": "a"}, "unknown fields: minimum"),
    ({"name": "x", "expected": "a"}, "has no rule"),
    ({"name": "x", "format": "bucket", "expected": "a"}, "unknown format 'bucket'"),
    ({"min": 1, "expected": "a"}, "a check must be a mapping with a name"),
])
def test_a_misspelt_check_fails_rather_than_passing(check, error):
    with pytest.raises(AnsibleFilterError, match=error):
        variable_refusals([check], {"x": 5})


def test_given_must_be_a_mapping():
    with pytest.raises(AnsibleFilterError, match="as a mapping"):
        variable_refusals([], ["x"])


def test_the_plugin_exports_the_filter():
    assert FilterModule().filters()["variable_refusals"] is variable_refusals
