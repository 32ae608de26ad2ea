"""Shared fixtures: where the built artefacts are."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def vst3_path():
    path = pathlib.Path(os.environ.get("MELODIASYNC_VST3", ROOT / "target/test-bundles/MelodiaSync.vst3"))
    assert path.exists(), f"{path} is missing: run scripts/test.sh, which builds the test bundles first"
    return path


@pytest.fixture(scope="session")
def cli():
    """The CLI binary `scripts/test.sh` built with the Rust tests (profile test-bundle:
    optimised, with debug assertions)."""
    path = ROOT / "target/test-bundle/melodiasync"
    if not path.exists():
        subprocess.run(["cargo", "build", "--profile", "test-bundle", "--bin", "melodiasync"],
                       cwd=ROOT, check=True)
    return path
