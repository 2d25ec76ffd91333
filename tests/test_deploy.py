"""The deployment files in deploy/ (Docker cannot run on the test machine, so what can be checked is):
the compose file's services, commands the CLI accepts, and nginx's own check of both configurations."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.cli import build_parser
from bot.config import ROOT

DEPLOY = ROOT / "deploy"


def _accepted(command: list[str]) -> None:
    """`python -m bot …` as the CLI's own parser reads it (argparse exits on anything it refuses)."""
    assert command[1:3] == ["-m", "bot"], command
    args = build_parser().parse_args(command[3:])
    assert args.command is not None


def test_compose_has_the_services_and_commands_the_cli_accepts():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "worker", "nginx"} <= set(services)
    worker = services["worker"]
    assert worker["deploy"]["replicas"] >= 2
    assert worker["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert worker["environment"]["REDIS_URL"].startswith("redis://")
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    _accepted(worker["command"])
    _accepted(services["migrate"]["command"])
    assert build_parser().parse_args(services["migrate"]["command"][3:]).db_command == "upgrade"
    mounted = services["nginx"]["volumes"][0].split(":")[0]
    assert (DEPLOY / mounted).is_file()


def test_the_images_command_is_one_the_cli_accepts():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1))
    _accepted(command)
    assert "STOPSIGNAL SIGTERM" in dockerfile
    for copied in re.findall(r"^COPY (\S+) ", dockerfile, re.MULTILINE):
        assert (ROOT / copied).exists(), copied


def test_the_systemd_units_start_commands_the_cli_accepts():
    for unit, expected in (("citizen-bot@.service", "webhook"), ("citizen-bot-migrate.service", "db")):
        text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        exec_start = re.search(r"^ExecStart=(.*)$", text, re.MULTILINE).group(1).split()
        _accepted(["python", *exec_start[1:]])
        assert exec_start[3] == expected
    worker = (DEPLOY / "systemd" / "citizen-bot@.service").read_text(encoding="utf-8")
    assert "WEBHOOK_PORT=%i" in worker and "KillSignal=SIGTERM" in worker


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)")
@pytest.mark.parametrize("name", ["citizen-bot.conf", "compose.conf"])
def test_nginx_accepts_the_configuration(name, tmp_path):
    config = (DEPLOY / "nginx" / name).read_text(encoding="utf-8")
    # Stand-ins for what only a real deployment has: a certificate, and the compose network's host name.
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    if "ssl_certificate" in config:
        if shutil.which("openssl") is None:
            pytest.skip("openssl is needed to make a stand-in certificate")
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
                *("-keyout", str(key), "-out", str(certificate)),
            ],
            check=True,
            capture_output=True,
        )
        config = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {certificate};", config)
        config = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", config)
    config = config.replace("server worker:8081", "server 127.0.0.1:8081")
    (tmp_path / "site.conf").write_text(config, encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path / 'site.conf'};\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_deploy_folder_says_docker_was_not_run_here():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "not been run" in readme
    assert Path(DEPLOY / "systemd" / "citizen-bot@.service").is_file()
