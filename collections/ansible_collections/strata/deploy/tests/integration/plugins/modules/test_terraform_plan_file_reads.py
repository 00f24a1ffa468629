# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reviewed plans across layers, with real Terraform (local backends): a layer that reads
another's outputs through ``terraform_remote_state`` records them in its bundle entry; when
the bundle's plan of the layer it reads changes such an output, the bundle's summary says so,
the first layer applies, and the second is refused with nothing applied, naming the output.
A bundle that changes no output the second reads applies both."""
from __future__ import annotations

import json

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle as pb

READER_TF = """\
data "terraform_remote_state" "demo" {
  backend = "local"
  config = {
    path = "../demo/terraform.tfstate"
  }
}

variable "label" {
  type = string
}

resource "terraform_data" "reader" {
  input = "${var.label} reads ${data.terraform_remote_state.demo.outputs.label}"
}

output "read" {
  value = terraform_data.reader.output
}
"""


@pytest.fixture
def two_layers(deployed):
    """``demo`` (applied, output label ``one``) and ``reader``, which reads it, applied once."""
    source = deployed.root / "terraform" / "reader"
    source.mkdir(parents=True)
    (source / "main.tf").write_text(READER_TF)

    def args(label="r1", **extra):
        return dict(deployed.args(label=label, **extra), layer="reader", source_dir=str(source),
                    project_path=str(deployed.root / "work" / "reader"))

    assert deployed.run("terraform_apply", args())["outputs"] == {"read": "r1 reads one"}
    return deployed, args


def plan_bundle(layer, reader_args, demo_label, reader_label="r2"):
    """Plan both layers into a bundle as plan.yml does (demo first, reader after it) and write the manifest."""
    bundle = layer.root / f"bundle-{demo_label}"
    bundle.mkdir()
    saved = {"demo": layer.run("terraform_plan_file", layer.args(label=demo_label, plan_file=str(bundle / "demo.tfplan"))),
             "reader": layer.run("terraform_plan_file", reader_args(label=reader_label, plan_file=str(bundle / "reader.tfplan")))}
    records = [dict(saved["demo"]["bundle"], status=pb.PLANNED, predecessor="", summary=saved["demo"]["summary"]),
               dict(saved["reader"]["bundle"], status=pb.PLANNED, predecessor="demo", summary=saved["reader"]["summary"])]
    manifest = pb.build_manifest(str(bundle), "dev", "1", "us-east-1", records, "")
    pb.write_manifest(str(bundle), manifest)
    return bundle, manifest


def apply_bundle(layer, reader_args, bundle, manifest, demo_label, reader_label="r2"):
    entries = manifest["layers"]
    demo = layer.run("terraform_plan_file", layer.args(
        label=demo_label, state="applied", plan_file=str(bundle / "demo.tfplan"), expect=entries["demo"]))
    reader = layer.run("terraform_plan_file", reader_args(
        label=reader_label, state="applied", plan_file=str(bundle / "reader.tfplan"), expect=entries["reader"],
        predecessor_outputs=demo["outputs"]))
    return demo, reader


def test_a_changed_output_the_next_layer_read_refuses_its_plan_after_the_first_applies(two_layers):
    layer, reader_args = two_layers
    bundle, manifest = plan_bundle(layer, reader_args, demo_label="two")
    entry = manifest["layers"]["reader"]
    assert entry["reads"]["names"] == ["label"] and "one" not in json.dumps(entry["reads"])
    assert entry["reads_changed_by_predecessor"] == ["label"]
    assert "its plan depends on outputs the demo plan changes (label)" in pb.summary_lines(manifest)[1]
    reader_state = (layer.root / "work" / "reader" / "terraform.tfstate").read_text()

    demo, reader = apply_bundle(layer, reader_args, bundle, manifest, demo_label="two")
    assert demo["applied"] is True and demo["outputs"] == {"label": "two"}
    assert reader["failed"] is True and reader["bundle_refused"] is True and reader["changed_reads"] == ["label"]
    assert reader["msg"].startswith("Refusing to apply the reviewed plan of the reader layer: it was planned against "
                                    "outputs of the demo layer that have changed since (label)")
    assert (layer.root / "work" / "reader" / "terraform.tfstate").read_text() == reader_state


def test_a_bundle_that_changes_no_output_read_applies_both(two_layers):
    layer, reader_args = two_layers
    bundle, manifest = plan_bundle(layer, reader_args, demo_label="one", reader_label="r2")
    assert manifest["layers"]["reader"]["reads_changed_by_predecessor"] == []
    demo, reader = apply_bundle(layer, reader_args, bundle, manifest, demo_label="one", reader_label="r2")
    assert demo.get("failed") is not True and demo["applied"] is False
    assert reader.get("failed") is not True, reader
    assert reader["applied"] is True and reader["outputs"] == {"read": "r2 reads one"}
