"""The deployment files hold what the README promises: nginx accepts the generated configuration, the image runs
as a non-root user with a health check on Streamlit's health endpoint and the CPU build of torch, and the compose
file wires Redis, replicas, workers and nginx together."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests import servers

pytestmark = pytest.mark.deploy
DEPLOY = os.path.join(servers.ROOT, "deploy")


def test_nginx_accepts_the_generated_config_for_k_replicas(tmp_path):
    nginx = servers.need("nginx")
    from deploy import topology

    site = tmp_path / "dropviz.conf"
    site.write_text(topology.render_site(["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"], "127.0.0.1:9000"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(topology.MAIN_CONF.format(run=tmp_path, site=site))
    out = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    text = site.read_text()
    assert text.count("server 127.0.0.1:900") == 3 and "hash $dropviz_affinity consistent" in text
    assert "proxy_set_header Upgrade $http_upgrade" in text and "proxy_read_timeout 1d" in text


def test_the_image_runs_as_a_user_with_a_health_check():
    text = Path(DEPLOY, "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/_stcore/health", text, re.M)
    assert "download.pytorch.org/whl/cpu torch==2.13.0" in text


def test_compose_runs_redis_replicas_workers_and_nginx():
    spec = yaml.safe_load(Path(DEPLOY, "compose.yaml").read_text())
    services = spec["services"]
    assert set(services) == {"redis", "app", "worker", "nginx"}
    assert services["app"]["environment"]["DROPVIZ_REDIS_URL"] == "redis://redis:6379/0"
    assert services["worker"]["command"] == ["python", "-m", "dropviz.worker"]
    assert "dropviz.conf.template" in services["nginx"]["volumes"][0]
    assert services["nginx"]["environment"]["DROPVIZ_UPSTREAM_SERVERS"].startswith("server app:8501")
