"""cloudy-deploy: Ansible roles and a wrapper that build a Cloudy micro cloud."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cloudy-deploy")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
