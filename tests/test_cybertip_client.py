"""The CyberTipline client against a fake NCMEC server on 127.0.0.1: the whole flow, resuming
after crashes without filing twice, transient failures, and NCMEC's errors as typed errors."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from bastion.reports.hotline import (
    AuthenticationFailed,
    CyberTiplineClient,
    CyberTiplineConfig,
    CyberTiplineUnavailable,
    FileNotFound,
    ReportAlreadyRetracted,
    ReportInputError,
    ReportNotFound,
    SubmissionState,
    SubmissionStateError,
    UploadIntegrityError,
    UploadOutcomeUnknown,
    ValidationRejected,
    begin,
    build_file_details_xml,
)
from tests.fake_cybertip import FakeCyberTipline
from tests.hotline_factory import minimal, sample


class Crash(Exception):
    """Stands for the worker process dying at this point."""


class Store:
    """What a worker persists: the last saved state, as JSON (so resuming also round-trips)."""

    def __init__(self, crash_when=None):
        self.saved: list[str] = []
        self.crash_when = crash_when

    def save(self, state: SubmissionState) -> None:
        if self.crash_when is not None and self.crash_when(state):
            self.crash_when = None
            raise Crash
        self.saved.append(state.to_json())

    @property
    def last(self) -> SubmissionState:
        return SubmissionState.from_json(self.saved[-1])


@pytest.fixture(scope="module")
def server():
    running = FakeCyberTipline().start()
    yield running
    running.stop()


@pytest.fixture
def fake(server):
    server.reset()
    return server


def client_for(
    fake: FakeCyberTipline, password: str = "s3cret", attempts: int = 3
) -> CyberTiplineClient:
    config = CyberTiplineConfig(
        fake.url, fake.username, password, attempts=attempts, backoff_seconds=0.5
    )
    return CyberTiplineClient(config, sleep=lambda seconds: None)


def media_for(media: list[bytes]):
    return lambda index, item: media[index]


def test_status_confirms_credentials(fake):
    assert "esp-test" in client_for(fake).status().description


def test_wrong_credentials_raise_authentication_failed(fake):
    with pytest.raises(AuthenticationFailed) as caught:
        client_for(fake, password="wrong").status()
    assert caught.value.http_status == 401
    assert caught.value.response_code == 2000


def test_full_flow_files_one_report_with_every_file_and_its_details(fake):
    report, media = sample()
    store = Store()
    finished = client_for(fake).submit_all(report, media_for(media), store.save)
    [filed] = fake.finished_reports()
    assert filed.report_id == finished.report_id
    assert sorted(finished.file_ids) == sorted(filed.files)
    assert sorted(f.md5 for f in filed.files.values()) == sorted(f.md5 for f in report.files)
    assert all(f.details_xml is not None for f in filed.files.values())
    assert store.last.next_step == "done"


def test_report_without_files_is_submitted_and_finished(fake):
    finished = client_for(fake).submit_all(minimal(), media_for([]), Store().save)
    assert finished.file_ids == ()
    assert len(fake.finished_reports()) == 1


def test_submitted_documents_carry_no_media_bytes(fake):
    report, media = sample()
    client_for(fake).submit_all(report, media_for(media), Store().save)
    [filed] = fake.finished_reports()
    documents = [filed.xml] + [f.details_xml or b"" for f in filed.files.values()]
    for data in media:
        for fragment in (
            data[64:96],
            base64.b64encode(data[60:120])[8:48],
            data[64:96].hex().encode(),
        ):
            assert not any(fragment in document for document in documents)


def test_state_survives_a_json_round_trip():
    report, _ = sample()
    state = begin(report).with_file(1, file_id="abc", server_md5="0" * 32)
    assert SubmissionState.from_json(state.to_json()) == state


def test_unreadable_stored_state_is_a_clear_error():
    with pytest.raises(SubmissionStateError, match="not readable"):
        SubmissionState.from_json('{"version": 1}')


@pytest.mark.parametrize(
    "crash_point",
    [
        # Each crash hits the save that comes before the next request, so the stored state is
        # the one after the step named.
        pytest.param(lambda s: s.files[0].upload_uncertain, id="after-submit"),
        pytest.param(lambda s: s.files[0].details_attempted, id="after-first-upload"),
        pytest.param(lambda s: s.files[1].upload_uncertain, id="after-first-details"),
        pytest.param(lambda s: s.files[1].details_attempted, id="after-last-upload"),
        pytest.param(lambda s: s.finished, id="after-finish-before-saving-it"),
    ],
)
def test_resume_after_a_crash_between_steps_never_repeats_a_step(fake, crash_point):
    report, media = sample()
    store = Store(crash_when=crash_point)
    with pytest.raises(Crash):
        client_for(fake).submit_all(report, media_for(media), store.save)
    resumed = client_for(fake).submit_all(report, media_for(media), store.save, state=store.last)
    assert len(fake.calls("/submit")) == 1
    assert len(fake.calls("/upload")) == 2
    assert len(fake.calls("/fileinfo")) == 2
    assert len(fake.finished_reports()) == 1
    assert resumed.report_id == fake.finished_reports()[0].report_id


def test_crash_before_the_report_id_is_saved_leaves_only_an_unfinished_extra_report(fake):
    report, media = sample()
    store = Store(crash_when=lambda s: s.report_id is not None)
    with pytest.raises(Crash):
        client_for(fake).submit_all(report, media_for(media), store.save)
    assert store.saved == []
    client_for(fake).submit_all(report, media_for(media), store.save)
    assert len(fake.reports) == 2
    assert len(fake.finished_reports()) == 1


def test_resuming_a_finished_submission_sends_nothing(fake):
    report, media = sample()
    store = Store()
    client_for(fake).submit_all(report, media_for(media), store.save)
    before = len(fake.requests)
    again = client_for(fake).submit_all(report, media_for(media), store.save, state=store.last)
    assert again.skipped
    assert len(fake.requests) == before


def test_crash_during_an_upload_blocks_instead_of_uploading_twice(fake):
    report, media = sample()
    store = Store(crash_when=lambda s: s.files[0].file_id is not None)
    with pytest.raises(Crash):
        client_for(fake).submit_all(report, media_for(media), store.save)
    assert store.last.next_step == "blocked 0"
    with pytest.raises(UploadOutcomeUnknown, match="picture-0.jpg"):
        client_for(fake).submit_all(report, media_for(media), store.save, state=store.last)
    assert len(fake.calls("/upload")) == 1


def test_blocked_submission_is_recovered_by_retracting_and_starting_afresh(fake):
    report, media = sample()
    store = Store(crash_when=lambda s: s.files[0].file_id is not None)
    with pytest.raises(Crash):
        client_for(fake).submit_all(report, media_for(media), store.save)
    client = client_for(fake)
    client.retract(store.last)
    client.submit_all(report, media_for(media), Store().save)
    [filed] = fake.finished_reports()
    assert len(filed.files) == 2
    assert sum(r.retracted for r in fake.reports.values()) == 1


def test_transient_server_errors_are_retried_without_duplicates(fake):
    report, media = sample()
    fake.fail_next("/submit", 503, times=2)
    fake.fail_next("/upload", 502)
    fake.fail_next("/fileinfo", 500)
    fake.fail_next("/finish", 504)
    client_for(fake).submit_all(report, media_for(media), Store().save)
    assert len(fake.reports) == 1
    [filed] = fake.finished_reports()
    assert len(filed.files) == 2


def test_persistent_server_errors_become_a_transient_typed_error(fake):
    report, media = sample()
    fake.fail_next("/submit", 503, times=5)
    with pytest.raises(CyberTiplineUnavailable) as caught:
        client_for(fake, attempts=3).submit_all(report, media_for(media), Store().save)
    assert caught.value.transient
    assert caught.value.http_status == 503
    assert fake.reports == {}


def test_unreachable_server_is_a_transient_typed_error():
    config = CyberTiplineConfig("http://127.0.0.1:9/ispws", "u", "p", attempts=2, backoff_seconds=0)
    with pytest.raises(CyberTiplineUnavailable, match="cannot reach"):
        CyberTiplineClient(config, sleep=lambda s: None).status()


def test_lost_submit_answer_is_retried_and_the_extra_report_never_finished(fake):
    report, media = sample()
    fake.lose_answer_next("/submit")
    finished = client_for(fake).submit_all(report, media_for(media), Store().save)
    assert len(fake.reports) == 2
    assert [r.report_id for r in fake.finished_reports()] == [finished.report_id]
    assert any("extra unfinished report" in note for note in finished.state.notes)


def test_lost_upload_answer_stops_without_a_second_upload(fake):
    report, media = sample()
    fake.lose_answer_next("/upload")
    with pytest.raises(UploadOutcomeUnknown) as caught:
        client_for(fake).submit_all(report, media_for(media), Store().save)
    assert caught.value.state.next_step == "blocked 0"
    assert len(fake.calls("/upload")) == 1


def test_lost_finish_answer_counts_as_finished(fake):
    report, media = sample()
    fake.lose_answer_next("/finish")
    finished = client_for(fake).submit_all(report, media_for(media), Store().save)
    assert finished.state.finished
    assert len(fake.finished_reports()) == 1
    assert any("already finished" in note for note in finished.state.notes)


def test_lost_file_details_answer_is_not_sent_twice(fake):
    report, media = sample()
    fake.lose_answer_next("/fileinfo")
    client_for(fake).submit_all(report, media_for(media), Store().save)
    [filed] = fake.finished_reports()
    assert all(f.details_xml is not None for f in filed.files.values())


def test_out_of_order_xml_gets_ncmecs_validation_code(fake):
    client = client_for(fake)
    bad = b"<report><reporter/><incidentSummary/></report>"
    with pytest.raises(ValidationRejected) as caught:
        client.transport.call("submit", "POST", "/submit", content=bad, answer_lost_is_safe=True)
    assert caught.value.response_code == 4100
    assert "not expected" in caught.value.description


def test_file_details_for_an_unknown_file_get_file_not_found(fake):
    report, _media = sample()
    client = client_for(fake)
    state = begin(report)
    state = client.submit(report, state).state
    xml = build_file_details_xml(state.report_id, "no-such-file", report.files[0])
    with pytest.raises(FileNotFound) as caught:
        client.transport.call(
            "fileinfo", "POST", "/fileinfo", content=xml, answer_lost_is_safe=True
        )
    assert caught.value.response_code == 5002


def test_client_refuses_file_details_before_the_upload(fake):
    report, _ = sample()
    client = client_for(fake)
    state = client.submit(report, begin(report)).state
    with pytest.raises(SubmissionStateError, match="not uploaded"):
        client.send_file_details(report, state, 0)


def test_retract_cancels_an_open_report(fake):
    report, media = sample()
    client = client_for(fake)
    state = client.submit(report, begin(report)).state
    state = client.upload(report, state, 0, media[0]).state
    retracted = client.retract(state)
    assert fake.reports[retracted.report_id].retracted
    with pytest.raises(SubmissionStateError, match="retracted"):
        client.finish(retracted.state)
    assert client.retract(retracted.state).skipped


def test_retract_after_finish_is_refused_without_a_request(fake):
    report, media = sample()
    finished = client_for(fake).submit_all(report, media_for(media), Store().save)
    before = len(fake.requests)
    with pytest.raises(SubmissionStateError, match="finished"):
        client_for(fake).retract(finished.state)
    assert len(fake.requests) == before


def test_ncmec_error_codes_are_typed_whatever_the_http_status():
    server = FakeCyberTipline(error_http_status=400).start()
    try:
        client = client_for(server)
        report = minimal()
        state = client.submit(report, begin(report)).state
        client.retract(state)
        with pytest.raises(ReportAlreadyRetracted) as caught:
            client.finish(state)
    finally:
        server.stop()
    assert (caught.value.http_status, caught.value.response_code) == (400, 5101)
    assert caught.value.description == "Report already retracted"


def test_resuming_with_a_different_report_is_refused(fake):
    report, _media = sample()
    state = begin(report)
    other = replace(report, reference="another-case")
    with pytest.raises(SubmissionStateError, match="different report"):
        client_for(fake).submit(other, state)
    assert fake.requests == []


def test_media_must_be_the_reported_file(fake):
    report, media = sample()
    client = client_for(fake)
    state = client.submit(report, begin(report)).state
    with pytest.raises(ReportInputError, match="picture-0.jpg"):
        client.upload(report, state, 0, media[1])
    assert fake.calls("/upload") == []


def test_server_md5_mismatch_is_an_integrity_error(fake):
    report, media = sample()
    fake.answer_wrong_md5 = True
    client = client_for(fake)
    state = client.submit(report, begin(report)).state
    with pytest.raises(UploadIntegrityError) as caught:
        client.upload(report, state, 0, media[0])
    assert caught.value.state.files[0].file_id is not None


def test_config_reads_environment():
    config = CyberTiplineConfig.from_env(
        {"BASTION_CYBERTIP_USERNAME": "esp", "BASTION_CYBERTIP_PASSWORD": "hunter2-secret"}
    )
    assert config.base_url == "https://exttest.cybertip.org/ispws"
    assert config.password == "hunter2-secret"
    assert "hunter2" not in repr(config)


def test_config_without_credentials_says_what_to_set():
    with pytest.raises(ValueError, match="BASTION_CYBERTIP_USERNAME"):
        CyberTiplineConfig.from_env({})


def test_non_cybertipline_answer_is_a_protocol_error(fake):
    # A wrong base URL (here the fake's root, not /ispws) answers 404 without CyberTipline XML.
    config = CyberTiplineConfig(fake.url.removesuffix("/ispws"), "esp-test", "s3cret", attempts=1)
    with pytest.raises(Exception, match="not a CyberTipline XML response"):
        CyberTiplineClient(config).status()


def test_http_client_is_closed_by_context_manager(fake):
    with client_for(fake) as client:
        client.status()
    with pytest.raises(RuntimeError, match="closed"):
        client.status()


def test_upload_to_an_unknown_report_gets_report_not_found(fake):
    with pytest.raises(ReportNotFound) as caught:
        client_for(fake).transport.call(
            "upload",
            "POST",
            "/upload",
            data={"id": "999"},
            files={"file": ("x.bin", b"benign", "application/octet-stream")},
            answer_lost_is_safe=False,
        )
    assert caught.value.response_code == 5001


def test_client_refuses_to_upload_before_submitting(fake):
    report, media = sample()
    with pytest.raises(SubmissionStateError, match="before the report is submitted"):
        client_for(fake).upload(report, begin(report), 0, media[0])
    assert fake.requests == []
