"""The live page, in a real browser (Playwright driving Debian's chromium), against a running
fleet: what each row shows is what the rig's own state was at that moment, the fault
timeline shows the partition as it fires, and the finished page shows the verdicts the run
returned. Screenshots are saved under build/live/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from rig.fleet import FleetFaults, FleetOptions, OfficeDay, run_fleet
from rig.fleet.names import machine_name
from rig.live import LiveBoard, LiveServer
from rig.live.record import RecordError, record_view
from rig.report.chromium import find_chromium

SHOTS = Path(__file__).resolve().parents[2] / "build" / "live"
CELLS = ("power", "net", "checkpoint", "deposit", "signed", "redeemed", "owed", "served",
         "outcome")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(find_chromium()),
                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


def _rows(page: Page) -> dict[str, dict[str, str]]:
    return page.eval_on_selector_all(
        "#machines tbody tr",
        "rows => Object.fromEntries(rows.map(r => [r.dataset.machine, Object.fromEntries("
        "[...r.cells].map(c => [c.className.split(' ')[0], c.textContent]))]))")


def _expected(view: dict[str, Any]) -> dict[str, dict[str, str]]:
    def eur(v: float) -> str:
        return f"{v:.2f}"

    return {m["name"]: {"name": m["name"], "power": "on" if m["powered"] else "off",
                        "net": "online" if m["online"] else "offline",
                        "checkpoint": m["checkpoint"], "deposit": eur(m["deposit_eur"]),
                        "signed": eur(m["signed_eur"]), "redeemed": eur(m["redeemed_eur"]),
                        "owed": eur(m["owed_eur"]), "served": str(m["served"]),
                        "outcome": m["outcome"] or ""}
            for m in view["machines"]}


def _shown(page: Page, board: LiveBoard) -> None:
    """Wait until the page rendered the board's latest snapshot."""
    seq = board.snapshot()["seq"]
    page.wait_for_function(f"Number(document.getElementById('seq').textContent) >= {seq}",
                           timeout=15_000)


def test_the_page_follows_a_running_fleet_and_shows_its_verdicts(browser: Browser, tmp_path):
    board = LiveBoard()
    server = LiveServer(board).start()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    seen: dict[str, tuple[dict[str, Any], dict[str, dict[str, str]], list[str]]] = {}

    def observer(view: dict[str, Any]) -> None:
        """Runs in the fleet's thread: the fleet waits while the page is read, so what the
        page shows can be held against the picture the rig published."""
        board.publish(view)
        offline = any(not m["online"] for m in view["machines"])
        moment = "finished" if view["phase"] == "finished" else \
            "partitioned" if offline and "partitioned" not in seen else None
        if moment is None:
            return
        _shown(page, board)
        seen[moment] = (view, _rows(page), page.locator("#timeline li").all_inner_texts())
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"fleet-{moment}.png"), full_page=True)

    try:
        page.goto(server.url)
        result = run_fleet(FleetOptions(
            machines=2, seed=21, day=OfficeDay(employees=3), step_seconds=3600,
            faults=FleetFaults(power_share=0, partition_share=0.5, node_restarts=0,
                               reorgs=0), workdir=tmp_path / "fleet"), observer=observer)
    finally:
        page.close()
        server.stop()
    assert result.outcome == "passed", result.message
    assert set(seen) == {"partitioned", "finished"}

    view, rows, timeline = seen["partitioned"]
    assert rows == _expected(view)
    cut = [name for name, row in rows.items() if row["net"] == "offline"]
    partition = next(f for f in result.faults if f.kind == "net.blackhole")
    assert cut == [machine_name(i) for i in partition.machines]
    assert any("fire net.blackhole on " + cut[0] in line for line in timeline), timeline

    view, rows, timeline = seen["finished"]
    assert rows == _expected(view)
    for m in result.machines:             # the rig's own result, not the published picture
        row = rows[m.name]
        assert row["outcome"] == m.outcome == "passed"
        assert row["served"] == str(m.verdicts["served"])
        assert row["redeemed"] == f"{m.exposure.samples[-1].redeemed / 1e6:.2f}"
        assert row["owed"] == "0.00"
    assert any("heal net.blackhole" in line for line in timeline), timeline
    assert (SHOTS / "fleet-finished.png").stat().st_size > 10_000


def test_a_finished_runs_record_opens_on_the_page(browser: Browser):
    summary = {"schema": "coffeepay-fleet/1", "machines": 1, "seed": 4, "outcome": "violated",
               "message": "1 channel(s) violated an invariant: ['m000']",
               "timeline": [{"at": "10:00", "kind": "power.cut", "action": "fire",
                             "where": "m000"}],
               "channels": [{"machine": "m000", "outcome": "violated", "served": 7,
                             "deposit_eur": 200.0, "signed_eur": 1.5, "redeemed_eur": 1.0}]}
    board = LiveBoard()
    board.publish(record_view(summary, "fleet.json"))
    server = LiveServer(board).start()
    page = browser.new_page()
    try:
        page.goto(server.url)
        _shown(page, board)
        row = _rows(page)["m000"]
        assert (row["outcome"], row["served"], row["owed"]) == ("violated", "7", "0.50")
        assert page.inner_text("#verdict").startswith("VIOLATED")
        assert page.locator("#timeline li").all_inner_texts() == \
            ["10:00 fire power.cut on m000"]
    finally:
        page.close()
        server.stop()


def test_a_file_that_is_not_a_fleet_record_is_refused_with_what_it_is():
    with pytest.raises(RecordError, match=r"not a fleet record.*'coffeepay-fleet-tradeoff/1'"):
        record_view({"schema": "coffeepay-fleet-tradeoff/1"}, "x.json")
