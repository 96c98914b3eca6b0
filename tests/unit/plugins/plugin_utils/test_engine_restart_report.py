"""engine_restart.container_report: container_engine's raw docker ps / docker start runs.

The outputs are the real docker CLI's (20.10.24 and 28.2.2), captured from the simulator's
container_engine model (wcsim runs the real CLI against its Engine API) with two of four
containers whose image was gone; "always" ran again already when started (a 304 for moby,
success for the client)."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import engine_restart

NO_IMAGE = (
    "Error response from daemon: No such image: mcr.microsoft.com/windows/nanoserver:ltsc2022"
)
IDS_2010 = {
    "web": "911baca0c1043b488c452a66ad860f8dcec90d2f5280d982195650cfbad227a8",
    "gone1": "c1683636aa8c051720a21c0c6f5c94d29953a6f11d1d5c270cbb5f5b499e84b2",
    "always": "256b9974d45e690f770056ea52a9395aa5ae7aed0b03e76ba3e73b9411abb1b3",
    "gone2": "2006ba7134e647e4ff425dd17b14fa6396ccca96d6a549cc0c224ca1d92d1a43",
}
IDS_28 = {
    "web": "1eefce4e66d3d72752617c2eedc3a1e1b728a4041a1fb91f7883ea6ecdef2922",
    "gone1": "96a3b5dd9a563adac8b9b3c8db699faf5dbb49b98b8b6ab885964f1b69ec5360",
    "always": "ff6a54e71d8bd2757583f666c1e30c81a2aaf9522a44ca849650a519db551d1c",
    "gone2": "190bf73fd18649b0509aa77e572e9a5bc22da22da6f1d5e56090ed6eb60da3e2",
}


def raw(ids):
    """The two runs as the module returns them, the CLI's bytes unchanged."""
    listed = "".join(f"{cid}\n" for cid in ids.values())
    return {
        "listed": {"rc": 0, "stdout": listed, "stderr": ""},
        "started": {
            "rc": 1,
            "stdout": f"{ids['web']}\n{ids['always']}\n",
            "stderr": f"{NO_IMAGE}\n{NO_IMAGE}\n"
            f"Error: failed to start containers: {ids['gone1']}, {ids['gone2']}\n",
        },
    }


@pytest.mark.parametrize("ids", [IDS_2010, IDS_28], ids=["cli-20.10.24", "cli-28.2.2"])
def test_each_failed_id_gets_its_own_error_and_the_summary_line_is_dropped(ids):
    names = {cid: name for name, cid in ids.items()}
    report = engine_restart.container_report(raw(ids), names)
    assert report == {
        "restored": [ids["web"], ids["always"]],
        "not_restarted": [
            {"id": ids["gone1"], "name": "gone1", "error": NO_IMAGE},
            {"id": ids["gone2"], "name": "gone2", "error": NO_IMAGE},
        ],
    }


def test_all_started_is_all_restored_with_windows_line_ends():
    ids = IDS_28
    runs = {
        "listed": {"rc": 0, "stdout": f"{ids['web']}\r\n{ids['gone1']}\r\n", "stderr": ""},
        "started": {"rc": 0, "stdout": f"{ids['web']}\r\n{ids['gone1']}\r\n", "stderr": ""},
    }
    report = engine_restart.container_report(runs, {})
    assert report == {"restored": [ids["web"], ids["gone1"]], "not_restarted": []}


def test_errors_that_do_not_pair_with_the_failed_ids_go_whole_to_each():
    runs = {
        "listed": {"rc": 0, "stdout": "a\nb\nc\n", "stderr": ""},
        "started": {
            "rc": 1,
            "stdout": "a\n",
            "stderr": "first line\nsecond line\nthird line\n"
            "Error: failed to start containers: b, c\n",
        },
    }
    report = engine_restart.container_report(runs, {"b": "bee"})
    whole = "first line\nsecond line\nthird line\nError: failed to start containers: b, c\na"
    assert report["restored"] == ["a"]
    assert report["not_restarted"] == [
        {"id": "b", "name": "bee", "error": whole},
        {"id": "c", "name": "c", "error": whole},
    ]


def test_a_failed_listing_is_the_list_error_and_nothing_else():
    pipe = (
        "error during connect: this error may indicate that the docker daemon is not running:"
        " Get http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.24/containers/json: open"
        " //./pipe/docker_engine: The system cannot find the file specified.\n"
    )
    report = engine_restart.container_report(
        {"listed": {"rc": 1, "stdout": "", "stderr": pipe}}, {}
    )
    assert report == {
        "restored": [],
        "not_restarted": [],
        "list_error": "docker ps failed (rc 1): " + pipe.strip(),
    }


@pytest.mark.parametrize(
    "runs",
    [
        {},
        None,
        {"listed": {"rc": 0, "stdout": "", "stderr": ""}},
    ],
)
def test_nothing_listed_reports_nothing(runs):
    assert engine_restart.container_report(runs, {}) == {"restored": [], "not_restarted": []}


def test_listed_but_never_started_reports_every_one_as_not_restarted():
    # The module lists last before the switch: a listing without a start means the change
    # failed and the engine did not answer again, so none of them runs.
    runs = {"listed": {"rc": 0, "stdout": "a\nb\n", "stderr": ""}}
    report = engine_restart.container_report(runs, {"a": "web"})
    assert report == {
        "restored": [],
        "not_restarted": [
            {"id": "a", "name": "web", "error": engine_restart.NOT_BROUGHT_BACK},
            {"id": "b", "name": "b", "error": engine_restart.NOT_BROUGHT_BACK},
        ],
    }


def test_names_come_from_every_container_of_the_read():
    info = {
        "containers": [
            {"id": "a", "name": "web", "running": True},
            {"id": "b", "name": "", "running": False},
            "not a container",
        ]
    }
    assert engine_restart.container_names(info) == {"a": "web", "b": "b"}
