"""bench.pull_payments' candidates still apply to the contract they measure against."""

from __future__ import annotations

import pytest

from bench import pull_payments


@pytest.mark.parametrize("name", list(pull_payments.CANDIDATES))
def test_each_candidate_patches_the_payment_provider_exactly_once(name, tmp_path):
    src = pull_payments._source(tmp_path, name, pull_payments.CANDIDATES[name])
    text = (src / "PaymentProvider.sol").read_text()
    pulls = name.startswith("pull")
    assert (pull_payments.PULL in text) == pulls
    assert (pull_payments.PUSH in text) != pulls
    assert (pull_payments.UNGUARDED in text) == ("unguarded" in name)


def test_a_patch_that_no_longer_matches_names_the_candidate(tmp_path):
    with pytest.raises(pull_payments.PatchError, match="candidate 'x': expected exactly one"):
        pull_payments._source(tmp_path, "x", (("no such text", ""),))
