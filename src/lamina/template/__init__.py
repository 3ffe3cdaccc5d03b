"""SAM/CloudFormation templates -> ``lamina.model.specs.Stack``.

``find_template`` names the template file a path means (the one finder: ``lamina up``,
``invoke`` and ``validate`` agree); ``load_stack`` reads and resolves a template;
``lamina.template.build.prepare`` then writes inline code and installs each function's
``requirements.txt`` so the stack can run.
"""

from lamina.template.loader import find_template
from lamina.template.stack import load_stack

__all__ = ["find_template", "load_stack"]
