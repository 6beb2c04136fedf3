"""`--fast`: ansible-playbook with Mitogen for Ansible's strategy (one Python interpreter kept per
box instead of a module upload per task). Optional: plain Ansible stays the default, as ansible-core
2.19 deprecates third-party strategy plugins (no removal date)."""

import importlib.util
from pathlib import Path

from cloudy_deploy.errors import BadInput

STRATEGY = "mitogen_linear"


def strategy_env() -> dict[str, str]:
    """The variables that make ansible-playbook use Mitogen; bad input when it is not installed."""
    spec = importlib.util.find_spec("ansible_mitogen")
    if spec is None or not spec.submodule_search_locations:
        raise BadInput(
            "--fast needs Mitogen for Ansible, which is not installed here:"
            " pip install 'cloudy-deploy[fast]' (or leave --fast out)"
        )
    plugins = Path(next(iter(spec.submodule_search_locations))) / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": STRATEGY}
