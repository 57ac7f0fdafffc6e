"""``spinefx serve``: settings reach uvicorn, bad ports are usage errors, the access log is ours."""

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
    assert formatter == {"()": "spinefx.web.logs.JsonFormatter"}


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
