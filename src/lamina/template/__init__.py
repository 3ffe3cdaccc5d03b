"""SAM/CloudFormation templates -> ``lamina.model.specs.Stack``.

``load_stack`` reads and resolves a template; ``lamina.template.build.prepare`` then writes inline
code and installs each function's ``requirements.txt`` so the stack can run.
"""

from lamina.template.stack import load_stack

__all__ = ["load_stack"]
