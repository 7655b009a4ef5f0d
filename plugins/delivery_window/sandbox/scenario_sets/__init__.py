"""Scenario catalogue beyond healthy/whatsapp_outage: each module registers its scenarios on import.

One module per area so scenarios can be added side by side: ``pre_delivery`` (05:30/05:45 check failures),
``window`` (monitor and alert-rule days), ``post_delivery`` (checkpoints and data quality), ``escalation``.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
