"""``spinefx serve``: settings reach uvicorn, bad ports are usage errors, the access log is ours."""

import os

import pytest

from spinefx.cli import run


@pytest.fixture
def uvicorn_calls(monkeypatch):
    calls = []

    def fake_run(app, **kwargs):
        calls.append((app, kwargs))

    monkeypatch.setattr("uvicorn.run", fake_run)
    # serve configures logging for the whole process: not this test process's
    monkeypatch.setattr("logging.config.dictConfig", lambda config: None)
    return calls


def test_serve_defaults_to_localhost_8000_without_uvicorns_access_log(
    uvicorn_calls, monkeypatch, tmp_path
):
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SPINEFX_HOST", raising=False)
    monkeypatch.delenv("SPINEFX_PORT", raising=False)
    assert run(["serve"]) == 0
    ((_, kwargs),) = uvicorn_calls
    assert (kwargs["host"], kwargs["port"]) == ("127.0.0.1", 8000)
    assert kwargs["access_log"] is False  # it would log query strings; spinefx logs paths only


def test_serve_options_override_the_environment(uvicorn_calls, monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SPINEFX_PORT", "9000")
    assert run(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    ((_, kwargs),) = uvicorn_calls
    assert (kwargs["host"], kwargs["port"]) == ("0.0.0.0", 8123)


def test_serve_reads_the_port_from_the_environment(uvicorn_calls, monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SPINEFX_PORT", "9000")
    assert run(["serve"]) == 0
    ((_, kwargs),) = uvicorn_calls
    assert kwargs["port"] == 9000


@pytest.mark.parametrize("port", ["0", "65536", "web"])
def test_serve_refuses_a_bad_port_as_a_usage_error(uvicorn_calls, capsys, port):
    assert run(["serve", "--port", port]) == 2
    assert uvicorn_calls == []
    assert "port" in capsys.readouterr().err.lower()


def test_a_bad_environment_setting_is_an_input_error_naming_the_variable(
    uvicorn_calls, monkeypatch, capsys
):
    monkeypatch.setenv("SPINEFX_PORT", "abc")
    assert run(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: SPINEFX_PORT: got 'abc'; allowed: an integer from 1 to 65535")
    assert "Traceback" not in err
    assert uvicorn_calls == []


def test_serve_logs_json_lines_when_asked(uvicorn_calls, monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SPINEFX_LOG_FORMAT", "json")
    assert run(["serve"]) == 0
    ((_, kwargs),) = uvicorn_calls
    formatter = kwargs["log_config"]["formatters"]["spinefx"]
    assert formatter == {"()": "spinefx.logs.JsonFormatter"}


def test_serve_logs_plain_lines_by_default(uvicorn_calls, monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SPINEFX_LOG_FORMAT", raising=False)
    assert run(["serve"]) == 0
    ((_, kwargs),) = uvicorn_calls
    assert "format" in kwargs["log_config"]["formatters"]["spinefx"]


def test_an_unknown_log_format_is_refused_naming_the_variable(uvicorn_calls, monkeypatch, capsys):
    monkeypatch.setenv("SPINEFX_LOG_FORMAT", "xml")
    assert run(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: SPINEFX_LOG_FORMAT")
    assert "json" in err and "text" in err
    assert uvicorn_calls == []


def test_serve_with_several_workers_has_uvicorn_import_the_app_in_each(
    uvicorn_calls, monkeypatch, tmp_path
):
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    assert run(["serve", "--workers", "3"]) == 0
    ((target, kwargs),) = uvicorn_calls
    assert target == "spinefx.web.app:create_app" and kwargs["factory"] is True
    assert kwargs["workers"] == 3


def test_serve_with_one_worker_serves_the_app_it_made(uvicorn_calls, monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SPINEFX_WORKERS", raising=False)
    assert run(["serve"]) == 0
    ((target, kwargs),) = uvicorn_calls
    assert not isinstance(target, str) and kwargs["factory"] is False
    assert kwargs["workers"] == 1


@pytest.mark.parametrize("workers", ["0", "65", "many"])
def test_serve_refuses_a_worker_count_out_of_range(uvicorn_calls, capsys, workers):
    assert run(["serve", "--workers", workers]) == 2
    assert uvicorn_calls == []
    assert "--workers" in capsys.readouterr().err


def test_the_workers_setting_is_read_from_the_environment(uvicorn_calls, monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SPINEFX_WORKERS", "2")
    assert run(["serve"]) == 0
    ((_, kwargs),) = uvicorn_calls
    assert kwargs["workers"] == 2


def test_proxy_headers_are_ignored_unless_the_proxies_are_named(
    uvicorn_calls, monkeypatch, tmp_path
):
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SPINEFX_FORWARDED_ALLOW_IPS", raising=False)
    assert run(["serve"]) == 0
    assert run(["serve", "--forwarded-allow-ips", "127.0.0.1,10.0.0.0/8"]) == 0
    (_, plain), (_, proxied) = uvicorn_calls
    assert plain["proxy_headers"] is False
    assert proxied["proxy_headers"] is True
    assert proxied["forwarded_allow_ips"] == "127.0.0.1,10.0.0.0/8"


def test_several_workers_with_metrics_share_a_fresh_multiprocess_folder(
    uvicorn_calls, monkeypatch, tmp_path
):
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SPINEFX_METRICS", "1")
    # set, then removed: monkeypatch then takes away what serve sets, which would otherwise
    # put every later app of this test session in multiprocess mode
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    assert run(["serve", "--workers", "2"]) == 0
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert os.path.isdir(folder) and os.listdir(folder) == []
