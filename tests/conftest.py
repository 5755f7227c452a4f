"""Shared fixtures. No test reaches real AWS: dummy credentials, moto, loopback only."""

from __future__ import annotations

import atexit
import functools
import gc
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from checks.aws import Account, new_session
from checks.grading.runner import grade
from checks.model import Report
from checks.registry import Assessment, load_assessment
from checks.standin import gap_fills as moto_gaps

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent
# A second assessment kept in a package of its own, as a course keeps its assessments in its own
# repository: on the path, it is found by its entry point (tests/assessments/sqs_queues-1.0.dist-info).
ASSESSMENTS = ROOT / "tests" / "assessments"
if str(ASSESSMENTS) not in sys.path:
    sys.path.insert(0, str(ASSESSMENTS))
# The service models' cache (checks/aws/models.py) of this process and of the grader processes the
# tests start: a folder of the run's own, never the user's.
# Bytecode is written as a user's Python writes it: a machine that sets PYTHONDONTWRITEBYTECODE would make
# every grader process a test starts compile the project again (a few hundred of them in a run).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False
CACHE = tempfile.mkdtemp(prefix="validate-tasks-models-")
os.environ["VALIDATE_TASKS_CACHE"] = CACHE
atexit.register(shutil.rmtree, CACHE, True)


# Modules whose tests share a costly fixture (a stand-in held open, or a subprocess's answers): one
# worker runs each of them whole, so the cost is paid once. Every other test is scheduled on its own,
# so that parametrized ones spread over the workers (a costly fixture of plain data is session-scoped
# instead: each worker builds it once).
SHARED_FIXTURE_MODULES = (
    "tests/test_roster.py",
    "tests/test_least_privilege.py",
    "tests/test_moto_gaps.py",
    "tests/test_faults_proxy.py",
    "tests/test_every_assessment.py",
    "tests/test_many_accounts.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long modules run whole on one worker, and the slow end-to-end tests, started first: the
    other worker's many short tests fill the time beside them, instead of one worker finishing alone
    at the end."""
    items.sort(
        key=lambda item: (
            item.nodeid.split("::", 1)[0] not in SHARED_FIXTURE_MODULES,
            item.get_closest_marker("slow") is None,  # the long end-to-end runs next, not last
            -LONGEST.get(item.nodeid.split("[", 1)[0], 0),  # the longest of them first: the workers end together
        )
    )


# The longest single tests, in seconds as measured on 2 cores: started first among the slow ones.
LONGEST = {
    "tests/test_readme_replay.py::test_every_bash_block_runs_in_order_and_grades_full_marks": 26,
    "tests/test_every_assessment.py::test_an_empty_account_reaches_full_marks_in_two_rounds": 18,
    "tests/test_cleanup.py::test_one_students_block_removes_exactly_their_work": 13,
    "tests/test_cli.py::test_an_endpoint_that_never_answers_exits_3_within_15_seconds": 12,
    "tests/test_hint_replay.py::test_each_checks_json_fix_alone_in_every_order_reaches_the_same": 9,
    "tests/test_authoring.py::test_its_contract_holds_from_the_courses_own_folder": 7,
    "tests/test_authoring.py::test_it_is_graded_every_way": 5,
}


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is loaded by now (boto3, moto, the grader) lives as long as the run: the collector stops
    walking it, so that its full passes, which every test's mocked accounts set off, stay short."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker more than the cores (``-n auto``): many tests wait on a subprocess, a socket or a
    time-out, and a third worker on two cores fills those waits (measured: 117 s with two, 106 s with three)."""
    return (os.cpu_count() or 1) + 1


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in SHARED_FIXTURE_MODULES else nodeid

    return Scheduling(config, log)


@pytest.fixture(autouse=True)
def dummy_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test runs with fake credentials and no AWS configuration of the machine's."""
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "STUDENT_ID":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


# The regions the stand-in's account has, in the tests: the ones they name, not moto's thirty. Looking for a
# student's work in every other region (the diagnoses, cleanup) makes moto build each region's backends,
# about a second a region; what a test checks is the same over ten of them. (The sandbox and the demo a
# user runs keep all of moto's.)
TEST_REGIONS = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-3",
    "eu-central-1",
    "eu-central-2",
    "eu-south-2",
    "ap-southeast-2",
    "af-south-1",
    "ca-central-1",
)


@pytest.fixture(scope="session", autouse=True)
def gaps_filled() -> None:
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

    moto_gaps.install()
    every = RegionsAndZonesBackend.describe_regions

    def fewer(self: RegionsAndZonesBackend, region_names: list[str] | None = None) -> list[Any]:
        found = every(self, region_names)
        return found if region_names else [r for r in found if r.name in TEST_REGIONS]

    RegionsAndZonesBackend.describe_regions = fewer  # type: ignore[method-assign]


@pytest.fixture(scope="session", autouse=True)
def one_model_loader() -> Iterator[None]:
    """boto3's default session (which moto renews for every mock) reads service models once per process.

    The stand-in's EC2 keeps no sample machine images either: no check reads them, and
    loading them dominated every test's set-up.
    """
    real = boto3.setup_default_session

    def shared(**settings: object) -> None:
        boto3.DEFAULT_SESSION = new_session(**settings)

    boto3.setup_default_session = shared  # type: ignore[assignment]
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    # The stand-in lists a service's regions anew for each account's backend it makes (its cache is
    # per backend object, and every mock makes new ones): the list depends on the service alone.
    from moto.core.base_backend import AccountSpecificBackend

    listed = AccountSpecificBackend._generate_regions
    regions: dict[str, list[str]] = {}

    def once_per_service(self: AccountSpecificBackend, service_name: str) -> list[str]:
        if service_name not in regions:
            regions[service_name] = listed(self, service_name)
        return list(regions[service_name])

    AccountSpecificBackend._generate_regions = once_per_service  # type: ignore[method-assign]
    # Each mock also patches the `requests` library with a callback per URL pattern of every service
    # (about 1,300, some 30 ms a mock); nothing here sends through `requests`, botocore alone is stubbed.
    from moto.core import models as moto_models

    enable, disable = moto_models.MockAWS._enable_patching, moto_models.MockAWS._disable_patching

    def stub_botocore_only(self: moto_models.MockAWS, reset: bool = True) -> None:
        moto_models.botocore_stubber.enabled = True
        if reset:
            moto_models.BackendDict.reset()

    def unstub_botocore_only(self: moto_models.MockAWS, remove_data: bool) -> None:
        moto_models.botocore_stubber.enabled = False
        if remove_data:
            moto_models.BackendDict.reset()
            moto_models.reset_model_data()

    moto_models.MockAWS._enable_patching = stub_botocore_only  # type: ignore[method-assign]
    moto_models.MockAWS._disable_patching = unstub_botocore_only  # type: ignore[method-assign]
    # To find the method of each request's action, the stand-in lists every member of its response
    # class (inspect.getmembers) anew: a third of its own time here. A class's methods do not change.
    from moto.core import responses as moto_responses

    members = moto_responses.method_names_from_class
    moto_responses.method_names_from_class = functools.lru_cache(maxsize=None)(  # type: ignore[assignment]
        lambda clazz: frozenset(members(clazz))
    )
    # botocore builds a client's class anew for every client (a method per operation: EC2 has some
    # 700), and the tests make thousands of clients; a service's class is the same each time.
    from botocore.client import ClientCreator

    build = ClientCreator._create_client_class
    classes: dict[tuple[str, str], type] = {}

    def once_per_model(self: ClientCreator, service_name: str, service_model: Any) -> type:
        key = (service_name, service_model.api_version)
        if key not in classes:
            classes[key] = build(self, service_name, service_model)
        return classes[key]

    ClientCreator._create_client_class = once_per_model  # type: ignore[method-assign]
    yield
    ClientCreator._create_client_class = build  # type: ignore[method-assign]
    moto_responses.method_names_from_class = members
    moto_models.MockAWS._enable_patching, moto_models.MockAWS._disable_patching = enable, disable  # type: ignore[method-assign]
    AccountSpecificBackend._generate_regions = listed  # type: ignore[method-assign]
    boto3.setup_default_session = real  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def no_lasting_demo() -> Iterator[None]:
    """A test that runs --demo in-process must not leave its stand-in to the next test."""
    yield
    from checks.standin.demo import stop_stand_in

    stop_stand_in()


@pytest.fixture
def instant_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore retries as configured, without sleeping its backoff (up to a second a retry when throttled).

    Returns the delays botocore asked for, so a test can see retries were backed off.
    """
    from botocore.retries.standard import ExponentialBackoff

    asked: list[float] = []
    real = ExponentialBackoff.delay_amount

    def recorded(self: ExponentialBackoff, context: object) -> float:
        asked.append(real(self, context))
        return 0.0

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", recorded)
    return asked


PLANTED = {
    "AWS_ACCESS_KEY_ID": "AKIAPLANTEDKEY000042",
    "AWS_SECRET_ACCESS_KEY": "planted/secret/+key0000000000000000000000",
    "AWS_SESSION_TOKEN": "PLANTED-SESSION-TOKEN-" + "q" * 60,
}


@pytest.fixture
def planted_credentials(monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    """Known fake credentials in the environment, to search every output for."""
    for name, value in PLANTED.items():
        monkeypatch.setenv(name, value)
    return tuple(PLANTED.values())


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture(scope="session")
def lambda_medium() -> Assessment:
    return load_assessment("lambda_medium")


def grade_in_process(
    assessment: Assessment,
    student_id: str,
    *,
    session: boto3.Session | None = None,
    classmates: tuple[str, ...] = (),
    region: str = REGION,
    targeted: bool = False,
) -> tuple[Report, Account]:
    account = Account(session or new_session(region_name=region), region, targeted=targeted)
    account.identify()
    student = assessment.student(account, student_id, classmates)
    return grade(assessment, student), account


def statuses(report: Report) -> dict[str, str]:
    return {c.id: c.status.value for c in report.checks()}


def failing(report: Report) -> set[str]:
    return {c.id for c in report.checks() if c.status.value != "pass"}


@pytest.fixture(scope="session")
def aws_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The AWS CLI, imported once in a process of its own and forked for each command (tests/aws_cli_server.py)."""
    path = tmp_path_factory.mktemp("aws-cli") / "socket"
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "aws_cli_server.py"), str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    yield path
    server.kill()
    server.wait()
